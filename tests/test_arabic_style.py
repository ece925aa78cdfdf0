"""The Arabic of the course follows docs/ARABIC_STYLE.md: no banned term, Arabic paragraph letters."""
import re
from pathlib import Path

import pytest

from course.config import REPO_ROOT

STYLE_SHEET = REPO_ROOT / "docs" / "ARABIC_STYLE.md"
MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")          # tashkeel, superscript alef, tatweel
QUOTED = re.compile("«[^»]*»")
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
# 3(b), 1A(2), and a bare (d) after a space or the conjunction و: Latin paragraph letters
LATIN_PARAGRAPH = re.compile(r"\d+\s?\([a-z]\)|\d+A\(\d+\)|(?<=[\sو])\([a-z]\)")


def plain(text: str) -> str:
    return MARKS.sub("", text)


def banned_terms(sheet: str) -> list[str]:
    """The first column of the table under "## Banned terms", each term in backticks."""
    section = sheet.split("\n## Banned terms\n", 1)[1].split("\n## ", 1)[0]
    return [plain(m.group(1)) for m in re.finditer(r"^\|\s*`([^`]+)`\s*\|", section, re.M)]


def course_files(tree: str) -> list[Path]:
    root = REPO_ROOT / tree
    return sorted(p for p in root.rglob("*") if p.suffix in (".md", ".yaml") and p.is_file())


def unquoted_lines(path: Path):
    """Each line without diacritics and with text inside « » blanked (a label quoted to be avoided)."""
    text = QUOTED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), plain(path.read_text(encoding="utf-8")))
    return enumerate(text.split("\n"), start=1)


def in_arabic_context(line: str, start: int) -> bool:
    """Whether the last letter before position `start` is Arabic (an English citation such as
    "Art. 3(c)" in a reference's English title is left alone)."""
    for char in reversed(line[:start]):
        if char.isalpha():
            return bool(ARABIC_LETTER.match(char))
    return False


def style_problems(paths, terms) -> list[str]:
    problems = []
    for path in paths:
        name = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
        for number, line in unquoted_lines(path):
            problems += [f"{name}:{number}: {term}" for term in terms if term in line]
            if ARABIC_LETTER.search(line):
                problems += [f"{name}:{number}: Latin paragraph letter {m.group(0)}"
                             for m in LATIN_PARAGRAPH.finditer(line) if in_arabic_context(line, m.start())]
    return problems


def test_style_sheet_lists_the_terms_the_review_named():
    terms = banned_terms(STYLE_SHEET.read_text(encoding="utf-8"))
    assert {"متسلل", "التعميم المراعي للنوع الاجتماعي", "البرنامج التدريبي"} <= set(terms)


@pytest.mark.parametrize("tree", ["modules", "quizzes", "banks"])
def test_arabic_follows_the_style_sheet(tree):
    terms = banned_terms(STYLE_SHEET.read_text(encoding="utf-8"))
    files = course_files(tree) + ([REPO_ROOT / "course.yaml"] if tree == "modules" else [])
    assert files
    assert style_problems(files, terms) == []


def test_the_check_finds_a_stowaway_called_infiltrator_and_latin_letters(tmp_path):
    terms = banned_terms(STYLE_SHEET.read_text(encoding="utf-8"))
    lesson = tmp_path / "01-x.ar.md"
    lesson.write_text(
        "عُثر على مُتَسَلِّلٍ في العنبر.\n"                      # with diacritics: still caught
        "ضُبط «ثلاثة متسللين» كما ورد في المحضر.\n"             # quoted to teach what to avoid: allowed
        "وفق المادة 3(b) والفقرة (d) والمادة 1A(2).\n"         # Latin letters in Arabic text
        "- Trafficking Protocol, Art. 3(c)-(d) (بروتوكول الاتجار).\n",  # an English citation: allowed
        encoding="utf-8")
    found = style_problems([lesson], terms)
    assert [f.split(": ", 1)[1] for f in found] == [
        "متسلل", "Latin paragraph letter 3(b)", "Latin paragraph letter (d)", "Latin paragraph letter 1A(2)"]
    assert [f.split(":")[1] for f in found] == ["1", "3", "3", "3"]
