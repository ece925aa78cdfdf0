"""Numeric: a number within a tolerance or a range; or several answers, each with its own
tolerance, credit and feedback, as Moodle's numerical questions have."""
from __future__ import annotations

import math
from typing import Any

from course.interchange.gift_syntax import english, escape, number, number_text, percent
from course.questions.base import QuestionType, check_full_credit, credit, i18n, translate_answer_feedback


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().translate(str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789."))
        text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text.replace(",", "")
        try:
            found = float(text)
        except ValueError:
            return None
        return found if math.isfinite(found) else None
    return None


def _numeric_target(raw: dict, field: str, report) -> dict | None:
    """``{answer, tolerance}`` or ``{range}`` of one numeric answer, checked; None when wrong."""
    if "range" in raw:
        bounds = raw.get("range")
        if (not isinstance(bounds, list) or len(bounds) != 2
                or any(parse_number(b) is None for b in bounds) or parse_number(bounds[0]) > parse_number(bounds[1])):
            report(f"{field}range", "must be [MIN, MAX] with MIN <= MAX")
            return None
        return {"range": [parse_number(bounds[0]), parse_number(bounds[1])]}
    answer = parse_number(raw.get("answer"))
    if answer is None:
        report(f"{field}answer", "must be a number")
        return None
    tolerance = parse_number(raw.get("tolerance", 0))
    if tolerance is None or tolerance < 0:
        report(f"{field}tolerance", "must be a number >= 0")
        return None
    return {"answer": answer, "tolerance": tolerance}


def _numeric_matches(answer: dict, value: float) -> bool:
    if answer.get("any"):
        return True
    if "range" in answer:
        low, high = answer["range"]
    else:
        low, high = answer["answer"] - answer["tolerance"], answer["answer"] + answer["tolerance"]
    return low - 1e-9 <= value <= high + 1e-9


def read_numeric_answer(importer, draft, line: int, value: str) -> dict | None:
    """``5:0.5`` (answer and tolerance), ``5`` or ``1..5`` as a numeric answer of the quiz file."""
    if ".." in value:
        low, high = (number(v) for v in value.split("..", 1))
        if low is None or high is None:
            importer.error(draft, line, "answer", f"{value!r} is not a range of numbers MIN..MAX")
            return None
        if low > high:
            importer.error(draft, line, "answer", f"the range {value!r} has MIN above MAX")
            return None
        return {"range": [low, high]}
    answer_text, _, tolerance_text = value.partition(":")
    answer = number(answer_text)
    tolerance = number(tolerance_text) if tolerance_text else 0
    if answer is None:
        importer.error(draft, line, "answer", f"{answer_text.strip()!r} is not a number")
        return None
    if tolerance is None or tolerance < 0:
        importer.error(draft, line, "answer", f"the tolerance {tolerance_text.strip()!r} is not a number >= 0")
        return None
    return {"answer": answer, **({"tolerance": tolerance} if tolerance else {})}


def _numeric_value(answer: dict) -> str:
    if "range" in answer:
        low, high = answer["range"]
        return f"{number_text(low)}..{number_text(high)}"
    tolerance = answer.get("tolerance") or 0
    return number_text(answer["answer"]) + (f":{number_text(tolerance)}" if tolerance else "")


class Numeric(QuestionType):
    """``answer``/``tolerance`` or ``range``; or ``answers``: a list of those with their own
    ``credit`` and ``feedback`` (``answer: "*"`` for any other number), as Moodle's numerical
    questions have. The first answer that holds the number, in the order given, counts."""

    name = "numeric"
    label = "Numeric"
    template = "questions/numeric.html"
    interaction = "numeric"
    scorm_interaction = "numeric"
    gift_order = 10
    moodle_xml_names = ("numerical",)

    def normalize(self, raw, report):
        if "answers" not in raw:
            target = _numeric_target(raw, "", report)
            return target or ({"range": [0, 0]} if "range" in raw else {"answer": 0.0, "tolerance": 0.0})
        if "answer" in raw or "range" in raw:
            report("answers", "give either answers or answer/range, not both")
        entries = raw.get("answers")
        if not isinstance(entries, list) or not entries:
            report("answers", "needs a list of {answer, tolerance, credit, feedback} or {range, credit, feedback}")
            return {"answer": 0.0, "tolerance": 0.0}
        answers: list[dict] = []
        for index, entry in enumerate(entries, start=1):
            field = f"answers[{index}]."
            if not isinstance(entry, dict):
                report(f"answers[{index}]", "must be a mapping")
                continue
            unknown = set(entry) - {"answer", "tolerance", "range", "credit", "feedback"}
            if unknown:
                report(f"answers[{index}]", f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            if entry.get("answer") == "*":
                target: dict | None = {"any": True}
                default = 0.0
            else:
                target, default = _numeric_target(entry, field, report), 1.0
            if target is not None:
                answers.append({**target, "credit": credit(entry.get("credit"), default, f"{field}credit", report),
                                "feedback": i18n(entry.get("feedback"))})
        check_full_credit(answers, "answers", report)
        best = next((a for a in answers if a["credit"] >= 1 and not a.get("any")), None)
        if best is None:
            head = {"answer": 0.0, "tolerance": 0.0}
        else:
            head = {"range": best["range"]} if "range" in best else {k: best[k] for k in ("answer", "tolerance")}
        return {**head, "answers": answers}

    def translate(self, definition, entry, lang, report):
        translate_answer_feedback(definition, entry, lang)

    def check_response(self, definition, response):
        return None if isinstance(response, str) and len(response) <= 50 else "must be a number"

    def from_form(self, definition, form, name):
        value = (form.get(name) or "").strip()
        return value[:50] or None

    def matching_answer(self, definition: dict, response: Any) -> dict | None:
        given = parse_number(response)
        if given is None:
            return None
        answers = definition.get("answers") or [{**{k: definition[k] for k in ("range", "answer", "tolerance")
                                                    if k in definition}, "credit": 1.0, "feedback": None}]
        return next((a for a in answers if _numeric_matches(a, given)), None)

    def score(self, definition, response):
        answer = self.matching_answer(definition, response)
        return answer["credit"] if answer else 0.0

    def correct_response(self, definition):
        if "range" in definition:
            return f"{definition['range'][0]:g} – {definition['range'][1]:g}"
        if definition["tolerance"]:
            return f"{definition['answer']:g} ± {definition['tolerance']:g}"
        return f"{definition['answer']:g}"

    # --- GIFT and Moodle XML --------------------------------------------------------------------------

    def gift_claims(self, answers):
        return answers.startswith("#")

    def gift_read(self, importer, draft, answers, metadata):
        """``{#5:0.5}``, ``{#1..5}`` or ``{#5}``; or Moodle's list ``{#=5:0#right =%50%5:2#close ~#wrong}``:
        each answer with its credit and feedback, ``~#feedback`` for any other number."""
        body = answers.cut(1)
        otherwise = None
        tilde = body.find("~")
        if tilde >= 0:
            wrong = body.cut(tilde + 1)
            text_part, feedback_part = wrong.partition("#")
            if text_part.chars.strip():
                importer.error(draft, wrong.line, "answers", f"a wrong numeric answer ({text_part.plain()!r}) is not "
                               "needed: anything that no answer holds scores 0; write only its feedback (~#...)")
            otherwise = importer.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            body = body.cut(0, tilde)
        head, pieces = body.split_before("=")
        entries = ([head] if head.chars.strip() else []) + [piece.cut(1) for piece in pieces]
        if not entries:
            importer.error(draft, answers.line, "answer", "no number after '#'")
            return None
        found: list[dict] = []
        for index, entry in enumerate(entries, start=1):
            part = f"answers[{index}]"
            weight, rest = importer.read_weight(draft, entry, part)
            value_part, feedback_part = rest.partition("#")
            value = value_part.plain()
            if weight is not None and weight < 0:
                importer.error(draft, entry.line, part, f"a negative weight ({percent(weight)}%) on a numeric "
                               "answer is not possible in Moodle or Marsa (0% to 100%)")
            parsed = read_numeric_answer(importer, draft, entry.line, value)
            if parsed is None:
                continue
            feedback = importer.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            given = 1.0 if weight is None else max(0.0, weight)
            found.append({**parsed, **({"credit": round(given, 6)} if given < 1 else {}),
                          **({"feedback": feedback} if feedback else {})})
        if not found:
            return None
        if len(found) == 1 and set(found[0]) <= {"answer", "tolerance", "range"} and not otherwise:
            return self.name, found[0]
        if otherwise:
            found.append({"answer": "*", "feedback": otherwise})
        return self.name, {"answers": found}

    def gift_write(self, d):
        """One answer as ``#5:0.5``; a list as Moodle writes it: ``=%50%5:2#feedback``, and ``~#feedback``
        for the answer that holds any other number."""
        if not d.get("answers"):
            return ["#" + _numeric_value(d)], [], False
        lines = ["#"]
        for answer in d["answers"]:
            if answer.get("any"):
                lines.append("~#" + escape(english(answer.get("feedback"))))
            else:
                feedback = english(answer.get("feedback"))
                lines.append(f"=%{percent(answer['credit'])}%{_numeric_value(answer)}"
                             + (f"#{escape(feedback)}" if feedback else ""))
        notes = []
        if any(a.get("any") and a["credit"] > 0 for a in d["answers"]):
            notes.append("credit for any other number ('*') is written as 0%: GIFT's ~# gives none")
        return lines, notes, True

    def xml_read(self, importer, draft, element):
        found: list[dict] = []
        for answer, fraction, text, feedback in importer.answers(draft, element):
            given = max(0.0, fraction)
            said = {"feedback": feedback} if feedback else {}
            if text == "*":
                found.append({"answer": "*", **({"credit": round(given, 6)} if given else {}), **said})
                continue
            extra = {**({"credit": round(given, 6)} if given < 1 else {}), **said}
            tolerance = (answer.findtext("tolerance") or "0").strip() or "0"
            parsed = read_numeric_answer(importer, draft, importer.line(answer), f"{text}:{tolerance}")
            if parsed is not None:
                found.append({**parsed, **extra})
        if not found:
            importer.error(draft, importer.line(element), "answer", "no numeric answer")
            return None
        if len(found) == 1 and set(found[0]) <= {"answer", "tolerance"}:
            return self.name, found[0]
        return self.name, {"answers": found}

    # --- SCORM ----------------------------------------------------------------------------------------

    def scorm_data(self, definition):
        data: dict[str, Any] = {}
        if "range" in definition:
            data["range"] = definition["range"]
        else:
            data["answer"], data["tolerance"] = definition["answer"], definition["tolerance"]
        if "answers" in definition:
            data["answers"] = [{k: v for k, v in a.items() if k != "feedback"} for a in definition["answers"]]
        return data
