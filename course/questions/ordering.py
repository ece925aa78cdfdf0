"""Ordering: put the items in order. Items are authored in the right order, so the page always
shows them shuffled, named by the attempt's tokens; each item in its place earns its share."""
from __future__ import annotations

from course.questions.base import QuestionType, read_items, text_in, texts, translate_texts
from course.questions.scorm12 import scorm12_codes


class Ordering(QuestionType):
    name = "ordering"
    label = "Ordering"
    template = "questions/ordering.html"
    interaction = "sequencing"
    scorm_interaction = "sequencing"
    shuffle_always = True
    describe_separator = " → "
    ordered_answer = True

    def normalize(self, raw, report):
        return {"items": [entry for _, entry in read_items(raw, "items", ("text",), report, minimum=3)]}

    def translate(self, definition, entry, lang, report):
        translate_texts(definition["items"], entry.get("items"), "text", lang)

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

    def token_ids(self, definition):
        return {"item": [i["id"] for i in definition["items"]]}

    def encode_response(self, tokens, response):
        if not isinstance(response, list):
            return response
        out = tokens.outs("item")
        return [out[i] for i in response if i in out]

    def decode_form(self, tokens, form, decoded):
        for item_id, token in tokens.outs("item").items():
            value = form.get(f"{tokens.name}-{token}")
            if value is not None:
                decoded.add(f"{tokens.name}-{item_id}", value)

    def page_view(self, definition, response, lang, order, names):
        return {"items": texts(order(definition["items"], ""), "text", lang, names, "item"),
                "positions": ({item_id: index for index, item_id in enumerate(response, start=1)}
                              if isinstance(response, list) else {})}

    def response_parts(self, definition, response, lang):
        names = {i["id"]: text_in(i["text"], lang) for i in definition["items"]}
        return [names.get(i, i) for i in response]

    def scorm_data(self, definition):
        items = [i["id"] for i in definition["items"]]
        return {"items": items, "codes": scorm12_codes(items)}

    def scorm_legend(self, definition, data):
        return {"item": (data.get("codes"), {i["id"]: i["text"] for i in definition["items"]})}

    def xapi_response(self, definition, response):
        return "[,]".join(response)
