"""What every question type is asked, with the answers most types share.

A question type is one class (``course/questions/<type>.py``) and one template
(``templates/questions/<type>.html``). The class owns everything about its questions that differs
from one type to the next: checking the quiz file's definition and its translations, which
responses are well formed and how they score, the per-attempt tokens its choices travel under,
what the page and the review show, its GIFT and Moodle XML forms, its SCORM and xAPI interaction
and its line in the item analysis. Callers ask the registry (``course.questions``) and never test
a type's name. Nothing here touches Flask or the database.
"""
from __future__ import annotations

import abc
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from course.interchange.gift_syntax import CannotExport

Report = Callable[[str, str], None]  # (field, message)
#: A type's page view gets the attempt's order of a list of items (``salt`` tells two lists of
#: one question apart) and the names the page shows them under (the attempt's tokens, or the ids).
Order = Callable[[list, str], list]
Names = Callable[[str, str], str]  # (kind, authoring id) -> the name on the page
I18N_LANGS = ("en", "ar")


class Choice(NamedTuple):
    """One line of a question's item-analysis summary: what officers chose, and how often."""
    #: the option's id, or a (lazy) label such as "True"
    label: Any
    count: int
    #: the choice is (part of) the key
    key: bool


class QuestionType(abc.ABC):
    #: The quiz file's ``type:``.
    name: str = ""
    label: str = ""
    #: The template (under ``templates/``) with the ``input(q)`` and ``review(q)`` macros.
    template: str = ""
    #: The xAPI interaction type (``interactionType``).
    interaction: str = "other"
    #: The SCORM 1.2 interaction type; None: the type is left out of SCORM packages.
    scorm_interaction: str | None = None
    #: The page shows its items shuffled whatever the quiz says (in authored order they are the key).
    shuffle_always: bool = False
    #: Between the parts of an answer written on one line; ``ordered_answer``: the parts are a
    #: sequence, which a review shows as a numbered list.
    describe_separator: str = "; "
    ordered_answer: bool = False
    #: The item analysis counts how often each response was given (``report_summary``).
    counts_responses: bool = False
    #: A trainer marks the answer; it scores nothing until then (``course.services.grading``).
    graded_by_trainer: bool = False
    #: Where the GIFT importer asks this type whether an answer block is its own: lower asks first.
    gift_order: int = 100
    #: The ``// marsa:`` settings of this type beyond those every question has.
    gift_settings: tuple[str, ...] = ()
    #: ``// marsa:`` settings that take the rest of their line and may repeat (``criterion=...``).
    gift_line_settings: tuple[str, ...] = ()
    #: Moodle XML ``<question type="...">`` names this type reads.
    moodle_xml_names: tuple[str, ...] = ()

    # --- the quiz file ----------------------------------------------------------------------------

    @abc.abstractmethod
    def normalize(self, raw: dict, report: Report) -> dict:
        """The stored definition of a question of this type; problems go to ``report``."""

    def translate(self, definition: dict, entry: dict, lang: str, report: Report) -> None:  # noqa: B027
        """Add the ``lang`` texts of a translation overlay's ``entry`` to this type's own fields
        (a hook: a type whose only texts are the shared ones has nothing to add)."""

    # --- answering and scoring ----------------------------------------------------------------

    @abc.abstractmethod
    def check_response(self, definition: dict, response: Any) -> str | None:
        """None when ``response`` is a well-formed answer to this question, else why not."""

    @abc.abstractmethod
    def from_form(self, definition: dict, form, name: str) -> Any:
        """The response given in a submitted form (``name`` is the field prefix), or None."""

    @abc.abstractmethod
    def score(self, definition: dict, response: Any) -> float:
        """The fraction (0 to 1) of the points that a well-formed ``response`` earns."""

    @abc.abstractmethod
    def correct_response(self, definition: dict) -> Any:
        """A response that earns full marks, for review pages and exports."""

    def score_marks(self, definition: dict, marks: dict[str, float]) -> float:
        """The share of the points a trainer's ``marks`` earn (types ``graded_by_trainer``)."""
        raise NotImplementedError(f"{self.name} answers are scored automatically")

    def matching_answer(self, definition: dict, response: Any) -> dict | None:
        """The authored answer ``response`` matched (with its credit and feedback), for types that list them."""
        return None

    # --- answer tokens (course/answertokens.py) ------------------------------------------------

    def token_ids(self, definition: dict) -> dict[str, list[str]]:
        """kind (option, prompt, match, item) -> the authoring ids the page names by token."""
        return {}

    def encode_response(self, tokens, response: Any) -> Any:
        """A stored response under the attempt's tokens (``tokens``: a ``QuestionTokens``)."""
        return response

    def decode_form(self, tokens, form, decoded) -> None:
        """Copy this question's fields of ``form`` into ``decoded`` with authoring ids for tokens."""
        for value in form.getlist(tokens.name):
            decoded.add(tokens.name, value)

    # --- the page and the review ----------------------------------------------------------------

    def page_view(self, definition: dict, response: Any, lang: str, order: Order, names: Names) -> dict:
        """The type's own fields of a question on a page (options, prompts...); ``response`` is
        already under the page's names."""
        return {}

    def response_parts(self, definition: dict, response: Any, lang: str) -> list[str]:
        """The officer's (answered) answer as lines of plain text: each option chosen, each pair
        matched, each item in the order given. A review page shows one a line; ``describe`` joins them."""
        return [str(response)]

    def describe(self, definition: dict, response: Any, lang: str) -> str:
        """The officer's answer as one line of plain text, for transcripts and the own-data download."""
        return self.describe_separator.join(self.response_parts(definition, response, lang))

    def feedback(self, definition: dict, response: Any, lang: str) -> list[str]:
        """The authored feedback texts that ``response`` earns."""
        answer = self.matching_answer(definition, response) if response is not None else None
        text = answer.get("feedback") if answer else None
        return [text_in(text, lang)] if text else []

    def review_fraction(self, definition: dict, response: Any, score: float | None, max_score: float) -> float | None:
        """The share of the points for a review's verdict (None: not known yet)."""
        if response is None or self.check_response(definition, response) is not None:
            return 0.0  # as score_response counts an unanswered or malformed answer
        return self.score(definition, response)

    def review_view(self, definition: dict, answer, lang: str, review) -> dict:
        """More of a closed attempt's answer for its review (a trainer's marks, say), as ``review`` allows."""
        return {}

    # --- GIFT (course/interchange/gift_read.py) and Moodle XML (course/interchange/moodle_xml.py) ---------

    def gift_claims(self, answers: str) -> bool:
        """Whether a GIFT answer block (its inside, escapes hidden) is a question of this type."""
        return False

    def gift_read(self, importer, draft, answers, metadata: dict) -> tuple[str, dict] | None:
        """The (type, fields) a GIFT answer block gives; problems go through ``importer``."""
        return None

    def gift_write(self, definition: dict) -> tuple[list[str], list[str], bool]:
        """(answer lines, notes on what GIFT loses, whether the block is written one line per answer)."""
        raise CannotExport(f"{self.name} questions cannot be written in GIFT")

    def gift_comments(self, definition: dict) -> list[str]:
        """``// marsa:`` lines of this type, written before the question (what GIFT cannot hold)."""
        return []

    def xml_claims(self, element) -> bool:
        """Whether a Moodle XML ``<question>`` of one of ``moodle_xml_names`` is of this type."""
        return True

    def xml_read(self, importer, draft, element) -> tuple[str, dict] | None:
        """The (type, fields) a Moodle XML ``<question>`` gives; problems go through ``importer``."""
        return None

    # --- SCORM (course/scorm/) and xAPI (course/interchange/xapi.py) ---------------------------------------

    def scorm_data(self, definition: dict) -> dict:
        """What the SCORM player needs of the question besides its id, points and objectives."""
        return {}

    def scorm_legend(self, definition: dict, data: dict) -> dict[str, tuple[dict | None, dict]]:
        """kind -> (SCORM 1.2 one-character codes, texts by id), for the package's interactions.csv."""
        return {}

    def xapi_response(self, definition: dict, response: Any) -> str:
        """The response in the xAPI interaction format (``[,]`` between choices, ``[.]`` in pairs)."""
        return str(response)

    # --- the item analysis (course/services/reports.py) -------------------------------------------

    def report_summary(self, definition: dict, counts: dict[str, int]) -> list[Choice]:
        """How often each response was given (``counts``: response -> count)."""
        return []

    def report_flags(self, definition: dict, counts: dict[str, int]) -> list:
        """What the trainer should check about the question's answers (lazy strings)."""
        return []


def text_in(value, lang: str) -> str:
    """The text of an i18n value in ``lang``, falling back to English (as ``course.models.content``)."""
    from course.models.content import text_in as model_text_in
    return model_text_in(value, lang)


def i18n(value: Any) -> dict | None:
    """Normalise a text field to {"en": ..., "ar": ...} (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items() if v is not None}
    return {"en": str(value).strip()}


def texts(items: list[dict], field: str, lang: str, names: Names, kind: str) -> list[dict]:
    """Items for a page: each one's name on the page and its text in ``lang``."""
    return [{"id": names(kind, item["id"]), "text": text_in(item.get(field), lang)} for item in items]


def unique_ids(items: list[dict], field: str, report: Report) -> bool:
    seen: set[str] = set()
    ok = True
    for item in items:
        item_id = item.get("id")
        if item_id in seen:
            report(field, f"duplicate id {item_id!r}")
            ok = False
        seen.add(item_id)
    return ok


def read_items(raw: dict, field: str, text_fields: tuple[str, ...], report: Report,
               minimum: int = 2) -> list[tuple[dict, dict]]:
    """(raw item, checked entry) of a list of ``{id, <text fields>}``."""
    items = raw.get(field)
    if not isinstance(items, list) or len(items) < minimum:
        report(field, f"needs a list of at least {minimum} entries")
        return []
    out = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            report(f"{field}[{index}]", "must be a mapping")
            continue
        item_id = item.get("id")
        if item_id is None or not re.fullmatch(r"[A-Za-z0-9_-]+", str(item_id)):
            report(f"{field}[{index}].id", "is required (letters, digits, - or _)")
            continue
        entry = {"id": str(item_id)}
        for text_field in text_fields:
            value = i18n(item.get(text_field))
            if not value or not value.get("en"):
                report(f"{field}[{index}].{text_field}", "is required")
            entry[text_field] = value
        out.append((item, entry))
    unique_ids([entry for _, entry in out], field, report)
    return out


def translate_texts(items: list[dict], translated: Any, field: str, lang: str) -> None:
    """Overlay texts keyed by item id (``{a: "...", b: "..."}``) onto ``items[*][field]`` where set."""
    if not isinstance(translated, dict):
        return
    for item in items:
        text = translated.get(item["id"])
        if isinstance(text, str) and item.get(field):
            item[field] = {**item[field], lang: text.strip()}


def credit(value: Any, default: float, field: str, report: Report) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        report(field, "must be a number from 0 to 1 (the share of the points)")
        return default
    return float(value)


def check_full_credit(answers: list[dict], field: str, report: Report) -> None:
    if answers and not any(a["credit"] >= 1 for a in answers):
        report(field, "needs at least one answer with full credit (credit: 1)")


def translate_answer_feedback(definition: dict, entry: dict, lang: str) -> None:
    """``answer_feedback``: the feedback of each authored answer in the quiz file's order."""
    answer_feedback = entry.get("answer_feedback")
    if not isinstance(answer_feedback, list):
        return
    for answer, text in zip(definition.get("answers") or [], answer_feedback):
        if isinstance(text, str) and text.strip() and answer.get("feedback"):
            answer["feedback"] = {**answer["feedback"], lang: text.strip()}
