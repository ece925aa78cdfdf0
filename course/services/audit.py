"""The audit trail: one call per change that an admin may later have to explain (``record``), and
each entry read back as a sentence in the reader's language (``sentences``).

An entry keeps its action (``user.create``...) and its details as plain values; the words are put
on them only when the log is read, so the same entry reads in English or in Arabic. An action
without a sentence of its own (an older or newer one) is still told readably, field by field.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.models import AuditEntry, Cohort, StationKind, User
from course.models.stations import KIND_LABELS


def record(session: Session, actor: User | None, action: str, object_type: str, object_id=None,
           **details) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), details=details)
    session.add(entry)
    return entry


# --- Reading -------------------------------------------------------------------------------------

#: One sentence per action; the placeholders are the entry's details, plus ``user``/``cohort`` (the
#: account or cohort the entry is about, by its current name), ``object`` (the entry's object id)
#: and ``changes`` (the changed fields, told one by one).
MESSAGES = {
    "user.create": _l("Created the account %(username)s with the role %(role)s."),
    "user.create.import": _l("Created the account %(username)s from the file %(source)s."),
    "user.update": _l("Changed the account %(user)s: %(changes)s."),
    "user.update.import": _l("Changed the account %(user)s from the file %(source)s: %(changes)s."),
    "user.deactivate": _l("Deactivated the account %(user)s: %(changes)s."),
    "user.password_reset": _l("Gave %(user)s a new one-time password."),
    "user.sessions_ended": _l("Signed %(user)s out on every device (sessions ended: %(sessions)s)."),
    "user.anonymise": _l("Removed the personal data of the account %(user)s."),
    "settings.institute_name": _l("Changed the institute's name (before: %(before)s; now: %(after)s)."),
    "user.password_handout": _l("Downloaded %(count)s one-time passwords (%(format)s)."),
    "user.profile": _l("%(user)s changed their own profile (%(changed)s)."),
    "station.create": _l("Added the duty station %(name_en)s (%(name_ar)s; %(kind)s)."),
    "station.update": _l("Changed the duty station %(object)s: %(changes)s."),
    "station.delete": _l("Removed the duty station %(name_en)s."),
    "reminder.send": _l("Reminded %(officers)s overdue officers of the cohort %(cohort)s (e-mails sent: %(emailed)s; "
                        "e-mails that failed: %(email_failed)s)."),
    "reminder.dismiss": _l("Dismissed the reminder %(object)s."),
    "settings.smtp": _l("Changed the e-mail (SMTP) settings: %(changes)s."),
    "referral_contacts.update": _l("Changed the referral contacts (before: %(before)s; now: %(after)s)."),
    "course.publish": _l("Published the course from %(source)s (version %(fingerprint)s). "
                         "Added: %(added)s. Changed: %(changed)s. Retired: %(retired)s."),
    "signing_key.withdraw": _l("Withdrew the certificate signing key %(object)s."),
    "credential.issue": _l("Issued the Open Badges credential of certificate %(object)s."),
    "credential.resign": _l("Signed the Open Badges credential of certificate %(object)s again."),
    "assignment.create": _l("Assigned %(module)s to %(target)s (start: %(starts_at)s; due: %(due_at)s)."),
    "assignment.update": _l("Changed the dates of %(module)s for %(target)s (start: %(starts_at)s; "
                            "due: %(due_at)s)."),
    "assignment.delete": _l("Removed the assignment of %(module)s to %(target)s."),
    "settings.update": _l("Changed the setting “%(setting)s” to %(value)s."),
    "attempt.grant": _l("Allowed %(user)s one more attempt at %(quiz)s (attempts already made: "
                        "%(after_attempts)s). Reason: %(reason)s"),
    "cohort.create": _l("Created the cohort %(name)s."),
    "cohort.update": _l("Changed the cohort %(cohort)s: %(changes)s."),
    "cohort.member.add": _l("Added %(user)s to the cohort %(cohort)s."),
    "cohort.member.remove": _l("Removed %(user)s from the cohort %(cohort)s."),
    "cohort.trainer.add": _l("Made %(user)s a trainer of the cohort %(cohort)s."),
    "cohort.trainer.remove": _l("Removed %(user)s as a trainer of the cohort %(cohort)s."),
    "certificate.issue": _l("Issued the certificate %(object)s for %(module)s to %(officer)s."),
    "certificate.issue.course": _l("Issued the course certificate %(object)s to %(officer)s."),
    "certificate.revoke": _l("Revoked the certificate %(object)s of %(officer)s. Reason: %(reason)s"),
    "grade.override": _l("Set the grade of %(user)s for %(quiz)s to %(percent)s%%. Reason: %(reason)s"),
    "answer.grade": _l("Graded the answer to question %(question)s in attempt %(object)s (grading %(revision)s): "
                       "marks %(marks)s; points %(score)s (before: %(previous)s); the attempt's score is now "
                       "%(percent)s%%."),
    "results.release": _l("Released the results of %(object)s to the cohort %(cohort)s."),
    "results.release.everyone": _l("Released the results of %(object)s to every officer."),
    "question.regrade": _l("Regraded question %(object)s (version %(version)s; attempts rescored: "
                           "%(attempts)s)."),
}

#: The names of the fields an update records.
FIELDS = {
    "username": _l("Username"), "full_name": _l("Full name"), "staff_number": _l("Staff number"),
    "duty_station": _l("Duty station"), "role": _l("Role"), "language": _l("Language"),
    "is_active_account": _l("Account active"), "cohort": _l("Cohort"), "name": _l("Name"),
    "description": _l("Description"), "archived": _l("Archived"),
    "name_en": _l("Name in English"), "name_ar": _l("Name in Arabic"), "kind": _l("Kind"),
    "host": _l("SMTP server"), "port": _l("Port"), "sender": _l("Sender address"),
    "security": _l("Encryption"),
}
ROLES = {"officer": _l("Officer"), "trainer": _l("Trainer"), "admin": _l("Administrator")}
LANGUAGE_NAMES = {"en": "English", "ar": "العربية"}
#: What a publication counts, as ``course.publish`` records it.
KINDS = {"course": _l("Course"), "modules": _l("Modules"), "objectives": _l("Learning objectives"),
         "lessons": _l("Lessons"), "quizzes": _l("Quizzes"), "questions": _l("Questions"),
         "changes": _l("Change notes")}
SETTINGS = {"show_unassigned_modules": _l("Officers also see modules not assigned to them"),
            "time_zone": _l("Time zone")}
#: Between the parts of a list of changes or counts: Arabic has its own semicolon and comma.
SEMICOLON, COMMA = _l("; "), _l(", ")
#: Fields whose values are yes or no. (Updates written before 2027 stored them as "True"/"False".)
_BOOLEAN_FIELDS = {"is_active_account", "archived"}


def _plain(value) -> str:
    """Any stored value as text a reader understands: no Python or JSON notation."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return str(SEMICOLON).join(f"{key}: {_plain(item)}" for key, item in value.items()) or _("nothing")
    if isinstance(value, (list, tuple)):
        return str(COMMA).join(_plain(item) for item in value) or _("nothing")
    return str(value)


def _station_kind(value) -> str:
    try:
        return str(KIND_LABELS[StationKind(value)])
    except ValueError:
        return _plain(value)


def _field_value(key: str, value) -> str:
    if value == "None":  # written by str(None) before updates kept their values as they are
        value = None
    if key in _BOOLEAN_FIELDS and value in ("True", "False"):
        value = value == "True"
    if key == "role" and value in ROLES:
        return str(ROLES[value])
    if key == "kind":
        return _station_kind(value)
    if key == "language" and value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[value]
    return _plain(value)


def _changes(details: dict, skip: tuple[str, ...] = ("source",)) -> str:
    return str(SEMICOLON).join(f"{FIELDS[key] if key in FIELDS else key}: {_field_value(key, value)}"
                     for key, value in details.items() if key not in skip) or _("nothing")


def _counts(counts) -> str:
    if not isinstance(counts, dict) or not counts:
        return _plain(counts)
    return str(COMMA).join(f"{KINDS[key] if key in KINDS else key}: {_plain(n)}" for key, n in counts.items())


class _Fields(dict):
    """The values a sentence is filled with; one that an entry lacks reads as a dash."""

    def __missing__(self, key):
        return "—"


def _module(value) -> str:
    return _("the whole course") if value in (None, "whole course") else str(value)


def _day(value) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return _plain(value) if value else "—"
    return format_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "medium")


def _fallback(entry: AuditEntry) -> str:
    subject = " ".join(part for part in (entry.object_type, entry.object_id) if part)
    details = str(SEMICOLON).join(f"{key}: {_plain(value)}" for key, value in (entry.details or {}).items())
    return _("%(action)s (%(object)s): %(details)s", action=entry.action, object=subject or "—",
             details=details or _("no details"))


def sentence(entry: AuditEntry, names: dict[tuple[str, str], str] | None = None) -> str:
    """``entry`` as one sentence in the current language. ``names`` gives the current name of the
    accounts and cohorts entries are about (``("user", "12")``: ``"amal"``); without it, an id."""
    details = entry.details if isinstance(entry.details, dict) else {}
    fields = _Fields({key: _plain(value) for key, value in details.items()})
    fields["object"] = entry.object_id or "—"
    known = (names or {}).get((entry.object_type, entry.object_id or ""))
    fields["user" if entry.object_type == "user" else entry.object_type] = known or fields["object"]
    if "user" in details:  # a cohort's member or trainer, by username
        fields["user"] = _plain(details["user"])
    key = entry.action
    if entry.action in ("user.create", "user.update") and details.get("source"):
        key += ".import"
    if entry.action in ("user.update", "user.deactivate", "cohort.update", "station.update", "settings.smtp"):
        fields["changes"] = _changes(details)
    elif entry.action == "user.create":
        fields["role"] = _field_value("role", details.get("role"))
    elif entry.action == "course.publish":
        for bucket in ("added", "changed", "retired"):
            fields[bucket] = _counts(details.get(bucket))
    elif entry.action.startswith("assignment."):
        fields["module"] = _module(details.get("module"))
        fields["target"] = (_("the cohort %(name)s", name=details["cohort"]) if details.get("cohort")
                            else _("the officer %(name)s", name=_plain(details.get("officer"))))
        for name in ("starts_at", "due_at"):  # stored in UTC: read as a day in the institute's zone
            fields[name] = _day(details.get(name))
    elif entry.action == "station.create":
        fields["kind"] = _station_kind(details.get("kind"))
    elif entry.action == "settings.update":
        fields["setting"] = str(SETTINGS.get(entry.object_id or "", entry.object_id or "—"))
    elif entry.action == "certificate.issue":
        if details.get("kind") == "course":
            key += ".course"
        fields["module"] = _module(details.get("module"))
    elif entry.action == "results.release" and details.get("cohort") in (None, "everyone"):
        key += ".everyone"
    elif entry.action == "results.release":
        fields["cohort"] = _plain(details["cohort"])
    message = MESSAGES.get(key)
    if message is None:
        return _fallback(entry)
    try:
        return str(message) % fields
    except (TypeError, ValueError):  # a detail of an unexpected shape: tell it field by field
        return _fallback(entry)


def entries_page(session: Session, action: str, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
    """One page of the log, newest first, of the actions starting with ``action`` (all when it is
    empty), and how many entries match in all."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return list(session.scalars(query.limit(per_page).offset((page - 1) * per_page))), total


def sentences(session: Session, entries: list[AuditEntry]) -> list[str]:
    """Each entry as a sentence, naming accounts and cohorts by their current names (two queries
    for the whole page): an anonymised officer reads as their pseudonym."""
    ids: dict[str, set[int]] = {"user": set(), "cohort": set()}
    for entry in entries:
        if entry.object_type in ids and (entry.object_id or "").isdigit():
            ids[entry.object_type].add(int(entry.object_id))
    names: dict[tuple[str, str], str] = {}
    lookups: dict[str, Callable] = {"user": lambda i: select(User.id, User.username).where(User.id.in_(i)),
                                    "cohort": lambda i: select(Cohort.id, Cohort.name).where(Cohort.id.in_(i))}
    for kind, wanted in ids.items():
        if wanted:
            names.update({(kind, str(row_id)): name for row_id, name in session.execute(lookups[kind](wanted))})
    return [sentence(entry, names) for entry in entries]
