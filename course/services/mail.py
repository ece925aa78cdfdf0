"""E-mail through the institute's SMTP server, configured by the administrator (host, port, sender,
encryption, user name). The password is never a setting: it comes from the environment
(``MARSA_SMTP_PASSWORD``), so no database backup, export or audit entry can hold it.

Nothing is sent while no host is configured. One connection serves a batch of messages, with a
timeout, and every failure comes back as a ``MailError`` with a message a trainer can act on.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from course.models import Setting, User
from course.services import audit
from course.services.errors import ServiceError
from course.services.users import parse_email

SETTING = "smtp"
SECURITY = ("starttls", "tls", "none")
TIMEOUT_SECONDS = 10


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


@dataclass
class MailSettings:
    host: str = ""
    port: int = 587
    sender: str = ""
    security: str = "starttls"
    username: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


def settings(session: Session) -> MailSettings:
    row = session.get(Setting, SETTING)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    known = {k: v for k, v in value.items() if k in MailSettings.__dataclass_fields__}
    return MailSettings(**known)


def save_settings(session: Session, actor: User, *, host: str, port: int | None, sender: str, security: str,
                  username: str) -> MailSettings:
    host, username = (host or "").strip(), (username or "").strip()
    if security not in SECURITY:
        raise ServiceError(_l("Choose how the connection is encrypted."), "security")
    try:
        sender = parse_email(sender) or ""
    except ServiceError as error:
        error.field = "sender"  # the form's field for it (not a person's "email")
        raise
    if host and not sender:
        raise ServiceError(_l("Give the address reminders are sent from."), "sender")
    if any(c.isspace() for c in host):
        raise ServiceError(_l("A server name has no spaces."), "host")
    new = MailSettings(host, port or (465 if security == "tls" else 587), sender, security, username)
    row = session.get(Setting, SETTING)
    if row is None:
        session.add(Setting(key=SETTING, value=asdict(new)))
    else:
        row.value = asdict(new)
    audit.record(session, actor, "settings.smtp", "setting", SETTING, **asdict(new))
    session.flush()
    return new


class Connection:
    """One SMTP session for a batch of messages: ``with Connection(settings, password) as smtp:
    smtp.send(to, subject, body)``. Opening it, or any message, may raise ``MailError``."""

    def __init__(self, mail: MailSettings, password: str | None):
        self.mail, self.password, self.smtp = mail, password, None

    def __enter__(self) -> Connection:
        try:
            if self.mail.security == "tls":
                self.smtp = smtplib.SMTP_SSL(self.mail.host, self.mail.port, timeout=TIMEOUT_SECONDS,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(self.mail.host, self.mail.port, timeout=TIMEOUT_SECONDS)
                if self.mail.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.mail.username:
                self.smtp.login(self.mail.username, self.password or "")
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise MailError(_describe(error)) from error
        return self

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.mail.sender, to, subject
        message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain="marsa")
        message.set_content(body)
        try:
            self.smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(_describe(error)) from error

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc) -> None:
        self._close()


def _describe(error: Exception) -> str:
    """What went wrong, for the trainer's page and the audit log: the kind of failure and the
    server's reply, never the password."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"{error.smtp_code} {reply}"[:200]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "recipient refused"
    return f"{type(error).__name__}: {error}"[:200]
