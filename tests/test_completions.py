"""Completions are recorded by the services that change an officer's progress, whoever calls them:
a lesson read, a submitted attempt, an attempt closed when its time ran out, a regrade, a grade
override and a release of results. A result awaiting release completes nothing until it is released.

The services run here outside any request, as a script or another service would call them: no view
records anything for them.
"""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.models import CourseCompletion, Lesson, ModuleCompletion, Question, QuestionVersion, Quiz, Role
from course.services import attempts, overrides, reading, regrade, releases
from course.services.errors import ServiceError
from tests.conftest import make_cohort

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
RIGHT = {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False}
WRONG = {"b-q1": "b", "b-q2": ["c"], "b-q3": True}


@pytest.fixture
def officer(make_user):
    return make_user(username="amal", full_name="Amal Hassan")


@pytest.fixture
def trainer(make_user):
    return make_user(Role.TRAINER, username="tamer")


def read(session, user, *keys, now=NOW):
    for lesson in session.scalars(select(Lesson).where(Lesson.key.in_(keys)).order_by(Lesson.position)):
        reading.mark_read(session, user, lesson, now)
    session.commit()


def read_all(session, user, now=NOW):
    read(session, user, "basics-first", "basics-second", now=now)


def quiz(session) -> Quiz:
    return session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))


def answers_by_version(attempt, answers: dict) -> dict[int, object]:
    return {a.question_version_id: answers[a.question_version.definition["id"]] for a in attempt.answers}


def submit(session, user, answers: dict, now=NOW):
    attempt = attempts.start_attempt(session, user, quiz(session), now)
    attempts.submit_attempt(session, attempt, now, 30, answers_by_version(attempt, answers))
    session.commit()
    return attempt


def completed(session, user) -> tuple[datetime | None, datetime | None]:
    """When the officer's module and course completions were recorded (None: not recorded)."""
    session.expire_all()
    return (session.scalar(select(ModuleCompletion.completed_at).where(ModuleCompletion.user_id == user.id)),
            session.scalar(select(CourseCompletion.completed_at).where(CourseCompletion.user_id == user.id)))


def test_marking_the_last_lesson_read_records_the_completion(mini_course, session, officer):
    submit(session, officer, RIGHT)  # the quiz passed first: the lessons are still to read
    assert completed(session, officer) == (None, None)
    read(session, officer, "basics-first", now=NOW + timedelta(hours=1))
    assert completed(session, officer) == (None, None)
    read(session, officer, "basics-second", now=NOW + timedelta(hours=2))
    assert completed(session, officer) == (NOW + timedelta(hours=2), NOW + timedelta(hours=2))


def test_submitting_a_passing_attempt_records_the_completion(mini_course, session, officer):
    read_all(session, officer)
    assert completed(session, officer) == (None, None)
    submit(session, officer, WRONG, now=NOW + timedelta(hours=1))  # 0%: not passed
    assert completed(session, officer) == (None, None)
    submit(session, officer, RIGHT, now=NOW + timedelta(hours=2))
    assert completed(session, officer) == (NOW + timedelta(hours=2), NOW + timedelta(hours=2))


def test_an_attempt_closed_when_its_time_ran_out_records_the_completion(quiz_with, session, officer):
    quiz_with("preset: graded\npass_mark: 60\ntime_limit_minutes: 10\n")
    read_all(session, officer)
    attempt = attempts.start_attempt(session, officer, quiz(session), NOW)
    for version_id, response in answers_by_version(attempt, RIGHT).items():
        attempts.save_answer(session, attempt, version_id, response, None, NOW + timedelta(minutes=5), 30)
    session.commit()
    assert completed(session, officer) == (None, None)
    # The officer comes back after the time ran out: the save that finds it is refused, and the
    # attempt is closed and graded on the answers saved in time.
    late = NOW + timedelta(minutes=30)
    with pytest.raises(ServiceError):
        attempts.save_answer(session, attempt, next(iter(answers_by_version(attempt, RIGHT))), "b", None, late, 30)
    session.commit()
    assert not attempt.is_open and attempt.passed
    assert completed(session, officer) == (late, late)


def test_a_regrade_that_lifts_a_score_to_a_pass_records_the_completion(quiz_with, session, officer, make_user):
    quiz_with("preset: graded\npass_mark: 100\n")
    read_all(session, officer)
    submit(session, officer, {**RIGHT, "b-q1": "b"})  # 2 of 3 right: not passed
    assert completed(session, officer) == (None, None)
    # The key of b-q1 was wrong: "b" is the right answer. The corrected version is published ...
    question = session.scalar(select(Question).where(Question.key == "b-q1"))
    version = question.current_version
    corrected = QuestionVersion(question_id=question.id, number=version.number + 1, type=version.type,
                                content_hash="corrected", definition={
                                    **version.definition,
                                    "options": [{**o, "correct": o["id"] == "b"} for o in version.definition["options"]]})
    session.add(corrected)
    session.flush()
    question.current_version_id = corrected.id
    session.commit()
    session.expire(question)
    # ... and the regrade gives the officer full marks, and the module.
    later = NOW + timedelta(days=1)
    changes = regrade.apply_regrade(session, make_user(Role.ADMIN, username="root"), question, later)
    session.commit()
    assert [c.new_passed for c in changes] == [True]
    assert completed(session, officer) == (later, later)


def test_a_grade_override_records_the_completion(mini_course, session, officer, trainer):
    read_all(session, officer)
    submit(session, officer, WRONG)
    assert completed(session, officer) == (None, None)
    later = NOW + timedelta(days=1)
    overrides.override_grade(session, trainer, officer, quiz(session), 80, "Oral examination passed", later)
    session.commit()
    assert completed(session, officer) == (later, later)
    assert session.scalar(select(ModuleCompletion.percent)) == 80.0


def test_a_result_awaiting_release_completes_nothing_until_it_is_released(quiz_with, session, officer, trainer,
                                                                        make_user):
    quiz_with("preset: graded\npass_mark: 60\nshow_feedback: when_released\n")
    cohort = make_cohort(session, "Salloum", officers=[officer], trainers=[trainer])
    other_cohort = make_cohort(session, "Alexandria", officers=[make_user(username="omar")])
    read_all(session, officer)
    submit(session, officer, RIGHT)  # passed, but the officer may not know it yet
    assert completed(session, officer) == (None, None)
    # An override of a held result is held too; and a release to another cohort does not reach her.
    overrides.override_grade(session, trainer, officer, quiz(session), 90, "Oral examination", NOW)
    releases.release(session, trainer, quiz(session), other_cohort, NOW + timedelta(hours=1))
    session.commit()
    assert completed(session, officer) == (None, None)
    released_at = NOW + timedelta(days=1)
    assert releases.release(session, trainer, quiz(session), cohort, released_at)
    session.commit()
    assert completed(session, officer) == (released_at, released_at)
