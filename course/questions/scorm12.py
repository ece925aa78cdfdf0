"""SCORM 1.2's identifier format for choice, matching and sequencing responses, which the question
types' SCORM data (``scorm_data``) and the package's legend of codes share."""
from __future__ import annotations

#: SCORM 1.2 allows one character of these per choice, matching or sequencing identifier (RTE 3.4.4).
SCORM12_CODES = "abcdefghijklmnopqrstuvwxyz0123456789"


def scorm12_codes(ids: list[str]) -> dict[str, str] | None:
    """The one-character identifier of each option, pair or item in SCORM 1.2's responses: the id
    itself when every id is already one such character, else a, b, c ... in the order of the quiz
    file. None when there are more than 36 (the interaction is then reported without them)."""
    if len(set(ids)) == len(ids) and all(len(i) == 1 and i in SCORM12_CODES for i in ids):
        return {i: i for i in ids}
    if len(ids) > len(SCORM12_CODES):
        return None
    return dict(zip(ids, SCORM12_CODES))
