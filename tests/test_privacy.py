"""Personal data: an officer's own download, anonymising a departed officer, and clean logs."""
import json
import logging
from datetime import UTC, datetime

from sqlalchemy import func, select

from course.models import Attempt, AuditEntry, Quiz, Role, User
from course.services.attempts import start_attempt, submit_attempt


def test_officer_downloads_their_own_data(client, mini_course, make_user, login, session):
    amal = make_user(username="amal", full_name="أمل حسن", staff_number="ALX-1")
    make_user(username="other", full_name="Someone Else")
    quiz = session.scalar(select(Quiz))
    attempt = start_attempt(session, amal, quiz, datetime.now(UTC))
    attempt.answers[0].response = "a"
    submit_attempt(session, attempt, datetime.now(UTC), 30)
    session.commit()
    login(client, "amal")
    response = client.get("/me/data.json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["profile"]["full_name"] == "أمل حسن" and data["profile"]["staff_number"] == "ALX-1"
    assert len(data["attempts"]) == 1 and len(data["attempts"][0]["answers"]) == 3
    assert "Someone Else" not in response.get_data(as_text=True)
    assert "password" not in response.get_data(as_text=True)


def test_anonymising_keeps_statistics_and_removes_identity(app, mini_course, make_user, login, session):
    amal = make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-1")
    make_user(Role.ADMIN, username="root")
    quiz = session.scalar(select(Quiz))
    attempt = start_attempt(session, amal, quiz, datetime.now(UTC))
    submit_attempt(session, attempt, datetime.now(UTC), 30)
    session.commit()
    admin = app.test_client()
    login(admin, "root")
    admin.post(f"/admin/people/{amal.id}/anonymise")
    session.expire_all()
    person = session.get(User, amal.id)
    assert person.full_name == f"Former officer {amal.id}" and person.staff_number is None
    assert not person.is_active_account
    assert session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == amal.id)) == 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.anonymise"))
    assert "Amal" not in str(entry.details)
    failed = app.test_client().post("/login", data={"username": "amal", "password": "correct-horse-battery"})
    assert "Wrong username or password" in failed.get_data(as_text=True)


def test_logs_hold_no_passwords_answers_or_tokens(app, client, mini_course, make_user, login, session, caplog):
    make_user(username="amal")
    caplog.set_level(logging.DEBUG)
    client.post("/login", data={"username": "amal", "password": "a-secret-wrong-guess"})
    login(client, "amal")
    response = client.post("/quizzes/basics-quiz/start")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/attempts/{attempt_id}/answer", data={"question": "x", "seq": "1"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    cookie = client.get_cookie("session").value
    for secret in ("a-secret-wrong-guess", "correct-horse-battery", cookie):
        assert secret not in logged


def test_anonymising_removes_the_name_from_the_public_page_and_the_audit_log(app, mini_course, make_user, login,
                                                                            session):
    from course.services import audit
    from tests.test_certificates import complete_course
    amal = make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-1")
    make_user(username="amalia", full_name="Amalia Noor")
    root = make_user(Role.ADMIN, username="root")
    certificate = complete_course(session, amal)[0]  # audited: certificate.issue, officer=amal
    audit.record(session, root, "user.create", "user", amal.id, username="amal", source="officers.csv")
    audit.record(session, root, "user.update", "user", amal.id, full_name="Amal Hasan", staff_number="ALX-1")
    audit.record(session, root, "grade.override", "user", amal.id, quiz="basics-quiz", percent=80,
                 reason="Amal Hassan passed the oral examination")
    audit.record(session, root, "cohort.member.add", "cohort", 1, user="amal")
    audit.record(session, root, "cohort.member.add", "cohort", 1, user="amalia")
    session.commit()
    verify = f"/verify/{certificate.code}"
    assert "Amal Hassan" in app.test_client().get(verify).get_data(as_text=True)

    admin = app.test_client()
    login(admin, "root")
    assert admin.post(f"/admin/people/{amal.id}/anonymise").status_code == 302
    page = app.test_client().get(verify).get_data(as_text=True)
    assert "Amal" not in page and "ALX-1" not in page
    assert f"Former officer {amal.id}" in page and "Valid certificate." in page  # the course and scores stay
    assert "personal data has since been removed" in page

    session.expire_all()
    details = [json.dumps(entry.details, ensure_ascii=False) for entry in session.scalars(select(AuditEntry))]
    everything = "\n".join(details)
    for identity in ('"amal"', "Amal Hassan", "Amal Hasan", "ALX-1"):
        assert identity not in everything, identity
    assert f"former-{amal.id} passed the oral examination" in everything
    assert '"amalia"' in everything  # another officer's entry stays
    assert "Amal" not in admin.get("/admin/audit").get_data(as_text=True).replace("Amalia", "")
