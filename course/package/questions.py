"""Questions, wherever they are written (a quiz or a bank): the fields every question shares, then
the type's own (``course.questions``), scenario groups, the Arabic overlay of a quiz or bank file,
and the warning when the keyed answers cluster on one position."""
from __future__ import annotations

from pathlib import Path

from course.package.fields import Reporter, id_field, read_yaml_file, text_field
from course.package.model import ID_RE, QuestionData, question_source_hash
from course.package.yamlio import LineDict
from course.questions import REGISTRY


def _judgement_field(raw, path: Path, report: Reporter, label: str) -> bool | None:
    """``judgement: true`` marks a question that asks the officer to decide what to do in a case."""
    value = raw.get("judgement", False)
    if not isinstance(value, bool):
        report(path, raw.line_of("judgement"), f"{label}.judgement", "must be true or false")
        return None
    return value


def read_question(raw, path: Path, report: Reporter, claim, objectives: dict, label: str,
                   group: str | None = None, case: dict | None = None,
                   judgement: bool = False) -> list[QuestionData]:
    if not isinstance(raw, LineDict):
        report(path, 1, label, "must be a mapping of question fields")
        return []

    def field_report(field_name: str, message: str) -> None:
        report(path, raw.line_of(field_name.split(".")[0].split("[")[0]), f"{label}.{field_name}", message)

    key = id_field(raw, "id", path, report)
    if key:
        label = key
        if not claim("question", key, path, raw.line_of("id")):
            return []
    qtype = raw.get("type")
    if qtype == "group":
        if group:
            report(path, raw.line_of("type"), f"{label}.type", "a group cannot contain another group")
            return []
        group_case = text_field(raw, "case", path, report)
        group_judgement = _judgement_field(raw, path, report, label)
        children = raw.get("questions")
        if not isinstance(children, list) or not children:
            report(path, raw.line_of("questions"), f"{label}.questions", "a group needs a list of questions")
            return []
        out = []
        for index, child in enumerate(children, start=1):
            out.extend(read_question(child, path, report, claim, objectives, f"{label}.questions[{index}]",
                                      group=key, case=group_case, judgement=bool(group_judgement)))
        return out
    if not isinstance(qtype, str) or qtype not in REGISTRY:
        report(path, raw.line_of("type"), f"{label}.type",
               f"unknown question type {qtype!r}; use one of {', '.join(sorted(REGISTRY))} or group")
        return []
    errors_before = len([p for p in report.package.problems if p.level == "error"])
    stem = text_field(raw, "stem", path, report)
    explanation = text_field(raw, "explanation", path, report)
    own_case = text_field(raw, "case", path, report, required=False)
    if own_case and case:
        report(path, raw.line_of("case"), f"{label}.case", "questions inside a group share the group's case")
    own_judgement = _judgement_field(raw, path, report, label)
    if own_judgement and not (own_case or case):
        report(path, raw.line_of("judgement"), f"{label}.judgement",
               "a judgement question needs a case: the situation the officer must decide on")
    question_objectives = raw.get("objectives")
    if not isinstance(question_objectives, list) or not question_objectives:
        report(path, raw.line_of("objectives"), f"{label}.objectives", "list the objective(s) this question tests")
        question_objectives = []
    for objective in question_objectives:
        if objective not in objectives:
            report(path, raw.line_of("objectives"), f"{label}.objectives",
                   f"objective {objective!r} is not declared in any module.yaml")
    points = raw.get("points", 1)
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        report(path, raw.line_of("points"), f"{label}.points", "must be a positive number")
        points = 1
    pool = raw.get("pool")
    if pool is not None and (not isinstance(pool, str) or not ID_RE.match(pool)):
        report(path, raw.line_of("pool"), f"{label}.pool", "must be a name (lowercase letters, digits and -)")
        pool = None
    elif pool is not None and group:
        report(path, raw.line_of("pool"), f"{label}.pool",
               "a question of a scenario group is shown with its group; it cannot be drawn from a pool")
        pool = None
    specific = REGISTRY[qtype].normalize(raw, field_report)
    errors_after = len([p for p in report.package.problems if p.level == "error"])
    if errors_after > errors_before or not key:
        return []
    definition = {"id": key, "type": qtype, "points": points, "objectives": [str(o) for o in question_objectives],
                  "stem": stem, "case": own_case or case, "explanation": explanation, **specific}
    if own_judgement or judgement:
        definition["judgement"] = True
    if group:
        definition["group"] = group
    if pool:
        definition["pool"] = pool
    return [QuestionData(key=key, definition=definition)]


#: A position holding more keyed answers than chance would put there less than once in this many
#: quizzes is reported.
KEY_CLUSTER_ODDS = 100


def _at_least(count: int, chances: list[float]) -> float:
    """The probability that at least ``count`` of independent events with these chances happen."""
    spread = [1.0]  # spread[k]: the probability that exactly k happen
    for chance in chances:
        spread = [(spread[k] if k < len(spread) else 0.0) * (1 - chance)
                  + (spread[k - 1] * chance if k > 0 else 0.0) for k in range(len(spread) + 1)]
    return sum(spread[count:])


def check_key_positions(questions: list[QuestionData], path: Path, line: int, report: Reporter) -> None:
    """Warn when the right answers cluster on one position (authors tend to write the right option
    first, and true/false keys tend to lean one way). Pages shuffle options, but exports, printed
    copies and quizzes with ``shuffle_options: false`` show the authored order."""
    definitions = [q.definition for q in questions]
    for qtype, label in (("single", "single-choice"), ("multiple", "multiple-response")):
        keyed = [d["options"] for d in definitions if d["type"] == qtype]
        for position in range(max((len(options) for options in keyed), default=0)):
            chances = [sum(o["correct"] for o in options) / len(options) for options in keyed
                       if len(options) > position]
            count = sum(1 for options in keyed if len(options) > position and options[position]["correct"])
            if count >= 3 and _at_least(count, chances) * KEY_CLUSTER_ODDS < 1:
                report(path, line, "questions",
                       f"the keyed answers cluster on option {position + 1}: it is right in {count} of {len(chances)} "
                       f"{label} questions (about {sum(chances):.0f} by chance); rebalance the key", "warning")
    answers = [d["answer"] for d in definitions if d["type"] == "truefalse"]
    for value in (True, False):
        count = answers.count(value)
        if count >= 3 and _at_least(count, [0.5] * len(answers)) * KEY_CLUSTER_ODDS < 1:
            report(path, line, "questions",
                   f"the true/false keys lean one way: {str(value).lower()} in {count} of {len(answers)} "
                   "questions; rebalance the key", "warning")


def apply_overlay(path: Path, lang: str, questions: list[QuestionData], report: Reporter, title: dict | None):
    data = read_yaml_file(path, report)
    if data is None:
        return
    if not isinstance(data, LineDict):
        report(path, 1, "overlay", "must be a mapping")
        return
    if title is not None and isinstance(data.get("title"), str):
        title[lang] = data["title"].strip()
    entries = data.get("questions")
    if entries is None:
        entries = LineDict()  # a title only: a quiz whose questions all come from its bank
    if not isinstance(entries, LineDict):
        report(path, data.line_of("questions"), "questions", "must map question ids to their translations")
        return
    by_key = {q.key: q for q in questions}
    for key, entry in entries.items():
        if key not in by_key:
            report(path, entries.line_of(key), str(key), "no question with this id in the quiz")
            continue
        if not isinstance(entry, LineDict):
            report(path, entries.line_of(key), str(key), "must be a mapping of translated fields")
            continue
        definition = by_key[key].definition
        current = question_source_hash(definition)
        source = entry.get("source_hash")
        if str(source) != current:
            report(path, entry.line_of("source_hash"), f"{key}.source_hash",
                   f"translation stale: the English question changed since it was translated (now {current})",
                   "warning")
        for name in ("stem", "case", "explanation"):
            if isinstance(entry.get(name), str) and definition.get(name):
                definition[name] = {**definition[name], lang: entry[name].strip()}

        def type_report(field_name: str, message: str, entry=entry, key=key) -> None:
            report(path, entry.line_of(field_name.split(".")[0].split("[")[0]), f"{key}.{field_name}", message)

        REGISTRY[definition["type"]].translate(definition, entry, lang, type_report)
    for question in questions:
        if question.key not in entries:
            report(path, 1, question.key, f"translation missing ({lang})", "warning")
