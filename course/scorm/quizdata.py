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
from course.scorm.errors import ScormError

#: SCORM 1.2 interaction types (cmi.interactions.n.type) of Marsa's question types.
INTERACTION_TYPES = {
    "single": "choice", "multiple": "choice", "truefalse": "true-false", "matching": "matching",
    "ordering": "sequencing", "short": "fill-in", "numeric": "numeric",
}
SUSPEND_DATA_LIMIT = 4096
#: SCORM 1.2 allows one character of these per choice, matching or sequencing identifier (RTE 3.4.4).
SCORM12_CODES = "abcdefghijklmnopqrstuvwxyz0123456789"
#: The player commits to the LMS at most this often (ms), besides at submission and when it closes.
COMMIT_INTERVAL_MS = 5000


def scorm12_codes(ids: list[str]) -> dict[str, str] | None:
    """The one-character identifier of each option, pair or item in SCORM 1.2's responses: the id
    itself when every id is already one such character, else a, b, c ... in the order of the quiz
    file. None when there are more than 36 (the interaction is then reported without them)."""
    if len(set(ids)) == len(ids) and all(len(i) == 1 and i in SCORM12_CODES for i in ids):
        return {i: i for i in ids}
    if len(ids) > len(SCORM12_CODES):
        return None
    return dict(zip(ids, SCORM12_CODES))


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
        "questions": [question_data(question.definition) for question in quiz.questions],
    }


def question_data(definition: dict) -> dict:
    """One question as the player scores and reports it (see ``score`` in player.js)."""
    qtype, qid = definition["type"], definition["id"]
    data = {"id": qid, "type": qtype, "points": definition["points"], "objectives": definition["objectives"],
            "scormType": INTERACTION_TYPES[qtype]}
    if qtype in ("single", "multiple"):
        data["options"] = [{"id": o["id"], "correct": o["correct"], "weight": o.get("weight")}
                           for o in definition["options"]]
        data["codes"] = scorm12_codes([o["id"] for o in definition["options"]])
        if qtype == "multiple":
            data["scoring"] = definition.get("scoring", "partial")
    elif qtype == "truefalse":
        data["answer"] = definition["answer"]
    elif qtype == "matching":
        data["pairs"] = [p["id"] for p in definition["pairs"]]
        data["matches"] = data["pairs"] + [d["id"] for d in definition["distractors"]]
        data["sourceCodes"] = scorm12_codes(data["pairs"])
        data["codes"] = scorm12_codes(data["matches"])
    elif qtype == "ordering":
        data["items"] = [i["id"] for i in definition["items"]]
        data["codes"] = scorm12_codes(data["items"])
    elif qtype == "short":
        data["accept"] = definition["accept"]
        if "answers" in definition:
            data["answers"] = [{"text": a["text"], "credit": a["credit"]} for a in definition["answers"]]
    elif qtype == "numeric":
        if "range" in definition:
            data["range"] = definition["range"]
        else:
            data["answer"], data["tolerance"] = definition["answer"], definition["tolerance"]
        if "answers" in definition:
            data["answers"] = [{k: v for k, v in a.items() if k != "feedback"} for a in definition["answers"]]
    else:  # pragma: no cover - the reader only lets registered types through
        raise ScormError(f"question {qid}: type {qtype!r} cannot be exported")
    return data


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
        texts: dict[str, tuple[str, dict[str, str]]] = {}
        if question["type"] in ("single", "multiple"):
            texts = {"option": (question.get("codes"), {o["id"]: o["text"] for o in definition["options"]})}
        elif question["type"] == "matching":
            matches = {p["id"]: p["match"] for p in definition["pairs"]}
            matches.update({d["id"]: d["text"] for d in definition["distractors"]})
            texts = {"prompt": (question.get("sourceCodes"), {p["id"]: p["prompt"] for p in definition["pairs"]}),
                     "match": (question.get("codes"), matches)}
        elif question["type"] == "ordering":
            texts = {"item": (question.get("codes"), {i["id"]: i["text"] for i in definition["items"]})}
        for kind, (codes, names) in texts.items():
            for item_id, code in (codes or {}).items():
                writer.writerow([question["id"], kind, code, item_id, text_in(names[item_id], lang)])
    return out.getvalue()
