"""Short answer: a typed text compared with the accepted answers, Arabic spelling variants and
Moodle's ``*`` wildcard included; an answer may carry partial credit and its own feedback."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from course.interchange.gift_syntax import ARABIC_SCRIPT, CannotExport, percent, weighted, with_feedback
from course.questions.base import QuestionType, check_full_credit, credit, i18n, translate_answer_feedback

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


class ShortAnswer(QuestionType):
    """``accept``: texts (full credit), or mappings ``{text, credit, feedback}`` as Moodle's short
    answers have; the first answer that matches, in the order given, counts."""

    name = "short"
    label = "Short answer"
    template = "questions/short_answer.html"
    interaction = "fill-in"
    scorm_interaction = "fill-in"
    gift_order = 90  # what no other type claims is a short answer, as in Moodle
    moodle_xml_names = ("shortanswer",)

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
                                "credit": credit(value.get("credit"), 1.0, f"accept[{index}].credit", report),
                                "feedback": i18n(value.get("feedback"))})
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                answers.append({"text": str(value).strip(), "credit": 1.0, "feedback": None})
            else:
                report(f"accept[{index}]", "must be a text or {text, credit, feedback}")
        if not values:
            report("accept", "needs a list of accepted answers")
        check_full_credit(answers, "accept", report)
        out: dict[str, Any] = {"accept": [a["text"] for a in answers if a["credit"] >= 1]}
        if detailed:
            out["answers"] = answers
        return out

    def translate(self, definition, entry, lang, report):
        if isinstance(entry.get("accept"), list):
            extra = [a for a in entry["accept"] if isinstance(a, (str, int, float)) and str(a).strip()]
            if len(extra) != len(entry["accept"]):
                report("accept", "translated accepted answers are texts (full credit); credit and feedback "
                       "belong in the quiz file")
            definition["accept"] = definition["accept"] + [str(a).strip() for a in extra]
        translate_answer_feedback(definition, entry, lang)

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

    # --- GIFT and Moodle XML --------------------------------------------------------------------------

    def gift_claims(self, answers):
        return bool(answers)

    def gift_read(self, importer, draft, answers, metadata):
        """``=answer``, ``=%50%answer#feedback``, ``=%0%*#feedback``: Moodle's short answers, whose
        ``*`` wildcard Marsa reads as Moodle does. Plain full-credit answers stay a plain list."""
        head, pieces = answers.split_before("=")
        entries = ([head] if head.chars.strip() else []) + [piece.cut(1) for piece in pieces]
        accept: list[Any] = []
        for index, entry in enumerate(entries, start=1):
            part = f"accept[{index}]"
            weight, body = importer.read_weight(draft, entry, part)
            if weight is not None and weight < 0:
                importer.error(draft, entry.line, part, f"a negative weight ({percent(weight)}%) on a short answer "
                               "is not possible in Moodle or Marsa (0% to 100%)")
            value_part, feedback_part = body.partition("#")
            value = value_part.plain()
            if not value:
                importer.error(draft, entry.line, part, "an accepted answer is empty")
            feedback = importer.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            accept.append(_accepted(value, 1.0 if weight is None else max(0.0, weight), feedback))
        return self.name, {"accept": accept}

    def gift_write(self, d):
        answers = d.get("answers") or [{"text": a, "credit": 1.0, "feedback": None} for a in d["accept"]]
        answers = [a for a in answers if not ARABIC_SCRIPT.search(a["text"])]
        if not any(a["credit"] >= 1 for a in answers):
            raise CannotExport("it has no English accepted answer")
        if any("->" in a["text"] for a in answers):
            raise CannotExport("an accepted answer contains '->', which GIFT would read as a matching pair")
        lines = [weighted(a["credit"]) + with_feedback(a["text"], a.get("feedback")) for a in answers]
        return lines, [], bool(d.get("answers"))

    def xml_read(self, importer, draft, element):
        if (element.findtext("usecase") or "0").strip() == "1":
            importer.warn(draft, importer.line(element.find("usecase")), "accept", "Moodle compares these answers "
                          "case by case; Marsa ignores case")
        accept: list[Any] = []
        for index, (answer, fraction, text, feedback) in enumerate(importer.answers(draft, element), start=1):
            if fraction < 0:
                importer.error(draft, importer.line(answer), f"accept[{index}]", "a negative weight on a short "
                               "answer is not possible (0% to 100%)")
            if not text:
                importer.error(draft, importer.line(answer), f"accept[{index}]", "an accepted answer is empty")
            accept.append(_accepted(text, max(0.0, fraction), feedback))
        return self.name, {"accept": accept}

    # --- SCORM ----------------------------------------------------------------------------------------

    def scorm_data(self, definition):
        data: dict[str, Any] = {"accept": definition["accept"]}
        if "answers" in definition:
            data["answers"] = [{"text": a["text"], "credit": a["credit"]} for a in definition["answers"]]
        return data


def _accepted(text: str, credit_given: float, feedback: str) -> Any:
    """An imported accepted answer as the quiz file writes it: a plain text at full credit without
    feedback, else ``{text, credit, feedback}``."""
    if credit_given >= 1 and not feedback:
        return text
    return {"text": text, **({"credit": round(credit_given, 6)} if credit_given < 1 else {}),
            **({"feedback": feedback} if feedback else {})}
