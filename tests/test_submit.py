"""Submitting an attempt: it asks first when questions are unanswered or no attempt would be left,
with or without JavaScript, and nothing an officer sends at the edges ends in a 500."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from course.models import Attempt, AttemptAnswer, AttemptState, Quiz
from tests.conftest import page_value


def start(client, key: str = "basics-quiz") -> int:
    response = client.post(f"/quizzes/{key}/start")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def answers_of(session, attempt_id: int) -> dict[str, AttemptAnswer]:
    rows = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
    return {a.question_version.definition["id"]: a for a in rows}


def test_eight_simultaneous_starts_give_one_attempt_and_no_error(app, client, mini_course, make_user, login,
                                                                session):
    make_user(username="amal")
    login(client, "amal")
    cookie = client.get_cookie("session").value
    clients = []
    for _ in range(8):  # eight tabs of one browser: the same signed-in session
        tab = app.test_client()
        tab.set_cookie("session", cookie)
        clients.append(tab)
    barrier = threading.Barrier(len(clients))
    replies: list = [None] * len(clients)

    def press_start(index: int):
        barrier.wait()
        replies[index] = clients[index].post("/quizzes/basics-quiz/start")

    threads = [threading.Thread(target=press_start, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [r.status_code for r in replies]
    assert statuses == [302] * 8, statuses
    locations = {r.headers["Location"] for r in replies}
    assert len(locations) == 1, locations  # every tab lands on the same attempt
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1
    attempt_id = int(locations.pop().rsplit("/", 1)[1])
    assert session.scalar(select(func.count()).select_from(AttemptAnswer)
                          .where(AttemptAnswer.attempt_id == attempt_id)) == 3


def set_settings(session, key: str = "basics-quiz", **settings) -> None:
    quiz = session.scalar(select(Quiz).where(Quiz.key == key))
    quiz.settings = {**quiz.settings, **settings}
    session.commit()


def full_form(app, session, attempt_id: int, skip: tuple[str, ...] = ()) -> dict:
    """The mini quiz's form with every question answered (but those in ``skip``)."""
    answers = answers_of(session, attempt_id)
    option = lambda key, item: page_value(app, attempt_id, answers[key].question_version_id, item)  # noqa: E731
    form = {f"q{answers['b-q1'].question_version_id}": option("b-q1", "a"),
            f"q{answers['b-q2'].question_version_id}": [option("b-q2", "a"), option("b-q2", "b")],
            f"q{answers['b-q3'].question_version_id}": "false"}
    return {name: value for name, value in form.items()
            if not any(name == f"q{answers[key].question_version_id}" for key in skip)}


def test_unanswered_questions_are_named_and_the_officer_confirms_without_javascript(
        app, client, mini_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client)
    answers = answers_of(session, attempt_id)
    response = client.post(f"/attempts/{attempt_id}/submit", data=full_form(app, session, attempt_id,
                                                                             skip=("b-q2", "b-q3")))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}/submit")
    session.expire_all()
    assert session.get(Attempt, attempt_id).is_open
    assert answers_of(session, attempt_id)["b-q1"].response == "a"  # what was posted is kept
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "2 questions of 3 are not answered" in page
    for key in ("b-q2", "b-q3"):
        assert f'#question-{answers[key].position}">Question {answers[key].position}</a>' in page
    assert f'#question-{answers["b-q1"].position}"' not in page
    assert "cannot be retaken" not in page and "last attempt" not in page
    attempt_page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'id="question-{answers["b-q2"].position}"' in attempt_page  # where the links lead
    # "Back to the questions", answer one more, submit again: one question is left, still asked.
    client.post(f"/attempts/{attempt_id}/submit", data=full_form(app, session, attempt_id, skip=("b-q3",)))
    assert "1 question of 3 is not answered" in client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    response = client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    session.expire_all()
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 2.0  # b-q1 and both right boxes of b-q2
    assert client.get(f"/attempts/{attempt_id}/submit").headers["Location"].endswith("/result")


def test_the_confirmation_is_in_arabic(app, client, mini_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    client.post("/language", data={"lang": "ar"})
    set_settings(session, attempts=1)
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit", data={})
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert 'dir="rtl"' in page
    for english in ("Submit your answers?", "are not answered", "cannot be retaken", "Submit now",
                    "Back to the questions"):
        assert english not in page
    assert "هل تريد إرسال إجاباتك؟" in page and "أرسل الآن" in page
    assert "يسمح هذا الاختبار بمحاولة واحدة" in page and "3 أسئلة من أصل 3 بلا إجابة" in page


def test_every_question_answered_with_attempts_left_submits_at_once(app, client, mini_course, make_user, login,
                                                                   session):
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client)
    response = client.post(f"/attempts/{attempt_id}/submit", data=full_form(app, session, attempt_id))
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    session.expire_all()
    assert session.get(Attempt, attempt_id).score == 3.0


def test_the_only_or_last_attempt_is_confirmed_even_when_complete(app, client, mini_course, make_user, login,
                                                                session):
    make_user(username="amal")
    login(client, "amal")
    set_settings(session, attempts=1)
    attempt_id = start(client)
    response = client.post(f"/attempts/{attempt_id}/submit", data=full_form(app, session, attempt_id))
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/submit")
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "This quiz allows one attempt: once you submit, it cannot be retaken." in page
    assert "Every question has an answer." in page
    client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    session.expire_all()
    assert session.get(Attempt, attempt_id).score == 3.0

    set_settings(session, attempts=2)  # a second attempt, the last of two
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit", data=full_form(app, session, attempt_id))
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "This is your last attempt: once you submit, this quiz cannot be taken again." in page


def test_links_to_unanswered_questions_open_their_page(app, client, mini_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    set_settings(session, questions_per_page=1)
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit", data={})
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert f'href="/attempts/{attempt_id}#question-1"' in page
    assert f'href="/attempts/{attempt_id}?page=3#question-3"' in page
    assert 'id="question-3"' in client.get(f"/attempts/{attempt_id}?page=3").get_data(as_text=True)


def test_an_answer_saved_with_the_largest_sequence_number_does_not_block_the_submit(
        app, client, mini_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client)
    answer = answers_of(session, attempt_id)["b-q1"]
    name = f"q{answer.question_version_id}"
    wrong = page_value(app, attempt_id, answer.question_version_id, "b")
    reply = client.post(f"/attempts/{attempt_id}/answer",
                        data={"question": answer.question_version_id, "seq": 2**31 - 1, name: wrong})
    assert reply.get_json() == {"ok": True, "seq": 2**31 - 1, "question": answer.question_version_id}
    # Without JavaScript the officer corrects it and saves, then submits: the form's answer wins.
    form = full_form(app, session, attempt_id)
    assert client.post(f"/attempts/{attempt_id}/save", data=form).status_code == 302
    session.expire_all()
    assert answers_of(session, attempt_id)["b-q1"].response == "a"
    response = client.post(f"/attempts/{attempt_id}/submit", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    session.expire_all()
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 3.0
    assert answers_of(session, attempt_id)["b-q1"].seq == 2**31 - 1
