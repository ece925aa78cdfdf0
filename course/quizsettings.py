"""Quiz settings: three named presets, each setting overridable in the quiz file.

Trainers think in presets (practice, graded, exam), not in a matrix of review options;
``resolve()`` turns a preset plus overrides into the full, validated settings stored with the quiz.
"""
from __future__ import annotations

from collections.abc import Callable

PRESETS: dict[str, dict] = {
    "practice": {
        "attempts": None,  # unlimited
        "grading": "highest",
        "time_limit_minutes": None,
        "shuffle_questions": False,
        "shuffle_options": True,
        "show_feedback": "after_submission",
        "show_answers": "after_submission",
        "questions_per_page": None,
        # Officers may ask for this many extra minutes, this many times (WCAG 2.2.1: timing adjustable).
        "time_extension_minutes": 10,
        "time_extensions": 2,
    },
    "graded": {
        "attempts": 3,
        "grading": "highest",
        "time_limit_minutes": None,
        "shuffle_questions": True,
        "shuffle_options": True,
        "show_feedback": "after_submission",
        "show_answers": "after_last_attempt",
        "questions_per_page": None,
        # Officers may ask for this many extra minutes, this many times (WCAG 2.2.1: timing adjustable).
        "time_extension_minutes": 10,
        "time_extensions": 2,
    },
    "exam": {
        "attempts": 1,
        "grading": "first",
        "time_limit_minutes": 45,
        "shuffle_questions": True,
        "shuffle_options": True,
        "show_feedback": "when_released",
        "show_answers": "when_released",
        "questions_per_page": None,
        # Officers may ask for this many extra minutes, this many times (WCAG 2.2.1: timing adjustable).
        "time_extension_minutes": 10,
        "time_extensions": 2,
    },
}

CHOICES = {
    "grading": ("highest", "latest", "first", "average"),
    "show_feedback": ("after_submission", "when_released", "never"),
    "show_answers": ("after_submission", "after_last_attempt", "when_released", "never"),
}


def combine_grades(percents: list[float], rule: str) -> float | None:
    """One grade from the percents of closed attempts (oldest first), by the quiz's ``grading`` rule."""
    if not percents:
        return None
    if rule == "latest":
        return percents[-1]
    if rule == "first":
        return percents[0]
    if rule == "average":
        return round(sum(percents) / len(percents), 2)
    return max(percents)


def resolve(raw: dict, report: Callable[[str, str], None]) -> dict:
    preset_name = raw.get("preset", "graded")
    if preset_name not in PRESETS:
        report("preset", f"unknown preset {preset_name!r}; use one of {', '.join(PRESETS)}")
        preset_name = "graded"
    settings = dict(PRESETS[preset_name], preset=preset_name)
    pass_mark = raw.get("pass_mark", 70)
    if not isinstance(pass_mark, (int, float)) or isinstance(pass_mark, bool) or not 0 <= pass_mark <= 100:
        report("pass_mark", "must be a percentage from 0 to 100")
        pass_mark = 70
    settings["pass_mark"] = float(pass_mark)
    for key in ("attempts", "time_limit_minutes", "questions_per_page", "time_extension_minutes"):
        if key in raw:
            value = raw[key]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                report(key, "must be a whole number of at least 1, or null")
                continue
            settings[key] = value
    if "time_extensions" in raw:
        value = raw["time_extensions"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            report("time_extensions", "must be a whole number of at least 0")
        else:
            settings["time_extensions"] = value
    for key in ("shuffle_questions", "shuffle_options"):
        if key in raw:
            if not isinstance(raw[key], bool):
                report(key, "must be true or false")
                continue
            settings[key] = raw[key]
    for key, allowed in CHOICES.items():
        if key in raw:
            if raw[key] not in allowed:
                report(key, f"must be one of {', '.join(allowed)}")
                continue
            settings[key] = raw[key]
    return settings
