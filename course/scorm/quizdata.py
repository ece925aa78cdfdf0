"""What the SCORM player is given about the quiz: each question's scoring data, SCORM 1.2's
one-character response codes, the player's own messages, and the legend of those codes.

Everything here ends up in the page's JSON data block (``index.html``'s ``#sco-data``), which
``static/scorm/player.js`` reads; ``interactions.csv`` explains the codes to whoever reads the
LMS's interaction reports. The answer key is in this data: grading happens in the browser.
"""
from __future__ import annotations

import csv
import io
import json

from flask_babel import gettext as _

from course.models.content import text_in
from course.questions import get_type
from course.scorm.errors import ScormError

SUSPEND_DATA_LIMIT = 4096
#: The player commits to the LMS at most this often (ms), besides at submission and when it closes.
COMMIT_INTERVAL_MS = 5000


def safe_json(value) -> str:
    """JSON that can sit inside a <script type="application/json"> element: no ``<``, ``>`` or
    ``&`` survives, so no text in it can close the element or open another."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def player_strings() -> dict[str, str]:
    """The messages the player shows, in the current (forced) locale. Placeholders stay as
    ``{name}`` for the player to fill in: only it knows the score, the attempt and so on."""
    return {
        "no_lms": _("No connection to a learning platform was found: your progress is not being saved."),
        "lms_error": _("The learning platform refused to save some data (error %(code)s).", code="{code}"),
        "score": _("Your score: %(score)s%%", score="{score}"),
        "passed": _("Passed. The pass mark is %(mark)s%%.", mark="{mark}"),
        "failed": _("Not passed. The pass mark is %(mark)s%%.", mark="{mark}"),
        "grade": _("Your grade for this quiz: %(grade)s%%", grade="{grade}"),
        "attempt": _("Attempt %(n)s of %(total)s", n="{n}", total="{total}"),
        "attempt_unlimited": _("Attempt %(n)s", n="{n}"),
        "retry": _("Try again"),
        "no_attempts": _("You have used all the attempts this quiz allows."),
        "correct": _("Correct"),
        "partial": _("Partly correct"),
        "wrong": _("Incorrect"),
        "unanswered": _("Not answered"),
        "unanswered_count": _("Questions not answered: %(n)s.", n="{n}"),
        "no_review": _("Feedback for this quiz is not shown here."),
        "lessons_done": _("You have read every lesson of this module."),
    }


def quiz_data(quiz) -> dict:
    """The quiz as the player scores it: its settings and every question's data, in file order."""
    settings = quiz.settings
    return {
        "id": quiz.key,
        "passMark": settings["pass_mark"],
        "attempts": settings.get("attempts"),
        "grading": settings.get("grading", "highest"),
        "showFeedback": settings.get("show_feedback", "after_submission"),
        "showAnswers": settings.get("show_answers", "after_submission"),
        "questions": [question_data(question.definition) for question in exportable_questions(quiz)],
    }


def question_data(definition: dict) -> dict:
    """One question as the player scores and reports it (see ``score`` in player.js); what each type
    adds is its own (``scorm_data`` in course/questions/)."""
    qtype, qid = definition["type"], definition["id"]
    kind = get_type(qtype)
    if kind.scorm_interaction is None:  # pragma: no cover - exportable_questions leaves these out
        raise ScormError(f"question {qid}: type {qtype!r} cannot be exported")
    return {"id": qid, "type": qtype, "points": definition["points"], "objectives": definition["objectives"],
            "scormType": kind.scorm_interaction, **kind.scorm_data(definition)}


def exportable_questions(quiz) -> list:
    """The quiz's questions a package can score: a question a trainer grades (an essay) cannot wait
    for a trainer inside an LMS, so it is left out (docs/COURSE_FORMAT.md says so)."""
    return [q for q in quiz.questions if get_type(q.definition["type"]).scorm_interaction is not None]


def interaction_codes(quiz, data: dict, lang: str) -> str:
    """The legend of the one-character identifiers in the LMS's interaction reports: question,
    what the character stands for (option, prompt, match or item), the character, Marsa's id and
    the text, so a report like ``a.b,b.a`` can be read."""
    by_id = {q.definition["id"]: q.definition for q in quiz.questions}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question", "kind", "code", "id", "text"])
    for question in data["questions"]:
        definition = by_id[question["id"]]
        texts = get_type(question["type"]).scorm_legend(definition, question)
        for kind, (codes, names) in texts.items():
            for item_id, code in (codes or {}).items():
                writer.writerow([question["id"], kind, code, item_id, text_in(names[item_id], lang)])
    return out.getvalue()
