"""Matching: each prompt to its match; extra matches (distractors) match nothing. A pair's prompt
and match share one id, so the page names both by the attempt's tokens."""
from __future__ import annotations

from typing import Any

from course.interchange.gift_syntax import CannotExport, english, escape
from course.questions.base import QuestionType, i18n, read_items, text_in, texts, translate_texts
from course.questions.scorm12 import scorm12_codes

#: Longer choices than this are listed in full above the drop-downs.
LONG_CHOICE = 40
LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ARABIC_LETTERS = "أبجدهوزحطيكلمنسعفصقرشتثخذضظغ"  # the abjad order Arabic lists are labelled in

class Matching(QuestionType):
    name = "matching"
    label = "Matching"
    template = "questions/matching.html"
    interaction = "matching"
    scorm_interaction = "matching"
    shuffle_always = True
    gift_order = 40
    moodle_xml_names = ("matching",)

    def normalize(self, raw, report):
        pairs = [entry for _, entry in read_items(raw, "pairs", ("prompt", "match"), report)]
        distractors = []
        extra = raw.get("distractors") or []
        if not isinstance(extra, list):
            report("distractors", "must be a list of texts")
            extra = []
        for index, text in enumerate(extra, start=1):
            distractors.append({"id": f"x{index}", "text": i18n(text)})
        return {"pairs": pairs, "distractors": distractors}

    def translate(self, definition, entry, lang, report):
        pairs = entry.get("pairs")
        if isinstance(pairs, dict):
            for pair in definition["pairs"]:
                translated = pairs.get(pair["id"])
                if isinstance(translated, dict):
                    for side in ("prompt", "match"):
                        if isinstance(translated.get(side), str):
                            pair[side] = {**pair[side], lang: translated[side].strip()}
        distractors = entry.get("distractors")
        if isinstance(distractors, list):
            translate_texts(definition["distractors"], {d["id"]: text for d, text in
                                                        zip(definition["distractors"], distractors)}, "text", lang)

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

    # --- tokens, page and review --------------------------------------------------------------

    def token_ids(self, definition):
        prompts = [p["id"] for p in definition["pairs"]]
        return {"prompt": prompts, "match": prompts + [d["id"] for d in definition["distractors"]]}

    def encode_response(self, tokens, response):
        if not isinstance(response, dict):
            return response
        prompts, matches = tokens.outs("prompt"), tokens.outs("match")
        return {prompts[p]: matches[m] for p, m in response.items() if p in prompts and m in matches}

    def decode_form(self, tokens, form, decoded):
        for prompt_id, token in tokens.outs("prompt").items():
            value = form.get(f"{tokens.name}-{token}")
            if value:
                decoded.add(f"{tokens.name}-{prompt_id}", tokens.back("match", value))

    def _matches(self, definition: dict) -> list[dict]:
        return ([{"id": p["id"], "text": p["match"]} for p in definition["pairs"]]
                + [{"id": d["id"], "text": d["text"]} for d in definition["distractors"]])

    def page_view(self, definition, response, lang, order, names):
        matches = texts(order(self._matches(definition), ":m"), "text", lang, names, "match")
        if matches and max(len(m["text"]) for m in matches) > LONG_CHOICE:
            # A closed drop-down cuts a long description off: the page lists the choices in full
            # first, each with a letter (by its place on this page) that its drop-down entry starts with.
            for letter, match in zip(ARABIC_LETTERS if lang == "ar" else LATIN_LETTERS, matches):
                match["letter"] = letter
        return {"prompts": texts(definition["pairs"], "prompt", lang, names, "prompt"), "matches": matches}

    def response_parts(self, definition, response, lang):
        matches = {m["id"]: text_in(m["text"], lang) for m in self._matches(definition)}
        prompts = {p["id"]: text_in(p["prompt"], lang) for p in definition["pairs"]}
        return [f"{prompts.get(k, k)} → {matches.get(v, v)}" for k, v in response.items()]

    # --- GIFT and Moodle XML --------------------------------------------------------------------------

    def gift_claims(self, answers):
        return "=" in answers and "->" in answers

    def gift_read(self, importer, draft, answers, metadata):
        """``=prompt -> match`` pairs; a pair with no prompt is a distractor, as in Moodle."""
        head, pieces = answers.split_before("=")
        if head.chars.strip():
            importer.error(draft, head.line, "pairs", "text before the first = pair")
        pairs, distractors = [], []
        for index, piece in enumerate(pieces, start=1):
            part = f"pairs[{index}]"
            prompt_part, match_part = piece.cut(1).partition("->")
            if match_part is None:
                importer.error(draft, piece.line, part, "a matching pair needs 'prompt -> match'")
                continue
            prompt, match = importer.formatted(draft, prompt_part.chars), match_part.plain()
            if not match:
                importer.error(draft, piece.line, part, "the pair has no match after '->'")
            if prompt:
                pairs.append({"prompt": prompt, "match": match})
            else:
                distractors.append(match)
        ids = importer.ids_for(draft, metadata, "pairs", len(pairs))
        specific: dict[str, Any] = {"pairs": [{"id": pair_id, **pair} for pair_id, pair in zip(ids, pairs)]}
        if distractors:
            specific["distractors"] = distractors
        return self.name, specific

    def gift_write(self, d):
        lines = []
        for pair in d["pairs"]:
            prompt = english(pair["prompt"])
            if "->" in prompt:
                raise CannotExport(f"the prompt of pair {pair['id']} contains '->', which GIFT cannot escape")
            lines.append(f"={escape(prompt)} -> {escape(english(pair['match']))}")
        lines.extend(f"= -> {escape(english(item['text']))}" for item in d.get("distractors", []))
        return lines, [], True

    def xml_read(self, importer, draft, element):
        pairs, distractors = [], []
        for index, sub in enumerate(element.findall("subquestion"), start=1):
            prompt = importer.text_of(draft, sub)
            match = (sub.findtext("answer/text") or "").strip()
            if not match:
                importer.error(draft, importer.line(sub), f"pairs[{index}]", "the pair has no answer")
            if prompt:
                pairs.append({"id": f"p{len(pairs) + 1}", "prompt": prompt, "match": match})
            else:
                distractors.append(match)
        return self.name, {"pairs": pairs, **({"distractors": distractors} if distractors else {})}

    # --- SCORM and xAPI -------------------------------------------------------------------------------

    def scorm_data(self, definition):
        pairs = [p["id"] for p in definition["pairs"]]
        matches = [m["id"] for m in self._matches(definition)]
        return {"pairs": pairs, "matches": matches, "sourceCodes": scorm12_codes(pairs),
                "codes": scorm12_codes(matches)}

    def scorm_legend(self, definition, data):
        return {"prompt": (data.get("sourceCodes"), {p["id"]: p["prompt"] for p in definition["pairs"]}),
                "match": (data.get("codes"), {m["id"]: m["text"] for m in self._matches(definition)})}

    def xapi_response(self, definition, response):
        return "[,]".join(f"{k}[.]{v}" for k, v in response.items())
