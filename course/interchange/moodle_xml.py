"""Moodle XML import: the format Moodle's question bank exports by default, read into quiz YAML.

``parse_moodle_xml`` reads the same question types as the GIFT importer
(``course.interchange.gift_read``) and gives the same result: question dicts in the quiz YAML format
and every problem as ``FILE:line: field: message``, the line being where the ``<question>`` (or the
part at fault) starts. Categories name objectives as in GIFT (the last part of
``$course$/top/.../M1.2``). The XML is parsed with defusedxml: a file from elsewhere may hold entity
expansions or external references, which are refused, never followed.

Moodle keeps texts as HTML. A text that is only paragraphs (``<p>...</p>``) becomes Markdown
paragraphs; any other markup is kept with the same warning as GIFT's ``[html]``. Embedded files
(``<file>``, images) are not imported: each is named in a warning so the author can add it.
"""
from __future__ import annotations

import html
import re
from collections.abc import Collection
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from course.interchange.gift_read import GiftResult, _Draft, _Importer, _Text
from course.interchange.gift_syntax import percent
from course.questions import moodle_xml_types

PARAGRAPHS = re.compile(r"^\s*(?:<p(?:\s[^<>]*)?>(?:(?!</?p[\s>]).)*</p>\s*)+$", re.DOTALL | re.IGNORECASE)
PARAGRAPH = re.compile(r"<p(?:\s[^<>]*)?>(.*?)</p>", re.DOTALL | re.IGNORECASE)
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*"}
INLINE_TAG = re.compile(r"<(/?)(b|strong|i|em)>", re.IGNORECASE)


class _LineTreeBuilder(TreeBuilder):
    """Records the line each element starts on (``element.line``) from the expat parser."""

    def __init__(self):
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber if self.parser else 1
        return element


def _parse(text: str | bytes, builder: _LineTreeBuilder) -> Element:
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    parser.feed(text)
    return parser.close()


def _markdown(text: str) -> tuple[str, bool]:
    """A Moodle HTML text as Markdown when it is only paragraphs, line breaks and bold/italic; else
    the text as it is, and True (HTML left in)."""
    text = text.strip()
    if PARAGRAPHS.match(text):
        text = "\n\n".join(part.strip() for part in PARAGRAPH.findall(text))
    text = BREAK.sub("\n", text)
    text = INLINE_TAG.sub(lambda m: INLINE[m.group(2).lower()], text)
    if re.search(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>", text):
        return text, True
    return html.unescape(text).strip(), False


class _XmlImporter(_Importer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict[int, int] = {}

    def line(self, element: Element | None) -> int:
        return self.lines.get(id(element), 1) if element is not None else 1

    def text_of(self, draft: _Draft, element: Element | None, report_files: bool = True) -> str:
        """The ``<text>`` of a Moodle text element, as Markdown; files in it are reported."""
        if element is None:
            return ""
        node = element.find("text")
        value = (node.text if node is not None else element.text) or ""
        for file in element.findall("file") if report_files else ():
            self.warn(draft, self.line(file), "file", f"the embedded file {file.get('name')!r} is not imported: "
                      "add it to the course and refer to it in Markdown")
        fmt = element.get("format", "html")
        if fmt in ("html", "moodle_auto_format"):
            value, has_html = _markdown(value)
            draft.html = draft.html or has_html
        return value.replace("@@PLUGINFILE@@/", "").strip()

    def run_xml(self, text: str | bytes) -> GiftResult:
        builder = _LineTreeBuilder()
        self.lines = builder.lines
        try:
            root = _parse(text, builder)
        except DefusedXmlException as refused:
            line = builder.parser.parser.CurrentLineNumber if builder.parser else 1
            self.report(line, "xml", f"refused: {type(refused).__name__} (entities, a DTD or external references "
                        "are not read from an imported file)")
            return self.result
        except ParseError as error:
            self.report(error.position[0], "xml", f"not well-formed XML: {error}")
            return self.result
        if root.tag != "quiz":
            self.report(self.line(root), "xml", f"a Moodle XML file starts with <quiz>, not <{root.tag}>")
            return self.result
        for element in root.findall("question"):
            kind = element.get("type", "")
            if kind == "category":
                self.set_category(self.line(element), self.text_of(_Draft("$CATEGORY", 1), element.find("category")))
            else:
                self.read_xml_question(element, kind)
        self.end_description()
        return self.result

    def read_xml_question(self, element: Element, kind: str) -> None:
        self.count += 1
        line = self.line(element)
        name = (element.findtext("name/text") or "").strip() or None
        question_text = element.find("questiontext")
        unnamed = self.text_of(_Draft(f"question {self.count}", line), question_text, report_files=False)
        question_id, id_note = self.choose_id(name, _Text(unnamed, tuple([line] * len(unnamed)), line))
        draft = _Draft(question_id, line)
        stem = self.text_of(draft, question_text)
        question = None
        if kind == "description":
            self.start_description(draft, stem)
            return
        qtype = next((t for t in moodle_xml_types(kind) if t.xml_claims(element)), None)
        if qtype is None:
            self.error(draft, line, "", f"the question type {kind!r} cannot be imported")
        else:
            built = qtype.xml_read(self, draft, element)
            if built is not None and not draft.failed:
                question = {"id": question_id, "type": built[0],
                            "objectives": list(self.category or [self.default_objective])}
                points = element.findtext("defaultgrade")
                if points and points.strip() not in ("1", "1.0", "1.0000000"):
                    try:
                        question["points"] = float(points) if float(points) % 1 else int(float(points))
                    except ValueError:
                        self.warn(draft, self.line(element.find("defaultgrade")), "points",
                                  f"{points!r} is not a number; 1 point")
                question["stem"] = stem
                question.update(built[1])
                explanation = self.text_of(draft, element.find("generalfeedback"))
                if explanation:
                    question["explanation"] = explanation
        if not stem:
            self.error(draft, line, "stem", "the question has no text")
        if not (self.category or self.default_objective):
            self.error(draft, line, "objectives", "no objective: put the question in a category whose last part "
                       "is an objective id (e.g. marsa/module/M1.2), or give a default objective")
        if question is not None and not draft.failed:
            self.accept(draft, question, {}, id_note)
        if draft.failed:
            self.result.skipped.append((draft.label, draft.line))

    def answers(self, draft: _Draft, element: Element) -> list[tuple[Element, float, str, str]]:
        """Each ``<answer>``: (element, fraction, text, feedback)."""
        out = []
        for index, answer in enumerate(element.findall("answer"), start=1):
            try:
                fraction = float(answer.get("fraction", "0")) / 100
            except ValueError:
                self.error(draft, self.line(answer), f"answer[{index}]", f"fraction {answer.get('fraction')!r} "
                           "is not a number")
                continue
            if not -1 <= fraction <= 1:
                self.error(draft, self.line(answer), f"answer[{index}]", f"weight {percent(fraction)}% must be "
                           "from -100% to 100%")
            text_node = answer.find("text")
            text = (text_node.text or "") if text_node is not None else ""
            if answer.get("format", "plain_text") in ("html", "moodle_auto_format"):
                text, has_html = _markdown(text)
                draft.html = draft.html or has_html
            out.append((answer, fraction, text.strip(), self.text_of(draft, answer.find("feedback"))))
        return out


def parse_moodle_xml(text: str | bytes, source: str = "<xml>", *, module: str = "xml",
                     objectives: Collection[str] | None = None, default_objective: str | None = None,
                     taken_ids: Collection[str] = ()) -> GiftResult:
    """Read Moodle XML ``text`` as ``course.interchange.gift_read.parse_gift`` reads GIFT (same
    arguments, same result)."""
    return _XmlImporter(source, module, objectives, default_objective, taken_ids).run_xml(text)
