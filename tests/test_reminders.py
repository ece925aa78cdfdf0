"""Reminders to overdue officers: on the dashboard until dismissed, audited, and e-mailed through a
real SMTP server (aiosmtpd on a local port) where the institute configured one; a mail server that
cannot be reached loses no reminder and is reported to the trainer."""
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from course.models import Assignment, AuditEntry, Reminder, Role, Setting
from tests.conftest import make_cohort

SMTP_PASSWORD = "relay-secret-7f3a"
#: The local test server takes a password without TLS (it listens on 127.0.0.1 only).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server that asks for a user name and password (over plain text: it is local)."""
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"marsa" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def app(make_app):
    return make_app(SMTP_PASSWORD=SMTP_PASSWORD)


@pytest.fixture
def cohort(app, mini_course, session, make_user):
    trainer = make_user(Role.TRAINER, username="coach")
    make_user(Role.ADMIN, username="root")
    amal = make_user(username="amal", full_name="Amal Hassan", email="amal@example.org", language="ar")
    karim = make_user(username="karim", full_name="Karim Farouk")  # no e-mail address
    cohort = make_cohort(session, "Late cohort", [amal, karim], [trainer])
    session.add(Assignment(cohort_id=cohort.id, module_id=None, due_at=datetime.now(UTC) - timedelta(days=2)))
    session.commit()
    return cohort


def configure_mail(app, login, port: int) -> None:
    admin = app.test_client()
    login(admin, "root")
    response = admin.post("/admin/mail", data={"host": "127.0.0.1", "port": str(port), "security": "none",
                                               "sender": "training@example.org", "username": "marsa"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_a_reminder_is_emailed_shown_on_the_dashboard_and_dismissed(app, login, cohort, session, smtp_server):
    controller, inbox = smtp_server
    configure_mail(app, login, controller.port)
    trainer = app.test_client()
    login(trainer, "coach")
    page = trainer.post(f"/trainer/cohorts/{cohort.id}/reminders", follow_redirects=True).get_data(as_text=True)
    assert "2 officers reminded" in page and "1 e-mail sent." in page
    # One e-mail, to the officer with an address, in her language, naming the overdue module.
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["amal@example.org"] and "From: training@example.org" in message
    statuses = {r.officer.username: r.email_status for r in session.scalars(select(Reminder))}
    assert statuses == {"amal": "sent", "karim": "no_address"}

    officer = app.test_client()
    login(officer, "karim")
    dashboard = officer.get("/").get_data(as_text=True)
    assert "Reminder from Test Coach" in dashboard and "1. Basics" in dashboard
    reminder = session.scalar(select(Reminder).join(Reminder.officer).where(Reminder.officer.has(username="karim")))
    # Only its officer can dismiss it.
    nosy = app.test_client()
    login(nosy, "amal")
    assert nosy.post(f"/reminders/{reminder.id}/dismiss").status_code == 404
    assert officer.post(f"/reminders/{reminder.id}/dismiss").status_code == 302
    assert "Reminder from" not in officer.get("/").get_data(as_text=True)
    actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "reminder.send" in actions and "reminder.dismiss" in actions
    # Sending again refreshes the waiting reminder instead of stacking a second one.
    trainer.post(f"/trainer/cohorts/{cohort.id}/reminders")
    session.expire_all()
    waiting = session.scalars(select(Reminder).where(Reminder.dismissed_at.is_(None))).all()
    assert sorted(r.officer.username for r in waiting) == ["amal", "karim"]


def test_an_unreachable_mail_server_keeps_the_reminders_and_tells_the_trainer(app, login, cohort, session):
    configure_mail(app, login, free_port())  # nothing listens there
    trainer = app.test_client()
    login(trainer, "coach")
    page = trainer.post(f"/trainer/cohorts/{cohort.id}/reminders", follow_redirects=True).get_data(as_text=True)
    assert "2 officers reminded" in page
    assert "The e-mail to Amal Hassan could not be sent" in page and "still on their dashboard" in page
    statuses = {r.officer.username: r.email_status for r in session.scalars(select(Reminder))}
    assert statuses == {"amal": "failed", "karim": "no_address"}
    officer = app.test_client()
    login(officer, "amal")
    assert "تذكير من Test Coach" in officer.get("/").get_data(as_text=True)  # she reads Marsa in Arabic


def test_without_a_mail_server_reminders_are_on_screen_only(app, login, cohort, session):
    trainer = app.test_client()
    login(trainer, "coach")
    page = trainer.get(f"/trainer/cohorts/{cohort.id}/reminders").get_data(as_text=True)
    assert "2 officers of this cohort have a module past their due date." in page
    trainer.post(f"/trainer/cohorts/{cohort.id}/reminders")
    assert {r.email_status for r in session.scalars(select(Reminder))} == {"off"}


def test_the_smtp_password_is_never_stored_nor_audited(app, login, cohort, session, smtp_server):
    controller, _inbox = smtp_server
    configure_mail(app, login, controller.port)
    stored = [str(s.value) for s in session.scalars(select(Setting))]
    audited = [str(e.details) for e in session.scalars(select(AuditEntry))]
    assert stored and not any(SMTP_PASSWORD in text for text in stored + audited)
    admin = app.test_client()
    login(admin, "root")
    assert SMTP_PASSWORD not in admin.get("/admin/mail").get_data(as_text=True)


def test_bad_mail_settings_are_refused_and_change_nothing(app, login, cohort, session):
    admin = app.test_client()
    login(admin, "root")
    response = admin.post("/admin/mail", data={"host": "mail server", "port": "25", "security": "none",
                                               "sender": "training@example.org", "username": ""})
    assert response.status_code == 400 and "no spaces" in response.get_data(as_text=True)
    response = admin.post("/admin/mail", data={"host": "mail.example.org", "port": "99999", "security": "none",
                                               "sender": "not an address", "username": ""})
    assert response.status_code == 400
    response = admin.post("/admin/mail", data={"host": "mail.example.org", "port": "25", "security": "none",
                                               "sender": "not an address", "username": ""})
    assert response.status_code == 400 and "is not an e-mail address" in response.get_data(as_text=True)
    assert session.get(Setting, "smtp") is None


def test_a_cohort_without_overdue_officers_gets_no_reminder(app, login, mini_course, session, make_user):
    trainer = make_user(Role.TRAINER, username="coach2")
    cohort = make_cohort(session, "On time", [make_user(username="early")], [trainer])
    client = app.test_client()
    login(client, "coach2")
    page = client.post(f"/trainer/cohorts/{cohort.id}/reminders", follow_redirects=True).get_data(as_text=True)
    assert "No officer of this cohort is overdue" in page
    assert session.scalar(select(Reminder)) is None
