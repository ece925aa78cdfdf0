"""What single-choice and multiple-response questions share: options, each with an optional
weight and feedback, named on the page by the attempt's tokens."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from course.interchange.gift_syntax import default_ids, english, percent, with_feedback
from course.questions.base import Choice, QuestionType, i18n, read_items, text_in, texts, translate_texts
from course.questions.scorm12 import scorm12_codes

#: A multiple-response weight this close to Marsa's default share is that share (33.3% is 1/3).
DEFAULT_SHARE_TOLERANCE = 0.0005


def keep_explicit_weights(options: list[dict], fractions: list[float]) -> None:
    """Give a multiple-response option a ``weight`` only where it differs from Marsa's default
    share (1/correct for a right option, -1/wrong for a wrong one), which scores the same."""
    right = sum(1 for f in fractions if f > 0)
    wrong = len(fractions) - right
    for option, fraction in zip(options, fractions):
        default = 1 / right if fraction > 0 else (-1 / wrong if wrong else 0.0)
        if abs(fraction - default) > DEFAULT_SHARE_TOLERANCE:
            option["weight"] = round(fraction, 6)


def _negative_single_weight(fraction: float) -> str:
    return (f"a weight of {percent(fraction)}% on a single-choice option takes points off in Moodle; Marsa "
            "scores a wrong choice 0 (a question never scores below zero), so choosing it earns 0 here")


class ChoiceType(QuestionType):
    interaction = "choice"
    scorm_interaction = "choice"
    counts_responses = True
    #: one option is chosen (a radio button), not several
    single = True

    def _options(self, raw: dict, report) -> list[dict]:
        options = []
        for item, entry in read_items(raw, "options", ("text",), report):
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

    def translate(self, definition, entry, lang, report):
        translate_texts(definition["options"], entry.get("options"), "text", lang)
        translate_texts(definition["options"], entry.get("feedback"), "feedback", lang)

    def correct_response(self, definition: dict) -> Any:
        ids = [o["id"] for o in definition["options"] if o["correct"]]
        return ids[0] if self.single else ids

    # --- tokens, page and review --------------------------------------------------------------

    def token_ids(self, definition):
        return {"option": [o["id"] for o in definition["options"]]}

    def decode_form(self, tokens, form, decoded):
        for value in form.getlist(tokens.name):
            decoded.add(tokens.name, tokens.back("option", value) if value else value)

    def page_view(self, definition, response, lang, order, names):
        return {"options": texts(order(definition["options"], ""), "text", lang, names, "option")}

    def response_parts(self, definition, response, lang):
        chosen = [response] if isinstance(response, str) else list(response)
        names = {o["id"]: text_in(o["text"], lang) for o in definition["options"]}
        return [names.get(c, c) for c in chosen]

    def feedback(self, definition, response, lang):
        if response is None:
            return []
        chosen = [response] if isinstance(response, str) else response
        return [text_in(o["feedback"], lang) for o in definition["options"] if o["id"] in chosen and o.get("feedback")]

    # --- GIFT and Moodle XML --------------------------------------------------------------------------

    def gift_read(self, importer, draft, answers, metadata):
        """``{=right ~wrong#feedback ~%50%partly}`` (single) or ``{~%50%a ~%50%b ~%-100%c}`` (multiple)."""
        single = self.single
        head, pieces = answers.split_before("~=")
        if head.chars.strip():
            importer.error(draft, head.line, "options", "text before the first ~ or = answer")
        ids = importer.ids_for(draft, metadata, "options", len(pieces))
        options: list[dict] = []
        fractions: list[float] = []
        feedback_parts: list = []
        for index, piece in enumerate(pieces, start=1):
            part = f"options[{index}]"
            marker = piece.chars[0]
            if marker == "=":
                weight, body = None, piece.cut(1).strip()
            else:
                weight, body = importer.read_weight(draft, piece.cut(1), part)
            text_part, feedback_part = body.partition("#")
            text = importer.formatted(draft, text_part.chars)
            if not text:
                importer.error(draft, piece.line, part, "the answer has no text")
            option: dict[str, Any] = {"id": ids[index - 1], "text": text}
            fraction = 1.0 if marker == "=" else (weight or 0.0)
            if fraction > 0 and (not single or fraction >= 1):
                option["correct"] = True
            if single and weight not in (None, 0) and weight < 1:
                option["weight"] = weight
                if weight < 0:
                    importer.warn(draft, piece.line, part, _negative_single_weight(weight))
            options.append(option)
            fractions.append(fraction)
            feedback_parts.append(feedback_part)
        if not single:
            keep_explicit_weights(options, fractions)
        for option, feedback_part in zip(options, feedback_parts):
            feedback = importer.formatted(draft, feedback_part.chars) if feedback_part else ""
            if feedback:
                option["feedback"] = feedback
        return self.name, {"options": options}

    def xml_claims(self, element):
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        return single == self.single

    def xml_read(self, importer, draft, element):
        single = self.single
        options, fractions = [], []
        answers = importer.answers(draft, element)
        ids = default_ids("options", len(answers))
        for index, (answer, fraction, text, feedback) in enumerate(answers):
            option: dict[str, Any] = {"id": ids[index], "text": text}
            if fraction > 0 and (not single or fraction >= 1):
                option["correct"] = True
            if single and fraction not in (0, 1) and fraction < 1:
                option["weight"] = round(fraction, 6)
                if fraction < 0:
                    importer.warn(draft, importer.line(answer), f"options[{index + 1}]",
                                  _negative_single_weight(fraction))
            if feedback:
                option["feedback"] = feedback
            options.append(option)
            fractions.append(fraction)
        if not single:
            keep_explicit_weights(options, fractions)
        return self.name, {"options": options}

    # --- SCORM, xAPI and reports -------------------------------------------------------------------

    def scorm_data(self, definition):
        return {"options": [{"id": o["id"], "correct": o["correct"], "weight": o.get("weight")}
                            for o in definition["options"]],
                "codes": scorm12_codes([o["id"] for o in definition["options"]])}

    def scorm_legend(self, definition, data):
        return {"option": (data.get("codes"), {o["id"]: o["text"] for o in definition["options"]})}

    def report_summary(self, definition, counts):
        return [Choice(o["id"], counts.get(o["id"], 0), o["correct"]) for o in definition["options"]]

    def report_flags(self, definition, counts):
        return [_l("distractor %(option)s never chosen", option=o["id"])
                for o in definition["options"] if not o["correct"] and not counts.get(o["id"])]


def option_line(option: dict, prefix: str) -> str:
    """One GIFT answer line: the prefix (``=``, ``~``, ``~%50%``), the text and its feedback."""
    return prefix + with_feedback(english(option["text"]), option.get("feedback"))
