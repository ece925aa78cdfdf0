"""Moodle GIFT interchange: read GIFT questions into quiz YAML, write a Marsa quiz as GIFT.

Trainers already keep question banks in Moodle, and GIFT is the plain-text format Moodle both
imports and exports. ``parse_gift`` turns a GIFT file into question dicts in the quiz YAML format
(docs/COURSE_FORMAT.md) and reports every problem with its line, the way ``course check`` does,
so nothing is dropped without a word. ``export_gift`` writes a quiz back as GIFT that Moodle
imports. Pure functions: no Flask, no database; the CLI lives in ``course.cli.quiz``.

The parser follows Moodle's own reading of GIFT (qformat_gift): a blank line ends a question,
the first ``{`` and ``}`` hold the answers, ``~`` marks a choice, ``=`` a right answer or a pair,
``#`` feedback, ``####`` general feedback, ``->`` a matching pair, a leading ``#`` a number.

Marsa details that GIFT cannot say travel in ``// marsa:`` comment lines, which Moodle ignores:
option and pair ids when they are not the default ``a, b, c`` / ``p1, p2``, ``points``,
``scoring=all_or_nothing``, ``judgement=true`` and ``group``. A scenario ``case`` is written into the question text,
followed by a blank line, ``CASE_MARKER`` (an HTML comment, invisible in Moodle), a blank line and
the stem; the importer splits the text there again.
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterator

import yaml

from course.package.reader import ID_RE, Problem, QuizData
from course.questions import REGISTRY

#: Separates a scenario case from the stem in an exported question text.
CASE_MARKER = "<!-- marsa:case-end -->"
#: Comment lines that carry Marsa details Moodle has no place for.
METADATA_PREFIX = re.compile(r"^//\s*marsa:", re.IGNORECASE)
METADATA_KEYS = ("options", "pairs", "points", "scoring", "judgement", "group")
TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
FORMAT_MARKER = re.compile(rf"^\[({'|'.join(TEXT_FORMATS)})\]")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
LOOKS_LIKE_WEIGHT = re.compile(r"^%[^%\s]*%")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
#: A category segment that names an objective when the module's objectives are not known.
OBJECTIVE_LIKE = re.compile(r"^[A-Z]+\d+(?:\.\d+)+$")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
#: A multiple-response weight this close to Marsa's default share is that share (33.3% is 1/3).
DEFAULT_SHARE_TOLERANCE = 0.0005

# Escaped control characters become private-use placeholders while a question is parsed, so
# splitting on ``~ = # { } :`` never splits on an escaped one; ``plain()`` turns them back.
_ESCAPABLE = "~=#{}:n\\"
_PLACEHOLDER = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_UNESCAPE = str.maketrans({ph: ("\n" if char == "n" else char) for char, ph in _PLACEHOLDER.items()})
_GIFT_ESCAPES = str.maketrans({"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}",
                               ":": "\\:", "\n": "\\n", "\r": ""})


# --------------------------------------------------------------------------------------------
# Reading GIFT
# --------------------------------------------------------------------------------------------

@dataclass
class GiftResult:
    """What ``parse_gift`` read: importable questions, and every problem with its line."""

    questions: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: ids of the questions that got the default objective (no objective in their $CATEGORY)
    defaulted: list[str] = field(default_factory=list)
    #: (label, line) of each question left out because of an error (``--skip-unsupported`` lists them)
    skipped: list[tuple[str, int]] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


@dataclass(frozen=True)
class _Text:
    """A stretch of a question block with escapes hidden and the line of every character kept,
    so each piece split off still knows where the author wrote it."""

    chars: str
    lines: tuple[int, ...]
    start_line: int

    def cut(self, start: int, end: int | None = None) -> _Text:
        end = len(self.chars) if end is None else end
        line = self.lines[start] if start < len(self.lines) else (self.lines[-1] if self.lines else self.start_line)
        return _Text(self.chars[start:end], self.lines[start:end], line)

    @property
    def line(self) -> int:
        """The line of the first visible character: where the author will look."""
        for char, line in zip(self.chars, self.lines):
            if not char.isspace():
                return line
        return self.start_line

    def find(self, sub: str, start: int = 0) -> int:
        return self.chars.find(sub, start)

    def strip(self) -> _Text:
        start = len(self.chars) - len(self.chars.lstrip())
        return self.cut(start, max(start, len(self.chars.rstrip())))

    def partition(self, separator: str) -> tuple[_Text, _Text | None]:
        at = self.chars.find(separator)
        if at < 0:
            return self, None
        return self.cut(0, at), self.cut(at + len(separator))

    def split_before(self, markers: str) -> tuple[_Text, list[_Text]]:
        """The text before the first marker, and each piece that starts with a marker."""
        starts = [i for i, char in enumerate(self.chars) if char in markers]
        head = self.cut(0, starts[0] if starts else len(self.chars))
        ends = starts[1:] + [len(self.chars)]
        return head, [self.cut(start, end) for start, end in zip(starts, ends)]

    def plain(self) -> str:
        return self.chars.translate(_UNESCAPE).strip()


@dataclass
class _Block:
    """The lines of one question (comments removed) and its ``// marsa:`` lines."""

    text: _Text
    metadata: list[tuple[int, str]]


@dataclass
class _Draft:
    """The question being read: its label for problems, and whether it can still be imported."""

    label: str
    line: int
    failed: bool = False
    html: bool = False


def _escape_placeholders(chars: list[str], lines: list[int]) -> tuple[str, tuple[int, ...]]:
    """Replace each escaped control character (``\\~`` ...) by its placeholder."""
    out_chars: list[str] = []
    out_lines: list[int] = []
    index = 0
    while index < len(chars):
        char = chars[index]
        if char == "\\" and index + 1 < len(chars) and chars[index + 1] in _PLACEHOLDER:
            out_chars.append(_PLACEHOLDER[chars[index + 1]])
            out_lines.append(lines[index])
            index += 2
            continue
        out_chars.append(char)
        out_lines.append(lines[index])
        index += 1
    return "".join(out_chars), tuple(out_lines)


def _read_blocks(text: str) -> Iterator[tuple[int, str] | _Block]:
    """Split GIFT text into question blocks (a blank line ends one) and ``$CATEGORY:`` lines.

    Comment lines (``//``) are left out without ending a block, as Moodle does; a category line
    ends the block before it, so a missing blank line around it loses nothing."""
    chars: list[str] = []
    lines: list[int] = []
    metadata: list[tuple[int, str]] = []
    first = 1

    def flush() -> Iterator[_Block]:
        if chars or metadata:
            escaped, escaped_lines = _escape_placeholders(chars, lines)
            yield _Block(_Text(escaped, escaped_lines, first), list(metadata))
        chars.clear()
        lines.clear()
        metadata.clear()

    source = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(source, start=1):
        stripped = line.strip()
        if not stripped:
            yield from flush()
        elif stripped.startswith("$CATEGORY:"):
            yield from flush()
            yield number, stripped[len("$CATEGORY:"):].strip()
        elif stripped.startswith("//"):
            match = METADATA_PREFIX.match(stripped)
            if match:
                if not chars and not metadata:
                    first = number
                metadata.append((number, stripped[match.end():].strip()))
        else:
            if chars:
                chars.append("\n")
                lines.append(lines[-1])
            elif not metadata:
                first = number
            chars.extend(line)
            lines.extend([number] * len(line))
    yield from flush()


def slugify(name: str) -> str:
    """An id made of a question name: lowercase ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _default_ids(kind: str, count: int) -> list[str]:
    """The ids the importer gives options (a, b, c ...) and pairs (p1, p2 ...)."""
    if kind == "pairs":
        return [f"p{index}" for index in range(1, count + 1)]
    return [chr(ord("a") + index) if index < 26 else f"o{index + 1}" for index in range(count)]


def _number(text: str) -> int | float | None:
    """A GIFT number (dot decimal), as an int when whole so the YAML reads naturally."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    value = float(text)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def _text_id(module: str, text: str) -> str:
    """``<module>-<first words>-<hash>`` for an unnamed question: the same text always gives the same id."""
    stem = re.sub(r"\{[^{}]*\}", " _ ", text)
    stem = FORMAT_MARKER.sub("", stem.strip())
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", stem)).strip().casefold()
    digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:6]
    words = "-".join(slugify(folded).split("-")[:5])[:40].strip("-")
    return f"{module}-{words}-{digest}" if words else f"{module}-{digest}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


class _Importer:
    """Reads blocks one by one; holds the running state (category, ids in use, problems)."""

    def __init__(self, source: str, module: str, objectives: Collection[str] | None,
                 default_objective: str | None, taken_ids: Collection[str]):
        self.source = source
        self.module = module
        self.objectives = set(objectives) if objectives is not None else None
        self.default_objective = default_objective
        self.taken = set(taken_ids)
        self.category: list[str] | None = None
        self.count = 0
        self.result = GiftResult()
        #: The description the questions after it are grouped under: (text, line, group id), and
        #: whether a question has joined it yet.
        self.description: tuple[str, int, str] | None = None
        self.described = False

    # -- problems ----------------------------------------------------------------------------
    def report(self, line: int, field_name: str, message: str, level: str = "error") -> None:
        self.result.problems.append(Problem(self.source, line, field_name, message, level))

    def error(self, draft: _Draft, line: int, part: str, message: str) -> None:
        draft.failed = True
        self.report(line, f"{draft.label}.{part}" if part else draft.label, message)

    def warn(self, draft: _Draft, line: int, part: str, message: str) -> None:
        self.report(line, f"{draft.label}.{part}" if part else draft.label, message, "warning")

    # -- file level ----------------------------------------------------------------------------
    def run(self, text: str) -> GiftResult:
        for item in _read_blocks(text):
            if isinstance(item, _Block):
                self.read_question(item)
            else:
                self.set_category(*item)
        self.end_description()
        return self.result

    # -- descriptions ------------------------------------------------------------------------------
    def start_description(self, draft: _Draft, text: str) -> None:
        """Moodle's description (text between questions, no answer): Marsa shows it as the case of a
        group holding the questions after it, up to the next description, $CATEGORY or a question
        with a case of its own."""
        self.end_description()
        if not text:
            return
        if draft.html:
            self.warn(draft, draft.line, "", "holds HTML ([html] or tags), which Marsa does not render: rewrite "
                      "it in Markdown")
        self.warn(draft, draft.line, "", "a description: imported as the case (scenario text) of a group "
                  "holding the questions after it, up to the next description or $CATEGORY")
        self.description, self.described = (text, draft.line, draft.label), False

    def end_description(self) -> None:
        if self.description and not self.described:
            text, line, label = self.description
            self.report(line, label, "a description with no question after it to show it with (or only "
                        "questions with a case of their own); left out", "warning")
        self.description, self.described = None, False

    def add_described(self, question: dict) -> None:
        """The question joins the group of the description before it."""
        text, _, group_id = self.description
        last = self.result.questions[-1] if self.result.questions else None
        if self.described and last and last.get("type") == "group" and last["id"] == group_id:
            last["questions"].append(question)
        else:
            self.taken.add(group_id)
            self.result.questions.append({"id": group_id, "type": "group", "case": text, "questions": [question]})
        self.described = True

    def set_category(self, line: int, path: str) -> None:
        """Questions after ``$CATEGORY: a/b/M1.2`` test M1.2 (``M1.2+M1.3`` for two)."""
        self.end_description()
        segments = [s.strip() for s in path.split("/") if s.strip()]
        if not segments:
            self.report(line, "$CATEGORY", "is empty; the questions after it get the default objective", "warning")
            self.category = None
            return
        parts = [p.strip() for p in segments[-1].split("+")]
        known = self.objectives
        if known is not None and all(p in known for p in parts):
            self.category = parts
        elif known is None and all(OBJECTIVE_LIKE.match(p) for p in parts):
            self.category = parts
        else:
            self.category = None
            strangers = [p for p in parts if OBJECTIVE_LIKE.match(p) and (known is None or p not in known)]
            if strangers:
                fallback = self.default_objective or "no objective"
                verb = "is not an objective" if len(strangers) == 1 else "are not objectives"
                self.report(line, "$CATEGORY", f"{', '.join(strangers)} {verb} of module {self.module!r}; "
                            f"the questions after it get the default objective ({fallback})", "warning")

    def choose_id(self, name: str | None, text: _Text) -> tuple[str, str | None]:
        """The question's id, and a note when it is not simply its name made into an id.

        A question without a usable name gets an id made of its text (its first words and a short
        hash of the whole text without the answer block), not of its position: inserting a question
        in the file and importing again leaves the other ids as they were."""
        fallback = _text_id(self.module, text.chars.translate(_UNESCAPE))
        slug = slugify(name) if name else ""
        if name is None:
            wanted, note = fallback, None
        elif not slug:
            wanted, note = fallback, f"the name {name!r} has no Latin letters or digits to make an id"
        elif slug in self.taken:
            wanted, note = f"{self.module}-{slug}", f"the id {slug!r} is already used"
        else:
            return slug, None
        chosen, suffix = wanted, 2
        while chosen in self.taken:
            chosen, suffix = f"{wanted}-{suffix}", suffix + 1
        if chosen != wanted:
            note = f"{note + '; ' if note else ''}{wanted!r} is already used"
        return chosen, f"{note}: imported as {chosen!r}; check it" if note else None

    # -- one question ----------------------------------------------------------------------------
    def read_question(self, block: _Block) -> None:
        """One block: its name, its answer block, then the question dict if nothing is wrong."""
        text = block.text.strip()
        if not text.chars:
            for line, _ in block.metadata:
                self.report(line, "marsa", "a '// marsa:' line without a question after it; ignored", "warning")
            return
        self.count += 1
        name = None
        if text.chars.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                self.report(text.line, f"question {self.count}", "the question name has no closing '::'")
                self.result.skipped.append((f"question {self.count}", text.line))
                return
            name = text.cut(2, end).plain()
            text = text.cut(end + 2).strip()
        question_id, id_note = self.choose_id(name, text)
        draft = _Draft(question_id, block.text.line)
        if text.find("{") < 0 and text.find("}") < 0:
            self.start_description(draft, self.formatted(draft, text.chars))
            return
        metadata = self.read_metadata(draft, block.metadata)
        parts = self.locate_answers(draft, text)
        question = self.build_question(draft, *parts, metadata) if parts is not None else None
        if question is not None:
            self.accept(draft, question, metadata, id_note)
        if draft.failed:
            self.result.skipped.append((draft.label, draft.line))

    def build_question(self, draft: _Draft, before: _Text, answers: _Text, after: _Text,
                       metadata: dict) -> dict | None:
        """The question dict in quiz YAML order, or None when a problem keeps it out."""
        explanation = None
        at = answers.chars.rfind("####")
        if at >= 0:
            explanation = self.formatted(draft, answers.cut(at + 4).chars) or None
            answers = answers.cut(0, at)
        built = self.read_answers(draft, answers.strip(), metadata)
        # Text after the answer block is the "missing word" form: a blank marks where the answers were.
        stem = self.formatted(draft, before.chars + ("_____" if after.chars.strip() else "") + after.chars)
        case = None
        if CASE_MARKER in stem:
            case, _, stem = (part.strip() for part in stem.partition(CASE_MARKER))
        if not stem:
            self.error(draft, draft.line, "stem", "the question has no text")
        objectives = self.category or ([self.default_objective] if self.default_objective else None)
        if not objectives:
            self.error(draft, draft.line, "objectives", "no objective: put the question under a $CATEGORY whose "
                       "last part is an objective id (e.g. marsa/module/M1.2), or give a default objective")
        if built is None or draft.failed:
            return None
        qtype, specific = built
        question: dict[str, Any] = {"id": draft.label, "type": qtype, "objectives": list(objectives)}
        if "points" in metadata:
            question["points"] = metadata["points"][1]
        if "scoring" in metadata:
            if qtype == "multiple":
                question["scoring"] = metadata["scoring"][1]
            else:
                self.warn(draft, metadata["scoring"][0], "scoring", "applies to multiple-response questions only; "
                          "ignored")
        if metadata.get("judgement", (0, False))[1]:
            question["judgement"] = True
        if case:
            question["case"] = case
        question["stem"] = stem
        question.update(specific)
        if explanation:
            question["explanation"] = explanation
        return question

    def accept(self, draft: _Draft, question: dict, metadata: dict, id_note: str | None) -> None:
        """Check the question as Marsa's reader will, then keep it and say what is left to do."""
        REGISTRY[question["type"]].normalize(question, lambda part, message: self.error(draft, draft.line, part,
                                                                                         message))
        group = metadata.get("group")
        if group and not draft.failed:
            self.check_group(draft, group, question.get("case"))
        if draft.failed:
            return
        if "explanation" not in question:
            self.warn(draft, draft.line, "explanation", "no general feedback (####): Marsa requires an "
                      "explanation before the quiz can be loaded; write one")
        if draft.html:
            self.warn(draft, draft.line, "", "holds HTML ([html] or tags), which Marsa does not render: rewrite "
                      "it in Markdown")
        if id_note:
            self.warn(draft, draft.line, "id", id_note)
        if self.category is None:
            self.result.defaulted.append(draft.label)
        self.taken.add(draft.label)
        if self.description and not group and "case" not in question:
            self.add_described(question)
            return
        self.end_description()  # a question with a case or group of its own ends the description's group
        self.add(question, group[1] if group else None)

    def locate_answers(self, draft: _Draft, text: _Text) -> tuple[_Text, _Text, _Text] | None:
        """The text before the answer block, the block's inside, and the text after it."""
        opening, closing = text.find("{"), text.find("}")
        if closing < 0:
            self.error(draft, text.cut(opening).line, "", "unclosed '{': the answer block has no closing '}' "
                       "(a blank line ends a question)")
            return None
        if opening < 0 or closing < opening:
            self.error(draft, text.cut(closing).line, "", "'}' without an opening '{' (escape a literal one as \\})")
            return None
        again = text.find("{", opening + 1)
        if 0 <= again < closing:
            self.error(draft, text.cut(again).line, "", "'{' inside an answer block (escape a literal one as \\{)")
            return None
        if again > closing:
            self.error(draft, text.cut(again).line, "", "a second answer block: a GIFT question has one "
                       "(escape literal braces as \\{ and \\})")
            return None
        stray = text.find("}", closing + 1)
        if stray >= 0:
            self.error(draft, text.cut(stray).line, "", "'}' without an opening '{' (escape a literal one as \\})")
            return None
        return text.cut(0, opening), text.cut(opening + 1, closing), text.cut(closing + 1)

    def read_answers(self, draft: _Draft, answers: _Text, metadata: dict) -> tuple[str, dict] | None:
        """Tell the question type as Moodle does, then read its answers."""
        chars = answers.chars
        if not chars:
            self.error(draft, answers.line, "", "an essay question ({}) cannot be imported: Marsa grades "
                       "every answer automatically")
            return None
        if chars.startswith("#"):
            return self.read_numeric(draft, answers)
        if "~" in chars:
            return self.read_choice(draft, answers, metadata)
        if "=" in chars and "->" in chars:
            return self.read_matching(draft, answers, metadata)
        if chars.split("#", 1)[0].strip() in TRUE_FALSE:
            return self.read_truefalse(draft, answers)
        return self.read_short(draft, answers)

    def formatted(self, draft: _Draft, chars: str) -> str:
        """A text without its format marker; HTML is kept but flagged (Marsa renders Markdown)."""
        text = chars.translate(_UNESCAPE).strip()
        match = FORMAT_MARKER.match(text)
        if match:
            text = text[match.end():].strip()
            draft.html = draft.html or match.group(1) == "html"
        if HTML_TAG.search(text.replace(CASE_MARKER, "")):
            draft.html = True
        return text

    def read_weight(self, draft: _Draft, body: _Text, part: str) -> tuple[float | None, _Text]:
        """A leading ``%50%`` weight as a fraction, and the rest of the answer."""
        body = body.strip()
        match = WEIGHT.match(body.chars)
        if not match:
            if LOOKS_LIKE_WEIGHT.match(body.chars):
                self.warn(draft, body.line, part, "starts like a weight (%...%) but is not a percentage; "
                          "kept as answer text")
            return None, body
        weight = float(match.group(1)) / 100
        if not -1 <= weight <= 1:
            self.error(draft, body.line, part, f"weight {match.group(1)}% must be from -100% to 100%")
        return weight, body.cut(match.end())

    def read_choice(self, draft: _Draft, answers: _Text, metadata: dict) -> tuple[str, dict] | None:
        single = "=" in answers.chars
        head, pieces = answers.split_before("~=")
        if head.chars.strip():
            self.error(draft, head.line, "options", "text before the first ~ or = answer")
        ids = self.ids_for(draft, metadata, "options", len(pieces))
        options: list[dict] = []
        fractions: list[float] = []
        feedback_parts: list[_Text | None] = []
        for index, piece in enumerate(pieces, start=1):
            part = f"options[{index}]"
            marker = piece.chars[0]
            if marker == "=":
                weight, body = None, piece.cut(1).strip()
            else:
                weight, body = self.read_weight(draft, piece.cut(1), part)
            text_part, feedback_part = body.partition("#")
            text = self.formatted(draft, text_part.chars)
            if not text:
                self.error(draft, piece.line, part, "the answer has no text")
            option: dict[str, Any] = {"id": ids[index - 1], "text": text}
            fraction = 1.0 if marker == "=" else (weight or 0.0)
            if fraction > 0 and (not single or fraction >= 1):
                option["correct"] = True
            if single and weight not in (None, 0) and weight < 1:
                option["weight"] = weight
                if weight < 0:
                    self.warn(draft, piece.line, part, f"a weight of {_percent(weight)}% on a single-choice option "
                              "takes points off in Moodle; Marsa scores a wrong choice 0 (a question never "
                              "scores below zero), so choosing it earns 0 here")
            options.append(option)
            fractions.append(fraction)
            feedback_parts.append(feedback_part)
        if not single:
            self.keep_explicit_weights(options, fractions)
        for option, feedback_part in zip(options, feedback_parts):
            feedback = self.formatted(draft, feedback_part.chars) if feedback_part else ""
            if feedback:
                option["feedback"] = feedback
        return ("single" if single else "multiple"), {"options": options}

    @staticmethod
    def keep_explicit_weights(options: list[dict], fractions: list[float]) -> None:
        """Give a multiple-response option a ``weight`` only where it differs from Marsa's default
        share (1/correct for a right option, -1/wrong for a wrong one), which scores the same."""
        right = sum(1 for f in fractions if f > 0)
        wrong = len(fractions) - right
        for option, fraction in zip(options, fractions):
            default = 1 / right if fraction > 0 else (-1 / wrong if wrong else 0.0)
            if abs(fraction - default) > DEFAULT_SHARE_TOLERANCE:
                option["weight"] = round(fraction, 6)

    def read_truefalse(self, draft: _Draft, answers: _Text) -> tuple[str, dict]:
        """``{T#shown when wrong#shown when right}``: Moodle's order, turned into Marsa's
        feedback per chosen value."""
        parts = answers.chars.split("#", 2)
        answer = TRUE_FALSE[parts[0].strip()]
        wrong = self.formatted(draft, parts[1]) if len(parts) > 1 else ""
        right = self.formatted(draft, parts[2]) if len(parts) > 2 else ""
        on_true, on_false = (right, wrong) if answer else (wrong, right)
        feedback = {key: text for key, text in (("true", on_true), ("false", on_false)) if text}
        return "truefalse", {"answer": answer, **({"feedback": feedback} if feedback else {})}

    def read_short(self, draft: _Draft, answers: _Text) -> tuple[str, dict]:
        """``=answer``, ``=%50%answer#feedback``, ``=%0%*#feedback``: Moodle's short answers, whose
        ``*`` wildcard Marsa reads as Moodle does. Plain full-credit answers stay a plain list."""
        head, pieces = answers.split_before("=")
        entries = ([head] if head.chars.strip() else []) + [piece.cut(1) for piece in pieces]
        accept: list[Any] = []
        for index, entry in enumerate(entries, start=1):
            part = f"accept[{index}]"
            weight, body = self.read_weight(draft, entry, part)
            if weight is not None and weight < 0:
                self.error(draft, entry.line, part, f"a negative weight ({_percent(weight)}%) on a short answer "
                           "is not possible in Moodle or Marsa (0% to 100%)")
            value_part, feedback_part = body.partition("#")
            value = value_part.plain()
            if not value:
                self.error(draft, entry.line, part, "an accepted answer is empty")
            feedback = self.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            credit = 1.0 if weight is None else max(0.0, weight)
            if credit >= 1 and not feedback:
                accept.append(value)
            else:
                accept.append({"text": value, **({"credit": round(credit, 6)} if credit < 1 else {}),
                               **({"feedback": feedback} if feedback else {})})
        return "short", {"accept": accept}

    def read_matching(self, draft: _Draft, answers: _Text, metadata: dict) -> tuple[str, dict]:
        """``=prompt -> match`` pairs; a pair with no prompt is a distractor, as in Moodle."""
        head, pieces = answers.split_before("=")
        if head.chars.strip():
            self.error(draft, head.line, "pairs", "text before the first = pair")
        pairs, distractors = [], []
        for index, piece in enumerate(pieces, start=1):
            part = f"pairs[{index}]"
            prompt_part, match_part = piece.cut(1).partition("->")
            if match_part is None:
                self.error(draft, piece.line, part, "a matching pair needs 'prompt -> match'")
                continue
            prompt, match = self.formatted(draft, prompt_part.chars), match_part.plain()
            if not match:
                self.error(draft, piece.line, part, "the pair has no match after '->'")
            if prompt:
                pairs.append({"prompt": prompt, "match": match})
            else:
                distractors.append(match)
        ids = self.ids_for(draft, metadata, "pairs", len(pairs))
        specific: dict[str, Any] = {"pairs": [{"id": pair_id, **pair} for pair_id, pair in zip(ids, pairs)]}
        if distractors:
            specific["distractors"] = distractors
        return "matching", specific

    def read_numeric(self, draft: _Draft, answers: _Text) -> tuple[str, dict] | None:
        """``{#5:0.5}``, ``{#1..5}`` or ``{#5}``; or Moodle's list ``{#=5:0#right =%50%5:2#close ~#wrong}``:
        each answer with its credit and feedback, ``~#feedback`` for any other number."""
        body = answers.cut(1)
        otherwise = None
        tilde = body.find("~")
        if tilde >= 0:
            wrong = body.cut(tilde + 1)
            text_part, feedback_part = wrong.partition("#")
            if text_part.chars.strip():
                self.error(draft, wrong.line, "answers", f"a wrong numeric answer ({text_part.plain()!r}) is not "
                           "needed: anything that no answer holds scores 0; write only its feedback (~#...)")
            otherwise = self.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            body = body.cut(0, tilde)
        head, pieces = body.split_before("=")
        entries = ([head] if head.chars.strip() else []) + [piece.cut(1) for piece in pieces]
        if not entries:
            self.error(draft, answers.line, "answer", "no number after '#'")
            return None
        found: list[dict] = []
        for index, entry in enumerate(entries, start=1):
            part = f"answers[{index}]"
            weight, rest = self.read_weight(draft, entry, part)
            value_part, feedback_part = rest.partition("#")
            value = value_part.plain()
            if weight is not None and weight < 0:
                self.error(draft, entry.line, part, f"a negative weight ({_percent(weight)}%) on a numeric "
                           "answer is not possible in Moodle or Marsa (0% to 100%)")
            parsed = self.numeric_answer(draft, entry.line, value)
            if parsed is None:
                continue
            feedback = self.formatted(draft, feedback_part.chars) if feedback_part is not None else ""
            credit = 1.0 if weight is None else max(0.0, weight)
            found.append({**parsed, **({"credit": round(credit, 6)} if credit < 1 else {}),
                          **({"feedback": feedback} if feedback else {})})
        if not found:
            return None
        if len(found) == 1 and set(found[0]) <= {"answer", "tolerance", "range"} and not otherwise:
            return "numeric", found[0]
        if otherwise:
            found.append({"answer": "*", "feedback": otherwise})
        return "numeric", {"answers": found}

    def numeric_answer(self, draft: _Draft, line: int, value: str) -> dict | None:
        if ".." in value:
            low, high = (_number(v) for v in value.split("..", 1))
            if low is None or high is None:
                self.error(draft, line, "answer", f"{value!r} is not a range of numbers MIN..MAX")
                return None
            if low > high:
                self.error(draft, line, "answer", f"the range {value!r} has MIN above MAX")
                return None
            return {"range": [low, high]}
        answer_text, _, tolerance_text = value.partition(":")
        answer = _number(answer_text)
        tolerance = _number(tolerance_text) if tolerance_text else 0
        if answer is None:
            self.error(draft, line, "answer", f"{answer_text.strip()!r} is not a number")
            return None
        if tolerance is None or tolerance < 0:
            self.error(draft, line, "answer", f"the tolerance {tolerance_text.strip()!r} is not a number >= 0")
            return None
        return {"answer": answer, **({"tolerance": tolerance} if tolerance else {})}

    # -- Marsa details ----------------------------------------------------------------------------
    def read_metadata(self, draft: _Draft, entries: list[tuple[int, str]]) -> dict[str, tuple[int, Any]]:
        """``// marsa: options=a,b points=2 ...`` as {key: (line, value)}."""
        found: dict[str, tuple[int, Any]] = {}
        for line, body in entries:
            for token in body.split():
                key, _, value = token.partition("=")
                if key not in METADATA_KEYS:
                    self.warn(draft, line, "marsa", f"unknown Marsa setting {token!r}; ignored")
                elif key in ("options", "pairs"):
                    found[key] = (line, [v for v in value.split(",") if v])
                elif key == "points":
                    points = _number(value)
                    if points is None or points <= 0:
                        self.error(draft, line, "points", f"{value!r} must be a positive number")
                    found[key] = (line, points)
                elif key == "scoring":
                    if value not in ("partial", "all_or_nothing"):
                        self.error(draft, line, "scoring", "must be 'partial' or 'all_or_nothing'")
                    found[key] = (line, value)
                elif key == "judgement":
                    if value not in ("true", "false"):
                        self.error(draft, line, "judgement", "must be 'true' or 'false'")
                    found[key] = (line, value == "true")
                else:
                    if not ID_RE.match(value):
                        self.error(draft, line, "group", f"{value!r} is not a valid id")
                    found[key] = (line, value)
        return found

    def ids_for(self, draft: _Draft, metadata: dict, kind: str, count: int) -> list[str]:
        if kind not in metadata:
            return _default_ids(kind, count)
        line, ids = metadata[kind]
        if len(ids) != count:
            self.error(draft, line, kind, f"the '// marsa:' line names {len(ids)} {kind} ids but the question "
                       f"has {count} {kind}")
            return _default_ids(kind, count)
        return ids

    def check_group(self, draft: _Draft, group: tuple[int, str], case: str | None) -> None:
        """Questions of one group follow each other and share its case, as the YAML nests them."""
        line, group_id = group
        last = self.result.questions[-1] if self.result.questions else None
        if last and last.get("type") == "group" and last["id"] == group_id:
            if case != last["case"]:
                self.error(draft, line, "case", f"differs from the case of group {group_id!r}")
        elif group_id in self.taken:
            self.error(draft, line, "group", f"the group id {group_id!r} is already used (a group's questions "
                       "must follow each other)")
        elif not case:
            self.error(draft, line, "case", f"group {group_id!r} needs a case")

    def add(self, question: dict, group_id: str | None) -> None:
        if group_id is None:
            self.result.questions.append(question)
            return
        case = question.pop("case")
        last = self.result.questions[-1] if self.result.questions else None
        if last and last.get("type") == "group" and last["id"] == group_id:
            last["questions"].append(question)
        else:
            self.taken.add(group_id)
            self.result.questions.append({"id": group_id, "type": "group", "case": case, "questions": [question]})


def parse_gift(text: str, source: str = "<gift>", *, module: str = "gift",
               objectives: Collection[str] | None = None, default_objective: str | None = None,
               taken_ids: Collection[str] = ()) -> GiftResult:
    """Read GIFT ``text`` into quiz YAML question dicts, reporting problems as ``source:line``.

    ``module`` is the module slug (prefix of generated ids); ``objectives`` are the module's
    objective ids, used to recognise a ``$CATEGORY`` that names one; questions outside such a
    category get ``default_objective``. ``taken_ids`` are ids already used in the course, which
    an imported id must not repeat. A question with any error is left out; warnings list what
    the author must still do.
    """
    return _Importer(source, module, objectives, default_objective, taken_ids).run(text)


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

class _CannotExport(Exception):
    """The question has something GIFT cannot say; it is left out and the reason listed."""


def _escape(text: str) -> str:
    """Text safe inside GIFT: control characters escaped and newlines as ``\\n``, as Moodle writes."""
    return text.translate(_GIFT_ESCAPES)


def _english(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("en") or "")
    return "" if value is None else str(value)


def _number_text(value: float) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _answer_block(lines: list[str], explanation: str, multiline: bool) -> str:
    general = f"####{_escape(explanation)}" if explanation else ""
    if multiline:
        opening = "{#\n" if lines[:1] == ["#"] else "{\n"  # a numeric list, as Moodle writes it: {#\n\t=%100%5...
        lines = lines[1:] if lines[:1] == ["#"] else lines
        return opening + "".join(f"\t{line}\n" for line in lines + ([general] if general else [])) + "}"
    return "{" + " ".join(lines) + general + "}"


def _with_feedback(text: str, feedback: Any) -> str:
    feedback = _english(feedback)
    return _escape(text) + (f"#{_escape(feedback)}" if feedback else "")


def _write_single(d: dict) -> tuple[list[str], list[str], bool]:
    lines, notes = [], []
    for option in d["options"]:
        weight = option.get("weight")
        if option["correct"]:
            prefix = "="
            if weight is not None and weight != 1:
                notes.append(f"option {option['id']}: the weight of the correct option is not kept (= is full marks)")
        else:
            prefix = f"~%{_percent(weight)}%" if weight not in (None, 0) else "~"
        lines.append(prefix + _with_feedback(_english(option["text"]), option.get("feedback")))
    return lines, notes, True


def _write_multiple(d: dict) -> tuple[list[str], list[str], bool]:
    """Every option with its weight: Marsa's default share where it has none (Moodle needs them)."""
    right = sum(1 for o in d["options"] if o["correct"])
    wrong = len(d["options"]) - right
    lines, notes = [], []
    for option in d["options"]:
        weight = option.get("weight")
        if weight is None:
            weight = 1 / right if option["correct"] else -1 / wrong
        lines.append(f"~%{_percent(weight)}%" + _with_feedback(_english(option["text"]), option.get("feedback")))
    if d.get("scoring") == "all_or_nothing":
        notes.append("Moodle has no all-or-nothing scoring and will give partial credit "
                     "(the '// marsa:' line keeps it for Marsa)")
    return lines, notes, True


def _write_truefalse(d: dict) -> tuple[list[str], list[str], bool]:
    feedback = d.get("feedback") or {}
    on_true, on_false = _english(feedback.get("true")), _english(feedback.get("false"))
    right, wrong = (on_true, on_false) if d["answer"] else (on_false, on_true)
    text = "TRUE" if d["answer"] else "FALSE"
    if wrong or right:
        text += f"#{_escape(wrong)}"
    if right:
        text += f"#{_escape(right)}"
    return [text], [], False


def _weighted(credit: float) -> str:
    return "=" if credit >= 1 else f"=%{_percent(credit)}%"


def _write_short(d: dict) -> tuple[list[str], list[str], bool]:
    answers = d.get("answers") or [{"text": a, "credit": 1.0, "feedback": None} for a in d["accept"]]
    answers = [a for a in answers if not ARABIC_SCRIPT.search(a["text"])]
    if not any(a["credit"] >= 1 for a in answers):
        raise _CannotExport("it has no English accepted answer")
    if any("->" in a["text"] for a in answers):
        raise _CannotExport("an accepted answer contains '->', which GIFT would read as a matching pair")
    lines = [_weighted(a["credit"]) + _with_feedback(a["text"], a.get("feedback")) for a in answers]
    return lines, [], bool(d.get("answers"))


def _numeric_value(answer: dict) -> str:
    if "range" in answer:
        low, high = answer["range"]
        return f"{_number_text(low)}..{_number_text(high)}"
    tolerance = answer.get("tolerance") or 0
    return _number_text(answer["answer"]) + (f":{_number_text(tolerance)}" if tolerance else "")


def _write_numeric(d: dict) -> tuple[list[str], list[str], bool]:
    """One answer as ``#5:0.5``; a list as Moodle writes it: ``=%50%5:2#feedback``, and ``~#feedback``
    for the answer that holds any other number."""
    if not d.get("answers"):
        return ["#" + _numeric_value(d)], [], False
    lines = ["#"]
    for answer in d["answers"]:
        if answer.get("any"):
            lines.append("~#" + _escape(_english(answer.get("feedback"))))
        else:
            feedback = _english(answer.get("feedback"))
            lines.append(f"=%{_percent(answer['credit'])}%{_numeric_value(answer)}"
                         + (f"#{_escape(feedback)}" if feedback else ""))
    notes = []
    if any(a.get("any") and a["credit"] > 0 for a in d["answers"]):
        notes.append("credit for any other number ('*') is written as 0%: GIFT's ~# gives none")
    return lines, notes, True


def _write_matching(d: dict) -> tuple[list[str], list[str], bool]:
    lines = []
    for pair in d["pairs"]:
        prompt = _english(pair["prompt"])
        if "->" in prompt:
            raise _CannotExport(f"the prompt of pair {pair['id']} contains '->', which GIFT cannot escape")
        lines.append(f"={_escape(prompt)} -> {_escape(_english(pair['match']))}")
    lines.extend(f"= -> {_escape(_english(item['text']))}" for item in d.get("distractors", []))
    return lines, [], True


_WRITERS: dict[str, Callable[[dict], tuple[list[str], list[str], bool]]] = {
    "single": _write_single, "multiple": _write_multiple, "truefalse": _write_truefalse,
    "short": _write_short, "numeric": _write_numeric, "matching": _write_matching,
}


def _metadata_line(d: dict) -> str | None:
    """The ``// marsa:`` line for what GIFT cannot hold, or None when the defaults say it all."""
    parts = []
    for kind in ("options", "pairs"):
        ids = [item["id"] for item in d.get(kind, [])]
        if ids and ids != _default_ids(kind, len(ids)):
            parts.append(f"{kind}={','.join(ids)}")
    if d.get("points", 1) != 1:
        parts.append(f"points={_number_text(d['points'])}")
    if d.get("scoring") == "all_or_nothing":
        parts.append("scoring=all_or_nothing")
    if d.get("judgement"):
        parts.append("judgement=true")
    if d.get("group"):
        parts.append(f"group={d['group']}")
    return f"// marsa: {' '.join(parts)}" if parts else None


def _question_text(d: dict) -> str:
    stem, case = _english(d["stem"]), _english(d.get("case"))
    return _escape(f"{case}\n\n{CASE_MARKER}\n\n{stem}" if case else stem)


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
    out = [f"// Marsa quiz {quiz.key}: {_english(quiz.title)}",
           "// Exported as GIFT for Moodle. '// marsa:' lines keep Marsa details; Moodle ignores them.", ""]
    messages: list[str] = []
    current: list[str] | None = None
    for question in quiz.questions:
        d = question.definition
        writer = _WRITERS.get(d["type"])
        if writer is None:
            messages.append(f"{question.key}: {d['type']} questions cannot be written in GIFT; not exported")
            continue
        try:
            lines, notes, multiline = writer(d)
        except _CannotExport as reason:
            messages.append(f"{question.key}: {reason}; not exported")
            continue
        messages.extend(f"{question.key}: {note}" for note in notes)
        if d.get("points", 1) != 1:
            messages.append(f"{question.key}: worth {_number_text(d['points'])} points in Marsa; Moodle gives "
                            "imported questions its default mark (the '// marsa:' line keeps it for Marsa)")
        if d["objectives"] != current:
            current = d["objectives"]
            out += [f"$CATEGORY: marsa/{module}/{'+'.join(current)}", ""]
        metadata = _metadata_line(d)
        if metadata:
            out.append(metadata)
        block = _answer_block(lines, _english(d.get("explanation")), multiline)
        out += [f"::{question.key}::[markdown]{_question_text(d)}{block}", ""]
    if _has_arabic(quiz.title) or any(_has_arabic(q.definition) for q in quiz.questions):
        messages.append("Arabic (ar) translations are not exported: a GIFT file holds one language, English.")
    return "\n".join(out), messages
