"""Reminders to overdue officers: a trainer sends them for a cohort; each officer sees theirs on the
dashboard until they dismiss it, and gets it by e-mail where the institute configured SMTP and the
officer has an address.

The reminder rows are written before any e-mail is tried, and an e-mail's failure is recorded on the
reminder, never raised: the on-screen reminder is never lost to a mail server, and the trainer is
told which e-mails failed. An officer has at most one reminder waiting: sending again refreshes it
(its modules and time) instead of stacking copies.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import Cohort, Reminder, User
from course.services import audit, mail, progress, reports
from course.services.errors import ServiceError

#: Reminders shown on the trainer's page, newest first.
RECENT = 50


@dataclass
class SendResult:
    reminded: list[Reminder] = field(default_factory=list)
    emailed: int = 0
    #: (officer, what went wrong) for each e-mail that could not be sent.
    failed: list[tuple[User, str]] = field(default_factory=list)


def overdue(session: Session, cohort: Cohort, now: datetime) -> list[tuple[int, list]]:
    """(officer id, overdue modules) for each officer of the cohort with a module past its due date."""
    modules = progress.active_modules(session)
    officers = reports.cohort_roster(session, cohort)
    statuses = progress.statuses_for(session, [o.id for o in officers], modules, now=now,
                                     scope=reports.cohort_officer_ids(cohort))
    out = []
    for officer in officers:
        late = [m for m in modules if statuses[officer.id][m.id].overdue]
        if late:
            out.append((officer.id, late))
    return out


def _module_list(modules) -> str:
    return "\n".join(f"{m.position}|{m.title_in('en')}|{m.title_in('ar')}" for m in modules)


def module_titles(reminder: Reminder, lang: str) -> list[str]:
    """The overdue modules a reminder names, in ``lang``."""
    out = []
    for line in reminder.modules.splitlines():
        position, en, ar = (line.split("|", 2) + ["", ""])[:3]
        out.append(f"{position}. {(ar if lang == 'ar' else '') or en}")
    return out


def send(session: Session, actor: User, cohort: Cohort, now: datetime, *, mail_settings: mail.MailSettings,
         password: str | None, link: str) -> SendResult:
    late = overdue(session, cohort, now)
    if not late:
        raise ServiceError(_l("No officer of this cohort is overdue: no reminder was sent."))
    officers = {u.id: u for u in session.scalars(select(User).where(User.id.in_([i for i, _ in late])))}
    waiting = {r.officer_id: r for r in session.scalars(
        select(Reminder).where(Reminder.officer_id.in_(list(officers)), Reminder.dismissed_at.is_(None)))}
    result = SendResult()
    for officer_id, modules in late:
        reminder = waiting.get(officer_id)
        if reminder is None:
            reminder = Reminder(officer_id=officer_id, cohort_id=cohort.id)
            session.add(reminder)
        reminder.sent_by_id, reminder.created_at = actor.id, now
        reminder.modules = _module_list(modules)
        reminder.email_status = "off" if not mail_settings.configured else (
            "pending" if officers[officer_id].email else "no_address")
        result.reminded.append(reminder)
    session.flush()  # the on-screen reminders exist before any mail server is asked anything
    pending = [r for r in result.reminded if r.email_status == "pending"]
    if pending:
        _email(pending, officers, mail_settings, password, link, result)
    audit.record(session, actor, "reminder.send", "cohort", cohort.id, officers=len(result.reminded),
                 emailed=result.emailed, email_failed=len(result.failed))
    session.flush()
    return result


def _email(pending: list[Reminder], officers: dict[int, User], mail_settings, password, link, result) -> None:
    try:
        with mail.Connection(mail_settings, password) as smtp:
            for reminder in pending:
                officer = officers[reminder.officer_id]
                subject, body = _message(officer, reminder, link)
                try:
                    smtp.send(officer.email, subject, body)
                except mail.MailError as error:
                    reminder.email_status = "failed"
                    result.failed.append((officer, str(error)))
                else:
                    reminder.email_status = "sent"
                    result.emailed += 1
    except mail.MailError as error:  # the server could not be reached: no message went out
        for reminder in pending:
            if reminder.email_status == "pending":
                reminder.email_status = "failed"
                result.failed.append((officers[reminder.officer_id], str(error)))


def _message(officer: User, reminder: Reminder, link: str) -> tuple[str, str]:
    lang = officer.language if officer.language in ("en", "ar") else "en"
    with force_locale(lang):
        subject = str(_l("Marsa: modules past their due date"))
        lines = [str(_l("Dear %(name)s,", name=officer.full_name)), "",
                 str(_l("Your trainer reminds you that these modules are past their due date:")), ""]
        lines += [f"- {title}" for title in module_titles(reminder, lang)]
        lines += ["", str(_l("Sign in to continue: %(link)s", link=link))]
    return subject, "\n".join(lines) + "\n"


def waiting_for(session: Session, officer: User) -> list[Reminder]:
    """The officer's reminders not yet dismissed (shown on the dashboard)."""
    return list(session.scalars(select(Reminder).where(Reminder.officer_id == officer.id,
                                                       Reminder.dismissed_at.is_(None))
                                .options(selectinload(Reminder.sent_by)).order_by(Reminder.created_at.desc())))


def dismiss(session: Session, officer: User, reminder_id: int, now: datetime) -> bool:
    """Dismiss one of the officer's own reminders; False if there is no such waiting reminder."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.officer_id != officer.id or reminder.dismissed_at is not None:
        return False
    reminder.dismissed_at = now
    audit.record(session, officer, "reminder.dismiss", "reminder", reminder.id)
    session.flush()
    return True


def recent(session: Session, cohort: Cohort) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.cohort_id == cohort.id)
                                .options(selectinload(Reminder.officer))
                                .order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(RECENT)))
