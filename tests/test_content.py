"""The real course package: six modules, written, sourced and quizzed to the curriculum's rules."""
import re
from collections import Counter

import pytest

from course.config import REPO_ROOT
from tests.conftest import load_package

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


@pytest.fixture(scope="module")
def package(real_package):
    return real_package


REFERENCES = re.compile(r"^## References[ \t]*$.*?(?=^## |\Z)|^::: references[ \t]*$.*?^:::[ \t]*$", re.M | re.S)


def words(markdown: str) -> int:
    return len(WORD.findall(markdown))


def lesson_words(markdown: str) -> int:
    """Words of a lesson's text, its references (a "## References" section or box) left out."""
    return words(REFERENCES.sub("", markdown))


def module_quiz(package, module):
    return next(q for q in package.quizzes if q.module_key == module.key)


def test_package_is_clean_without_warnings(package):
    assert [str(p) for p in package.problems] == []


def test_six_modules_in_order(package):
    assert [m.key for m in sorted(package.modules, key=lambda m: m.position)] == [
        "terminology", "ibm", "migration-law", "trafficking-smuggling", "gender", "nrm"]


@pytest.mark.parametrize("index", range(6))
def test_module_has_4_to_6_lessons_and_2500_to_4500_words(package, index):
    module = sorted(package.modules, key=lambda m: m.position)[index]
    assert 4 <= len(module.lessons) <= 6
    total = sum(lesson_words(lesson.texts["en"][0]) for lesson in module.lessons)
    assert 2500 <= total <= 4500, f"{module.key}: {total} words, references excluded"


def test_lesson_words_leave_the_references_out():
    text = "One two.\n\n::: references\n- Ref one.\n:::\n\nThree.\n\n## References\n\n- A. B, C (2020).\n- D.\n"
    assert lesson_words(text) == 3
    assert lesson_words("Body words here.\n\n## References\n\n- X.\n\n## After\n\nTwo more.") == 6


@pytest.mark.parametrize("index", range(6))
def test_module_has_objectives_key_terms_scenarios_summary_and_references(package, index):
    module = sorted(package.modules, key=lambda m: m.position)[index]
    bodies = "\n".join(lesson.texts["en"][0] for lesson in module.lessons)
    assert len(module.objectives) >= 4
    assert "::: key-terms" in bodies
    assert bodies.count("::: scenario") >= 2
    assert "::: summary" in bodies
    assert "## References" in bodies
    assert re.search(r"(Salloum|Alexandria|Port Said|Cairo|Borg El Arab|Arqin|Damietta)", bodies)


@pytest.mark.parametrize("index", range(6))
def test_module_quiz_rules(package, index):
    module = sorted(package.modules, key=lambda m: m.position)[index]
    quiz = module_quiz(package, module)
    questions = [q.definition for q in quiz.questions]
    assert len(questions) >= 20
    assert sum(1 for q in questions if q.get("case")) >= 5, "at least five scenario questions"
    assert len({q["type"] for q in questions}) >= 3, "a mix of question types"
    declared = {key for key, _ in module.objectives}
    per_objective = Counter(o for q in questions for o in q["objectives"])
    assert set(per_objective) <= declared
    assert all(per_objective[o] >= 2 for o in declared), per_objective
    for q in questions:
        assert q["explanation"]["en"], q["id"]
        if q["type"] in ("single", "multiple"):
            wrong = [o for o in q["options"] if not o["correct"]]
            assert all(o.get("feedback") for o in wrong), f"{q['id']}: feedback on every wrong option"


RED_SEA_AND_SINAI = re.compile(r"(Safaga|Nuweiba|Ain Sokhna|Hurghada|Sharm El Sheikh|Taba)")


@pytest.mark.parametrize("index", range(6))
def test_at_least_40_percent_of_each_module_quiz_is_judgement(package, index):
    """Marked judgement questions are cases in which the customs officer decides what to do next."""
    module = sorted(package.modules, key=lambda m: m.position)[index]
    questions = [q.definition for q in module_quiz(package, module).questions]
    judgement = [q for q in questions if q.get("judgement")]
    assert len(judgement) >= 0.4 * len(questions), f"{module.key}: {len(judgement)} of {len(questions)}"
    assert all(q.get("case") for q in judgement)
    # New settings, not the same two crossing points: each quiz has cases at Red Sea or Sinai ports.
    assert any(RED_SEA_AND_SINAI.search(q["case"]["en"]) for q in judgement), module.key


def full_stem(definition: dict) -> str:
    """A scenario question's stem is its case plus its question ("What do you do?" alone is not a stem)."""
    case = (definition.get("case") or {}).get("en", "")
    return f"{case}\n{definition['stem']['en']}".strip().lower()


def test_no_duplicate_stems_anywhere(package):
    stems = Counter(full_stem(q.definition) for q in all_questions(package))
    assert [s for s, n in stems.items() if n > 1] == []


def keyed_texts(definition: dict) -> set[str]:
    return {o["text"]["en"].strip().lower() for o in definition.get("options", []) if o["correct"]}


def all_questions(package):
    """Every question of the course: the quizzes' own and the banks'."""
    return [q for quiz in package.quizzes for q in quiz.questions] + [q for bank in package.banks for q in bank.questions]


def test_pre_and_post_tests_draw_matched_pairs_covering_every_objective(package):
    """The pre-test and the post-test draw one item of each pool of one bank; the two items of a pool
    test the same objectives with the same kind of item (type, scenario or not, judgement or not) and
    different content, so that knowledge gain compares like with like whichever item each form drew."""
    forms = {q.kind: q for q in package.quizzes if q.kind in ("pre-test", "post-test")}
    assert set(forms) == {"pre-test", "post-test"}
    assert forms["pre-test"].settings["bank"] == forms["post-test"].settings["bank"]
    bank = next(b for b in package.banks if b.key == forms["pre-test"].settings["bank"])
    pools: dict[str, list] = {}
    for question in bank.questions:
        pools.setdefault(question.definition["pool"], []).append(question)
    assert len(pools) == 30 and all(len(items) == 2 for items in pools.values())
    for form in forms.values():
        assert form.questions == [] and form.settings["draw"] == dict.fromkeys(pools, 1)
    objective_module = {key: m.key for m in package.modules for key, _ in m.objectives}
    # A paper takes one item of every pool: the pools, whichever item is drawn, cover every module
    # five times and all 36 objectives.
    per_module = Counter(objective_module[items[0].definition["objectives"][0]] for items in pools.values())
    assert set(per_module.values()) == {5} and len(per_module) == 6
    assert {o for items in pools.values() for o in items[0].definition["objectives"]} == set(objective_module)
    # No item cues another on any paper: items of different pools never share a keyed answer.
    for pool, items in pools.items():
        others = {text for other, rest in pools.items() if other != pool for q in rest
                  for text in keyed_texts(q.definition)}
        for item in items:
            assert not keyed_texts(item.definition) & others, item.key
    for a, b in pools.values():
        first, second = a.definition, b.definition
        assert first["objectives"] == second["objectives"], (a.key, b.key)
        assert first["type"] == second["type"], (a.key, b.key)
        assert bool(first.get("case")) == bool(second.get("case")), (a.key, b.key)
        assert bool(first.get("judgement")) == bool(second.get("judgement")), (a.key, b.key)
        assert len(first.get("options", [])) == len(second.get("options", [])), (a.key, b.key)
        assert full_stem(first) != full_stem(second), (a.key, b.key)


def test_every_scenario_case_is_set_somewhere_real(package):
    for q in all_questions(package):
        if q.definition.get("case"):
            assert len(q.definition["case"]["en"]) > 60, q.key


def test_whole_course_loads_into_the_database(app):
    summary = load_package(app, REPO_ROOT)
    assert len(summary.added["modules"]) == 6
    assert len(summary.added["questions"]) >= 6 * 20 + 60
    assert not load_package(app, REPO_ROOT).has_changes


def test_every_lesson_and_question_is_in_arabic(package):
    for module in package.modules:
        assert module.title.get("ar"), module.key
        assert all(text.get("ar") for _, text in module.objectives), module.key
        for lesson in module.lessons:
            assert "ar" in lesson.texts and lesson.title.get("ar"), lesson.key
    for quiz in package.quizzes:
        assert quiz.title.get("ar"), quiz.key
    for question in all_questions(package):
        definition = question.definition
        assert definition["stem"].get("ar") and definition["explanation"].get("ar"), question.key
        for option in definition.get("options", []):
            assert option["text"].get("ar"), (question.key, option["id"])


def key_positions(definition: dict) -> list[int]:
    return [index for index, option in enumerate(definition["options"]) if option["correct"]]


@pytest.mark.parametrize("quiz_key", ["terminology-quiz", "ibm-quiz", "migration-law-quiz",
                                      "trafficking-smuggling-quiz", "gender-quiz", "nrm-quiz",
                                      "course-tests"])
def test_keyed_answers_are_spread_over_option_positions(package, quiz_key):
    """A learner who always picks the same letter must not do well: keys use every position, none dominates.
    ``course-tests`` is the bank the pre-test and the post-test draw from."""
    quiz = next((q for q in package.quizzes if q.key == quiz_key), None) or \
        next(b for b in package.banks if b.key == quiz_key)
    definitions = [q.definition for q in quiz.questions]
    singles = [key_positions(d)[0] for d in definitions if d["type"] == "single"]
    per_position = Counter(singles)
    assert set(per_position) == {0, 1, 2, 3}, f"{quiz_key}: single-choice keys at {sorted(per_position)}"
    assert max(per_position.values()) <= 0.35 * len(singles), f"{quiz_key}: {dict(per_position)}"
    multiples = [tuple(key_positions(d)) for d in definitions if d["type"] == "multiple"]
    leading = [keys for keys in multiples if keys == tuple(range(len(keys)))]
    assert len(leading) <= len(multiples) // 2, f"{quiz_key}: multiple-response keys {multiples}"
    assert len(set(multiples)) > 1 or len(multiples) < 2, f"{quiz_key}: every multiple response keyed {multiples}"
    true_false = [d["answer"] for d in definitions if d["type"] == "truefalse"]
    if len(true_false) >= 3:
        assert set(true_false) == {True, False}, f"{quiz_key}: every true/false keyed {true_false[0]}"
