"""Question pools: each officer's paper draws N questions at random from each pool of a quiz."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from course.models import AttemptAnswer, Quiz
from course.package import read_package
from course.services import reports
from course.services.attempts import start_attempt, submit_attempt
from tests.conftest import load_package, make_cohort

NOW = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)


def pooled_quiz(draw: str = "draw: {refugee-law: 2}") -> str:
    lines = ["id: basics-quiz", "module: basics", "title: Basics quiz", "preset: practice", draw, "questions:",
             "  - id: fixed", "    type: truefalse", "    objectives: [B1.1]", "    stem: Always asked.",
             "    answer: true", "    explanation: Because."]
    for n in range(1, 5):
        lines += [f"  - id: pooled-{n}", "    type: truefalse", "    objectives: [B1.1]", "    pool: refugee-law",
                  f"    stem: Pooled statement {n}.", "    answer: true", "    explanation: Because."]
    return "\n".join(lines) + "\n"


@pytest.fixture
def pooled(app, course_copy):
    (course_copy / "quizzes" / "basics.yaml").write_text(pooled_quiz())
    (course_copy / "quizzes" / "basics.ar.yaml").unlink(missing_ok=True)
    load_package(app, course_copy)
    return course_copy


def paper(session, attempt) -> list[str]:
    answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                              .order_by(AttemptAnswer.position)).all()
    return [a.question_version.definition["id"] for a in answers]


def test_each_attempt_draws_from_the_pool_and_officers_get_different_papers(pooled, session, make_user):
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    assert quiz.settings["draw"] == {"refugee-law": 2}
    papers = set()
    for n in range(8):
        officer = make_user(username=f"officer-{n}")
        attempt = start_attempt(session, officer, quiz, NOW, seed=1000 + n)
        questions = paper(session, attempt)
        assert len(questions) == 3 and questions[0] == "fixed", questions
        assert len({q for q in questions if q.startswith("pooled-")}) == 2
        papers.add(tuple(questions))
    assert len(papers) > 1  # not everyone sits the same paper
    session.commit()


def test_the_quiz_page_counts_the_drawn_questions(pooled, client, make_user, login):
    make_user(username="amal")
    login(client, "amal")
    page = client.get("/quizzes/basics-quiz").get_data(as_text=True)
    assert "<dd>3</dd>" in page


def test_item_analysis_counts_each_question_over_the_papers_that_drew_it(pooled, session, make_user):
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    officers = [make_user(username=f"officer-{n}") for n in range(6)]
    cohort = make_cohort(session, "Pools", officers=officers)
    drawn: dict[str, int] = {}
    for n, officer in enumerate(officers):
        attempt = start_attempt(session, officer, quiz, NOW, seed=2000 + n)
        for answer in attempt.answers:
            answer.response = True
        submit_attempt(session, attempt, NOW, 30)
        assert attempt.percent == 100
        for key in paper(session, attempt):
            drawn[key] = drawn.get(key, 0) + 1
    session.commit()
    stats = {s.definition["id"]: s for s in reports.item_analysis(session, cohort, quiz)}
    assert stats["fixed"].n == 6
    for key in ("pooled-1", "pooled-2", "pooled-3", "pooled-4"):
        assert stats[key].n == drawn.get(key, 0)
        assert stats[key].facility == (1.0 if drawn.get(key) else None)
    assert sum(drawn.get(f"pooled-{n}", 0) for n in range(1, 5)) == 12


@pytest.mark.parametrize("draw, message", [
    ("draw: {refugee-law: 5}", "draw.refugee-law: must be a whole number from 1 to 4"),
    ("draw: {elsewhere: 1, refugee-law: 1}", "draw.elsewhere: no question of this quiz is in this pool"),
    ("", "pool 'refugee-law' has no entry in draw"),
])
def test_a_draw_that_cannot_be_made_is_an_error(course_copy, draw, message):
    (course_copy / "quizzes" / "basics.yaml").write_text(pooled_quiz(draw))
    errors = [str(p) for p in read_package(course_copy).errors]
    assert any(message in e for e in errors), errors


def test_a_question_of_a_scenario_group_cannot_be_pooled(course_copy):
    (course_copy / "quizzes" / "basics.yaml").write_text(pooled_quiz() + "\n".join([
        "  - id: scene", "    type: group", "    case: A minibus at the border.", "    questions:",
        "      - id: scene-1", "        type: truefalse", "        objectives: [B1.1]", "        pool: refugee-law",
        "        stem: In a group.", "        answer: true", "        explanation: Because."]) + "\n")
    errors = [str(p) for p in read_package(course_copy).errors]
    assert any("scene-1.pool: a question of a scenario group is shown with its group" in e for e in errors), errors


def test_regrading_a_pooled_question_reaches_every_paper_that_drew_it(pooled, app, session, make_user):
    from course.models import Question, Role
    from course.services.regrade import apply_regrade
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    admin = make_user(Role.ADMIN, username="boss")
    officers = [make_user(username=f"officer-{n}") for n in range(6)]
    drew = 0
    for n, officer in enumerate(officers):
        attempt = start_attempt(session, officer, quiz, NOW, seed=3000 + n)
        for answer in attempt.answers:
            answer.response = True
        submit_attempt(session, attempt, NOW, 30)
        drew += "pooled-1" in paper(session, attempt)
    session.commit()
    assert 0 < drew < 6
    quiz_file = pooled / "quizzes" / "basics.yaml"
    quiz_file.write_text(quiz_file.read_text().replace("stem: Pooled statement 1.\n    answer: true",
                                                       "stem: Pooled statement 1.\n    answer: false"))
    load_package(app, pooled)
    session.expire_all()
    question = session.scalar(select(Question).where(Question.key == "pooled-1"))
    changes = apply_regrade(session, admin, question, datetime.now(UTC))
    assert len(changes) == drew and all(c.new_score == 0 for c in changes)
