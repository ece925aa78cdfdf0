"""Writing Marsa quizzes out: as quiz YAML (``dump_quiz_yaml``, what the GIFT and Moodle XML
importers write) and as GIFT for Moodle (``export_gift``). Each question type writes its own answer
block (``gift_write`` in ``course/questions/``); this module writes what every question has: its
name, category, text, general feedback and the ``// marsa:`` line. Pure functions.
"""
from __future__ import annotations

from typing import Any

import yaml

from course.interchange.gift_syntax import (
    ARABIC_SCRIPT,
    CASE_MARKER,
    CannotExport,
    default_ids,
    english,
    escape,
    number_text,
)
from course.package.model import QuizData
from course.questions import get_type

# --------------------------------------------------------------------------------------------
# Writing quiz YAML
# --------------------------------------------------------------------------------------------

class _FlowList(list):
    """A short list written on one line (``objectives: [M1.2]``), as authors write it."""


class _QuizDumper(yaml.SafeDumper):
    """Block style as in the hand-written quizzes: indented lists, multi-line text as ``|``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_QuizDumper.add_representer(str, _represent_text)
_QuizDumper.add_representer(_FlowList, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))


def _flow_short_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _FlowList(v) if k in ("objectives", "accept") and all(isinstance(i, str) for i in v)
                else _flow_short_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flow_short_lists(v) for v in value]
    return value


def dump_quiz_yaml(header: dict, questions: list[dict], comment: str | None = None) -> str:
    """A quiz file: ``header`` (id, module, title, preset...) then ``questions``, readable by authors."""
    document = {**{k: v for k, v in header.items() if k != "questions"}, "questions": _flow_short_lists(questions)}
    text = yaml.dump(document, Dumper=_QuizDumper, sort_keys=False, allow_unicode=True, width=110)
    text = text.replace("\n  - id: ", "\n\n  - id: ")
    if comment:
        text = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines()) + text
    return text


# --------------------------------------------------------------------------------------------
# Writing GIFT
# --------------------------------------------------------------------------------------------

def _answer_block(lines: list[str], explanation: str, multiline: bool) -> str:
    general = f"####{escape(explanation)}" if explanation else ""
    if multiline:
        opening = "{#\n" if lines[:1] == ["#"] else "{\n"  # a numeric list, as Moodle writes it: {#\n\t=%100%5...
        lines = lines[1:] if lines[:1] == ["#"] else lines
        return opening + "".join(f"\t{line}\n" for line in lines + ([general] if general else [])) + "}"
    return "{" + " ".join(lines) + general + "}"


def _metadata_line(d: dict) -> str | None:
    """The ``// marsa:`` line for what GIFT cannot hold, or None when the defaults say it all."""
    parts = []
    for kind in ("options", "pairs"):
        ids = [item["id"] for item in d.get(kind, [])]
        if ids and ids != default_ids(kind, len(ids)):
            parts.append(f"{kind}={','.join(ids)}")
    if d.get("points", 1) != 1:
        parts.append(f"points={number_text(d['points'])}")
    if d.get("scoring") == "all_or_nothing":
        parts.append("scoring=all_or_nothing")
    if d.get("judgement"):
        parts.append("judgement=true")
    if d.get("group"):
        parts.append(f"group={d['group']}")
    return f"// marsa: {' '.join(parts)}" if parts else None


def _question_text(d: dict) -> str:
    stem, case = english(d["stem"]), english(d.get("case"))
    return escape(f"{case}\n\n{CASE_MARKER}\n\n{stem}" if case else stem)


def _has_arabic(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value.get("ar")) and set(value) <= {"en", "ar"} or any(_has_arabic(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_arabic(v) for v in value)
    return isinstance(value, str) and bool(ARABIC_SCRIPT.search(value))


def export_gift(quiz: QuizData) -> tuple[str, list[str]]:
    """The quiz as GIFT text for Moodle, and messages naming what was not (or not fully) written.

    Questions go under ``$CATEGORY: marsa/<module>/<objectives>`` (objectives joined by ``+``),
    named ``::id::``, texts in ``[markdown]``, the explanation as general feedback ``####``.
    """
    module = quiz.module_key or quiz.key
    out = [f"// Marsa quiz {quiz.key}: {english(quiz.title)}",
           "// Exported as GIFT for Moodle. '// marsa:' lines keep Marsa details; Moodle ignores them.", ""]
    messages: list[str] = []
    current: list[str] | None = None
    for question in quiz.questions:
        d = question.definition
        try:
            lines, notes, multiline = get_type(d["type"]).gift_write(d)
        except CannotExport as reason:
            messages.append(f"{question.key}: {reason}; not exported")
            continue
        messages.extend(f"{question.key}: {note}" for note in notes)
        if d.get("points", 1) != 1:
            messages.append(f"{question.key}: worth {number_text(d['points'])} points in Marsa; Moodle gives "
                            "imported questions its default mark (the '// marsa:' line keeps it for Marsa)")
        if d["objectives"] != current:
            current = d["objectives"]
            out += [f"$CATEGORY: marsa/{module}/{'+'.join(current)}", ""]
        metadata = _metadata_line(d)
        if metadata:
            out.append(metadata)
        out += get_type(d["type"]).gift_comments(d)
        block = _answer_block(lines, english(d.get("explanation")), multiline)
        out += [f"::{question.key}::[markdown]{_question_text(d)}{block}", ""]
    if _has_arabic(quiz.title) or any(_has_arabic(q.definition) for q in quiz.questions):
        messages.append("Arabic (ar) translations are not exported: a GIFT file holds one language, English.")
    return "\n".join(out), messages
