"""An essay question in a real browser, in English and in Arabic: the officer writes an answer and
sees "awaiting grading", a trainer of their cohort marks it from the grading queue, and the officer
then sees the score with the trainer's marks and comment."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import (
    COHORT,
    EXTRA_QUIZ,
    LANGUAGE_OFFICER,
    OFFICER,
    SWEEP,
    TRAINER,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow

ESSAY = (Path(__file__).parent.parent / "fixtures" / "essay" / "question.yaml").read_text()
ESSAY = ESSAY.replace("[B1.2]", "[M7.1]")  # the browser course's extra module's objective


def add_essay(course_dir: Path) -> None:
    quiz = course_dir / "quizzes" / "browser-check.yaml"
    quiz.write_text(quiz.read_text().rstrip("\n") + "\n" + ESSAY, encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's own server: the harness's course with an essay in the extra module's quiz."""
    started = start_server(tmp_path_factory.mktemp("essay"), extend_course=add_essay, label="essay")
    yield started
    stop_server(started)


CASES = {
    # language: (officer, trainer, the officer's answer)
    "en": (OFFICER, TRAINER, "I would speak to her on her own, ask more questions and refer the case."),
    "ar": (LANGUAGE_OFFICER, SWEEP["ar"]["trainer"], "أتحدث معها على انفراد وأطرح أسئلة أخرى وأحيل الحالة إلى المختصين."),
}


def test_officer_answers_an_essay_trainer_grades_officer_sees_the_score(ui, server):
    # Both languages in one test: the module's server (seeded for it alone) then starts once, on
    # whichever worker runs it, not once for each language.
    for lang in CASES:
        essay_graded_and_seen(ui, server, lang)


def essay_graded_and_seen(ui, server, lang):
    officer_name, trainer_name, text = CASES[lang]
    officer = ui.new_page()
    ui.sign_in(officer, officer_name)
    ui.axe(officer)
    if lang == "ar":
        with officer.expect_navigation():
            officer.click(".lang-form button[lang=ar]")
        ui.axe(officer)
    ui.goto(officer, f"/quizzes/{EXTRA_QUIZ}")
    with officer.expect_navigation():
        officer.click(f"main a[href*='/attempts/'], main form[action$='/quizzes/{EXTRA_QUIZ}/start'] button")
    assert officer.get_attribute("html", "lang") == lang
    attempt_id = int(officer.url.split("/attempts/", 1)[1].split("/")[0].split("?")[0].split("#")[0])
    ui.axe(officer)
    officer.fill("fieldset textarea", text)
    with officer.expect_navigation():
        officer.click("#quiz-form .quiz-actions button[type=submit]:not([formaction])")
    if officer.url.endswith("/submit"):
        ui.axe(officer)
        with officer.expect_navigation():
            officer.click("main form.quiz-actions button[type=submit]")
    assert officer.url.endswith(f"/attempts/{attempt_id}/result")
    ui.axe(officer)
    assert officer.locator(".result-summary .score").count() == 0, "no score before the trainer grades"
    assert officer.locator("main .notice").count() == 1

    trainer = ui.new_page()
    ui.sign_in(trainer, trainer_name)
    ui.axe(trainer)
    cohort = server.query("SELECT id FROM cohorts WHERE name = :n", n=COHORT)[0]["id"]
    answer = server.query(
        "SELECT a.id FROM attempt_answers a JOIN question_versions v ON v.id = a.question_version_id "
        "WHERE a.attempt_id = :attempt AND v.type = 'essay'", attempt=attempt_id)[0]["id"]
    ui.goto(trainer, f"/trainer/cohorts/{cohort}/grading")
    with trainer.expect_navigation():
        trainer.click(f"main a[href$='/grading/{answer}']")
    assert text in trainer.inner_text(".essay-answer")
    ui.axe(trainer)
    for field, marks in (("mark-signs", "2"), ("mark-questions", "1"), ("mark-refer", "1")):
        trainer.fill(f"#{field}", marks)
    trainer.fill("#comment", "Refer first, then ask." if lang == "en" else "أحِل أولاً ثم اسأل.")
    with trainer.expect_navigation():
        trainer.click("main form button[type=submit]")
    assert trainer.url.endswith(f"/trainer/cohorts/{cohort}/grading")
    ui.axe(trainer)

    ui.goto(officer, f"/attempts/{attempt_id}/result")
    assert officer.locator(".result-summary .score").count() == 1
    assert "%" in officer.inner_text(".result-summary .score")
    assert ("Refer first, then ask." if lang == "en" else "أحِل أولاً ثم اسأل.") in officer.inner_text("main")
    ui.assert_clean()
