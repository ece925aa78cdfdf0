"""Moodle GIFT import: read GIFT questions into quiz YAML (``course.interchange.gift_write`` writes GIFT).

Trainers already keep question banks in Moodle, and GIFT is the plain-text format Moodle both
imports and exports. ``parse_gift`` turns a GIFT file into question dicts in the quiz YAML format
(docs/COURSE_FORMAT.md) and reports every problem with its line, the way ``course check`` does,
so nothing is dropped without a word. Pure functions: no Flask, no database; the CLI lives in
``course.cli.quiz``.

The parser follows Moodle's own reading of GIFT (qformat_gift): a blank line ends a question,
the first ``{`` and ``}`` hold the answers, ``####`` general feedback. This module reads what every
question has (name, category, text, general feedback, ``// marsa:`` lines); which type an answer
block is, and its answers (``~`` a choice, ``=`` a right answer or a pair, ``#`` feedback, ``->`` a
matching pair, a leading ``#`` a number), each question type reads itself (``gift_read`` in
``course/questions/``), asked in its ``gift_order``.

Marsa details that GIFT cannot say travel in ``// marsa:`` comment lines, which Moodle ignores:
option and pair ids when they are not the default ``a, b, c`` / ``p1, p2``, ``points``,
``scoring=all_or_nothing``, ``judgement=true`` and ``group``. A scenario ``case`` is written into the question text,
followed by a blank line, ``CASE_MARKER`` (an HTML comment, invisible in Moodle), a blank line and
the stem; the importer splits the text there again.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from course.interchange.gift_syntax import CASE_MARKER, default_ids
from course.interchange.gift_syntax import number as read_number
from course.package.model import ID_RE, HasProblems, Problem
from course.questions import REGISTRY, get_type, gift_types

#: Comment lines that carry Marsa details Moodle has no place for.
METADATA_PREFIX = re.compile(r"^//\s*marsa:", re.IGNORECASE)
METADATA_KEYS = ("options", "pairs", "points", "scoring", "judgement", "group")
#: Settings that take the rest of their line (and may repeat): the question types'.
LINE_KEYS = tuple(key for qtype in REGISTRY.values() for key in qtype.gift_line_settings)
TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
FORMAT_MARKER = re.compile(rf"^\[({'|'.join(TEXT_FORMATS)})\]")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
LOOKS_LIKE_WEIGHT = re.compile(r"^%[^%\s]*%")
#: A category segment that names an objective when the module's objectives are not known.
OBJECTIVE_LIKE = re.compile(r"^[A-Z]+\d+(?:\.\d+)+$")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")

# Escaped control characters become private-use placeholders while a question is parsed, so
# splitting on ``~ = # { } :`` never splits on an escaped one; ``plain()`` turns them back.
_ESCAPABLE = "~=#{}:n\\"
_PLACEHOLDER = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_UNESCAPE = str.maketrans({ph: ("\n" if char == "n" else char) for char, ph in _PLACEHOLDER.items()})


# --------------------------------------------------------------------------------------------
# Reading GIFT
# --------------------------------------------------------------------------------------------

@dataclass
class GiftResult(HasProblems):
    """What ``parse_gift`` read: importable questions, and every problem with its line."""

    questions: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: ids of the questions that got the default objective (no objective in their $CATEGORY)
    defaulted: list[str] = field(default_factory=list)
    #: (label, line) of each question left out because of an error (``--skip-unsupported`` lists them)
    skipped: list[tuple[str, int]] = field(default_factory=list)


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


def _text_id(module: str, text: str) -> str:
    """``<module>-<first words>-<hash>`` for an unnamed question: the same text always gives the same id."""
    stem = re.sub(r"\{[^{}]*\}", " _ ", text)
    stem = FORMAT_MARKER.sub("", stem.strip())
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", stem)).strip().casefold()
    digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:6]
    words = "-".join(slugify(folded).split("-")[:5])[:40].strip("-")
    return f"{module}-{words}-{digest}" if words else f"{module}-{digest}"


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
            if "scoring" in get_type(qtype).gift_settings:
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
        """Ask each question type, in its order, whether the answer block is its own (as Moodle tells
        the type from the block), and let that type read it."""
        for qtype in gift_types():
            if qtype.gift_claims(answers.chars):
                return qtype.gift_read(self, draft, answers, metadata)
        self.error(draft, answers.line, "", "no question type reads this answer block")
        return None

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

    # -- Marsa details ----------------------------------------------------------------------------
    def read_metadata(self, draft: _Draft, entries: list[tuple[int, str]]) -> dict[str, tuple[int, Any]]:
        """``// marsa: options=a,b points=2 ...`` as {key: (line, value)}; a question type's line
        setting (``criterion=...``) as {key: [(line, rest of the line), ...]}."""
        found: dict[str, Any] = {}
        for line, body in entries:
            key, _, value = body.partition("=")
            if key in LINE_KEYS:
                found.setdefault(key, []).append((line, value.strip()))
                continue
            for token in body.split():
                key, _, value = token.partition("=")
                if key not in METADATA_KEYS:
                    self.warn(draft, line, "marsa", f"unknown Marsa setting {token!r}; ignored")
                elif key in ("options", "pairs"):
                    found[key] = (line, [v for v in value.split(",") if v])
                elif key == "points":
                    points = read_number(value)
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
            return default_ids(kind, count)
        line, ids = metadata[kind]
        if len(ids) != count:
            self.error(draft, line, kind, f"the '// marsa:' line names {len(ids)} {kind} ids but the question "
                       f"has {count} {kind}")
            return default_ids(kind, count)
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
