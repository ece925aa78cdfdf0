"""What a quiz page shows of each question, in the officer's language, without the answer key.

``question_for_page`` is all a template gets while an attempt is open: texts, the attempt's
option order and the saved response, with every option, prompt, match and item named by the
attempt's tokens (``course/answertokens.py``), never by its authoring id. ``question_for_review``
adds correctness, feedback and the key only when the quiz's review rules allow it.
"""
from __future__ import annotations

from typing import Any

from course.answertokens import AnswerTokens, QuestionTokens
from course.i18n import true_false
from course.models import Attempt, AttemptAnswer
from course.models.content import text_in
from course.questions import answer_feedback, get_type, score_response
from course.services.attempts import PageAnswer, option_order
from course.services.review_policy import Review


def _texts(items: list[dict], field: str, lang: str) -> list[dict]:
    return [{"id": item["id"], "text": text_in(item.get(field), lang)} for item in items]


def question_for_page(attempt: Attempt, answer: AttemptAnswer | PageAnswer, definition: dict,
                      lang: str, tokens: AnswerTokens | None = None) -> dict[str, Any]:
    """One question for a page. With ``tokens`` (the attempt page, which has answer fields) every
    id is the attempt's token; without (a review page, which has none) the authoring ids stay."""
    qtype = definition["type"]
    view: dict[str, Any] = {
        "name": f"q{answer.question_version_id}",
        "version_id": answer.question_version_id,
        "position": answer.position,
        "type": qtype,
        "points": answer.max_score,
        "stem": text_in(definition.get("stem"), lang),
        "case": text_in(definition.get("case"), lang) if definition.get("case") else "",
        "group": definition.get("group"),
        "response": answer.response,
        "seq": answer.seq,
    }
    if qtype in ("single", "multiple"):
        view["options"] = _texts(option_order(attempt, definition, definition["options"]), "text", lang)
    elif qtype == "matching":
        view["prompts"] = _texts(definition["pairs"], "prompt", lang)
        matches = [{"id": p["id"], "text": text_in(p["match"], lang)} for p in definition["pairs"]]
        matches += [{"id": d["id"], "text": text_in(d["text"], lang)} for d in definition["distractors"]]
        view["matches"] = option_order(attempt, {**definition, "id": definition["id"] + ":m"}, matches)
    elif qtype == "ordering":
        view["items"] = _texts(option_order(attempt, definition, definition["items"]), "text", lang)
    if tokens is not None:
        _use_tokens(view, tokens.for_question(attempt.id, answer.question_version_id, definition))
    if qtype == "ordering":
        response = view["response"]
        view["positions"] = ({item_id: index for index, item_id in enumerate(response, start=1)}
                             if isinstance(response, list) else {})
    return view


def _use_tokens(view: dict[str, Any], tokens: QuestionTokens) -> None:
    """Rename the question's options, prompts, matches and items (and the saved response) by token."""
    for field, kind in (("options", "option"), ("prompts", "prompt"), ("matches", "match"), ("items", "item")):
        if field in view:
            view[field] = [{**entry, "id": tokens.out(kind, entry["id"])} for entry in view[field]]
    view["response"] = tokens.encode_response(view["response"])


def describe_response(definition: dict, response: Any, lang: str) -> str:
    """The officer's answer as plain text, for review pages and transcripts."""
    if response is None:
        return ""
    qtype = definition["type"]
    if qtype in ("single", "multiple"):
        chosen = [response] if isinstance(response, str) else list(response)
        names = {o["id"]: text_in(o["text"], lang) for o in definition["options"]}
        return "; ".join(names.get(c, c) for c in chosen)
    if qtype == "truefalse":
        return true_false(response, lang) if isinstance(response, bool) else ""
    if qtype == "matching":
        matches = {p["id"]: text_in(p["match"], lang) for p in definition["pairs"]}
        matches.update({d["id"]: text_in(d["text"], lang) for d in definition["distractors"]})
        prompts = {p["id"]: text_in(p["prompt"], lang) for p in definition["pairs"]}
        return "; ".join(f"{prompts.get(k, k)} → {matches.get(v, v)}" for k, v in response.items())
    if qtype == "ordering":
        names = {i["id"]: text_in(i["text"], lang) for i in definition["items"]}
        return " → ".join(names.get(i, i) for i in response)
    return str(response)


def question_for_review(attempt: Attempt, answer: AttemptAnswer, lang: str, review: Review) -> dict[str, Any]:
    """One question of a closed attempt with what ``review`` (``course.services.review_policy``) allows:
    the verdict and points, the feedback, the correct answer; the officer's own answer always."""
    definition = answer.question_version.definition
    view = question_for_page(attempt, answer, definition, lang)
    view.update({
        "answered": answer.response is not None,
        "your_answer": describe_response(definition, answer.response, lang),
        "score": None,
        "verdict": None,
        "feedback": [],
        "explanation": "",
        "correct_answer": "",
    })
    if review.verdicts:
        fraction = score_response(definition, answer.response)
        view["score"] = answer.score if answer.score is not None else round(fraction * answer.max_score, 4)
        view["verdict"] = "correct" if fraction >= 0.999 else ("partial" if fraction > 0 else "incorrect")
    if review.feedback:
        view["explanation"] = text_in(definition.get("explanation"), lang)
        if definition["type"] in ("single", "multiple") and answer.response is not None:
            chosen = [answer.response] if isinstance(answer.response, str) else answer.response
            for option in definition["options"]:
                if option["id"] in chosen and option.get("feedback"):
                    view["feedback"].append(text_in(option["feedback"], lang))
        elif definition["type"] == "truefalse" and isinstance(answer.response, bool):
            text = definition["feedback"].get("true" if answer.response else "false")
            if text:
                view["feedback"].append(text_in(text, lang))
        elif definition["type"] in ("short", "numeric"):
            text = answer_feedback(definition, answer.response)
            if text:
                view["feedback"].append(text_in(text, lang))
    if review.answers:
        view["correct_answer"] = describe_response(
            definition, get_type(definition["type"]).correct_response(definition), lang)
    return view


def paginate(questions: list[dict], per_page: int | None) -> list[list[dict]]:
    """Split a quiz page into pages of about ``per_page`` questions; a scenario group is never split."""
    if not per_page:
        return [questions]
    pages: list[list[dict]] = [[]]
    for question in questions:
        same_group = pages[-1] and question["group"] and pages[-1][-1]["group"] == question["group"]
        if len(pages[-1]) >= per_page and not same_group:
            pages.append([])
        pages[-1].append(question)
    return pages
