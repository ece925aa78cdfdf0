"""Single choice: one right option among several; a wrong option may carry partial credit (``weight``)."""
from __future__ import annotations

from course.interchange.gift_syntax import percent
from course.questions.choice import ChoiceType, option_line


class SingleChoice(ChoiceType):
    name = "single"
    label = "Single choice"
    template = "questions/single_choice.html"
    gift_order = 20
    moodle_xml_names = ("multichoice",)

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

    def encode_response(self, tokens, response):
        return tokens.outs("option").get(response) if isinstance(response, str) else response

    def gift_claims(self, answers):
        return "~" in answers and "=" in answers

    def gift_write(self, d):
        lines, notes = [], []
        for option in d["options"]:
            weight = option.get("weight")
            if option["correct"]:
                prefix = "="
                if weight is not None and weight != 1:
                    notes.append(f"option {option['id']}: the weight of the correct option is not kept "
                                 "(= is full marks)")
            else:
                prefix = f"~%{percent(weight)}%" if weight not in (None, 0) else "~"
            lines.append(option_line(option, prefix))
        return lines, notes, True
