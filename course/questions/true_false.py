"""True or false: one statement to judge, with feedback for each of the two answers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from course.i18n import true_false
from course.interchange.gift_syntax import english, escape
from course.questions.base import Choice, QuestionType, i18n, text_in

#: GIFT's spellings of the two answers.
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class TrueFalse(QuestionType):
    name = "truefalse"
    label = "True or false"
    template = "questions/true_false.html"
    interaction = "true-false"
    scorm_interaction = "true-false"
    counts_responses = True
    gift_order = 50
    moodle_xml_names = ("truefalse",)

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

    def translate(self, definition, entry, lang, report):
        feedback = entry.get("feedback")
        if not isinstance(feedback, dict):
            return
        for value in ("true", "false"):
            text = feedback.get(value, feedback.get(value == "true"))
            if isinstance(text, str) and definition["feedback"].get(value):
                definition["feedback"][value] = {**definition["feedback"][value], lang: text.strip()}

    def check_response(self, definition, response):
        return None if isinstance(response, bool) else "must be true or false"

    def from_form(self, definition, form, name):
        value = form.get(name)
        return {"true": True, "false": False}.get(value)

    def score(self, definition, response):
        return 1.0 if response is definition["answer"] else 0.0

    def correct_response(self, definition):
        return definition["answer"]

    def response_parts(self, definition, response, lang):
        return [true_false(response, lang)] if isinstance(response, bool) else []

    def feedback(self, definition, response, lang):
        if not isinstance(response, bool):
            return []
        text = definition["feedback"].get("true" if response else "false")
        return [text_in(text, lang)] if text else []

    def gift_claims(self, answers):
        return answers.split("#", 1)[0].strip() in TRUE_FALSE

    def gift_read(self, importer, draft, answers, metadata):
        """``{T#shown when wrong#shown when right}``: Moodle's order, turned into Marsa's
        feedback per chosen value."""
        parts = answers.chars.split("#", 2)
        answer = TRUE_FALSE[parts[0].strip()]
        wrong = importer.formatted(draft, parts[1]) if len(parts) > 1 else ""
        right = importer.formatted(draft, parts[2]) if len(parts) > 2 else ""
        on_true, on_false = (right, wrong) if answer else (wrong, right)
        feedback = {key: text for key, text in (("true", on_true), ("false", on_false)) if text}
        return self.name, {"answer": answer, **({"feedback": feedback} if feedback else {})}

    def gift_write(self, d):
        feedback = d.get("feedback") or {}
        on_true, on_false = english(feedback.get("true")), english(feedback.get("false"))
        right, wrong = (on_true, on_false) if d["answer"] else (on_false, on_true)
        text = "TRUE" if d["answer"] else "FALSE"
        if wrong or right:
            text += f"#{escape(wrong)}"
        if right:
            text += f"#{escape(right)}"
        return [text], [], False

    def xml_read(self, importer, draft, element):
        answer, feedback = None, {}
        for _, fraction, text, text_feedback in importer.answers(draft, element):
            value = text.strip().lower() == "true"
            if fraction >= 1:
                answer = value
            if text_feedback:
                feedback["true" if value else "false"] = text_feedback
        if answer is None:
            importer.error(draft, importer.line(element), "answer", "neither true nor false has 100%")
            return None
        return self.name, {"answer": answer, **({"feedback": feedback} if feedback else {})}

    def scorm_data(self, definition):
        return {"answer": definition["answer"]}

    def xapi_response(self, definition, response):
        return "true" if response else "false"

    def report_summary(self, definition, counts):
        return [Choice(_l("True"), counts.get("true", 0), False), Choice(_l("False"), counts.get("false", 0), False)]
