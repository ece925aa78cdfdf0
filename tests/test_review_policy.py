"""What an officer sees of their attempts: the review settings of a quiz, its release, and the
attempts left, decided by one policy and honoured by every page and document the officer can open."""
import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from course.models import Attempt, Certificate, ModuleCompletion, Quiz, Role
from course.services import review_policy
from course.services.attempts import save_answer, start_attempt, submit_attempt
from course.services.releases import release
from tests.conftest import BASICS_QUIZ_HEADER as HEADER
from tests.conftest import load_package, make_cohort
from tests.test_access_matrix import MATRIX

#: b-q1 right, b-q2 and b-q3 wrong: 1 of 3 points, 33 %, below the pass mark of 60.
ONE_RIGHT = {"b-q1": "a", "b-q2": ["c"], "b-q3": True}
ALL_RIGHT = {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False}


@pytest.fixture
def officer(make_user):
    return make_user(username="amal")


def sit(session, officer, answers, now=None) -> Attempt:
    """One attempt at the basics quiz with these answers (question key -> response), submitted."""
    now = now or datetime.now(UTC)
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    attempt = start_attempt(session, officer, quiz, now)
    for answer in attempt.answers:
        key = answer.question_version.definition["id"]
        if key in answers:
            save_answer(session, attempt, answer.question_version_id, answers[key], 1, now, 30)
    submit_attempt(session, attempt, now, 30)
    session.commit()
    return attempt


def text_of(response) -> str:
    """The visible text of a page's main content (the navigation and headers aside)."""
    html = response.get_data(as_text=True)
    if 'id="main"' in html:
        html = html.split('id="main"', 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the policy itself, as a table ----------------------------------------------------------------

class FakeQuiz:
    def __init__(self, kind="module", **settings):
        self.kind = kind
        self.settings = {"pass_mark": 70, "attempts": 3, **settings}


class FakeAttempt:
    def __init__(self, is_open=False, percent=50.0):
        self.is_open, self.percent = is_open, percent


POLICY = [
    # (show_feedback, show_answers, released, attempts left) -> state, score, outcome, verdicts, answers, later
    (("after_submission", "after_submission", False, 2), ("graded", True, True, True, True, None)),
    (("after_submission", "after_last_attempt", False, 2), ("graded", True, True, True, False, "after_last_attempt")),
    (("after_submission", "after_last_attempt", False, 0), ("graded", True, True, True, True, None)),
    (("after_submission", "after_last_attempt", False, None), ("graded", True, True, True, False, None)),
    (("after_submission", "never", False, 0), ("graded", True, True, True, False, None)),
    (("after_submission", "when_released", False, 2), ("graded", True, True, True, False, "when_released")),
    (("after_submission", "when_released", True, 2), ("graded", True, True, True, True, None)),
    (("never", "never", False, 0), ("submitted", False, False, False, False, None)),
    (("never", "after_submission", False, 0), ("submitted", False, False, False, True, None)),
    (("never", "after_last_attempt", False, 1), ("submitted", False, False, False, False, "after_last_attempt")),
    (("when_released", "when_released", False, 0), ("awaiting_release", False, False, False, False, None)),
    (("when_released", "after_submission", False, 0), ("awaiting_release", False, False, False, False, None)),
    (("when_released", "when_released", True, 0), ("graded", True, True, True, True, None)),
    (("when_released", "after_last_attempt", True, 1), ("graded", True, True, True, False, "after_last_attempt")),
    (("when_released", "never", True, 0), ("graded", True, True, True, False, None)),
]


@pytest.mark.parametrize("given, expected", POLICY, ids=[" ".join(map(str, g)) for g, _e in POLICY])
def test_policy_table(given, expected):
    feedback, answers, released, left = given
    review = review_policy.review(FakeQuiz(show_feedback=feedback, show_answers=answers), FakeAttempt(),
                                  released=released, attempts_left=left)
    assert (review.state, review.score, review.outcome, review.verdicts, review.answers,
            review.answers_later) == expected
    assert review.feedback == review.verdicts


def test_policy_open_and_ungraded_attempts_show_nothing():
    quiz = FakeQuiz(show_feedback="after_submission", show_answers="after_submission")
    assert review_policy.review(quiz, FakeAttempt(is_open=True), released=True, attempts_left=0) == \
        review_policy.Review("in_progress")
    assert review_policy.review(quiz, FakeAttempt(percent=None), released=True, attempts_left=0) == \
        review_policy.Review("awaiting_grading")


@pytest.mark.parametrize("quiz", [FakeQuiz(kind="pre-test", show_feedback="after_submission", show_answers="never"),
                                  FakeQuiz(pass_mark=0, show_feedback="after_submission", show_answers="never")],
                         ids=["pre-test", "pass mark 0"])
def test_a_diagnostic_test_never_says_passed(quiz):
    review = review_policy.review(quiz, FakeAttempt(), released=False, attempts_left=0)
    assert review.score and not review.outcome
    assert not review_policy.staff_review(quiz, FakeAttempt()).outcome


# --- settings x pages ------------------------------------------------------------------------------

# (settings, released to the officer's cohort) -> what the officer's pages show of a 33 % attempt:
# score, pass or fail, verdicts, feedback, correct answers, the note about later answers
# ("last": after the last attempt, "release": when released, None).
MATRIX_CASES = {
    "practice-like": ("show_feedback: after_submission\nshow_answers: after_submission\n", False,
                      dict(score=True, outcome=True, verdicts=True, answers=True, note=None)),
    "graded, attempts left": ("show_answers: after_last_attempt\n", False,
                              dict(score=True, outcome=True, verdicts=True, answers=False, note="last")),
    "graded, last attempt": ("show_answers: after_last_attempt\nattempts: 1\n", False,
                             dict(score=True, outcome=True, verdicts=True, answers=True, note=None)),
    "answers never": ("show_answers: never\n", False,
                      dict(score=True, outcome=True, verdicts=True, answers=False, note=None)),
    "feedback never": ("show_feedback: never\nshow_answers: never\nattempts: 1\n", False,
                       dict(score=False, outcome=False, verdicts=False, answers=False, note=None)),
    "feedback never, answers shown": ("show_feedback: never\nshow_answers: after_submission\n", False,
                                      dict(score=False, outcome=False, verdicts=False, answers=True, note=None)),
    "exam, not released": ("preset: exam\n", False,
                           dict(score=False, outcome=False, verdicts=False, answers=False, note=None, held=True)),
    "exam, released": ("preset: exam\n", True,
                       dict(score=True, outcome=True, verdicts=True, answers=True, note=None)),
    "answers when released, not yet": ("show_answers: when_released\n", False,
                                       dict(score=True, outcome=True, verdicts=True, answers=False, note="release")),
    "diagnostic": ("preset: graded\npass_mark: 0\nshow_answers: never\n", False,
                   dict(score=True, outcome=False, verdicts=True, answers=False, note=None)),
}


@pytest.mark.parametrize("case", list(MATRIX_CASES))
def test_review_settings_across_pages(case, app, quiz_with, officer, session, make_user, login):
    settings, released, expect = MATRIX_CASES[case]
    quiz_with(settings if settings.startswith("preset") else HEADER + settings)
    trainer = make_user(Role.TRAINER, username="tamer")
    cohort = make_cohort(session, "A", officers=[officer], trainers=[trainer])
    attempt = sit(session, officer, ONE_RIGHT)
    assert attempt.percent == pytest.approx(33.33)
    if released:
        release(session, trainer, attempt.quiz, cohort, datetime.now(UTC))
        session.commit()
    client = app.test_client()
    login(client, "amal")

    result = text_of(client.get(f"/attempts/{attempt.id}/result"))
    assert ("33%" in result) == expect["score"]
    assert ("Not passed" in result) == expect["outcome"]
    assert ("Incorrect" in result and "✓ Correct" in result) == expect["verdicts"]
    assert ("Why:" in result) == expect["verdicts"]  # the explanations are feedback
    assert ("Correct answer:" in result) == expect["answers"]
    assert ("after your last attempt" in result) == (expect["note"] == "last")
    assert ("when your trainer releases them" in result) == (expect["note"] == "release")
    assert ("Your trainer will release the results" in result) == bool(expect.get("held"))
    assert "Passed" not in result
    if not expect["score"] and not expect.get("held"):
        assert "Submitted" in result

    for page in ("/attempts", "/quizzes/basics-quiz"):
        text = text_of(client.get(page))
        assert ("33%" in text) == expect["score"], page
        assert ("Not passed" in text) == expect["outcome"], page
        assert "Passed" not in text, page
    for page in ("/", "/modules/basics", "/certificate"):
        text = text_of(client.get(page))
        # The certificate page names the best score of a quiz still to pass (a diagnostic one is passed).
        assert ("33%" in text) == (expect["score"] and (expect["outcome"] or page != "/certificate")), page
        assert ("Not yet passed" in text) == (expect["outcome"] and page != "/certificate"), page

    data = client.get("/me/data.json").get_json()["attempts"][0]
    assert ("percent" in data and "score" in data) == expect["score"]
    assert ("passed" in data) == expect["outcome"]
    assert all(("score" in answer) == expect["verdicts"] for answer in data["answers"])
    assert [answer["response"] for answer in data["answers"]]  # the officer's own answers are always theirs


def test_staff_see_the_whole_review_of_a_withheld_attempt(app, quiz_with, officer, session, make_user, login):
    quiz_with("preset: exam\n")
    trainer = make_user(Role.TRAINER, username="tamer")
    make_cohort(session, "A", officers=[officer], trainers=[trainer])
    attempt = sit(session, officer, ONE_RIGHT)
    staff = app.test_client()
    login(staff, "tamer")
    text = text_of(staff.get(f"/attempts/{attempt.id}/result"))
    assert "33%" in text and "Not passed" in text and "Correct answer:" in text


def test_the_shipped_pre_test_says_submitted_and_nothing_else(app, make_user, login, session):
    from pathlib import Path
    load_package(app, Path(__file__).resolve().parents[1])
    officer = make_user(username="amal")
    quiz = session.scalar(select(Quiz).where(Quiz.key == "pre-test"))
    now = datetime.now(UTC)
    attempt = start_attempt(session, officer, quiz, now)
    for answer in attempt.answers[:10]:  # whatever the first options are: some right, some wrong
        definition = answer.question_version.definition
        if definition["type"] == "single":
            save_answer(session, attempt, answer.question_version_id, definition["options"][0]["id"], 1, now, 30)
    submit_attempt(session, attempt, now, 30)
    session.commit()
    client = app.test_client()
    login(client, "amal")
    result = text_of(client.get(f"/attempts/{attempt.id}/result"))
    assert "Submitted" in result
    for leak in ("Passed", "Not passed", "Correct", "Incorrect", "✓", "✗", "%", "points",
                 "The correct answers are shown"):
        assert leak not in result, leak
    assert "Your answer:" in result  # their own answers, as given
    for page in ("/attempts", "/quizzes/pre-test"):
        text = text_of(client.get(page))
        assert "Passed" not in text and "Submitted" in text and "%" not in text.replace("–", ""), page
    data = client.get("/me/data.json").get_json()["attempts"][0]
    assert data["result"] == "submitted" and "passed" not in data and "percent" not in data


# --- withheld results stay withheld ----------------------------------------------------------------

#: Officer-facing pages the walk cannot open, and why.
NOT_WALKED = {
    "learn.confirm_submit": "an open attempt's confirmation page; a closed one redirects to its result",
    "learn.attempt": "an open attempt's page; a closed one redirects to its result (walked)",
    "certificates.show": "the officer has no certificate: checked in the database instead",
    "certificates.pdf": "the officer has no certificate: checked in the database instead",
    "certificates.credential": "the officer has no certificate, so no credential: checked in the database instead",
    "certificates.credential_download": "the officer has no certificate, so no credential",
    "certificates.verify": "public, per certificate: there is none",
}
LEAKS = ("100%", "3 of 3 points", "Passed", "Not passed", "Not yet passed", "Correct", "Incorrect", "✓", "✗",
         "Completed", "score 100")


def test_a_withheld_result_shows_nowhere_until_it_is_released(app, quiz_with, officer, session, make_user, login):
    quiz_with("preset: exam\n")
    trainer = make_user(Role.TRAINER, username="tamer")
    cohort = make_cohort(session, "A", officers=[officer], trainers=[trainer])
    client = app.test_client()
    login(client, "amal")
    for lesson in ("basics-first", "basics-second"):  # every lesson read: a pass would complete the module
        client.post(f"/modules/basics/lessons/{lesson}/read")
    attempt = sit(session, officer, ALL_RIGHT)
    client.post("/modules/basics/lessons/basics-first/read")  # completions are recorded on each read too
    assert attempt.percent == 100 and attempt.passed

    ids = {"attempt": attempt.id, "open_attempt": attempt.id, "officer": officer.id}
    walked = []
    for endpoint, (method, url, expected) in MATRIX.items():
        if method != "GET" or expected[1] != 200 or endpoint in NOT_WALKED:
            continue
        response = client.get(url.format(**ids))
        assert response.status_code == 200, endpoint
        walked.append(endpoint)
        if response.mimetype == "application/json":
            document = response.get_json()
            for entry in document["attempts"]:
                assert entry["result"] == "awaiting_release"
                assert not {"score", "percent", "passed", "max_score"} & set(entry), entry
                assert all("score" not in answer for answer in entry["answers"])
            assert document["module_completions"] == [] and document["certificates"] == []
            assert 100 not in [value for entry in document["attempts"] for value in entry.values()]
        else:
            text = text_of(response)
            for leak in LEAKS:
                assert leak not in text, f"{endpoint} shows {leak!r}"
    assert {"learn.dashboard", "learn.module", "learn.quiz", "learn.my_attempts", "learn.result", "learn.my_data",
            "certificates.mine"} <= set(walked)
    assert "waiting for your trainer to release it" in text_of(client.get("/certificate"))
    assert session.scalar(select(ModuleCompletion).where(ModuleCompletion.user_id == officer.id)) is None
    assert session.scalar(select(Certificate).where(Certificate.user_id == officer.id)) is None

    # Released: the score shows, and the module completion waited for it is recorded at once.
    staff = app.test_client()
    login(staff, "tamer")
    staff.post(f"/trainer/cohorts/{cohort.id}/release", data={"quiz": "basics-quiz"})
    session.expire_all()
    completion = session.scalar(select(ModuleCompletion).where(ModuleCompletion.user_id == officer.id))
    assert completion is not None and completion.percent == 100
    assert "100%" in text_of(client.get("/")) and "Passed" in text_of(client.get("/attempts"))
    assert client.get("/me/data.json").get_json()["attempts"][0]["percent"] == 100


def test_a_grade_override_of_a_withheld_quiz_waits_for_the_release(app, quiz_with, officer, session, make_user,
                                                                 login):
    quiz_with("preset: exam\n")
    trainer = make_user(Role.TRAINER, username="tamer")
    make_cohort(session, "A", officers=[officer], trainers=[trainer])
    sit(session, officer, ONE_RIGHT)
    staff = app.test_client()
    login(staff, "tamer")
    staff.post(f"/trainer/officers/{officer.id}/override",
               data={"override-quiz": "basics-quiz", "override-percent": "87", "override-reason": "Marked on paper"})
    client = app.test_client()
    login(client, "amal")
    assert "87%" not in text_of(client.get("/"))
    overrides = client.get("/me/data.json").get_json()["grade_overrides"]
    assert overrides and all("percent" not in o and o["result"] == "awaiting_release" for o in overrides)
    assert "Marked on paper" not in json.dumps(overrides)


def test_an_attempt_awaiting_grading_shows_no_score_anywhere(app, quiz_with, officer, session, login):
    quiz_with(HEADER + "show_answers: after_submission\n")
    attempt = sit(session, officer, ALL_RIGHT)
    attempt.percent = attempt.score = attempt.passed = None  # an answer waits for a trainer's marking
    session.commit()
    client = app.test_client()
    login(client, "amal")
    result = text_of(client.get(f"/attempts/{attempt.id}/result"))
    assert "waiting to be graded by your trainer" in result
    assert "Correct" not in result and "Passed" not in result and "Your answer:" not in result
    assert "Awaiting grading" in text_of(client.get("/attempts"))
    assert "Awaiting grading" in text_of(client.get("/quizzes/basics-quiz"))
    entry = client.get("/me/data.json").get_json()["attempts"][0]
    assert entry["result"] == "awaiting_grading" and "percent" not in entry
    assert all("score" not in answer for answer in entry["answers"])
