"""Essay (Moodle's open answer): the officer explains in their own words what they would do; a
trainer marks the answer against the question's rubric (``course/services/grading.py``), and until
then the attempt is "awaiting grading" and scores nothing.

The quiz file gives ``rubric``: a list of ``{id, text, marks}`` criteria. The question's points are
shared out in proportion: an answer given 3 of the rubric's 4 marks earns 3/4 of the points.
"""
from __future__ import annotations

import re
from typing import Any

from course.interchange.gift_syntax import english
from course.questions.base import QuestionType, read_items, text_in, translate_texts

#: The longest answer kept (characters): a few paragraphs.
MAX_LENGTH = 5000
#: The most marks one criterion may carry.
MAX_MARKS = 100
#: ``// marsa: criterion=ID:MARKS text``: one rubric criterion in a GIFT file, which has no rubric.
_CRITERION = re.compile(r"^([A-Za-z0-9_-]+):(\d+(?:\.\d+)?)\s+(.+)$")


def _marks_text(value: float) -> str:
    return f"{value:g}"


class Essay(QuestionType):
    name = "essay"
    label = "Essay (graded by a trainer)"
    template = "questions/essay.html"
    interaction = "long-fill-in"
    scorm_interaction = None  # a SCORM package cannot wait for a trainer: essays are left out
    graded_by_trainer = True
    gift_order = 5  # an empty answer block, as Moodle reads it
    gift_line_settings = ("criterion",)
    moodle_xml_names = ("essay",)

    def normalize(self, raw, report):
        rubric = []
        for item, entry in read_items(raw, "rubric", ("text",), report, minimum=1):
            marks = item.get("marks")
            if isinstance(marks, bool) or not isinstance(marks, (int, float)) or not 0 < marks <= MAX_MARKS:
                report(f"rubric.{entry['id']}.marks", f"must be a number above 0 and at most {MAX_MARKS}")
                marks = 1
            rubric.append({**entry, "marks": marks})
        return {"rubric": rubric}

    def translate(self, definition, entry, lang, report):
        translate_texts(definition["rubric"], entry.get("rubric"), "text", lang)

    def check_response(self, definition, response):
        if not isinstance(response, str) or len(response) > MAX_LENGTH:
            return f"must be a text of at most {MAX_LENGTH} characters"
        return None

    def from_form(self, definition, form, name):
        value = (form.get(name) or "").replace("\r\n", "\n").strip()
        return value[:MAX_LENGTH] or None

    def score(self, definition, response):
        """Nothing by itself: the trainer's marks decide (``score_marks``)."""
        return 0.0

    def score_marks(self, definition: dict, marks: dict[str, float]) -> float:
        """The share of the points that ``marks`` (criterion id -> marks given) earn."""
        total = sum(c["marks"] for c in definition["rubric"])
        given = sum(min(max(float(marks.get(c["id"], 0)), 0.0), c["marks"]) for c in definition["rubric"])
        return round(given / total, 6) if total else 0.0

    def correct_response(self, definition):
        return None  # there is no one right text; the explanation says what a good answer covers

    # --- the page and the review ----------------------------------------------------------------

    def page_view(self, definition, response, lang, order, names):
        return {"max_length": MAX_LENGTH}

    def review_fraction(self, definition, response, score, max_score):
        if score is None:
            return None if response is not None else 0.0
        return score / max_score if max_score else 0.0

    def review_view(self, definition: dict, answer, lang: str, review) -> dict:
        """The rubric with the marks given (when the verdicts may show) and the trainer's comment
        (when the feedback may)."""
        grading = getattr(answer, "grading", None)
        view: dict[str, Any] = {"rubric": [], "comment": ""}
        if review.verdicts and grading is not None:
            view["rubric"] = [{"text": text_in(c["text"], lang), "marks": c["marks"],
                               "given": grading.marks.get(c["id"])} for c in definition["rubric"]]
        if review.feedback and grading is not None:
            view["comment"] = grading.comment or ""
        return view

    # --- GIFT and Moodle XML --------------------------------------------------------------------------

    def gift_claims(self, answers):
        return not answers.strip()

    def gift_read(self, importer, draft, answers, metadata):
        """``::id::Question {}``; the rubric travels in ``// marsa: criterion=ID:MARKS text`` lines.
        Without them (a file from Moodle) one criterion worth the question's points is made, to be
        rewritten."""
        rubric = []
        for line, value in metadata.get("criterion", []):
            match = _CRITERION.match(value)
            if not match:
                importer.error(draft, line, "rubric", f"{value!r}: write a criterion as 'criterion=ID:MARKS text'")
                continue
            marks = float(match.group(2))
            rubric.append({"id": match.group(1), "text": match.group(3).strip(),
                           "marks": int(marks) if marks.is_integer() else marks})
        if not rubric:
            points = metadata.get("points", (0, 1))[1] or 1
            rubric = [{"id": "overall", "text": "The answer as a whole", "marks": points}]
            importer.warn(draft, draft.line, "rubric", "an essay without a rubric (GIFT has none): one criterion "
                          "'overall' was added; write the criteria the trainer will mark against")
        return self.name, {"rubric": rubric}

    def gift_comments(self, definition: dict) -> list[str]:
        return [f"// marsa: criterion={c['id']}:{_marks_text(c['marks'])} {' '.join(english(c['text']).split())}"
                for c in definition["rubric"]]

    def gift_write(self, definition):
        return [], [], False

    def xml_read(self, importer, draft, element):
        """Moodle's essay: its information for graders becomes the one criterion's text."""
        guidance = importer.text_of(draft, element.find("graderinfo"))
        points = element.findtext("defaultgrade") or "1"
        try:
            marks = float(points)
        except ValueError:
            marks = 1.0
        marks = marks if 0 < marks <= MAX_MARKS else 1.0
        importer.warn(draft, importer.line(element), "rubric", "an essay from Moodle has no rubric: one criterion "
                      "'overall' was made of its information for graders; write the criteria")
        return self.name, {"rubric": [{"id": "overall", "text": guidance or "The answer as a whole",
                                       "marks": int(marks) if marks.is_integer() else marks}]}

