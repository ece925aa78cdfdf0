"""A trainer grants an officer of their cohort one more attempt, with a reason, audited."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from course.models import Attempt, AttemptGrant, AuditEntry, Quiz, Role
from tests.conftest import BASICS_QUIZ_HEADER, make_cohort
from tests.test_review_policy import ONE_RIGHT, sit, text_of


@pytest.fixture
def one_attempt(quiz_with):
    quiz_with(BASICS_QUIZ_HEADER + "attempts: 1\nshow_answers: after_last_attempt\n")


@pytest.fixture
def people(make_user, session):
    officer = make_user(username="amal", full_name="Amal Hassan")
    trainer = make_user(Role.TRAINER, username="tamer")
    other_trainer = make_user(Role.TRAINER, username="tarek")
    make_cohort(session, "A", officers=[officer], trainers=[trainer])
    make_cohort(session, "B", trainers=[other_trainer])
    return officer, trainer, other_trainer


def grants(session, officer):
    return session.scalar(select(func.count()).select_from(AttemptGrant).where(AttemptGrant.user_id == officer.id))


def test_trainer_grants_one_more_attempt_after_a_mistaken_submit(app, one_attempt, people, session, login):
    officer, _trainer, _other = people
    first = sit(session, officer, ONE_RIGHT)
    amal = app.test_client()
    login(amal, "amal")
    used_up = text_of(amal.get("/quizzes/basics-quiz"))
    assert "used all the attempts" in used_up and "ask your trainer" in used_up
    assert "Correct answer:" in text_of(amal.get(f"/attempts/{first.id}/result"))  # the last attempt: answers shown

    staff = app.test_client()
    login(staff, "tamer")
    page = text_of(staff.get(f"/trainer/officers/{officer.id}"))
    assert "Grant one more attempt" in page
    response = staff.post(f"/trainer/officers/{officer.id}/grant-attempt",
                          data={"grant-quiz": "basics-quiz", "grant-reason": "Power cut at Salloum during the quiz"},
                          follow_redirects=True)
    text = text_of(response)
    assert "Amal Hassan may take “Basics quiz” once more" in text
    assert "already been shown the correct answers" in text  # the trainer is told
    assert "Power cut at Salloum" in text  # listed on the officer's page
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "attempt.grant"))
    assert entry.object_id == str(officer.id) and entry.details["reason"] == "Power cut at Salloum during the quiz"
    assert entry.details["quiz"] == "basics-quiz" and entry.details["answers_seen"] is True

    quiz_page = text_of(amal.get("/quizzes/basics-quiz"))
    assert "Attempts left 1" in quiz_page and "Your trainer allowed you 1 attempt more" in quiz_page
    # With an attempt left again, the correct answers are held back until the last one.
    assert "Correct answer:" not in text_of(amal.get(f"/attempts/{first.id}/result"))
    response = amal.post("/quizzes/basics-quiz/start")
    assert "/attempts/" in response.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == officer.id)) == 2


@pytest.mark.parametrize("form, message", [
    ({"grant-quiz": "basics-quiz", "grant-reason": ""}, "Reason: This field is required."),
    ({"grant-quiz": "basics-quiz", "grant-reason": "x" * 1001}, "Reason: Field must be between 5 and 1000"),
    ({"grant-quiz": "no-such-quiz", "grant-reason": "Power cut"}, "Quiz: Not a valid choice."),
])
def test_a_grant_without_a_reason_or_quiz_is_refused_and_changes_nothing(app, one_attempt, people, session, login,
                                                                        form, message):
    officer, _trainer, _other = people
    sit(session, officer, ONE_RIGHT)
    staff = app.test_client()
    login(staff, "tamer")
    response = staff.post(f"/trainer/officers/{officer.id}/grant-attempt", data=form, follow_redirects=True)
    assert response.status_code == 200 and message in text_of(response)
    assert grants(session, officer) == 0


def test_no_grant_while_attempts_remain_and_never_two_for_one_lost_attempt(app, one_attempt, people, session, login):
    officer, _trainer, _other = people
    staff = app.test_client()
    login(staff, "tamer")
    data = {"grant-quiz": "basics-quiz", "grant-reason": "Power cut at Salloum"}
    # Not started yet: nothing to grant (the form does not offer the quiz).
    assert "Grant one more attempt" not in text_of(staff.get(f"/trainer/officers/{officer.id}"))
    staff.post(f"/trainer/officers/{officer.id}/grant-attempt", data=data)
    assert grants(session, officer) == 0
    sit(session, officer, ONE_RIGHT)
    staff.post(f"/trainer/officers/{officer.id}/grant-attempt", data=data)
    response = staff.post(f"/trainer/officers/{officer.id}/grant-attempt", data=data, follow_redirects=True)
    assert grants(session, officer) == 1  # the double click granted one attempt
    assert "Not a valid choice" in text_of(response)
    # The database holds the rule too: one grant per used-up attempt count.
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    session.add(AttemptGrant(user_id=officer.id, quiz_id=quiz.id, after_attempts=1, reason="again",
                             granted_by_id=officer.id, created_at=datetime.now(UTC)))
    with pytest.raises(IntegrityError):
        session.commit()


def test_only_the_officers_own_trainers_grant(app, one_attempt, people, session, login, make_user):
    officer, trainer, _other = people
    sit(session, officer, ONE_RIGHT)
    data = {"grant-quiz": "basics-quiz", "grant-reason": "Power cut at Salloum"}
    other = app.test_client()
    login(other, "tarek")
    assert other.post(f"/trainer/officers/{officer.id}/grant-attempt", data=data).status_code == 404
    amal = app.test_client()
    login(amal, "amal")
    assert amal.post(f"/trainer/officers/{officer.id}/grant-attempt", data=data).status_code == 403
    own = app.test_client()
    login(own, "tamer")  # a trainer is no officer: no extra attempts for staff
    assert own.post(f"/trainer/officers/{trainer.id}/grant-attempt", data=data).status_code == 404
    assert grants(session, officer) == 0 and grants(session, trainer) == 0


def test_the_grant_form_and_its_message_are_in_arabic(app, one_attempt, people, session, login):
    officer, _trainer, _other = people
    sit(session, officer, ONE_RIGHT)
    staff = app.test_client()
    login(staff, "tamer")
    staff.post("/language", data={"lang": "ar"})
    page = text_of(staff.get(f"/trainer/officers/{officer.id}"))
    assert "منح محاولة إضافية واحدة" in page and "Grant one more attempt" not in page
    response = staff.post(f"/trainer/officers/{officer.id}/grant-attempt",
                          data={"grant-quiz": "basics-quiz", "grant-reason": "انقطاع الكهرباء"}, follow_redirects=True)
    assert "سجل التدقيق" in text_of(response)
    amal = app.test_client()
    login(amal, "amal")
    amal.post("/language", data={"lang": "ar"})
    assert "سمح لك المدرّب" in text_of(amal.get("/quizzes/basics-quiz"))
