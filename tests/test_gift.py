"""GIFT interchange: every construct imports to the right question, every malformed or unsupported
one is reported on its line and left out, and Marsa's module quizzes survive export then import."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.cli import quiz as quiz_commands
from course.interchange.gift_read import parse_gift
from course.interchange.gift_syntax import CASE_MARKER
from course.interchange.gift_write import dump_quiz_yaml, export_gift
from course.package import read_package
from course.questions import REGISTRY, score_response
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parent.parent
GIFT = FIXTURES / "gift"
BASICS = {"module": "basics", "objectives": {"B1.1", "B1.2"}, "default_objective": "B1.1"}
#: Ids of the fixture's questions without a (usable) name: module, first words, hash of the text.
MISSING_WORD = "basics-the-1951-convention-the-word-37e3af"
UNNAMED = "basics-which-word-is-an-umbrella-296060"
MODULE_SLUGS = sorted(d.name.split("-", 1)[1] for d in (REPO / "modules").iterdir() if d.is_dir())


def parse_fixture(name: str, **options):
    return parse_gift((GIFT / name).read_text(encoding="utf-8"), name, **{**BASICS, **options})


@pytest.fixture(scope="module")
def every():
    result = parse_fixture("every-construct.gift")
    return result, {q["id"]: q for q in result.questions}


def problem_list(result):
    return [(p.line, p.field, p.level) for p in result.problems]


# -- each construct -------------------------------------------------------------------------------

def test_single_choice_keeps_percentage_weights_feedback_and_general_feedback(every):
    assert every[1]["refugee-definition"] == {
        "id": "refugee-definition", "type": "single", "objectives": ["B1.1"],
        "stem": "Who has a **legal** definition in a treaty?",
        "options": [
            {"id": "a", "text": "A refugee", "correct": True, "feedback": "Yes: Art. 1A(2) of the 1951 Convention."},
            {"id": "b", "text": "An asylum-seeker", "weight": 0.5,
             "feedback": "Nearly: an asylum-seeker may turn out to be a refugee."},
            {"id": "c", "text": "A migrant", "feedback": "No treaty defines it."},
        ],
        "explanation": "The 1951 Convention defines a refugee\nin Article 1A(2).",
    }


def test_multiple_answers_leave_marsa_default_shares_implicit(every):
    question = every[1]["umbrella-terms"]
    assert question["type"] == "multiple"
    assert question["options"] == [
        {"id": "a", "text": "Migrant", "correct": True, "feedback": "Right."},
        {"id": "b", "text": "People on the move", "correct": True},
        {"id": "c", "text": "Refugee", "feedback": "A legal status."},
    ]


def test_multiple_answers_keep_weights_that_differ_from_the_default_share(every):
    question = every[1]["identity-documents"]
    assert question["type"] == "multiple"
    assert [(o["id"], o.get("correct", False), o.get("weight")) for o in question["options"]] == [
        ("a", True, 0.6), ("b", True, 0.4), ("c", False, -0.25), ("d", False, 0.0)]
    assert question["options"][3]["feedback"] == "It names you, but proves nothing."
    definition = {"type": "multiple", **REGISTRY["multiple"].normalize(question, pytest.fail)}
    assert score_response(definition, ["a", "c"]) == pytest.approx(0.35)
    assert score_response(definition, ["a", "b", "d"]) == 1.0


@pytest.mark.parametrize("question_id, answer, feedback", [
    ("tf-t", True, None),
    ("tf-true", True, {"true": "Right.", "false": "It does, in its title."}),
    ("tf-f", False, {"true": "No, IOM advises against it.", "false": "Right."}),
    ("tf-false", False, None),
])
def test_true_false_forms_and_wrong_then_right_feedback(every, question_id, answer, feedback):
    question = every[1][question_id]
    assert question["type"] == "truefalse" and question["answer"] is answer
    assert question.get("feedback") == feedback
    assert question["explanation"]


@pytest.mark.parametrize("question_id, accept", [
    ("two-plus-two", ["four", "4"]), ("short-one", ["Cairo"]), ("short-bare", ["Alexandria"]),
])
def test_short_answer_forms(every, question_id, accept):
    question = every[1][question_id]
    assert question["type"] == "short" and question["accept"] == accept


def test_matching_pairs_and_a_pair_without_prompt_as_distractor(every):
    question = every[1]["conventions"]
    assert question["type"] == "matching"
    assert question["pairs"] == [{"id": "p1", "prompt": "Refugee", "match": "1951 Convention"},
                                 {"id": "p2", "prompt": "Stateless person", "match": "1954 Convention"}]
    assert question["distractors"] == ["1990 Migrant Workers Convention"]


@pytest.mark.parametrize("question_id, fields", [
    ("numeric-tolerance", {"answer": 5, "tolerance": 0.5}),
    ("numeric-range", {"range": [1, 5]}),
    ("numeric-exact", {"answer": 1951}),
])
def test_numeric_forms(every, question_id, fields):
    question = every[1][question_id]
    assert question["type"] == "numeric"
    assert {k: question[k] for k in ("answer", "tolerance", "range") if k in question} == fields


def test_missing_word_form_puts_a_blank_where_the_answers_were(every):
    question = every[1][MISSING_WORD]
    assert question["stem"] == 'The 1951 Convention _____ the word "migrant".'
    assert [o["text"] for o in question["options"] if o.get("correct")] == ["does not define"]
    assert question["explanation"] == 'No treaty defines "migrant".'


def test_escaped_characters_newlines_and_multi_line_text(every):
    question = every[1]["escapes"]
    assert question["stem"] == ("Braces {like these}, a tilde ~, an equals sign =, a hash #,\n"
                                "a colon: and a backslash \\ stay as written.")
    assert question["options"][0]["feedback"] == "A line\nbreak in feedback."
    assert question["explanation"] == "Escapes keep { } ~ = # : and \\ literal."


def test_format_markers_are_removed_and_html_is_kept_with_a_warning(every):
    result, questions = every
    assert questions[UNNAMED]["stem"] == "Which word is an umbrella term?"
    assert questions["moodle-format"]["explanation"] == "Yes, under the 1951 Convention."
    assert questions["html-format"]["stem"] == "Is <b>asylum-seeker</b> a final status?"
    assert (71, "html-format", "warning") in problem_list(result)


def test_names_become_ids_and_clashes_or_empty_names_get_the_module_prefix(every):
    result, questions = every
    assert "refugee-definition" in questions and "two-plus-two" in questions
    assert questions["basics-two-plus-two"]["stem"] == "Two plus two equals (again)?"
    assert questions[UNNAMED]["accept"] == ["migrant", "Migrant"]  # named "!?"
    assert questions[MISSING_WORD]["type"] == "single"  # no name: an id made of its text
    assert (75, "basics-two-plus-two.id", "warning") in problem_list(result)
    assert (67, f"{UNNAMED}.id", "warning") in problem_list(result)


def test_categories_give_objectives_and_fall_back_to_the_default(every):
    result, questions = every
    assert questions["refugee-definition"]["objectives"] == ["B1.1"]
    assert questions["moodle-format"]["objectives"] == ["B1.1", "B1.2"]  # $CATEGORY .../B1.1+B1.2
    assert questions["basics-two-plus-two"]["objectives"] == ["B1.1"]  # .../Terminology: the default
    assert questions["with-case"]["objectives"] == ["B1.1"]  # .../M9.9 is not an objective of basics
    assert result.defaulted == ["basics-two-plus-two", "with-case"]
    assert (77, "$CATEGORY", "warning") in problem_list(result)


def test_case_marker_and_marsa_lines_restore_case_ids_points_and_groups(every):
    questions = every[1]
    with_case = questions["with-case"]
    assert with_case["case"] == '**At Salloum.** An officer calls a traveller an "illegal migrant".'
    assert with_case["stem"] == "What should the officer say instead?"
    assert with_case["points"] == 2 and [o["id"] for o in with_case["options"]] == ["yes", "no"]
    group = questions["border-case"]
    assert group["type"] == "group" and group["case"] == "A boat lands at night."
    assert [q["id"] for q in group["questions"]] == ["group-one", "group-two"]
    assert all("case" not in q for q in group["questions"])
    assert [p["id"] for p in group["questions"][0]["pairs"]] == ["ref", "sta"]
    assert group["questions"][1]["scoring"] == "all_or_nothing"


def test_comment_lines_are_ignored_even_inside_a_question():
    result = parse_gift("// first\n::c::A question\n// in the middle\ncontinues here.{TRUE####Yes.}\n// last\n",
                        **BASICS)
    assert result.problems == []
    assert result.questions[0]["stem"] == "A question\ncontinues here."


DESCRIPTION = "basics-the-next-two-questions-are-d9e946"


def test_every_construct_file_reports_exactly_its_unsupported_constructs(every):
    result, questions = every
    assert problem_list(result) == [
        (67, f"{UNNAMED}.id", "warning"),
        (71, "html-format", "warning"),
        (75, "basics-two-plus-two.id", "warning"),
        (77, "$CATEGORY", "warning"),
        (124, "negative-single.options[2]", "warning"),
        (128, DESCRIPTION, "warning"),
        (136, "essay.rubric", "warning"),
    ]
    flat = {c["id"]: c for q in questions.values() for c in q.get("questions", [q])}
    assert flat["essay"]["type"] == "essay" and flat["essay"]["rubric"][0]["id"] == "overall" and len(questions) == 29
    messages = {p.field: p.message for p in result.problems}
    assert "write the criteria" in messages["essay.rubric"] and "a description: imported as the case" in messages[DESCRIPTION]
    assert "Marsa scores a wrong choice 0" in messages["negative-single.options[2]"]
    assert result.skipped == []


def test_a_description_is_shown_with_the_questions_after_it():
    """Moodle shows a description between questions: Marsa makes it the case of a group holding the
    questions after it, up to the next description or $CATEGORY (or a question with its own case)."""
    result = parse_gift("Intro text.\n\n::a::First?{TRUE####A.}\n\n::b::Second?{FALSE####B.}\n\n"
                        "Another text.\n\n::c::Third?{TRUE####C.}\n\n$CATEGORY: x/B1.2\n\n::d::Fourth?{TRUE####D.}"
                        "\n\nA text with nothing after it.", **BASICS)
    shape = [(q["id"], q.get("case"), [c["id"] for c in q.get("questions", [])]) for q in result.questions]
    assert shape == [("basics-intro-text-e92e7b", "Intro text.", ["a", "b"]),
                     ("basics-another-text-fc4aad", "Another text.", ["c"]), ("d", None, [])]
    assert [(p.line, p.level) for p in result.problems] == [(1, "warning"), (7, "warning"), (15, "warning"), (15, "warning")]
    assert "no question after it" in result.problems[-1].message


def _scores(question: dict, responses) -> list[float]:
    definition = {**question, **REGISTRY[question["type"]].normalize(question, lambda *_: None)}
    return [score_response(definition, response) for response in responses]


def test_moodle_short_answers_keep_credit_feedback_and_wildcards(every):
    """As Moodle grades them: the first answer that matches counts, * matches any run of characters."""
    questions = every[1]
    assert questions["partial-short"]["accept"] == ["Refugee Convention", {"text": "Geneva Convention", "credit": 0.5}]
    assert questions["short-feedback"]["accept"] == [{"text": "UNHCR", "feedback": "Right, the UN Refugee Agency."}]
    assert questions["wildcard"]["accept"] == [
        {"text": "Fro*", "feedback": "A frog, yes."},
        {"text": "toad", "credit": 0.5, "feedback": "Toads croak too, but frogs are the answer."},
        {"text": "*", "credit": 0.0, "feedback": "No."}]
    assert _scores(questions["wildcard"], ["Frog", "frogs", "Toad", "a frog", "cat"]) == [1, 1, 0.5, 0, 0]
    assert _scores(questions["partial-short"], ["refugee convention", "Geneva Convention", "Geneva"]) == [1, 0.5, 0]


def test_moodle_numeric_answers_keep_each_tolerance_credit_and_feedback(every):
    questions = every[1]
    assert questions["partial-numeric"]["answers"] == [{"answer": 5}, {"answer": 5, "tolerance": 2, "credit": 0.5}]
    assert questions["numeric-feedback"]["answers"] == [{"answer": 3}, {"answer": "*", "feedback": "Count again."}]
    assert _scores(questions["partial-numeric"], ["5", "6.5", "7.5"]) == [1, 0.5, 0]
    assert _scores(questions["numeric-feedback"], ["3", "4"]) == [1, 0]


def test_unnamed_questions_keep_their_ids_when_a_question_is_inserted_before_them():
    first = parse_gift("Is A true?{TRUE####A.}\n\nIs B true?{FALSE####B.}", **BASICS)
    second = parse_gift("::new::Inserted?{TRUE####New.}\n\nIs A true?{TRUE####A.}\n\n// edited answers, same text\n"
                        "Is B true?{TRUE####B again.}", **BASICS)
    ids = [q["id"] for q in first.questions]
    assert [q["id"] for q in second.questions] == ["new"] + ids
    assert ids[0].startswith("basics-is-a-true-") and ids[0] != ids[1]
    arabic = parse_gift("::سؤال عربي::هل هذا صحيح؟{TRUE####نعم.}", **BASICS)
    assert arabic.questions[0]["id"].startswith("basics-") and "no Latin letters" in arabic.problems[0].message


def test_malformed_input_is_reported_on_its_line_and_the_question_left_out():
    result = parse_fixture("broken.gift")
    expected = [
        (3, "unclosed", "unclosed '{'"),
        (9, "no-arrow.pairs[2]", "needs 'prompt -> match'"),
        (13, "not-a-number.answer", "'five' is not a number"),
        (15, "reversed-range.answer", "MIN above MAX"),
        (17, "stray-brace", "'}' without an opening '{'"),
        (19, "question 6", "no closing '::'"),
        (21, "two-blocks", "a second answer block"),
        (25, "heavy.options[2]", "from -100% to 100%"),
        (28, "two-right.options", "exactly one correct option, found 2"),
        (30, "ids-mismatch.options", "names 2 options ids but the question has 3"),
        (33, "negative-tolerance.answer", "not a number >= 0"),
        (36, "no-match.pairs[1]", "no match after '->'"),
    ]
    assert [(p.line, p.field) for p in result.problems] == [(line, field) for line, field, _ in expected]
    for problem, (_, _, words) in zip(result.problems, expected):
        assert problem.level == "error" and words in problem.message
        assert str(problem).startswith(f"broken.gift:{problem.line}: {problem.field}: ")
    assert [q["id"] for q in result.questions] == ["still-fine"]


def test_a_question_without_general_feedback_is_imported_with_a_warning():
    result = parse_gift("\n::no-feedback::Is this imported?{TRUE}\n", "x.gift", **BASICS)
    assert [q["id"] for q in result.questions] == ["no-feedback"]
    assert "explanation" not in result.questions[0]
    assert [(p.line, p.field, p.level) for p in result.problems] == [(2, "no-feedback.explanation", "warning")]
    assert "requires an explanation" in result.problems[0].message


def test_a_question_without_any_objective_is_an_error():
    result = parse_gift("::q::Is this imported?{TRUE####No.}", "x.gift", module="basics")
    assert result.questions == []
    assert [(p.line, p.field) for p in result.errors] == [(1, "q.objectives")]


def test_imported_ids_never_reuse_ids_of_the_course():
    free = parse_gift("Free?{TRUE####Yes.}", **BASICS).questions[0]["id"]
    result = parse_gift("::b-q1::Taken?{TRUE####Yes.}\n\nFree?{TRUE####Yes.}", **BASICS,
                        taken_ids={"b-q1", free})
    assert [q["id"] for q in result.questions] == ["basics-b-q1", f"{free}-2"]
    assert [p.level for p in result.problems] == ["warning", "warning"]


def test_imported_yaml_passes_marsas_reader(every, course_copy):
    quiz_file = course_copy / "quizzes" / "basics.yaml"
    header = {k: v for k, v in yaml.safe_load(quiz_file.read_text()).items() if k != "questions"}
    quiz_file.write_text(dump_quiz_yaml(header, every[0].questions, "imported"), encoding="utf-8")
    package = read_package(course_copy)
    assert [str(p) for p in package.errors] == []
    quiz = package.quizzes[0]
    expected = [child["id"] for q in every[0].questions for child in (q["questions"] if q["type"] == "group" else [q])]
    assert [q.key for q in quiz.questions] == expected
    definitions = {q.key: q.definition for q in quiz.questions}
    assert definitions["with-case"]["case"] == {"en": '**At Salloum.** An officer calls a traveller an '
                                                      '"illegal migrant".'}
    assert definitions["group-two"]["group"] == "border-case"
    assert definitions["numeric-range"]["range"] == [1.0, 5.0]
    assert score_response(definitions["identity-documents"], ["a", "c"]) == pytest.approx(0.35)
    assert score_response(definitions["wildcard"], "Frogs") == 1 and score_response(definitions["wildcard"], "toad") == 0.5
    assert score_response(definitions["partial-numeric"], "6") == 0.5


# -- export, then import ----------------------------------------------------------------------

def english_package(tmp_path: Path, slug: str | None = None, quiz_yaml: str | None = None) -> Path:
    """A copy of the real course without its Arabic quiz overlays, optionally with one quiz replaced."""
    root = tmp_path / "course"
    shutil.copytree(REPO / "modules", root / "modules")
    shutil.copytree(REPO / "quizzes", root / "quizzes", ignore=shutil.ignore_patterns("*.*.yaml"))
    if slug:
        (root / "quizzes" / f"{slug}.yaml").write_text(quiz_yaml, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def english_real_package(tmp_path_factory):
    return read_package(english_package(tmp_path_factory.mktemp("before")))


def one_module_package(tmp_path: Path, slug: str, quiz_yaml: str) -> Path:
    """The module's own folder and the given quiz: enough to read the quiz against its objectives."""
    root = tmp_path / "course"
    (module_dir,) = (REPO / "modules").glob(f"[0-9][0-9]-{slug}")
    shutil.copytree(module_dir, root / "modules" / module_dir.name)
    (root / "quizzes").mkdir()
    (root / "quizzes" / f"{slug}.yaml").write_text(quiz_yaml, encoding="utf-8")
    return root


@pytest.mark.parametrize("slug", MODULE_SLUGS)
def test_export_then_import_gives_the_same_module_questions(tmp_path, slug, real_package, english_real_package):
    real = real_package
    quiz = next(q for q in real.quizzes if q.module_key == slug)  # with its Arabic overlay, if any
    text, messages = export_gift(quiz)
    result = parse_gift(text, f"{slug}.gift", module=slug,
                        objectives={k for m in real.modules for k, _ in m.objectives})
    assert result.errors == []

    before = next(q for q in english_real_package.quizzes if q.module_key == slug)
    quiz_file = REPO / "quizzes" / f"{slug}.yaml"
    header = {k: v for k, v in yaml.safe_load(quiz_file.read_text(encoding="utf-8")).items() if k != "questions"}
    after_root = one_module_package(tmp_path / "after", slug, dump_quiz_yaml(header, result.questions))
    after_package = read_package(after_root)
    assert [str(p) for p in after_package.errors if p.file == f"quizzes/{slug}.yaml"] == []
    after = next(q for q in after_package.quizzes if q.module_key == slug)

    ordering = [q.key for q in before.questions if q.definition["type"] == "ordering"]
    expected = {q.key: q.definition for q in before.questions if q.key not in ordering}
    assert {q.key: q.definition for q in after.questions} == expected
    assert [q.key for q in after.questions] == [k for k in (q.key for q in before.questions) if k in expected]
    not_exported = [m for m in messages if m.endswith("not exported")]
    assert not_exported == [f"{key}: ordering questions cannot be written in GIFT; not exported" for key in ordering]


def mini_quiz(course_copy: Path, quiz_yaml: str, overlay: str | None = None):
    (course_copy / "quizzes" / "basics.yaml").write_text(quiz_yaml, encoding="utf-8")
    if overlay:
        (course_copy / "quizzes" / "basics.ar.yaml").write_text(overlay, encoding="utf-8")
    package = read_package(course_copy)
    assert [str(p) for p in package.errors] == []
    return package.quizzes[0]


QUIZ_HEAD = "id: basics-quiz\nmodule: basics\ntitle: Basics quiz\nquestions:\n"


def test_export_writes_categories_names_weights_feedback_and_the_case(course_copy):
    quiz = read_package(course_copy).quizzes[0]
    text, messages = export_gift(quiz)
    assert messages == []
    blocks = [b.strip() for b in text.split("\n\n") if b.strip() and not b.startswith("//")]
    assert blocks[0] == "$CATEGORY: marsa/basics/B1.1"
    assert blocks[1].startswith("::b-q1::[markdown]Who has a legal definition in a treaty?{\n")
    assert "\t=A refugee#Yes, Art. 1A(2) of the 1951 Convention.\n" in blocks[1]
    assert blocks[2] == "$CATEGORY: marsa/basics/B1.2"
    assert "\t~%50%Migrant\n\t~%50%People on the move\n\t~%-100%Refugee#A legal status.\n" in blocks[3]
    assert blocks[3].endswith("\t####Migrant and people on the move are not legal categories.\n}")
    assert blocks[4] == ("::b-q3::[markdown]An officer at Salloum calls a traveller an illegal migrant.\\n\\n"
                         + CASE_MARKER.replace(":", "\\:") + "\\n\\nThe term \"illegal migrant\" is the neutral "
                         "term IOM recommends.{FALSE#IOM advises against it.#Right.####IOM prefers irregular.}")
    assert len(blocks) == 5  # one block per question: no blank line inside a question


def test_export_escapes_control_characters_and_they_come_back(course_copy):
    quiz = mini_quiz(course_copy, QUIZ_HEAD + """
  - id: b-q1
    type: single
    objectives: [B1.1]
    stem: |
      Braces {x}, ~tilde, a=b, #1: a\\path and a

      paragraph.
    options:
      - {id: a, text: "x = {y}", correct: true, feedback: "# not a heading: ~"}
      - {id: b, text: "10:30 ~ 11:00"}
    explanation: "Keep \\\\n and :: as text."
""")
    text, _ = export_gift(quiz)
    assert "Braces \\{x\\}, \\~tilde, a\\=b, \\#1\\: a\\\\path and a\\n\\nparagraph." in text
    result = parse_gift(text, **BASICS)
    assert result.problems == []
    question = result.questions[0]
    definition = quiz.questions[0].definition
    assert question["stem"] == definition["stem"]["en"] == "Braces {x}, ~tilde, a=b, #1: a\\path and a\n\nparagraph."
    assert question["options"][0] == {"id": "a", "text": "x = {y}", "correct": True, "feedback": "# not a heading: ~"}
    assert question["options"][1]["text"] == "10:30 ~ 11:00"
    assert question["explanation"] == "Keep \\n and :: as text."


def test_export_round_trips_points_scoring_ids_groups_numeric_and_short(course_copy):
    quiz = mini_quiz(course_copy, QUIZ_HEAD + """
  - id: b-q1
    type: multiple
    objectives: [B1.1, B1.2]
    points: 2
    scoring: all_or_nothing
    stem: Which are umbrella terms?
    options:
      - {id: migrant, text: Migrant, correct: true}
      - {id: people, text: People on the move, correct: true, weight: 0.75}
      - {id: refugee, text: Refugee, weight: -0.25}
      - {id: pass, text: Passenger, weight: 0}
    explanation: Two are umbrella terms.
  - id: b-g1
    type: group
    judgement: true
    case: A boat lands at night.
    questions:
      - {id: b-q2, type: numeric, objectives: [B1.1], stem: How many, answer: 12.5, tolerance: 0.5,
         explanation: Twelve and a half.}
      - {id: b-q3, type: numeric, objectives: [B1.1], stem: Which range, range: [-3, 7], explanation: Any.}
      - {id: b-q4, type: short, objectives: [B1.2], stem: Say it., accept: [irregular, "irregular migration"],
         explanation: Irregular.}
  - id: b-q5
    type: matching
    objectives: [B1.2]
    stem: Match.
    pairs:
      - {id: refugee, prompt: Refugee, match: "1951 Convention"}
      - {id: stateless, prompt: Stateless person, match: "1954 Convention"}
    distractors: ["1990 Convention"]
    explanation: Treaties.
""")
    text, messages = export_gift(quiz)
    assert "// marsa: options=migrant,people,refugee,pass points=2 scoring=all_or_nothing" in text
    assert "// marsa: judgement=true group=b-g1" in text
    assert "$CATEGORY: marsa/basics/B1.1+B1.2" in text
    assert any("all-or-nothing" in m for m in messages) and any("2 points" in m for m in messages)
    result = parse_gift(text, **BASICS)
    assert result.errors == []
    after = mini_quiz(course_copy, dump_quiz_yaml({"id": "basics-quiz", "module": "basics", "title": "Basics quiz"},
                                                  result.questions))
    assert [q.definition for q in after.questions] == [q.definition for q in quiz.questions]


def test_export_round_trips_moodle_short_and_numeric_answers(course_copy):
    """Credit, feedback, wildcards and '*' answers are written as Moodle writes them and come back."""
    quiz = mini_quiz(course_copy, QUIZ_HEAD + """
  - id: b-q1
    type: short
    objectives: [B1.1]
    stem: Which animal croaks?
    accept:
      - {text: "Fro*", feedback: "A frog, yes."}
      - {text: toad, credit: 0.5}
      - {text: "*", credit: 0, feedback: "No."}
    explanation: Frogs.
  - id: b-q2
    type: numeric
    objectives: [B1.1]
    stem: When was Grant born?
    answers:
      - {answer: 1822, feedback: "Right: 1822."}
      - {answer: 1822, tolerance: 2, credit: 0.5, feedback: Close.}
      - {range: [1800, 1850], credit: 0.1}
      - {answer: "*", feedback: Completely wrong.}
    explanation: 27 April 1822.
""")
    text, messages = export_gift(quiz)
    assert messages == []
    assert "\t=Fro*#A frog, yes.\n\t=%50%toad\n\t=%0%*#No.\n" in text
    assert ("{#\n\t=%100%1822#Right\\: 1822.\n\t=%50%1822:2#Close.\n\t=%10%1800..1850\n"
            "\t~#Completely wrong.\n\t####27 April 1822.\n}") in text
    result = parse_gift(text, **BASICS)
    assert result.problems == []
    after = mini_quiz(course_copy, dump_quiz_yaml({"id": "basics-quiz", "module": "basics", "title": "Basics quiz"},
                                                  result.questions))
    assert [q.definition for q in after.questions] == [q.definition for q in quiz.questions]


def test_an_arabic_overlay_translates_answer_feedback_and_adds_accepted_answers(course_copy):
    quiz = mini_quiz(course_copy, QUIZ_HEAD + """
  - {id: b-q1, type: short, objectives: [B1.1], stem: "Which animal croaks?", explanation: Frogs.,
     accept: [{text: "Fro*", feedback: "A frog, yes."}, {text: "*", credit: 0, feedback: "No."}]}
  - id: b-q2
    type: numeric
    objectives: [B1.1]
    stem: Which year?
    answers:
      - {answer: 2000}
      - {answer: "*", feedback: Completely wrong.}
    explanation: 2000.
""", overlay="""questions:
  b-q1:
    accept: [ضفدع]
    answer_feedback: [نعم، الضفدع., لا.]
  b-q2:
    answer_feedback: [null, خطأ تماما.]
""")
    short, numeric = (q.definition for q in quiz.questions)
    assert [a["feedback"] for a in short["answers"]] == [{"en": "A frog, yes.", "ar": "نعم، الضفدع."},
                                                         {"en": "No.", "ar": "لا."}]
    assert score_response(short, "الضفدع") == 0 and score_response(short, "ضفدع") == 1  # before the catch-all
    assert numeric["answers"][1]["feedback"] == {"en": "Completely wrong.", "ar": "خطأ تماما."}
    (course_copy / "quizzes" / "basics.ar.yaml").write_text(
        "questions:\n  b-q1:\n    accept: [{text: ضفدع, credit: 0.5}]\n", encoding="utf-8")
    problems = [str(p) for p in read_package(course_copy).errors]
    assert any("basics.ar.yaml:3: b-q1.accept: translated accepted answers are texts" in p for p in problems)


def test_export_leaves_out_ordering_and_arabic_and_says_so_once(course_copy):
    quiz = mini_quiz(course_copy, QUIZ_HEAD + """
  - {id: b-q1, type: truefalse, objectives: [B1.1], stem: A refugee has a treaty definition., answer: true,
     explanation: Art. 1A(2).}
  - id: b-q2
    type: ordering
    objectives: [B1.2]
    stem: Order the steps.
    items: [{id: a, text: First}, {id: b, text: Second}, {id: c, text: Third}]
    explanation: In this order.
  - {id: b-q3, type: short, objectives: [B1.2], stem: One word, accept: [migrant], explanation: Migrant.}
""", overlay="""questions:
  b-q1: {stem: للاجئ تعريف في معاهدة., explanation: المادة 1أ(2).}
  b-q3: {stem: كلمة واحدة؟, accept: [مهاجر], explanation: مهاجر.}
""")
    text, messages = export_gift(quiz)
    assert "::b-q1::" in text and "::b-q3::" in text and "::b-q2::" not in text
    assert "{=migrant####Migrant.}" in text
    assert not any("\u0600" <= char <= "\u06ff" for char in text)
    assert messages == ["b-q2: ordering questions cannot be written in GIFT; not exported",
                        "Arabic (ar) translations are not exported: a GIFT file holds one language, English."]


# -- the commands ----------------------------------------------------------------------------

@pytest.fixture
def runner(app, course_copy):
    app.config["COURSE_DIR"] = str(course_copy)
    if "quiz" not in app.cli.commands:
        quiz_commands.register(app)
    return app.test_cli_runner()


def test_import_refuses_to_replace_a_quiz_unless_forced(runner, course_copy):
    quiz_file = course_copy / "quizzes" / "basics.yaml"
    original = quiz_file.read_text()
    source = course_copy.parent / "new.gift"
    source.write_text("::other::Default objective?{FALSE####No.}\n\n"
                      "$CATEGORY: marsa/basics/B1.2\n\n::b-q9::Is it new?{TRUE####Yes.}\n", encoding="utf-8")
    refused = runner.invoke(args=["quiz", "import-gift", str(source), "--module", "basics"])
    assert refused.exit_code == 1 and "exists; use --force" in refused.output
    assert quiz_file.read_text() == original

    done = runner.invoke(args=["quiz", "import-gift", str(source), "--module", "basics", "--force"])
    assert done.exit_code == 0, done.output
    assert "Wrote 2 questions (2 truefalse)" in done.output
    assert "got B1.1, the module's first objective" in done.output
    assert "3 question(s) of the replaced quiz are not in the import and will be retired" in done.output
    assert "b-q1, b-q2, b-q3" in done.output
    package = read_package(course_copy)
    assert package.errors == []
    quiz = package.quizzes[0]
    assert quiz.key == "basics-quiz" and quiz.settings["pass_mark"] == 60  # the quiz's own settings kept
    assert [(q.key, q.definition["objectives"]) for q in quiz.questions] == [("other", ["B1.1"]),
                                                                             ("b-q9", ["B1.2"])]


def test_import_with_errors_prints_file_line_field_and_writes_nothing(runner, course_copy):
    target = course_copy / "quizzes" / "new.yaml"
    broken = str(GIFT / "broken.gift")
    result = runner.invoke(args=["quiz", "import-gift", broken, "--module", "basics", "-o", str(target)])
    assert result.exit_code == 1
    assert f"{broken}:3: unclosed: unclosed '{{'" in result.output
    assert f"{broken}:9: no-arrow.pairs[2]: a matching pair needs 'prompt -> match'" in result.output
    assert "nothing written: 12 error(s)" in result.output
    assert not target.exists()


def test_skip_unsupported_writes_the_rest_and_lists_what_it_left_out(runner, course_copy):
    target = course_copy / "quizzes" / "new.yaml"
    broken = str(GIFT / "broken.gift")
    result = runner.invoke(args=["quiz", "import-gift", broken, "--module", "basics", "-o", str(target),
                                 "--skip-unsupported"])
    assert result.exit_code == 0, result.output
    assert f"{broken}:3: unclosed: unclosed '{{'" in result.output  # every problem still printed
    assert "Wrote 1 questions (1 truefalse)" in result.output
    assert (f"Skipped 12 question(s) with errors (listed above): unclosed ({broken}:3), no-arrow ({broken}:7)"
            in result.output)
    assert f"question 6 ({broken}:19)" in result.output
    assert [q["id"] for q in yaml.safe_load(target.read_text())["questions"]] == ["still-fine"]


def test_import_checks_module_and_objective(runner, tmp_path):
    source = tmp_path / "q.gift"
    source.write_text("::q::Fine?{TRUE####Yes.}", encoding="utf-8")
    unknown = runner.invoke(args=["quiz", "import-gift", str(source), "--module", "nowhere"])
    assert unknown.exit_code == 1 and "no module 'nowhere'" in unknown.output
    foreign = runner.invoke(args=["quiz", "import-gift", str(source), "--module", "basics", "--objective", "M1.1",
                                  "-o", str(tmp_path / "out.yaml")])
    assert foreign.exit_code == 1 and "'M1.1' is not an objective of module 'basics'" in foreign.output
    assert not (tmp_path / "out.yaml").exists()


def test_export_command_then_import_command_gives_the_same_quiz(runner, course_copy, tmp_path):
    before = read_package(course_copy).quizzes[0]
    gift_file = tmp_path / "basics.gift"
    exported = runner.invoke(args=["quiz", "export-gift", "basics", "-o", str(gift_file)])
    assert exported.exit_code == 0, exported.output
    assert "Wrote 3 of 3 questions of basics-quiz" in exported.output
    to_stdout = runner.invoke(args=["quiz", "export-gift", "basics"])
    assert to_stdout.stdout.strip() == gift_file.read_text().strip()
    imported = runner.invoke(args=["quiz", "import-gift", str(gift_file), "--module", "basics", "--force"])
    assert imported.exit_code == 0, imported.output
    after = read_package(course_copy).quizzes[0]
    assert [q.definition for q in after.questions] == [q.definition for q in before.questions]
    assert after.settings == before.settings


def test_export_command_refuses_a_broken_package(runner, course_copy):
    quiz_file = course_copy / "quizzes" / "basics.yaml"
    quiz_file.write_text(quiz_file.read_text().replace("type: multiple", "type: multi"))
    result = runner.invoke(args=["quiz", "export-gift", "basics"])
    assert result.exit_code == 1 and "unknown question type 'multi'" in result.output
    assert "::b-q1::" not in result.output


# -- Moodle XML ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bank():
    from course.interchange.moodle_xml import parse_moodle_xml
    result = parse_moodle_xml((GIFT / "bank.xml").read_bytes(), "bank.xml", **BASICS)
    return result, {q["id"]: q for q in result.questions}


def test_moodle_xml_imports_the_same_types_as_gift_with_lines(bank):
    result, questions = bank
    assert problem_list(result) == [
        (15, "colour.file", "warning"), (26, "colour.options[2]", "warning"), (9, "colour", "warning"),
        (76, "calculated", "error"), (80, "intro", "warning")]
    assert result.skipped == [("calculated", 76)]
    assert list(questions) == ["colour", "umbrella", "tf", "frog", "grant", "match", "intro"]
    assert questions["intro"]["case"] == "The next questions are about treaties."  # a description
    colour = questions["colour"]
    assert colour["objectives"] == ["B1.2"] and colour["points"] == 2  # category .../B1.2, defaultgrade 2
    assert colour["explanation"] == "Yellow is **between** them."  # <p> and <b> become Markdown
    assert colour["options"][0] == {"id": "a", "text": "yellow", "correct": True, "feedback": "right; good!"}
    assert colour["options"][1]["weight"] == -0.5
    assert [o.get("correct", False) for o in questions["umbrella"]["options"]] == [True, True, False]
    assert questions["tf"]["answer"] is False and questions["tf"]["feedback"] == {"true": "Wrong.", "false": "Right."}
    assert questions["frog"]["accept"] == [{"text": "Fro*", "feedback": "Yes."}, {"text": "toad", "credit": 0.5},
                                           {"text": "*", "credit": 0.0, "feedback": "No."}]
    assert questions["grant"]["answers"] == [{"answer": 1822, "feedback": "Right."},
                                             {"answer": 1822, "tolerance": 2, "credit": 0.5, "feedback": "Close."},
                                             {"answer": "*", "feedback": "Completely wrong."}]
    assert questions["match"]["distractors"] == ["1990 Convention"]
    assert _scores(questions["frog"], ["Frogs", "toad", "cat"]) == [1, 0.5, 0]


def test_moodle_xml_the_same_as_gift_reads_the_same_question(bank):
    """One question written both ways gives one question dict."""
    gift = parse_gift("$CATEGORY: $course$/top/B1.2\n\n::Frog::Which animal croaks?{=Fro*#Yes. =%50%toad "
                      "=%0%*#No.####Frogs croak.}", **BASICS)
    assert gift.questions[0] == bank[1]["frog"]


@pytest.mark.parametrize("xml, line, words", [
    ('<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<quiz>&b;</quiz>',
     2, "refused"),
    ('<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<quiz>&x;</quiz>', 2,
     "refused"),
    ('<?xml version="1.0"?>\n<quiz>\n<question type="truefalse">\n</quiz>', 4, "not well-formed"),
    ('<?xml version="1.0"?>\n<questions/>', 2, "starts with <quiz>"),
])
def test_moodle_xml_refuses_entities_external_references_and_broken_files(xml, line, words):
    from course.interchange.moodle_xml import parse_moodle_xml
    result = parse_moodle_xml(xml.encode(), "bad.xml", **BASICS)
    assert result.questions == [] and len(result.errors) == 1 and words in result.errors[0].message
    assert (result.errors[0].line, result.errors[0].field) == (line, "xml")


def test_import_moodle_xml_command_writes_a_quiz_the_reader_accepts(runner, course_copy):
    target = course_copy / "quizzes" / "basics.yaml"
    refused = runner.invoke(args=["quiz", "import-moodle-xml", str(GIFT / "bank.xml"), "--module", "basics",
                                  "--force"])
    assert refused.exit_code == 1 and "nothing written: 1 error(s)" in refused.output
    done = runner.invoke(args=["quiz", "import-moodle-xml", str(GIFT / "bank.xml"), "--module", "basics",
                               "--force", "--skip-unsupported"])
    assert done.exit_code == 0, done.output
    assert "Wrote 7 questions" in done.output and "Skipped 1 question(s)" in done.output
    assert f"calculated ({GIFT / 'bank.xml'}:76)" in done.output
    assert "import-moodle-xml" in target.read_text()
    package = read_package(course_copy)
    assert [str(p) for p in package.errors] == []
    assert [q.key for q in package.quizzes[0].questions][:2] == ["colour", "umbrella"]
