"""The small pieces of GIFT syntax that the importer (``course.interchange.gift_read``) and each
question type's GIFT reader and writer (``course/questions/<type>.py``) share: escaping, weights,
numbers."""
from __future__ import annotations

import math
import re
from typing import Any


class CannotExport(Exception):
    """The question has something GIFT cannot say; it is left out and the reason listed."""


#: Separates a scenario case from the stem in an exported question text.
CASE_MARKER = "<!-- marsa:case-end -->"
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")
_GIFT_ESCAPES = str.maketrans({"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}",
                               ":": "\\:", "\n": "\\n", "\r": ""})


def default_ids(kind: str, count: int) -> list[str]:
    """The ids the importers give options (a, b, c ...) and pairs (p1, p2 ...)."""
    if kind == "pairs":
        return [f"p{index}" for index in range(1, count + 1)]
    return [chr(ord("a") + index) if index < 26 else f"o{index + 1}" for index in range(count)]


def escape(text: str) -> str:
    """Text safe inside GIFT: control characters escaped and newlines as ``\\n``, as Moodle writes."""
    return text.translate(_GIFT_ESCAPES)


def english(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("en") or "")
    return "" if value is None else str(value)


def number(text: str) -> int | float | None:
    """A GIFT number (dot decimal), as an int when whole so the YAML reads naturally."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    value = float(text)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


def weighted(credit: float) -> str:
    return "=" if credit >= 1 else f"=%{percent(credit)}%"


def with_feedback(text: str, feedback: Any) -> str:
    feedback = english(feedback)
    return escape(text) + (f"#{escape(feedback)}" if feedback else "")
