"""The officer's path through the test client: lessons, quiz, autosave, result."""
import re

import pytest
from sqlalchemy import select

from course.models import Attempt, AttemptAnswer, AttemptState, Cohort, CohortMember, CohortTrainer, LessonRead, Role
from tests.conftest import page_value


@pytest.fixture
def officer(make_user, mini_course):
    return make_user(username="amal", full_name="Amal Hassan")


def start(client, key="basics-quiz"):
    response = client.post(f"/quizzes/{key}/start")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def question_fields(page: str) -> list[str]:
    return re.findall(r'data-name="(q\d+)"', page)


def value(client, answer, option_id: str) -> str:
    """What the attempt page posts for this option of ``answer``'s question."""
    return page_value(client.application, answer.attempt_id, answer.question_version_id, option_id)


def versions(session, attempt_id):
    answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)
                              .order_by(AttemptAnswer.position)).all()
    return {a.question_version.definition["id"]: a for a in answers}


def test_full_officer_path(client, officer, login, session, make_user):
    login(client, "amal")
    dashboard = client.get("/").get_data(as_text=True)
    assert "Basics" in dashboard and "0 / 2" in dashboard

    lesson = client.get("/modules/basics/lessons/basics-first").get_data(as_text=True)
    assert "<table>" in lesson and 'class="box box-key-terms"' in lesson
    response = client.post("/modules/basics/lessons/basics-first/read")
    assert response.headers["Location"].endswith("/modules/basics/lessons/basics-second")
    client.post("/modules/basics/lessons/basics-second/read")
    assert session.scalars(select(LessonRead)).all().__len__() == 2

    attempt_id = start(client)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    by_key = versions(session, attempt_id)
    single, multiple, truefalse = (f"q{by_key[k].question_version_id}" for k in ("b-q1", "b-q2", "b-q3"))
    assert set(question_fields(page)) == {single, multiple, truefalse}
    response = client.post(f"/attempts/{attempt_id}/submit",
                           data={single: value(client, by_key["b-q1"], "a"),
                                 multiple: [value(client, by_key["b-q2"], "a")], truefalse: "false"})
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    # 1 + 0.5 + 1 of 3 points = 83%, above the pass mark of 60.
    assert "83%" in result and "Passed" in result
    assert "Yes, Art. 1A(2) of the 1951 Convention." in result  # option feedback
    assert "IOM prefers irregular." in result  # explanation

    dashboard = client.get("/").get_data(as_text=True)
    assert "Completed" in dashboard and "83%" in dashboard
    assert "83%" in client.get("/attempts").get_data(as_text=True)

    tamer = make_user(Role.TRAINER, username="tamer")
    cohort = Cohort(name="Alexandria seaport — December 2026")
    session.add(cohort)
    session.flush()
    session.add_all([CohortMember(cohort_id=cohort.id, user_id=officer.id),
                     CohortTrainer(cohort_id=cohort.id, user_id=tamer.id)])
    session.commit()
    trainer = client.application.test_client()
    login(trainer, "tamer")
    assert "Alexandria seaport — December 2026" in trainer.get("/trainer/").get_data(as_text=True)
    gradebook = trainer.get(f"/trainer/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Amal Hassan" in gradebook and "83%" in gradebook


def test_quiz_page_carries_no_answer_key(client, officer, login):
    login(client, "amal")
    attempt_id = start(client)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Who has a legal definition in a treaty?" in page
    for secret in ("correct", "Art. 1A(2)", "IOM prefers irregular", "feedback", "No treaty defines migrant"):
        assert secret not in page


def test_officer_cannot_see_another_officers_attempt(client, app, officer, make_user, login):
    login(client, "amal")
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    make_user(username="other")
    other = app.test_client()
    login(other, "other")
    for url in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/result"):
        assert other.get(url).status_code == 404
    assert other.post(f"/attempts/{attempt_id}/answer", data={"question": "1", "seq": "1"}).status_code == 404


def test_officer_gets_403_on_trainer_pages(client, officer, login):
    login(client, "amal")
    assert client.get("/trainer/").status_code == 403
    assert client.get(f"/trainer/officers/{officer.id}").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, mini_course):
    for url in ("/", "/modules/basics", "/trainer/", "/attempts"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_ids_are_404_not_500(client, officer, login):
    login(client, "amal")
    for url in ("/modules/nowhere", "/modules/basics/lessons/nothing", "/quizzes/none", "/attempts/999999",
                "/attempts/999999/result"):
        assert client.get(url).status_code == 404


def test_autosave_keeps_the_latest_answer_whatever_the_arrival_order(client, officer, login, session):
    login(client, "amal")
    attempt_id = start(client)
    answer = versions(session, attempt_id)["b-q1"]
    name = f"q{answer.question_version_id}"
    post = lambda seq, option: client.post(f"/attempts/{attempt_id}/answer",  # noqa: E731
                                           data={"question": answer.question_version_id, "seq": seq,
                                                 name: value(client, answer, option)})
    assert post(1, "b").get_json() == {"ok": True, "seq": 1, "question": answer.question_version_id}
    assert post(3, "a").get_json()["seq"] == 3
    assert post(2, "b").get_json()["seq"] == 3      # replayed late from the offline journal: ignored
    assert post(3, "a").get_json()["seq"] == 3      # sent twice: harmless
    session.expire_all()
    assert session.get(AttemptAnswer, answer.id).response == "a"


def test_forged_option_and_foreign_question_are_refused(client, officer, login, session):
    login(client, "amal")
    attempt_id = start(client)
    answer = versions(session, attempt_id)["b-q1"]
    response = client.post(f"/attempts/{attempt_id}/answer",
                           data={"question": answer.question_version_id, "seq": 1,
                                 f"q{answer.question_version_id}": "zzz"})
    assert response.status_code == 400 and "cannot be accepted" in response.get_json()["error"]
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question": 987654, "seq": 1})
    assert response.status_code == 400
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question": "x", "seq": "y"})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(AttemptAnswer, answer.id).response is None


def test_submitting_twice_gives_the_same_result(client, officer, login, session):
    login(client, "amal")
    attempt_id = start(client)
    answer = versions(session, attempt_id)["b-q1"]
    q1 = f"q{answer.question_version_id}"
    client.post(f"/attempts/{attempt_id}/submit", data={q1: value(client, answer, "a"), "confirmed": "1"})
    client.post(f"/attempts/{attempt_id}/submit", data={q1: value(client, answer, "b"), "confirmed": "1"})
    session.expire_all()
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 1.0
    response = client.post(f"/attempts/{attempt_id}/answer",
                           data={"question": q1[1:], "seq": 9, q1: value(client, answer, "b")})
    assert response.status_code == 409 and "already been submitted" in response.get_json()["error"]


def without_form_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', 'name="csrf_token"', page)


def test_resuming_shows_saved_answers_and_the_same_order(client, officer, login, session):
    login(client, "amal")
    attempt_id = start(client)
    answer = versions(session, attempt_id)["b-q1"]
    chosen = value(client, answer, "b")
    client.post(f"/attempts/{attempt_id}/answer", data={"question": answer.question_version_id, "seq": 1,
                                                        f"q{answer.question_version_id}": chosen})
    first = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert start(client) == attempt_id  # starting again resumes the open attempt
    second = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # Form tokens carry the second they were made in: the rest of the page must be the same.
    assert without_form_tokens(first) == without_form_tokens(second)
    assert re.search(rf'name="q{answer.question_version_id}" value="{chosen}" checked', second)


def test_attempts_are_limited_by_the_preset(client, officer, login):
    login(client, "amal")
    for _ in range(3):
        attempt_id = start(client)
        client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    response = client.post("/quizzes/basics-quiz/start")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "used all the attempts" in page


def test_correct_answers_only_after_the_last_attempt(client, officer, login):
    login(client, "amal")
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    first = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Correct answer:" not in first and "shown after your last attempt" in first
    for _ in range(2):
        attempt_id = start(client)
        client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    last = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Correct answer:" in last


def test_lesson_served_in_arabic_when_chosen(client, officer, login):
    login(client, "amal")
    client.post("/language", data={"lang": "ar"})
    page = client.get("/modules/basics/lessons/basics-first").get_data(as_text=True)
    assert "الكلمات مهمة" in page and 'dir="rtl"' in page
    fallback = client.get("/modules/basics/lessons/basics-second").get_data(as_text=True)
    assert "Second lesson text." in fallback and 'lang="en" dir="ltr"' in fallback


def test_ids_too_large_for_the_database_are_refused_cleanly(client, officer, login):
    login(client, "amal")
    attempt_id = start(client)
    assert client.get("/attempts/99999999999999999999").status_code == 404
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question": str(2**31), "seq": "1"})
    assert response.status_code == 400 and response.get_json()["error"]
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question": "1", "seq": str(2**40)})
    assert response.status_code == 400


def test_lesson_page_answers_304_when_nothing_changed(client, officer, login):
    login(client, "amal")
    url = "/modules/basics/lessons/basics-first"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    client.post(f"{url}/read")  # reading it changes the page ("You have read this lesson")
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "You have read this lesson." in changed.get_data(as_text=True)
    client.post("/language", data={"lang": "ar"})
    arabic = client.get(url, headers={"If-None-Match": changed.headers["ETag"]})
    assert arabic.status_code == 200 and 'lang="ar"' in arabic.get_data(as_text=True)


MOODLE_STYLE_QUIZ = """\
id: basics-quiz
module: basics
title: Basics quiz
preset: practice
pass_mark: 60
shuffle_questions: false
questions:
  - id: b-q1
    type: short
    objectives: [B1.1]
    stem: Which animal croaks?
    accept:
      - {text: "Fro*", feedback: {en: "A frog, yes.", ar: "نعم، الضفدع."}}
      - {text: toad, credit: 0.5, feedback: "Toads croak too, but frogs are the answer."}
      - {text: "*", credit: 0, feedback: "No: think of ponds."}
    explanation: Frogs croak.
  - id: b-q2
    type: numeric
    objectives: [B1.2]
    stem: In which year was the Palermo Convention adopted?
    answers:
      - {answer: 2000, feedback: "Right: November 2000."}
      - {answer: 2000, tolerance: 1, credit: 0.5, feedback: Close.}
      - {answer: "*", feedback: It is a recent instrument.}
    explanation: 15 November 2000.
"""


@pytest.mark.parametrize("responses, percent, shown, hidden", [
    (("Frogs", "2000"), "100%", ["A frog, yes.", "Right: November 2000."], ["Close.", "No: think of ponds."]),
    (("toad", "2001"), "50%", ["Toads croak too", "Close."], ["A frog, yes.", "Right: November 2000."]),
    (("a frog", "1990"), "0%", ["No: think of ponds.", "It is a recent instrument."], ["A frog, yes.", "Close."]),
])
def test_short_and_numeric_answers_show_the_feedback_of_the_answer_matched(
        app, client, make_user, login, session, course_copy, responses, percent, shown, hidden):
    from tests.conftest import load_package
    (course_copy / "quizzes" / "basics.yaml").write_text(MOODLE_STYLE_QUIZ, encoding="utf-8")
    load_package(app, course_copy)
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client)
    by_key = versions(session, attempt_id)
    fields = [f"q{by_key[k].question_version_id}" for k in ("b-q1", "b-q2")]
    client.post(f"/attempts/{attempt_id}/submit", data=dict(zip(fields, responses)))
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert session.get(Attempt, attempt_id).percent == float(percent.rstrip("%"))
    for text in shown:
        assert text in result
    for text in hidden:
        assert text not in result
    if percent == "100%":  # the feedback in the officer's language
        client.post("/language", data={"lang": "ar", "next": "/"})
        assert "نعم، الضفدع." in client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


@pytest.mark.parametrize("lang, label, other", [("ar", "خطأ", "صح"), ("en", "False", "True")])
def test_true_false_answers_read_in_the_officers_language(client, officer, login, session, lang, label, other):
    """The result page and the data download say true and false in the attempt's language, as the
    quiz page did ("إجابتك: خطأ", never "إجابتك: False")."""
    login(client, "amal")
    client.post("/language", data={"lang": lang})
    attempt_id = start(client)
    by_key = versions(session, attempt_id)
    client.post(f"/attempts/{attempt_id}/submit",
                data={f"q{by_key['b-q3'].question_version_id}": "false", "confirmed": "1"})
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    your_answer = "إجابتك:" if lang == "ar" else "Your answer:"
    assert re.search(rf"<strong>{your_answer}</strong>\s*<span dir=\"auto\">{label}</span>", result), result
    if lang == "ar":
        assert not re.search(r"</strong>\s*(<span dir=\"auto\">)?(True|False)\b", result)
    data = client.get("/me/data.json").get_json()
    [attempt] = data["attempts"]
    responses = {a["question"]: a["response"] for a in attempt["answers"]}
    assert responses["b-q3"] == label and other not in responses.values()
