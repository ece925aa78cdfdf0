"""Multiple response: every right option to choose; partial credit by default (each right option
its share, each wrong one takes a share off), or all or nothing."""
from __future__ import annotations

from course.interchange.gift_syntax import percent
from course.questions.choice import ChoiceType, option_line


class MultipleResponse(ChoiceType):
    name = "multiple"
    label = "Multiple response"
    template = "questions/multiple_response.html"
    single = False
    gift_order = 30
    gift_settings = ("scoring",)
    moodle_xml_names = ("multichoice",)

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

    def encode_response(self, tokens, response):
        if not isinstance(response, list):
            return response
        out = tokens.outs("option")
        return [out[r] for r in response if r in out]

    def gift_claims(self, answers):
        return "~" in answers

    def gift_write(self, d):
        """Every option with its weight: Marsa's default share where it has none (Moodle needs them)."""
        right = sum(1 for o in d["options"] if o["correct"])
        wrong = len(d["options"]) - right
        lines, notes = [], []
        for option in d["options"]:
            weight = option.get("weight")
            if weight is None:
                weight = 1 / right if option["correct"] else -1 / wrong
            lines.append(option_line(option, f"~%{percent(weight)}%"))
        if d.get("scoring") == "all_or_nothing":
            notes.append("Moodle has no all-or-nothing scoring and will give partial credit "
                         "(the '// marsa:' line keeps it for Marsa)")
        return lines, notes, True

    def scorm_data(self, definition):
        return {**super().scorm_data(definition), "scoring": definition.get("scoring", "partial")}

    def xapi_response(self, definition, response):
        return "[,]".join(response)
