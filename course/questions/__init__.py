"""Question types: one module per type in this package, registered once below.

Each type (``base.QuestionType``) owns everything that differs between types: the quiz file's
definition and its translations, well-formed responses and their pure ``score()``, reading the
posted form (through the attempt's answer tokens), what the page and the review show (with its
template, ``templates/questions/<type>.html``), GIFT import and export, Moodle XML import, its
SCORM and xAPI interaction and its item-analysis summary. Everything else asks ``get_type(name)``
and never tests a type's name. Nothing here touches Flask or the database, so scoring is tested
directly.
"""
from __future__ import annotations

from typing import Any

from course.questions.base import I18N_LANGS, QuestionType, Report, i18n
from course.questions.essay import Essay
from course.questions.matching import Matching
from course.questions.multiple_response import MultipleResponse
from course.questions.numeric import Numeric, parse_number
from course.questions.ordering import Ordering
from course.questions.short_answer import ShortAnswer, answer_matches, normalize_answer_text
from course.questions.single_choice import SingleChoice
from course.questions.true_false import TrueFalse

__all__ = ["COMMON_TEXT_FIELDS", "I18N_LANGS", "REGISTRY", "QuestionType", "Report", "answer_feedback",
           "answer_matches", "get_type", "i18n", "normalize_answer_text", "parse_number", "score_response"]

#: The registry: a new type is one more class here.
REGISTRY: dict[str, QuestionType] = {cls.name: cls() for cls in (
    SingleChoice, MultipleResponse, TrueFalse, Matching, Ordering, ShortAnswer, Numeric, Essay,
)}

#: Fields common to every question, checked by the package reader before the type's own.
COMMON_TEXT_FIELDS = ("stem", "case", "explanation")


def get_type(name: str) -> QuestionType:
    return REGISTRY[name]


def score_response(definition: dict, response: Any) -> float:
    """Fraction of the question's points earned; an unanswered question earns nothing."""
    if response is None:
        return 0.0
    qtype = get_type(definition["type"])
    if qtype.check_response(definition, response) is not None:
        return 0.0
    return qtype.score(definition, response)


def answer_feedback(definition: dict, response: Any) -> dict | None:
    """The feedback of the authored answer (short or numeric) that ``response`` matched, if it has one."""
    if response is None:
        return None
    answer = get_type(definition["type"]).matching_answer(definition, response)
    return answer.get("feedback") if answer else None


def gift_types() -> list[QuestionType]:
    """The types that read GIFT, in the order they are asked whether an answer block is theirs."""
    return sorted((t for t in REGISTRY.values() if type(t).gift_read is not QuestionType.gift_read),
                  key=lambda t: t.gift_order)


def moodle_xml_types(kind: str) -> list[QuestionType]:
    """The types that read Moodle XML questions of ``<question type="kind">``."""
    return [t for t in REGISTRY.values() if kind in t.moodle_xml_names]
