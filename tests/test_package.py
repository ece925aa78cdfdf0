"""The package reader's messages on broken packages, and publishing with versions."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import Lesson, Question, QuestionVersion
from course.models._types import utcnow
from course.package import read_package
from course.package.model import question_source_hash
from course.package.sync import PackageRejected, apply_package
from tests.conftest import load_package


def errors_of(path: Path) -> list[str]:
    return [str(p) for p in read_package(path).errors]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_fixture_package_is_clean(course_copy):
    assert errors_of(course_copy) == []


def test_unknown_question_type_names_file_line_and_field(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "type: truefalse", "type: calculated")
    errors = errors_of(course_copy)
    assert len(errors) == 1
    assert errors[0].startswith("quizzes/basics.yaml:32: b-q3.type: unknown question type 'calculated'")


def test_single_choice_without_a_correct_option(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "        correct: true\n        feedback: Yes", "        feedback: Yes")
    [error] = errors_of(course_copy)
    assert "quizzes/basics.yaml:" in error and "exactly one correct option, found 0" in error


def test_duplicate_question_id(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "id: b-q2", "id: b-q1")
    [error] = errors_of(course_copy)
    assert "duplicate question id 'b-q1'" in error and "first used at quizzes/basics.yaml:8" in error


def test_missing_english_lesson(course_copy):
    (course_copy / "modules/01-basics/01-first.en.md").unlink()
    errors = errors_of(course_copy)
    assert any("01-first.ar.md:1: file: missing English lesson 01-first.en.md" in e for e in errors)


def test_undeclared_objective(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "objectives: [B1.1]", "objectives: [B9.9]")
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:") and "objective 'B9.9' is not declared" in error


def test_yaml_syntax_error_gives_its_line(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "pass_mark: 60", "pass_mark: [60")
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:") and ": yaml:" in error


def test_lesson_without_front_matter(course_copy):
    (course_copy / "modules/01-basics/02-second.en.md").write_text("Just text, no front matter.\n")
    [error] = errors_of(course_copy)
    assert error.startswith("modules/01-basics/02-second.en.md:1: front matter:")


def test_lesson_front_matter_missing_title_names_its_line(course_copy):
    edit(course_copy / "modules/01-basics/02-second.en.md", "title: Second lesson\n", "")
    [error] = errors_of(course_copy)
    assert error == "modules/01-basics/02-second.en.md:2: title: is required"


def test_bad_pass_mark(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "pass_mark: 60", "pass_mark: 160")
    [error] = errors_of(course_copy)
    assert error == "quizzes/basics.yaml:5: pass_mark: must be a percentage from 0 to 100"


def test_option_missing_its_text(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "{id: b, text: People on the move, correct: true}", "{id: b, correct: true}")
    [error] = errors_of(course_copy)
    assert "b-q2.options[2].text: is required" in error


def b_q3(package):
    return next(q for quiz in package.quizzes for q in quiz.questions if q.key == "b-q3").definition


def test_judgement_marks_a_case_question_without_changing_its_translation_hash(course_copy):
    before = b_q3(read_package(course_copy))
    assert "judgement" not in before
    edit(course_copy / "quizzes/basics.yaml", "    objectives: [B1.2]\n    case:",
         "    objectives: [B1.2]\n    judgement: true\n    case:")
    package = read_package(course_copy)
    assert package.errors == []
    after = b_q3(package)
    assert after["judgement"] is True
    assert question_source_hash(after) == question_source_hash(before)


def test_judgement_must_be_true_or_false(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "    objectives: [B1.2]\n    case:",
         "    objectives: [B1.2]\n    judgement: often\n    case:")
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:34: b-q3.judgement: must be true or false")


def test_judgement_without_a_case_is_refused(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "    objectives: [B1.1]\n    stem: Who",
         "    objectives: [B1.1]\n    judgement: true\n    stem: Who")
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:11: b-q1.judgement: a judgement question needs a case")


def test_judgement_on_a_group_marks_each_of_its_questions(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "questions:\n", """questions:
  - id: b-g1
    type: group
    judgement: true
    case: At Safaga port a ferry passenger says the man beside her keeps her passport.
    questions:
      - {id: b-g1-a, type: truefalse, objectives: [B1.1], stem: This alone proves trafficking., answer: false,
         explanation: No single sign proves it.}
      - {id: b-g1-b, type: truefalse, objectives: [B1.2], stem: You should refer., answer: true, explanation: Refer.}
""")
    package = read_package(course_copy)
    assert package.errors == []
    quiz = package.quizzes[0]
    marked = {q.key: q.definition.get("judgement", False) for q in quiz.questions}
    assert marked == {"b-g1-a": True, "b-g1-b": True, "b-q1": False, "b-q2": False, "b-q3": False}


def test_stale_translation_is_a_warning(course_copy):
    package = read_package(course_copy)
    assert package.errors == []
    assert any("source_hash" in str(w) for w in package.warnings)


def test_quiz_for_unknown_module(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "module: basics", "module: nowhere")
    errors = errors_of(course_copy)
    assert any("quizzes/basics.yaml:2: module: no module with id 'nowhere'" in e for e in errors)


def test_reload_unchanged_touches_nothing(app, course_copy):
    load_package(app, course_copy)
    summary = load_package(app, course_copy)
    assert not summary.has_changes


def test_changed_question_gets_a_new_version_and_keeps_the_old(app, course_copy):
    load_package(app, course_copy)
    edit(course_copy / "quizzes/basics.yaml", "Who has a legal definition in a treaty?",
         "Which person has a definition in a treaty?")
    summary = load_package(app, course_copy)
    assert summary.changed["questions"] == ["b-q1"]
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == "b-q1"))
        versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                      .order_by(QuestionVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        assert question.current_version_id == versions[1].id
        assert versions[0].definition["stem"]["en"] == "Who has a legal definition in a treaty?"


def test_removed_items_are_retired_not_deleted(app, course_copy):
    load_package(app, course_copy)
    (course_copy / "modules/01-basics/02-second.en.md").unlink()
    summary = load_package(app, course_copy)
    assert summary.retired["lessons"] == ["basics-second"]
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "basics-second"))
        assert lesson is not None and lesson.retired


def test_broken_package_is_refused_whole(app, course_copy):
    load_package(app, course_copy)
    edit(course_copy / "quizzes/basics.yaml", "Who has a legal definition in a treaty?", "Changed stem")
    edit(course_copy / "quizzes/basics.yaml", "type: truefalse", "type: calculated")
    with app.app_context():
        with pytest.raises(PackageRejected):
            apply_package(db.session, read_package(course_copy), now=utcnow())
        db.session.rollback()
        question = db.session.scalar(select(Question).where(Question.key == "b-q1"))
        assert question.current_version.definition["stem"]["en"] == "Who has a legal definition in a treaty?"
        assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == 3


def test_yaml_aliases_are_refused_before_they_expand(course_copy):
    """Nine levels of aliases of aliases (about 700 bytes) would expand into gigabytes of text."""
    levels = ['  a0: &a0 "lol"'] + [f"  a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    quiz = course_copy / "quizzes/basics.yaml"
    quiz.write_text("laughs:\n" + "\n".join(levels) + "\n" + quiz.read_text().replace("title: Basics quiz", "title: *a9"))
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:3:") and "aliases (*a0) are not allowed" in error


def test_a_single_yaml_alias_is_refused_with_its_line(course_copy):
    edit(course_copy / "quizzes/basics.yaml", "title: Basics quiz", "title: &t Basics quiz\nsubtitle: *t")
    [error] = errors_of(course_copy)
    assert error.startswith("quizzes/basics.yaml:4:") and "aliases (*t) are not allowed" in error
@pytest.mark.parametrize("settings, warning", [
    ("preset: practice\nshow_answers: after_last_attempt\n", "after_last_attempt never shows the correct answers"),
    ("preset: exam\nshow_answers: after_submission\n", "the correct answers wait for the release"),
])
def test_review_settings_that_cannot_mean_what_they_say_are_warned(course_copy, settings, warning):
    edit(course_copy / "quizzes/basics.yaml", "preset: graded\n", settings)
    package = read_package(course_copy)
    assert package.errors == []
    [found] = [str(w) for w in package.warnings if "show_answers" in str(w)]
    assert "basics.yaml" in found and warning in found


def test_the_shipped_quizzes_review_settings_raise_no_warning():
    package = read_package(Path(__file__).resolve().parents[1])
    assert not [str(w) for w in package.warnings if "show_answers" in str(w)]
def _keyed_quiz(first_is_right: list[bool], answers: list[bool]) -> str:
    """A basics quiz of single-choice questions (right option first or second) and true/false ones."""
    lines = ["id: basics-quiz", "module: basics", "title: Basics quiz", "questions:"]
    for n, first in enumerate(first_is_right, start=1):
        lines += [f"  - id: k-s{n}", "    type: single", "    objectives: [B1.1]", f"    stem: Question {n}?",
                  "    options:", f"      - {{id: a, text: One, correct: {str(first).lower()}}}",
                  f"      - {{id: b, text: Two, correct: {str(not first).lower()}}}",
                  "      - {id: c, text: Three}", "      - {id: d, text: Four}", "    explanation: Because."]
    for n, answer in enumerate(answers, start=1):
        lines += [f"  - id: k-t{n}", "    type: truefalse", "    objectives: [B1.1]", f"    stem: Statement {n}.",
                  f"    answer: {str(answer).lower()}", "    explanation: Because."]
    return "\n".join(lines) + "\n"


def test_keyed_answers_clustered_on_one_position_are_a_warning(course_copy):
    quiz = course_copy / "quizzes" / "basics.yaml"
    quiz.write_text(_keyed_quiz([True] * 9 + [False], [False] * 8))
    package = read_package(course_copy)
    assert not package.errors
    warnings = [str(w) for w in package.warnings if "key" in w.message]
    assert len(warnings) == 2, warnings
    assert any("cluster on option 1: it is right in 9 of 10 single-choice questions" in w for w in warnings), warnings
    assert any("true/false keys lean one way: false in 8 of 8" in w for w in warnings), warnings
    assert all(w.startswith("quizzes/basics.yaml:4: questions:") for w in warnings), warnings


def test_a_balanced_key_is_not_reported(course_copy):
    quiz = course_copy / "quizzes" / "basics.yaml"
    quiz.write_text(_keyed_quiz([True, False] * 5, [True, False] * 4))
    assert not [str(w) for w in read_package(course_copy).warnings if "key" in str(w)]


def test_a_question_type_written_as_a_mapping_is_a_problem_with_its_line(course_copy):
    """Found by the fuzzer: ``type:`` followed by an indented block made the reader crash."""
    edit(course_copy / "quizzes/basics.yaml", "    type: single\n", "    type:\n      single: yes\n")
    [error] = [e for e in errors_of(course_copy) if ".type" in e]
    assert error.startswith("quizzes/basics.yaml:") and "unknown question type" in error
