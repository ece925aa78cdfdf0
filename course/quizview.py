"""What a quiz page shows of each question, in the officer's language, without the answer key.

``question_for_page`` is all a template gets while an attempt is open: texts, the attempt's
option order and the saved response, with every option, prompt, match and item named by the
attempt's tokens (``course/answertokens.py``), never by its authoring id. ``question_for_review``
adds correctness, feedback and the key only when the quiz's review rules allow it.
"""
from __future__ import annotations

from typing import Any

from course.answertokens import AnswerTokens
from course.models import Attempt, AttemptAnswer
from course.models.content import text_in
from course.questions import get_type
from course.services.attempts import PageAnswer, option_order
from course.services.review_policy import Review


def question_for_page(attempt: Attempt, answer: AttemptAnswer | PageAnswer, definition: dict,
                      lang: str, tokens: AnswerTokens | None = None) -> dict[str, Any]:
    """One question for a page. With ``tokens`` (the attempt page, which has answer fields) every
    id is the attempt's token; without (a review page, which has none) the authoring ids stay. The
    type adds its own fields (``page_view``) and its template shows them."""
    qtype = get_type(definition["type"])
    names = tokens.for_question(attempt.id, answer.question_version_id, definition) if tokens is not None else None
    response = names.encode_response(answer.response) if names is not None else answer.response
    view: dict[str, Any] = {
        "name": f"q{answer.question_version_id}",
        "version_id": answer.question_version_id,
        "position": answer.position,
        "type": qtype.name,
        "template": qtype.template,
        "points": answer.max_score,
        "stem": text_in(definition.get("stem"), lang),
        "case": text_in(definition.get("case"), lang) if definition.get("case") else "",
        "group": definition.get("group"),
        "response": response,
        "seq": answer.seq,
    }

    def order(items: list, salt: str) -> list:
        return option_order(attempt, {**definition, "id": definition["id"] + salt} if salt else definition, items)

    view.update(qtype.page_view(definition, response, lang, order, names.out if names is not None else _same))
    return view


def _same(kind: str, item_id: str) -> str:
    return item_id


def response_parts(definition: dict, response: Any, lang: str) -> list[str]:
    """The officer's answer as lines of plain text: each option chosen, each pair matched, each item in
    the order given. A review page shows them one per line; texts join them (``describe_response``)."""
    if response is None:
        return []
    return get_type(definition["type"]).response_parts(definition, response, lang)


def describe_response(definition: dict, response: Any, lang: str) -> str:
    """The officer's answer as one line of plain text, for transcripts and the own-data download."""
    if response is None:
        return ""
    return get_type(definition["type"]).describe(definition, response, lang)


def question_for_review(attempt: Attempt, answer: AttemptAnswer, lang: str, review: Review) -> dict[str, Any]:
    """One question of a closed attempt with what ``review`` (``course.services.review_policy``) allows:
    the verdict and points, the feedback, the correct answer; the officer's own answer always."""
    definition = answer.question_version.definition
    qtype = get_type(definition["type"])
    view = question_for_page(attempt, answer, definition, lang)
    view.update({
        "answered": answer.response is not None,
        "your_answer": response_parts(definition, answer.response, lang),
        "score": None,
        "verdict": None,
        "feedback": [],
        "explanation": "",
        "correct_answer": [],
        #: The answer's lines are a sequence (an ordering question): shown as a numbered list.
        "ordered": qtype.ordered_answer,
    })
    if review.verdicts:
        fraction = qtype.review_fraction(definition, answer.response, answer.score, answer.max_score)
        if fraction is not None:
            view["score"] = answer.score if answer.score is not None else round(fraction * answer.max_score, 4)
            view["verdict"] = "correct" if fraction >= 0.999 else ("partial" if fraction > 0 else "incorrect")
    if review.feedback:
        view["explanation"] = text_in(definition.get("explanation"), lang)
        view["feedback"] = qtype.feedback(definition, answer.response, lang)
    view.update(qtype.review_view(definition, answer, lang, review))
    if review.answers:
        view["correct_answer"] = response_parts(definition, qtype.correct_response(definition), lang)
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
