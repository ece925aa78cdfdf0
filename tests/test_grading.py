"""Essay questions graded by trainers: the attempt waits ("awaiting grading"), a trainer of the
officer's cohort marks the answer against its rubric, and the score then counts everywhere (the
attempt's percent, completions, item analysis, xAPI by the release rules); grading again works and is
audited; nobody else reaches the queue or the answer."""
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from course.interchange.gift_read import parse_gift
from course.interchange.gift_write import export_gift
from course.interchange.moodle_xml import parse_moodle_xml
from course.models import AnswerGrading, Attempt, AuditEntry, Module, ModuleCompletion, Quiz, Role, XapiOutboxEntry
from course.package import read_package
from course.questions import get_type
from course.scorm import build_scorm_package
from course.services import reading, reports
from course.services.attempts import save_answer, start_attempt, submit_attempt
from course.services.releases import release
from tests.conftest import BASICS_QUIZ_HEADER, load_package, make_cohort
from tests.test_review_policy import text_of

ESSAY = (Path(__file__).parent / "fixtures" / "essay" / "question.yaml").read_text()
ANSWER = "Speak to her on her own, ask more questions and refer the case to the specialists."
AUTO_RIGHT = {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False}  # the three others right: 3 points


@pytest.fixture
def essay_course(app, course_copy):
    """The mini course with the essay question added to its quiz; ``publish(settings)`` loads it."""
    def publish(settings: str = BASICS_QUIZ_HEADER + "show_answers: after_submission\n") -> None:
        path = course_copy / "quizzes/basics.yaml"
        text = path.read_text().replace(BASICS_QUIZ_HEADER, settings)
        path.write_text(text.rstrip("\n") + "\n" + ESSAY)
        load_package(app, course_copy)
    return publish


@pytest.fixture
def people(make_user, session):
    officer = make_user(username="amal")
    trainer = make_user(Role.TRAINER, username="tamer")
    stranger = make_user(Role.TRAINER, username="other-trainer")
    other = make_user(username="other-officer")
    cohort = make_cohort(session, "A", officers=[officer], trainers=[trainer])
    make_cohort(session, "B", officers=[other], trainers=[stranger])
    return officer, trainer, stranger, cohort


def sit(session, officer, essay: str | None = ANSWER, now=None) -> Attempt:
    now = now or datetime.now(UTC)
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    attempt = start_attempt(session, officer, quiz, now, language="en")
    answers = {**AUTO_RIGHT, "b-essay": essay}
    for answer in attempt.answers:
        response = answers.get(answer.question_version.definition["id"])
        if response is not None:
            save_answer(session, attempt, answer.question_version_id, response, 1, now, 30)
    submit_attempt(session, attempt, now, 30)
    session.commit()
    return attempt


def essay_answer(attempt):
    return next(a for a in attempt.answers if a.question_version.definition["id"] == "b-essay")


def events(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(XapiOutboxEntry.event)))


def grade(client, cohort, answer, signs="2", questions="1", refer="1", comment="Refer first."):
    return client.post(f"/trainer/cohorts/{cohort.id}/grading/{answer.id}",
                       data={"mark-signs": signs, "mark-questions": questions, "mark-refer": refer,
                             "comment": comment})


# --- the type on its own ----------------------------------------------------------------------------

def test_the_rubric_is_checked_and_marks_share_out_the_points():
    essay = get_type("essay")
    problems = []
    definition = essay.normalize({"rubric": [{"id": "a", "text": "One", "marks": 2},
                                             {"id": "b", "text": "Two", "marks": -1}]},
                                 lambda field, message: problems.append(field))
    assert problems == ["rubric.b.marks"]
    essay.normalize({"rubric": []}, lambda field, message: problems.append(field))
    assert problems[-1] == "rubric"
    definition = {"type": "essay", "rubric": [{"id": "a", "marks": 2}, {"id": "b", "marks": 3}]}
    assert essay.score_marks(definition, {"a": 2, "b": 1.5}) == 0.7
    assert essay.score_marks(definition, {"a": 9, "b": -4}) == 0.4  # each mark kept within its criterion
    assert essay.check_response(definition, "x" * 5001) is not None


# --- end to end: submit, wait, grade, count, regrade ------------------------------------------------------

def test_an_essay_waits_for_its_trainer_then_counts_once_graded(app, essay_course, people, session, login):
    essay_course()
    officer, trainer, _, cohort = people
    for lesson in session.scalar(select(Module)).active_lessons:
        reading.mark_read(session, officer, lesson, datetime.now(UTC))
    attempt = sit(session, officer)
    assert attempt.percent is None and attempt.passed is None
    assert essay_answer(attempt).score is None
    assert f"attempt-result:{attempt.id}" not in events(session)
    assert f"attempt-completed:{attempt.id}" in events(session)
    assert not session.scalars(select(ModuleCompletion)).all()

    officer_client = app.test_client()
    login(officer_client, "amal")
    waiting = text_of(officer_client.get(f"/attempts/{attempt.id}/result"))
    assert "waiting to be graded by your trainer" in waiting and "%" not in waiting.split("Result", 1)[1]

    staff = app.test_client()
    login(staff, "tamer")
    queue = text_of(staff.get(f"/trainer/cohorts/{cohort.id}/grading"))
    assert "Test Amal" in queue and "What would you do next" in queue
    page = text_of(staff.get(f"/trainer/cohorts/{cohort.id}/grading/{essay_answer(attempt).id}"))
    assert ANSWER in page and "Refers the case to the specialists" in page
    assert grade(staff, cohort, essay_answer(attempt)).status_code == 302

    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert essay_answer(attempt).score == 4.0  # 4 of the rubric's 5 marks, of 5 points
    assert attempt.score == 7.0 and attempt.max_score == 8.0 and attempt.percent == 87.5 and attempt.passed
    assert f"attempt-result:{attempt.id}" in events(session)
    assert session.scalars(select(ModuleCompletion)).all(), "the graded attempt completes the module"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "answer.grade")).one()
    assert entry.details["score"] == 4.0 and entry.details["previous"] is None and entry.actor_id == trainer.id

    result = text_of(officer_client.get(f"/attempts/{attempt.id}/result"))
    assert "88%" in result and "Refer first." in result and "4 / 5" in result and "1 / 2" in result

    # Grading again replaces the marks, recomputes the attempt and reports the new result.
    assert grade(staff, cohort, essay_answer(attempt), refer="2", comment="Better.").status_code == 302
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert essay_answer(attempt).score == 5.0 and attempt.percent == 100.0
    grading = session.scalars(select(AnswerGrading)).one()
    assert grading.revision == 2 and grading.comment == "Better."
    assert any(e.startswith(f"attempt-regrade:{attempt.id}:") for e in events(session))
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "answer.grade")).all()) == 2

    # Item analysis counts the graded essay like any other question.
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    stats = {s.question.key: s for s in reports.item_analysis(session, cohort, quiz)}
    assert stats["b-essay"].n == 1 and stats["b-essay"].facility == 1.0


def test_an_unanswered_essay_scores_nothing_and_waits_for_no_one(app, essay_course, people, session):
    essay_course()
    officer, *_ = people
    attempt = sit(session, officer, essay=None)
    assert attempt.percent == 37.5 and essay_answer(attempt).score == 0


def test_xapi_results_wait_for_grading_and_for_the_release(app, essay_course, people, session, login):
    essay_course("preset: exam\npass_mark: 60\nshow_feedback: when_released\n")
    officer, trainer, _, cohort = people
    attempt = sit(session, officer)
    staff = app.test_client()
    login(staff, "tamer")
    # Released before grading: nothing to report yet, and the officer still waits.
    release(session, trainer, session.scalar(select(Quiz).where(Quiz.key == "basics-quiz")), cohort,
            datetime.now(UTC))
    session.commit()
    assert f"attempt-result:{attempt.id}" not in events(session)
    assert grade(staff, cohort, essay_answer(attempt)).status_code == 302
    assert f"attempt-result:{attempt.id}" in events(session)


def test_a_held_result_is_reported_when_released_after_grading(app, essay_course, people, session, login):
    essay_course("preset: exam\npass_mark: 60\nshow_feedback: when_released\n")
    officer, trainer, _, cohort = people
    attempt = sit(session, officer)
    staff = app.test_client()
    login(staff, "tamer")
    assert grade(staff, cohort, essay_answer(attempt)).status_code == 302
    assert f"attempt-result:{attempt.id}" not in events(session), "held until the release"
    release(session, trainer, session.scalar(select(Quiz).where(Quiz.key == "basics-quiz")), cohort,
            datetime.now(UTC))
    session.commit()
    assert f"attempt-result:{attempt.id}" in events(session)


# --- who may grade ----------------------------------------------------------------------------------

def test_only_the_officers_trainers_reach_the_queue_and_the_answer(app, essay_course, people, session, login):
    essay_course()
    officer, trainer, stranger, cohort = people
    attempt = sit(session, officer)
    answer = essay_answer(attempt)
    other_cohort = session.scalar(select(type(cohort)).where(type(cohort).name == "B"))
    outsider = app.test_client()
    login(outsider, "other-trainer")
    assert outsider.get(f"/trainer/cohorts/{cohort.id}/grading").status_code == 404
    assert outsider.get(f"/trainer/cohorts/{cohort.id}/grading/{answer.id}").status_code == 404
    assert grade(outsider, cohort, answer).status_code == 404
    # Through the cohort the outsider does train, the answer of another cohort's officer is not there.
    assert grade(outsider, other_cohort, answer).status_code == 404
    assert outsider.get(f"/trainer/cohorts/{other_cohort.id}/grading/{answer.id}").status_code == 404
    learner = app.test_client()
    login(learner, "amal")
    assert learner.get(f"/trainer/cohorts/{cohort.id}/grading").status_code == 403
    assert grade(learner, cohort, answer).status_code == 403
    # A non-essay answer of the same attempt is not gradable either.
    staff = app.test_client()
    login(staff, "tamer")
    other_answer = next(a for a in attempt.answers if a.id != answer.id)
    assert staff.get(f"/trainer/cohorts/{cohort.id}/grading/{other_answer.id}").status_code == 404
    session.expire_all()
    assert session.get(Attempt, attempt.id).percent is None and not session.scalars(select(AnswerGrading)).all()


def test_bad_marks_are_refused_with_a_message_and_change_nothing(app, essay_course, people, session, login):
    essay_course()
    officer, _, _, cohort = people
    attempt = sit(session, officer)
    staff = app.test_client()
    login(staff, "tamer")
    for marks in ({"signs": "3"}, {"signs": "x"}, {"signs": "-1"}, {"signs": "nan"}, {"signs": ""}):
        response = grade(staff, cohort, essay_answer(attempt), **marks)
        assert response.status_code == 400 and "Marks go from 0 to 2" in text_of(response) or \
            "Give every criterion its marks" in text_of(response), marks
    response = grade(staff, cohort, essay_answer(attempt), comment="x" * 2001)
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Attempt, attempt.id).percent is None and not session.scalars(select(AnswerGrading)).all()


# --- interchange ------------------------------------------------------------------------------------

def test_gift_round_trip_keeps_the_rubric(essay_course, course_copy):
    essay_course()
    package = read_package(course_copy)
    quiz = next(q for q in package.quizzes if q.key == "basics-quiz")
    text, messages = export_gift(quiz)
    assert "::b-essay::" in text and "// marsa: criterion=refer:2 Refers the case" in text
    assert not [m for m in messages if m.startswith("b-essay") and "not exported" in m]
    back = parse_gift(text, objectives={"B1.1", "B1.2"}, taken_ids=set())
    assert not back.errors, [str(p) for p in back.errors]
    flat = [q for item in back.questions for q in (item.get("questions") or [item])]
    essay = next(q for q in flat if q["id"] == "b-essay")
    original = next(q.definition for q in quiz.questions if q.key == "b-essay")
    assert essay["type"] == "essay" and essay["points"] == 5
    assert [(c["id"], c["marks"], c["text"]) for c in essay["rubric"]] == \
        [(c["id"], c["marks"], c["text"]["en"]) for c in original["rubric"]]


def test_a_moodle_essay_imports_with_a_rubric_to_write():
    gift = parse_gift("::plan::What would you do? {}\n", default_objective="B1.1")
    assert not gift.errors and gift.questions[0]["type"] == "essay"
    assert gift.questions[0]["rubric"][0]["id"] == "overall"
    assert any(p.field.endswith("rubric") for p in gift.warnings)
    xml = parse_moodle_xml("""<?xml version="1.0"?><quiz><question type="essay"><name><text>plan</text></name>
      <questiontext format="html"><text><![CDATA[<p>What would you do?</p>]]></text></questiontext>
      <defaultgrade>4</defaultgrade><graderinfo format="html"><text><![CDATA[<p>Refers the case.</p>]]></text>
      </graderinfo><generalfeedback><text>Refer.</text></generalfeedback></question></quiz>""",
                           default_objective="B1.1")
    assert not xml.errors, [str(p) for p in xml.errors]
    question = xml.questions[0]
    assert question["type"] == "essay" and question["points"] == 4
    assert question["rubric"] == [{"id": "overall", "text": "Refers the case.", "marks": 4}]


def test_scorm_packages_leave_essays_out(app, essay_course, course_copy, tmp_path):
    import json
    import zipfile
    essay_course()
    package = read_package(course_copy)
    with app.app_context():  # a package is built in the app, with its templates and translations
        out = build_scorm_package(package, "basics", tmp_path / "basics.zip")
    with zipfile.ZipFile(out) as archive:
        index = archive.read("index.html").decode()
    data = json.loads(index.split('id="sco-data">', 1)[1].split("</script>", 1)[0])
    assert [q["id"] for q in data["quiz"]["questions"]] == ["b-q1", "b-q2", "b-q3"]
    assert "What would you do next" not in index


def test_the_arabic_overlay_translates_the_rubric(course_copy):
    quiz = course_copy / "quizzes/basics.yaml"
    quiz.write_text(quiz.read_text().rstrip("\n") + "\n" + ESSAY)
    overlay = (Path(__file__).parent / "fixtures" / "essay" / "question.ar.yaml").read_text()
    (course_copy / "quizzes/basics.ar.yaml").write_text("questions:\n  b-essay:\n" + overlay)
    package = read_package(course_copy)
    assert not package.errors, [str(p) for p in package.errors]
    definition = next(q.definition for q in package.quizzes[0].questions if q.key == "b-essay")
    assert definition["rubric"][2]["text"]["ar"].startswith("يحيل الحالة")
