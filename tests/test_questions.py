"""Scoring of every question type, called directly: no Flask, no database."""
import pytest

from course.questions import get_type, normalize_answer_text, score_response


def normalized(raw):
    problems = []
    definition = get_type(raw["type"]).normalize(raw, lambda field, msg: problems.append((field, msg)))
    assert problems == []
    return {"id": "q", "type": raw["type"], "points": 1, **definition}


SINGLE = normalized({"type": "single", "options": [
    {"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B"}]})
MULTI = normalized({"type": "multiple", "options": [
    {"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B", "correct": True},
    {"id": "c", "text": "C"}, {"id": "d", "text": "D"}]})


def test_single_choice_scores_only_the_key():
    assert score_response(SINGLE, "a") == 1.0
    assert score_response(SINGLE, "b") == 0.0
    assert score_response(SINGLE, None) == 0.0


def test_single_choice_ignores_a_forged_option():
    assert get_type("single").check_response(SINGLE, "zzz") is not None
    assert score_response(SINGLE, "zzz") == 0.0


@pytest.mark.parametrize("chosen, expected", [
    (["a", "b"], 1.0), (["a"], 0.5), (["a", "c"], 0.0), (["a", "b", "c"], 0.5), (["c", "d"], 0.0), ([], 0.0)])
def test_multiple_response_partial_credit_never_below_zero(chosen, expected):
    assert score_response(MULTI, chosen) == pytest.approx(expected)


def test_multiple_response_all_or_nothing():
    definition = {**MULTI, "scoring": "all_or_nothing"}
    assert score_response(definition, ["a", "b"]) == 1.0
    assert score_response(definition, ["a"]) == 0.0


def test_multiple_response_explicit_negative_weight():
    definition = normalized({"type": "multiple", "options": [
        {"id": "a", "text": "A", "correct": True, "weight": 1},
        {"id": "b", "text": "B", "weight": -0.25}, {"id": "c", "text": "C"}]})
    assert score_response(definition, ["a", "b"]) == pytest.approx(0.75)
    assert score_response(definition, ["b"]) == 0.0


def test_true_false():
    definition = normalized({"type": "truefalse", "answer": False})
    assert score_response(definition, False) == 1.0
    assert score_response(definition, True) == 0.0
    assert score_response(definition, "false") == 0.0  # only real booleans are answers


def test_matching_partial_credit_per_pair():
    definition = normalized({"type": "matching", "pairs": [
        {"id": "p1", "prompt": "Refugee", "match": "1951 Convention"},
        {"id": "p2", "prompt": "Stateless person", "match": "1954 Convention"},
        {"id": "p3", "prompt": "IDP", "match": "Guiding Principles"}], "distractors": ["UNTOC"]})
    assert score_response(definition, {"p1": "p1", "p2": "p2", "p3": "p3"}) == 1.0
    assert score_response(definition, {"p1": "p1", "p2": "p3", "p3": "x1"}) == pytest.approx(1 / 3)


def test_ordering_credit_by_correct_positions():
    definition = normalized({"type": "ordering", "items": [
        {"id": "a", "text": "Identify"}, {"id": "b", "text": "Refer"}, {"id": "c", "text": "Protect"},
        {"id": "d", "text": "Assist"}]})
    assert score_response(definition, ["a", "b", "c", "d"]) == 1.0
    assert score_response(definition, ["a", "b", "d", "c"]) == 0.5
    assert get_type("ordering").check_response(definition, ["a", "b"]) is not None


@pytest.mark.parametrize("given", [
    "Non-Refoulement", "  non-refoulement. ", "NON-REFOULEMENT"])
def test_short_answer_ignores_case_and_spacing(given):
    definition = normalized({"type": "short", "accept": ["non-refoulement"]})
    assert score_response(definition, given) == 1.0


@pytest.mark.parametrize("given", [
    "عدم الإعادة القسرية",        # with hamza under alef
    "عدم الاعادة القسريه",         # plain alef, ha for ta marbuta
    "عَدَمُ الإِعادَةِ القَسْرِيَّة",  # with diacritics
    "عدم الإعـــادة القسرية",      # with tatweel
])
def test_short_answer_normalises_arabic_spelling(given):
    definition = normalized({"type": "short", "accept": ["عدم الإعادة القسرية"]})
    assert score_response(definition, given) == 1.0


def test_arabic_normalisation_folds_alef_maqsura():
    assert normalize_answer_text("مستشفى") == normalize_answer_text("مستشفي")


def test_short_answer_rejects_a_different_word():
    definition = normalized({"type": "short", "accept": ["refugee"]})
    assert score_response(definition, "migrant") == 0.0


@pytest.mark.parametrize("given, expected", [("18", 1.0), ("18.4", 1.0), ("19", 0.0), ("١٨", 1.0), ("abc", 0.0)])
def test_numeric_with_tolerance(given, expected):
    definition = normalized({"type": "numeric", "answer": 18, "tolerance": 0.5})
    assert score_response(definition, given) == expected


def test_numeric_range():
    definition = normalized({"type": "numeric", "range": [10, 20]})
    assert score_response(definition, "15") == 1.0
    assert score_response(definition, "21") == 0.0


def test_normalize_reports_a_single_choice_without_a_key():
    problems = []
    get_type("single").normalize({"type": "single", "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]},
                                 lambda field, msg: problems.append((field, msg)))
    assert problems and "exactly one correct option" in problems[0][1]


def test_single_choice_weighted_option_earns_partial_credit():
    definition = normalized({"type": "single", "options": [
        {"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B", "weight": 0.5},
        {"id": "c", "text": "C", "weight": -1}]})
    assert score_response(definition, "b") == 0.5
    assert score_response(definition, "c") == 0.0


SHORT_MOODLE = normalized({"type": "short", "accept": [
    {"text": "Fro*", "feedback": "Yes."}, {"text": "Ca*", "credit": 0.5, "feedback": "A cat is not an amphibian."},
    "toad", {"text": "حَ*", "credit": 0.25}, {"text": "*", "credit": 0, "feedback": {"en": "No.", "ar": "لا."}}]})


@pytest.mark.parametrize("given, credit, feedback", [
    ("Frog", 1.0, "Yes."), ("fro", 1.0, "Yes."), ("FROGS ", 1.0, "Yes."), ("a frog", 0.0, "No."),
    ("Cat", 0.5, "A cat is not an amphibian."), ("TOAD.", 1.0, None), ("حمار", 0.25, None),
    ("حِمار", 0.25, None), ("dog", 0.0, "No.")])
def test_short_answer_wildcards_credit_and_feedback_follow_moodle(given, credit, feedback):
    """Moodle's short answer: the first answer that matches counts; * is any run of characters and the
    pattern covers the whole answer; case, spacing and Arabic spelling are folded as before."""
    from course.questions import answer_feedback
    assert score_response(SHORT_MOODLE, given) == credit
    assert (answer_feedback(SHORT_MOODLE, given) or {}).get("en") == feedback
    assert SHORT_MOODLE["accept"] == ["Fro*", "toad"]  # full-credit answers, for the answer key


def test_short_answer_escaped_asterisk_is_literal():
    definition = normalized({"type": "short", "accept": ["5 \\* 3"]})
    assert score_response(definition, "5 * 3") == 1.0 and score_response(definition, "5 x 3") == 0.0


def test_short_answer_translation_answers_are_not_hidden_by_a_catch_all():
    """An Arabic overlay adds full-credit texts to accept: they count before '*' (credit 0)."""
    definition = {**SHORT_MOODLE, "accept": SHORT_MOODLE["accept"] + ["ضفدع"]}
    assert score_response(definition, "ضفدع") == 1.0


NUMERIC_MOODLE = normalized({"type": "numeric", "answers": [
    {"answer": 3, "tolerance": 0, "feedback": "Exactly."}, {"answer": 3, "tolerance": 2, "credit": 0.5},
    {"range": [10, 20], "credit": 0.2, "feedback": "Far."}, {"answer": "*", "feedback": "Completely wrong"}]})


@pytest.mark.parametrize("given, credit, feedback", [
    ("3", 1.0, "Exactly."), ("4.5", 0.5, None), ("1", 0.5, None), ("15", 0.2, "Far."), ("9", 0.0, "Completely wrong"),
    ("abc", 0.0, None)])
def test_numeric_answers_each_with_tolerance_credit_and_feedback(given, credit, feedback):
    from course.questions import answer_feedback
    assert score_response(NUMERIC_MOODLE, given) == credit
    assert (answer_feedback(NUMERIC_MOODLE, given) or {}).get("en") == feedback
    assert (NUMERIC_MOODLE["answer"], NUMERIC_MOODLE["tolerance"]) == (3, 0)  # the key shown to officers


@pytest.mark.parametrize("raw, message", [
    ({"type": "short", "accept": [{"text": "x", "credit": 0.5}]}, "at least one answer with full credit"),
    ({"type": "short", "accept": [{"text": "x", "credit": 2}]}, "from 0 to 1"),
    ({"type": "short", "accept": [{"credit": 1}]}, "is required"),
    ({"type": "numeric", "answers": [{"answer": 1, "credit": 0.5}]}, "at least one answer with full credit"),
    ({"type": "numeric", "answers": [{"answer": "one"}]}, "must be a number"),
    ({"type": "numeric", "answer": 1, "answers": [{"answer": 1}]}, "not both"),
    ({"type": "numeric", "answers": [{"range": [5, 1]}]}, "MIN <= MAX"),
])
def test_moodle_style_answers_are_checked(raw, message):
    problems = []
    get_type(raw["type"]).normalize(raw, lambda field, msg: problems.append(msg))
    assert any(message in p for p in problems), problems
