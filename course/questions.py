"""Question types: a registry of small classes, each with a pure ``score()``.

A type knows four things about its questions: how to check and normalise the package's
definition (``normalize``), which responses are well formed (``check_response``), how to read
a response from a submitted form (``from_form``), and how many of its points a response earns
(``score``, a fraction from 0 to 1). Nothing here touches Flask or the database, so scoring is
tested directly.
"""
from __future__ import annotations

import abc
import math
import re
import unicodedata
from typing import Any, Callable

Report = Callable[[str, str], None]  # (field, message)
I18N_LANGS = ("en", "ar")


class QuestionType(abc.ABC):
    name: str = ""
    label: str = ""

    @abc.abstractmethod
    def normalize(self, raw: dict, report: Report) -> dict:
        """The stored definition of a question of this type; problems go to ``report``."""

    @abc.abstractmethod
    def check_response(self, definition: dict, response: Any) -> str | None:
        """None when ``response`` is a well-formed answer to this question, else why not."""

    @abc.abstractmethod
    def from_form(self, definition: dict, form, name: str) -> Any:
        """The response given in a submitted form (``name`` is the field prefix), or None."""

    @abc.abstractmethod
    def score(self, definition: dict, response: Any) -> float:
        """The fraction (0 to 1) of the points that a well-formed ``response`` earns."""

    @abc.abstractmethod
    def correct_response(self, definition: dict) -> Any:
        """A response that earns full marks, for review pages and exports."""


REGISTRY: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    REGISTRY[cls.name] = cls()
    return cls


def get_type(name: str) -> QuestionType:
    return REGISTRY[name]


def i18n(value: Any) -> dict | None:
    """Normalise a text field to {"en": ..., "ar": ...} (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items() if v is not None}
    return {"en": str(value).strip()}


def _require_text(raw: dict, field: str, report: Report) -> dict | None:
    value = i18n(raw.get(field))
    if not value or not value.get("en"):
        report(field, "is required (English text)")
        return None
    return value


def _unique_ids(items: list[dict], field: str, report: Report) -> bool:
    seen: set[str] = set()
    ok = True
    for item in items:
        item_id = item.get("id")
        if item_id in seen:
            report(field, f"duplicate id {item_id!r}")
            ok = False
        seen.add(item_id)
    return ok


def _read_items(raw: dict, field: str, text_fields: tuple[str, ...], report: Report,
                minimum: int = 2) -> list[dict]:
    items = raw.get(field)
    if not isinstance(items, list) or len(items) < minimum:
        report(field, f"needs a list of at least {minimum} entries")
        return []
    out = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            report(f"{field}[{index}]", "must be a mapping")
            continue
        item_id = item.get("id")
        if item_id is None or not re.fullmatch(r"[A-Za-z0-9_-]+", str(item_id)):
            report(f"{field}[{index}].id", "is required (letters, digits, - or _)")
            continue
        entry = {"id": str(item_id)}
        for text_field in text_fields:
            value = i18n(item.get(text_field))
            if not value or not value.get("en"):
                report(f"{field}[{index}].{text_field}", "is required")
            entry[text_field] = value
        out.append((item, entry))
    _unique_ids([entry for _, entry in out], field, report)
    return out


class _ChoiceType(QuestionType):
    def _options(self, raw: dict, report: Report) -> list[dict]:
        options = []
        for item, entry in _read_items(raw, "options", ("text",), report):
            correct = item.get("correct", False)
            if not isinstance(correct, bool):
                report(f"options.{entry['id']}.correct", "must be true or false")
                correct = False
            entry["correct"] = correct
            entry["feedback"] = i18n(item.get("feedback"))
            weight = item.get("weight")
            if weight is not None:
                if not isinstance(weight, (int, float)) or not -1 <= weight <= 1:
                    report(f"options.{entry['id']}.weight", "must be a number from -1 to 1")
                    weight = None
            entry["weight"] = weight
            options.append(entry)
        return options

    def correct_response(self, definition: dict) -> Any:
        ids = [o["id"] for o in definition["options"] if o["correct"]]
        return ids[0] if self.name == "single" else ids


@register
class SingleChoice(_ChoiceType):
    name = "single"
    label = "Single choice"

    def normalize(self, raw, report):
        options = self._options(raw, report)
        correct = [o for o in options if o["correct"]]
        if options and len(correct) != 1:
            report("options", f"a single-choice question needs exactly one correct option, found {len(correct)}")
        return {"options": options}

    def check_response(self, definition, response):
        if not isinstance(response, str) or response not in {o["id"] for o in definition["options"]}:
            return "not one of this question's options"
        return None

    def from_form(self, definition, form, name):
        value = form.get(name)
        return value or None

    def score(self, definition, response):
        option = next((o for o in definition["options"] if o["id"] == response), None)
        if option is None:
            return 0.0
        if option.get("weight") is not None:  # partial credit for a nearly-right option
            return max(0.0, min(1.0, option["weight"]))
        return 1.0 if option["correct"] else 0.0


@register
class MultipleResponse(_ChoiceType):
    name = "multiple"
    label = "Multiple response"

    def normalize(self, raw, report):
        options = self._options(raw, report)
        if options and not any(o["correct"] for o in options):
            report("options", "a multiple-response question needs at least one correct option")
        scoring = raw.get("scoring", "partial")
        if scoring not in ("partial", "all_or_nothing"):
            report("scoring", "must be 'partial' or 'all_or_nothing'")
            scoring = "partial"
        return {"options": options, "scoring": scoring}

    def check_response(self, definition, response):
        ids = {o["id"] for o in definition["options"]}
        if not isinstance(response, list) or not all(isinstance(r, str) and r in ids for r in response):
            return "not a list of this question's options"
        return None

    def from_form(self, definition, form, name):
        values = form.getlist(name)
        return sorted(set(values)) if values else None

    def score(self, definition, response):
        chosen = set(response or [])
        options = definition["options"]
        correct = {o["id"] for o in options if o["correct"]}
        if definition.get("scoring") == "all_or_nothing":
            return 1.0 if chosen == correct else 0.0
        wrong = [o for o in options if not o["correct"]]
        total = 0.0
        for option in options:
            if option["id"] not in chosen:
                continue
            if option.get("weight") is not None:
                total += option["weight"]
            elif option["correct"]:
                total += 1 / len(correct)
            else:
                total -= 1 / len(wrong) if wrong else 0
        # Never below zero for the question, never above full marks.
        return min(1.0, max(0.0, round(total, 6)))


@register
class TrueFalse(QuestionType):
    name = "truefalse"
    label = "True or false"

    def normalize(self, raw, report):
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            report("answer", "must be true or false")
        feedback = raw.get("feedback") or {}
        if not isinstance(feedback, dict):
            report("feedback", "must map true/false to a text")
            feedback = {}
        return {
            "answer": bool(answer),
            "feedback": {"true": i18n(feedback.get(True, feedback.get("true"))),
                         "false": i18n(feedback.get(False, feedback.get("false")))},
        }

    def check_response(self, definition, response):
        return None if isinstance(response, bool) else "must be true or false"

    def from_form(self, definition, form, name):
        value = form.get(name)
        return {"true": True, "false": False}.get(value)

    def score(self, definition, response):
        return 1.0 if response is definition["answer"] else 0.0

    def correct_response(self, definition):
        return definition["answer"]


@register
class Matching(QuestionType):
    name = "matching"
    label = "Matching"

    def normalize(self, raw, report):
        pairs = [entry for _, entry in _read_items(raw, "pairs", ("prompt", "match"), report)]
        distractors = []
        extra = raw.get("distractors") or []
        if not isinstance(extra, list):
            report("distractors", "must be a list of texts")
            extra = []
        for index, text in enumerate(extra, start=1):
            distractors.append({"id": f"x{index}", "text": i18n(text)})
        return {"pairs": pairs, "distractors": distractors}

    def _match_ids(self, definition):
        return {p["id"] for p in definition["pairs"]} | {d["id"] for d in definition["distractors"]}

    def check_response(self, definition, response):
        prompts = {p["id"] for p in definition["pairs"]}
        matches = self._match_ids(definition)
        if not isinstance(response, dict) or not set(response) <= prompts \
                or not all(isinstance(v, str) and v in matches for v in response.values()):
            return "not a matching of this question's items"
        return None

    def from_form(self, definition, form, name):
        chosen = {p["id"]: form.get(f"{name}-{p['id']}") for p in definition["pairs"]}
        chosen = {k: v for k, v in chosen.items() if v}
        return chosen or None

    def score(self, definition, response):
        response = response or {}
        pairs = definition["pairs"]
        right = sum(1 for p in pairs if response.get(p["id"]) == p["id"])
        return right / len(pairs) if pairs else 0.0

    def correct_response(self, definition):
        return {p["id"]: p["id"] for p in definition["pairs"]}


@register
class Ordering(QuestionType):
    name = "ordering"
    label = "Ordering"

    def normalize(self, raw, report):
        return {"items": [entry for _, entry in _read_items(raw, "items", ("text",), report, minimum=3)]}

    def check_response(self, definition, response):
        ids = [i["id"] for i in definition["items"]]
        if not isinstance(response, list) or sorted(map(str, response)) != sorted(ids):
            return "not an ordering of this question's items"
        return None

    def from_form(self, definition, form, name):
        # Without JavaScript the officer gives each item its position number.
        positions = {}
        for item in definition["items"]:
            value = form.get(f"{name}-{item['id']}", "")
            if not value.isdigit():
                return None
            positions[item["id"]] = int(value)
        if sorted(positions.values()) != list(range(1, len(positions) + 1)):
            return None
        return [item_id for item_id, _ in sorted(positions.items(), key=lambda kv: kv[1])]

    def score(self, definition, response):
        ids = [i["id"] for i in definition["items"]]
        response = response or []
        right = sum(1 for a, b in zip(ids, response) if a == b)
        return right / len(ids) if ids else 0.0

    def correct_response(self, definition):
        return [i["id"] for i in definition["items"]]


_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_FOLDS = str.maketrans({
    "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",  # alef forms
    "\u0629": "\u0647",  # ta marbuta -> ha
    "\u0649": "\u064a",  # alef maqsura -> ya
    "\u0640": None,  # tatweel
})


def normalize_answer_text(value: str) -> str:
    """Fold case, spacing and Arabic spelling variants so equivalent answers compare equal."""
    value = unicodedata.normalize("NFKC", value)
    value = _ARABIC_DIACRITICS.sub("", value).translate(_ARABIC_FOLDS)
    value = value.casefold()
    value = re.sub(r"[\s\u200c\u200f\u200e]+", " ", value).strip()
    return value.strip(" .،,؛;")


_WILDCARDS = re.compile(r"(?<!\\)\*+")


def answer_matches(pattern: str, response: str) -> bool:
    """Whether ``response`` matches an accepted answer, with Moodle's short-answer semantics: ``*``
    stands for any run of characters (``\\*`` for a literal asterisk) and the pattern must cover
    the whole response; both sides are folded by ``normalize_answer_text`` first."""
    text = normalize_answer_text(pattern)
    given = normalize_answer_text(response)
    bits = _WILDCARDS.split(text)
    if len(bits) == 1:
        return given == text.replace("\\*", "*")
    return re.fullmatch(".*".join(re.escape(bit.replace("\\*", "*")) for bit in bits), given, re.DOTALL) is not None


def _credit(value: Any, default: float, field: str, report: Report) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        report(field, "must be a number from 0 to 1 (the share of the points)")
        return default
    return float(value)


def _check_full_credit(answers: list[dict], field: str, report: Report) -> None:
    if answers and not any(a["credit"] >= 1 for a in answers):
        report(field, "needs at least one answer with full credit (credit: 1)")


@register
class ShortAnswer(QuestionType):
    """``accept``: texts (full credit), or mappings ``{text, credit, feedback}`` as Moodle's short
    answers have; the first answer that matches, in the order given, counts."""

    name = "short"
    label = "Short answer"

    def normalize(self, raw, report):
        accept = raw.get("accept")
        values: list[Any] = []
        if isinstance(accept, dict):
            for lang_values in accept.values():
                values.extend(lang_values if isinstance(lang_values, list) else [lang_values])
        elif isinstance(accept, list):
            values = accept
        answers: list[dict] = []
        detailed = False
        for index, value in enumerate(values, start=1):
            if isinstance(value, dict):
                detailed = True
                text = value.get("text")
                if not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
                    report(f"accept[{index}].text", "is required")
                    continue
                unknown = set(value) - {"text", "credit", "feedback"}
                if unknown:
                    report(f"accept[{index}]", f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
                answers.append({"text": str(text).strip(),
                                "credit": _credit(value.get("credit"), 1.0, f"accept[{index}].credit", report),
                                "feedback": i18n(value.get("feedback"))})
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                answers.append({"text": str(value).strip(), "credit": 1.0, "feedback": None})
            else:
                report(f"accept[{index}]", "must be a text or {text, credit, feedback}")
        if not values:
            report("accept", "needs a list of accepted answers")
        _check_full_credit(answers, "accept", report)
        out: dict[str, Any] = {"accept": [a["text"] for a in answers if a["credit"] >= 1]}
        if detailed:
            out["answers"] = answers
        return out

    def check_response(self, definition, response):
        if not isinstance(response, str) or len(response) > 500:
            return "must be a text of at most 500 characters"
        return None

    def from_form(self, definition, form, name):
        value = (form.get(name) or "").strip()
        return value[:500] or None

    def matching_answer(self, definition: dict, response: Any) -> dict | None:
        """The answer ``response`` matches, first in order: accepted texts added by a translation
        overlay (full credit, not in ``answers``) come first, then ``answers`` as written."""
        if not isinstance(response, str):
            return None
        answers = definition.get("answers")
        if answers is None:
            answers = [{"text": a, "credit": 1.0, "feedback": None} for a in definition["accept"]]
        else:
            listed = {a["text"] for a in answers}
            answers = [{"text": a, "credit": 1.0, "feedback": None}
                       for a in definition["accept"] if a not in listed] + answers
        return next((a for a in answers if answer_matches(a["text"], response)), None)

    def score(self, definition, response):
        answer = self.matching_answer(definition, response)
        return answer["credit"] if answer else 0.0

    def correct_response(self, definition):
        return definition["accept"][0] if definition["accept"] else ""


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().translate(str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789."))
        text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _numeric_target(raw: dict, field: str, report: Report) -> dict | None:
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


def _numeric_matches(answer: dict, number: float) -> bool:
    if answer.get("any"):
        return True
    if "range" in answer:
        low, high = answer["range"]
    else:
        low, high = answer["answer"] - answer["tolerance"], answer["answer"] + answer["tolerance"]
    return low - 1e-9 <= number <= high + 1e-9


@register
class Numeric(QuestionType):
    """``answer``/``tolerance`` or ``range``; or ``answers``: a list of those with their own
    ``credit`` and ``feedback`` (``answer: "*"`` for any other number), as Moodle's numerical
    questions have. The first answer that holds the number, in the order given, counts."""

    name = "numeric"
    label = "Numeric"

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
                answers.append({**target, "credit": _credit(entry.get("credit"), default, f"{field}credit", report),
                                "feedback": i18n(entry.get("feedback"))})
        _check_full_credit(answers, "answers", report)
        best = next((a for a in answers if a["credit"] >= 1 and not a.get("any")), None)
        if best is None:
            head = {"answer": 0.0, "tolerance": 0.0}
        else:
            head = {"range": best["range"]} if "range" in best else {k: best[k] for k in ("answer", "tolerance")}
        return {**head, "answers": answers}

    def check_response(self, definition, response):
        return None if isinstance(response, str) and len(response) <= 50 else "must be a number"

    def from_form(self, definition, form, name):
        value = (form.get(name) or "").strip()
        return value[:50] or None

    def matching_answer(self, definition: dict, response: Any) -> dict | None:
        number = parse_number(response)
        if number is None:
            return None
        answers = definition.get("answers") or [{**{k: definition[k] for k in ("range", "answer", "tolerance")
                                                    if k in definition}, "credit": 1.0, "feedback": None}]
        return next((a for a in answers if _numeric_matches(a, number)), None)

    def score(self, definition, response):
        answer = self.matching_answer(definition, response)
        return answer["credit"] if answer else 0.0

    def correct_response(self, definition):
        if "range" in definition:
            return f"{definition['range'][0]:g} – {definition['range'][1]:g}"
        if definition["tolerance"]:
            return f"{definition['answer']:g} ± {definition['tolerance']:g}"
        return f"{definition['answer']:g}"


def answer_feedback(definition: dict, response: Any) -> dict | None:
    """The feedback of the short or numeric answer that ``response`` matched, if it has one."""
    qtype = REGISTRY.get(definition["type"])
    if response is None or not hasattr(qtype, "matching_answer"):
        return None
    answer = qtype.matching_answer(definition, response)
    return answer.get("feedback") if answer else None


#: Fields common to every question, checked by the package reader before the type's own.
COMMON_TEXT_FIELDS = ("stem", "case", "explanation")


def score_response(definition: dict, response: Any) -> float:
    """Fraction of the question's points earned; an unanswered question earns nothing."""
    if response is None:
        return 0.0
    qtype = get_type(definition["type"])
    if qtype.check_response(definition, response) is not None:
        return 0.0
    return qtype.score(definition, response)
