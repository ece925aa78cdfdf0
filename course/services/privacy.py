"""Personal data: what an officer can download about themselves, and anonymising a departed
officer while keeping the aggregate statistics their attempts feed."""
from __future__ import annotations

import json
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session, selectinload

from course.models import (
    Attempt,
    AttemptAnswer,
    AuditEntry,
    BadgeCredential,
    Certificate,
    Cohort,
    CohortMember,
    GradeOverride,
    LessonRead,
    ModuleCompletion,
    Role,
    User,
)
from course.models.people import new_session_token
from course.quizview import describe_response
from course.services import audit, review_policy
from course.services.errors import ServiceError
from course.services.users import hash_password


def _attempt_entry(attempt: Attempt, review: review_policy.Review, stamp) -> dict:
    """One attempt as the officer may see it: scores, pass or fail and answer scores only when
    ``review`` allows them (a withheld result is not given away by the data download)."""
    return {
        "quiz": attempt.quiz.key, "number": attempt.number, "state": attempt.state.value,
        "result": review.state, "language": attempt.language, "started_at": stamp(attempt.started_at),
        "submitted_at": stamp(attempt.submitted_at),
        **({"score": attempt.score, "max_score": attempt.max_score, "percent": attempt.percent} if review.score else {}),
        **({"passed": attempt.passed} if review.outcome else {}),
        "answers": [{"question": ans.question_version.definition["id"], "version": ans.question_version.number,
                     # The answer as the officer read it, never by the options' authoring ids: those would
                     # tell which option is "a", the one authors tend to make right (course/answertokens.py).
                     "response": describe_response(ans.question_version.definition, ans.response, attempt.language),
                     "saved_at": stamp(ans.saved_at),
                     **({"score": ans.score} if review.verdicts else {})}
                    for ans in attempt.answers]}


def personal_data(session: Session, user: User) -> dict:
    """Everything Marsa holds about ``user``, with their results as ``review_policy`` lets them see them."""
    reads = session.scalars(select(LessonRead).where(LessonRead.user_id == user.id)
                            .options(selectinload(LessonRead.lesson))).all()
    attempts = session.scalars(select(Attempt).where(Attempt.user_id == user.id)
                               .options(selectinload(Attempt.quiz),
                                        selectinload(Attempt.answers).selectinload(AttemptAnswer.question_version))
                               .order_by(Attempt.started_at)).all()
    cohorts = session.scalars(select(Cohort.name).join(CohortMember).where(CohortMember.user_id == user.id)).all()
    overrides = session.scalars(select(GradeOverride).where(GradeOverride.user_id == user.id)
                                .options(selectinload(GradeOverride.quiz))).all()
    reviews = review_policy.reviews_for(session, user, list(attempts))
    held, unscored = review_policy.hidden_grade_pairs(session, [user.id], list({o.quiz for o in overrides}))
    certificates = session.scalars(select(Certificate).where(Certificate.user_id == user.id)).all()
    completions = session.scalars(select(ModuleCompletion).where(ModuleCompletion.user_id == user.id)).all()
    credentials = {row.certificate_id: row for row in session.scalars(
        select(BadgeCredential).join(Certificate).where(Certificate.user_id == user.id))}
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "profile": {"username": user.username, "full_name": user.full_name, "staff_number": user.staff_number,
                    "duty_station": user.duty_station.name_en if user.duty_station else None,
                    "sex": user.sex.value if user.sex else None, "email": user.email,
                    "role": user.role.value, "language": user.language,
                    "created_at": stamp(user.created_at)},
        "cohorts": list(cohorts),
        "lessons_read": [{"lesson": r.lesson.key, "read_at": stamp(r.read_at)} for r in reads],
        "attempts": [_attempt_entry(a, reviews[a.id], stamp) for a in attempts],
        # A trainer's grade of a quiz whose results wait for release is shown once they are released;
        # of a quiz that shows no score, never.
        "grade_overrides": [{"quiz_id": o.quiz_id, "at": stamp(o.created_at),
                             **({"result": review_policy.AWAITING_RELEASE} if (user.id, o.quiz_id) in held
                                else {} if o.quiz_id in unscored
                                else {"percent": o.percent, "reason": o.reason})} for o in overrides],
        "module_completions": [{"module_id": c.module_id, "completed_at": stamp(c.completed_at)} for c in completions],
        "certificates": [{"code": c.code, "issued_at": stamp(c.issued_at), "expires_at": stamp(c.expires_at),
                          "revoked_at": stamp(c.revoked_at), "certifies": c.snapshot,
                          # the Open Badges credential as issued (None: not asked for, or withdrawn)
                          "credential": credentials[c.id].document if c.id in credentials else None}
                         for c in certificates],
    }


def anonymise(session: Session, actor: User, person: User) -> None:
    """Remove what identifies the person; keep their attempts (unlinkable) for the statistics."""
    if person.role != Role.OFFICER:
        raise ServiceError(_l("Only officers' accounts are anonymised; deactivate staff accounts instead."))
    if person.username.startswith("former-"):
        return
    identifiers = {value for value in (person.username, person.full_name, person.staff_number, person.email) if value}
    person.username = f"former-{person.id}"
    person.full_name = f"Former officer {person.id}"
    person.staff_number = None
    # Self-declared and contact data go too: with a station and a cohort, a sex can single a person
    # out. The duty station stays (the institute's own organisation, and what by-station counts need).
    person.sex = None
    person.email = None
    person.password_hash = hash_password(secrets.token_urlsafe(32))
    person.is_active_account = False
    person.must_change_password = False
    person.session_token = new_session_token()
    for override in session.scalars(select(GradeOverride).where(GradeOverride.user_id == person.id)):
        override.reason = "(removed when the officer was anonymised)"
    for certificate in session.scalars(select(Certificate).where(Certificate.user_id == person.id)):
        # The public verification page shows the snapshot: it keeps the course, scores and dates.
        certificate.snapshot = {**certificate.snapshot, "full_name": person.full_name, "staff_number": None,
                                "anonymised": True}
    # The Open Badges credentials name the officer: their public copies are withdrawn (copies the
    # officer saved keep verifying, and a revocation still shows in the status list).
    for credential in session.scalars(select(BadgeCredential).join(Certificate).where(Certificate.user_id == person.id)):
        credential.document = None
    _scrub_audit_log(session, person, identifiers)
    audit.record(session, actor, "user.anonymise", "user", person.id)
    session.flush()


#: Audit details that hold who a person is (``user.update`` and imports record the new values).
_IDENTITY_KEYS = ("username", "full_name", "staff_number", "duty_station", "sex", "email")


def _scrub_audit_log(session: Session, person: User, identifiers: set[str]) -> None:
    """Replace the person's username, name and staff number in the audit log with their pseudonym.

    Entries about the person (``user`` entries with their id) lose every identity field and every
    mention in free text (an override's reason, say), including earlier names from renames; entries
    about something else (a cohort membership, a certificate) lose the values naming them exactly."""
    own = (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(person.id))
    own_entries = session.scalars(select(AuditEntry).where(own)).all()
    identifiers |= {value for entry in own_entries for key, value in (entry.details or {}).items()
                    if key in _IDENTITY_KEYS and isinstance(value, str) and value}
    identifiers -= {person.username, person.full_name}
    if not identifiers:
        return
    # Details are stored as JSON text; a value appears in it as its JSON string, quotes included.
    as_text = cast(AuditEntry.details, String)
    mentions = or_(*(as_text.contains(json.dumps(value), autoescape=True) for value in identifiers))
    longest_first = sorted(identifiers, key=len, reverse=True)

    def scrubbed(value, about_person: bool):
        if isinstance(value, dict):
            return {key: (person.username if about_person and key in _IDENTITY_KEYS and value[key] else
                          scrubbed(value[key], about_person)) for key in value}
        if isinstance(value, list):
            return [scrubbed(item, about_person) for item in value]
        if not isinstance(value, str):
            return value
        if value in identifiers:
            return person.username
        if about_person:
            for identifier in longest_first:
                value = value.replace(identifier, person.username)
        return value

    for entry in {*own_entries, *session.scalars(select(AuditEntry).where(mentions))}:
        about_person = entry.object_type == "user" and entry.object_id == str(person.id)
        entry.details = scrubbed(entry.details or {}, about_person)
