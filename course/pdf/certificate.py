"""The certificate as a PDF (one A4 landscape page) and its QR code, in English and Arabic.

Library choice: reportlab (pure Python, maintained since 2000, draws exactly where told and embeds
TrueType subsets with a ToUnicode map, so the PDF's text can be searched and extracted). reportlab
does not shape Arabic by itself, so each Arabic line goes through ``arabic-reshaper`` (joins
letters into their contextual forms: initial, medial, final, lam-alef ligatures) and then
``python-bidi`` (puts right-to-left runs in visual order, digits and Latin runs kept left to right).
That pair covers the Naskh text of a certificate without the native HarfBuzz build that fpdf2's
shaping needs; reportlab's own QR encoder draws the code, so no image library is involved.

The font is Noto Naskh Arabic Regular (SIL Open Font License, in static/fonts/ with its licence): one
file with Arabic and Latin glyphs, embedded in every PDF. The layout follows the officer's language:
for an Arabic-speaking officer Arabic comes first and the page reads right to left.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from course.config import REPO_ROOT

FONT_PATH = REPO_ROOT / "static" / "fonts" / "NotoNaskhArabic-Regular.ttf"
FONT = "NotoNaskhArabic"
BRAND = HexColor("#0b4f6c")
MUTED = HexColor("#4f5d6b")
REVOKED = HexColor("#b3261e")
INK = HexColor("#1b2631")
LANGUAGES = ("en", "ar")

#: No text comes closer than this to the page's edge (the frame is drawn at 18 and 26 pt).
MARGIN = 44
#: Space (pt) between two lines of one block, and between two blocks, at full size.
LINE_GAP, BLOCK_GAP = 1.5, 7.0
#: Every line is at least this tall (em above and below the baseline), so Latin lines keep an even
#: rhythm; a line whose letters reach further (Arabic marks, tails) is as tall as its letters.
MIN_ABOVE, MIN_BELOW = 0.74, 0.24
QR_SIZE = 118
#: The layout is tried at full size, then smaller until everything fits the page; long names and
#: titles wrap first and shrink only when the page runs out.
SCALES = (1.0, 0.94, 0.88, 0.82, 0.76, 0.7, 0.64, 0.58, 0.52)

#: Every fixed text of a certificate; each is printed in both languages (the officer's first), so
#: the label is taken in each language with ``force_locale``. The HTML page uses the same labels.
_LABELS = {
    "title": _l("Certificate of Completion"),
    "module_title": _l("Certificate of Module Completion"),
    "certifies": _l("This is to certify that"),
    "completed_course": _l("has completed the course"),
    "completed_module": _l("has completed the module"),
    "of_course": _l("of the course"),
    "staff_number": _l("Staff number"),
    "module": _l("Module"),
    "score": _l("Score"),
    "completed_on": _l("Completed on"),
    "overall": _l("Overall score"),
    "issued": _l("Issued on"),
    "expires": _l("Expires on"),
    "code": _l("Verification code"),
    "verify_at": _l("Verify at"),
    "no_quiz": _l("no graded quiz"),
    "revoked": _l("REVOKED"),
    "revoked_on": _l("Revoked on"),
}


def labels() -> dict[str, dict[str, str]]:
    """``{key: {"en": ..., "ar": ...}}``: every certificate label in both languages, from the
    interface's one translation catalog (English outside an app context)."""
    out: dict[str, dict[str, str]] = {key: {} for key in _LABELS}
    for lang in LANGUAGES:
        with force_locale(lang):
            for key, text in _LABELS.items():
                out[key][lang] = str(text)
    return out


def other(lang: str) -> str:
    return "en" if lang == "ar" else "ar"


def tr(value, lang: str) -> str:
    """The text of an i18n mapping in ``lang``, falling back to English."""
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    return "" if value is None else str(value)


def percent_text(value) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _has_rtl(text: str) -> bool:
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufeff" for ch in text)


def visual(text: str, rtl: bool = False) -> str:
    """``text`` ready to draw left to right: Arabic letters joined, right-to-left runs reversed."""
    if not _has_rtl(text):
        return text
    return get_display(arabic_reshaper.reshape(text), base_dir="R" if rtl else "L")


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code of ``text`` as rows of dark (True) and light modules (error correction M)."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    size = code.getModuleCount()
    return [[bool(code.isDark(row, col)) for col in range(size)] for row in range(size)]


def qr_svg_path(text: str) -> tuple[int, str]:
    """(size in modules, an SVG path drawing the dark modules) for an inline <svg>."""
    modules = qr_modules(text)
    parts = [f"M{col},{row}h1v1h-1z" for row, cells in enumerate(modules) for col, dark in enumerate(cells) if dark]
    return len(modules), "".join(parts)




def _register_font(font_path: Path) -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path)))


@lru_cache(maxsize=1)
def _ink_extents() -> dict[int, tuple[float, float]]:
    """``{code point: (lowest, highest)}`` of each glyph's outline, in em, read from the font's
    ``glyf`` table: how far a line's letters really reach below and above its baseline."""
    face = pdfmetrics.getFont(FONT).face
    data, glyf, per_em = face._ttf_data, face.table["glyf"]["offset"], face.unitsPerEm
    out = {}
    for char, glyph in face.charToGlyph.items():
        start, end = face.glyphPos[glyph], face.glyphPos[glyph + 1]
        if end > start:  # a glyph header: contours, xMin, yMin, xMax, yMax (int16 each)
            low, = struct.unpack(">h", data[glyf + start + 4:glyf + start + 6])
            high, = struct.unpack(">h", data[glyf + start + 8:glyf + start + 10])
            out[char] = (low / per_em, high / per_em)
    return out


def text_width(drawn: str, size: float) -> float:
    return pdfmetrics.stringWidth(drawn, FONT, size)


def ink(drawn: str) -> tuple[float, float]:
    """(em below, em above) the baseline that the letters of ``drawn`` reach."""
    extents = _ink_extents()
    lows, highs = [MIN_BELOW], [MIN_ABOVE]
    for char in drawn:
        low, high = extents.get(ord(char), (0.0, 0.0))
        lows.append(-low)
        highs.append(high)
    return max(lows), max(highs)


def wrap(text: str, size: float, width: float, lang: str) -> list[str]:
    """``text`` in logical order, cut into lines no wider than ``width`` once shaped: at spaces, and
    inside a word only when the word alone is wider than a line (a long name written without
    spaces, an address). Each line is shaped and put in visual order on its own when drawn."""
    def fits(line: str) -> bool:
        return text_width(visual(line, rtl=lang == "ar"), size) <= width

    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while not fits(word) and len(word) > 1:
            cut = max(1, next((n for n in range(len(word) - 1, 0, -1) if fits(word[:n])), 1))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


@dataclass(frozen=True)
class Placed:
    """One line of text where it is drawn: ``x`` is the left, right or centre of the line, on the
    page as printed (not mirrored), ``drawn`` the shaped string in visual order."""
    x: float
    baseline: float
    drawn: str
    size: float
    anchor: str  # "left", "right" or "center"
    color: object

    @property
    def left(self) -> float:
        width = text_width(self.drawn, self.size)
        return {"left": self.x, "right": self.x - width, "center": self.x - width / 2}[self.anchor]

    @property
    def right(self) -> float:
        return self.left + text_width(self.drawn, self.size)


@dataclass
class _Part:
    """A run of text in a cell: wrapped to the cell's width, in its own size, language and colour."""
    text: str
    size: float
    lang: str
    color: object = INK


class _Layout:
    """Places every text of the page from the top down, each line below the ink of the one above,
    at a given scale; ``fits`` tells whether it all ended above the bottom block."""

    def __init__(self, width: float, height: float, rtl: bool, scale: float):
        self.width, self.height, self.rtl, self.scale = width, height, rtl, scale
        self.y = height - MARGIN
        self.placed: list[Placed] = []
        self.rule: tuple[float, float, float] | None = None  # the line under the table's header

    def _anchor(self, x: float, align: str) -> tuple[float, str]:
        """A logical position (from the start edge; start, end or center) on the printed page."""
        if align == "center":
            return x, "center"
        absolute = self.width - x if self.rtl else x
        return absolute, "left" if (align == "start") != self.rtl else "right"

    def cell(self, top: float, x: float, width: float, align: str, parts: list[_Part]) -> float:
        """Stack ``parts`` from ``top`` down in a column; returns the lowest ink reached."""
        y = top
        for part in parts:
            size = part.size * self.scale
            for line in wrap(part.text, size, width, part.lang):
                drawn = visual(line, rtl=part.lang == "ar")
                below, above = ink(drawn)
                baseline = y - above * size
                anchor_x, anchor = self._anchor(x, align)
                self.placed.append(Placed(anchor_x, baseline, drawn, size, anchor, part.color))
                y = baseline - below * size - LINE_GAP * self.scale
        return y

    def block(self, text: str, size: float, lang: str, color=INK, gap: float = BLOCK_GAP) -> None:
        """A centred paragraph across the page."""
        wide = self.width - 2 * (MARGIN + 40)
        self.y = self.cell(self.y, self.width / 2, wide, "center", [_Part(text, size, lang, color)])
        self.y -= gap * self.scale

    def name(self, text: str, lang: str) -> None:
        """The officer's name: as large as fits on two lines (26 pt down to 15 pt), wrapped after."""
        wide = self.width - 2 * (MARGIN + 40)
        size = next((size for size in (26, 23, 20, 17) if len(wrap(text, size * self.scale, wide, lang)) <= 2), 15)
        self.block(text, size, lang)

    def labelled(self, label: dict, value: str, size: float) -> None:
        """``value`` centred, its English label on the left and its Arabic label on the right, so
        each reads naturally in its own direction."""
        size *= self.scale
        drawn_label = {"en": label["en"], "ar": visual(label["ar"], rtl=True)}
        below, above = ink(value + drawn_label["en"] + drawn_label["ar"])
        baseline = self.y - above * size
        middle, half = self.width / 2, text_width(value, size) / 2 + 8 * self.scale
        self.placed += [Placed(middle, baseline, value, size, "center", INK),
                        Placed(middle - half, baseline, drawn_label["en"], size, "right", MUTED),
                        Placed(middle + half, baseline, drawn_label["ar"], size, "left", MUTED)]
        self.y = baseline - below * size - BLOCK_GAP * self.scale

    def row(self, cells: list[tuple[float, float, str, list[_Part]]], top: float | None = None) -> float:
        """Cells side by side from ``top``: the row is as tall as its tallest cell."""
        top = self.y if top is None else top
        return min(self.cell(top, x, width, align, parts) for x, width, align, parts in cells)


def _percent_or(entry: dict, text: dict, first: str) -> str:
    return percent_text(entry.get("percent")) if entry.get("percent") is not None else text["no_quiz"][first]


def _layout(certificate, url: str, width: float, height: float, scale: float, text: dict) -> tuple[_Layout, float]:
    """Every text of the page at ``scale``; returns the layout and how far its flowing part ended
    above the bottom block (negative: it does not fit)."""
    snap = certificate.snapshot
    first = "ar" if snap.get("language") == "ar" else "en"
    second = other(first)
    page = _Layout(width, height, rtl=first == "ar", scale=scale)
    module_kind = certificate.kind.value == "module"

    page.block(tr(snap["institute"], first), 16, first, BRAND, gap=1)
    page.block(tr(snap["institute"], second), 12, second, BRAND, gap=10)
    title = text["module_title" if module_kind else "title"]
    page.block(title[first], 28, first, gap=1)
    page.block(title[second], 17, second, MUTED, gap=6)
    page.block(f"{text['certifies'][first]}  ·  {text['certifies'][second]}", 11, first, MUTED, gap=4)
    page.name(snap["full_name"], "ar" if _has_rtl(snap["full_name"]) else "en")
    if snap.get("staff_number"):
        page.labelled(text["staff_number"], snap["staff_number"], 10)
    done = text["completed_module" if module_kind else "completed_course"]
    page.block(f"{done[first]}  ·  {done[second]}", 11, first, MUTED, gap=3)
    shown = snap["module"]["title"] if module_kind else snap["course"]["title"]
    page.block(tr(shown, first), 17, first, gap=1)
    page.block(tr(shown, second), 12, second, MUTED, gap=3 if module_kind else 12)
    if module_kind:
        page.block(f"{text['of_course'][first]}: {tr(snap['course']['title'], first)}", 10, first, MUTED, gap=12)

    # The modules, their scores and completion dates: a row is as tall as its wrapped titles.
    start, end = MARGIN + 16, width - MARGIN - 16
    date_width, score_width, gutter = 84 * scale, 96 * scale, 14 * scale
    score_end = end - date_width - gutter
    name_width = score_end - score_width - gutter - start
    columns = ((start, name_width, "start"), (score_end, score_width, "end"), (end, date_width, "end"))

    def table_row(parts_per_column: list[list[_Part]]) -> None:
        page.y = page.row([(x, w, align, parts) for (x, w, align), parts in zip(columns, parts_per_column)])

    table_row([[_Part(f"{text['module'][first]} / {text['module'][second]}", 9, first, MUTED)],
               [_Part(text["score"][first], 9, first, MUTED)], [_Part(text["completed_on"][first], 9, first, MUTED)]])
    rule_y = page.y + LINE_GAP * scale - 1.5 * scale
    page.y -= 3 * scale
    for entry in snap.get("modules", []):
        name = [_Part(f"{entry.get('position', '')}. {tr(entry['title'], first)}", 9.5, first)]
        if tr(entry["title"], second) != tr(entry["title"], first):
            name.append(_Part(tr(entry["title"], second), 8.5, second, MUTED))
        table_row([name, [_Part(_percent_or(entry, text, first), 9.5, first)],
                   [_Part(entry["completed_on"], 9.5, "en")]])
        page.y -= 3 * scale
    page.rule = (rule_y, start, end)

    # The dates, score and code at the bottom, beside the QR code at the end edge.
    facts = [(text["completed_on"], snap["completed_on"], 10),
             (text["overall"], percent_text(snap.get("percent")), 10),
             (text["issued"], certificate.issued_at.date().isoformat(), 10)]
    if certificate.expires_at is not None:
        facts.append((text["expires"], certificate.expires_at.date().isoformat(), 10))
    if certificate.revoked_at is not None:
        facts.append((text["revoked_on"], certificate.revoked_at.date().isoformat(), 10))
    facts += [(text["code"], certificate.code, 11), (text["verify_at"], url.split("#", 1)[0], 8.5)]
    value_x = start + 265 * scale
    value_width = width - MARGIN - QR_SIZE - 16 - value_x
    bottom = _Layout(width, height, page.rtl, scale)
    bottom.y = 0.0  # laid out from 0 down, then moved up to sit on the bottom margin
    for label, value, size in facts:
        bottom.y = bottom.row([(start, 145 * scale, "start", [_Part(label[first], 9.5, first, MUTED)]),
                               (start + 150 * scale, 110 * scale, "start", [_Part(label[second], 9.5, second, MUTED)]),
                               (value_x, value_width, "start", [_Part(value, size, "en")])])
    lift = MARGIN - bottom.y
    page.placed += [Placed(p.x, p.baseline + lift, p.drawn, p.size, p.anchor, p.color) for p in bottom.placed]
    block_top = MARGIN + max(-bottom.y, QR_SIZE)
    return page, page.y - block_top - BLOCK_GAP * scale


def layout(certificate, url: str, width: float, height: float) -> _Layout:
    """The page at the largest scale at which everything fits (the smallest one if nothing does)."""
    text = labels()
    for scale in SCALES:
        page, room = _layout(certificate, url, width, height, scale, text)
        if room >= 0:
            break
    return page


def _revoked_stamp(canvas: Canvas, width: float, height: float, text: dict) -> None:
    """"REVOKED · ملغاة" across the page, over everything else, so no copy of a revoked certificate
    can pass for a valid one."""
    canvas.saveState()
    canvas.translate(width / 2, height / 2)
    canvas.rotate(24)
    canvas.setFillColor(REVOKED)
    canvas.setFillAlpha(0.35)
    canvas.setFont(FONT, 92)
    canvas.drawCentredString(0, 10, text["revoked"]["en"])
    canvas.drawCentredString(0, -90, visual(text["revoked"]["ar"], rtl=True))
    canvas.restoreState()


def render_certificate_pdf(certificate, url: str, font_path: Path = FONT_PATH) -> bytes:
    """One A4 landscape page: who, what, scores, dates, institute, code and the QR of ``url``."""
    _register_font(font_path)
    snap = certificate.snapshot
    first = "ar" if snap.get("language") == "ar" else "en"
    text = labels()
    width, height = landscape(A4)
    out = BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=1, initialFontName=FONT, lang=first)
    revoked = certificate.revoked_at is not None
    canvas.setTitle(f"{text['revoked']['en'] + ': ' if revoked else ''}{text['title']['en']} {certificate.code}")
    canvas.setAuthor(tr(snap["institute"], "en"))
    canvas.setSubject(f"{snap['full_name']} · {tr(snap['course']['title'], 'en')}")

    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(3)
    canvas.rect(18, 18, width - 36, height - 36)
    canvas.setLineWidth(0.8)
    canvas.rect(26, 26, width - 52, height - 52)

    page = layout(certificate, url, width, height)
    for item in page.placed:
        canvas.setFont(FONT, item.size)
        canvas.setFillColor(item.color)
        if item.anchor == "center":
            canvas.drawCentredString(item.x, item.baseline, item.drawn)
        elif item.anchor == "left":
            canvas.drawString(item.x, item.baseline, item.drawn)
        else:
            canvas.drawRightString(item.x, item.baseline, item.drawn)
    rule_y, start, end = page.rule
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.5)
    canvas.line(start, rule_y, end, rule_y)  # the table is centred, so the same in both directions

    modules = qr_modules(url)
    cell = QR_SIZE / len(modules)
    qr_x = width - MARGIN - QR_SIZE if first == "en" else MARGIN
    canvas.setFillColor(HexColor("#000000"))
    for row, cells in enumerate(modules):
        for col, dark in enumerate(cells):
            if dark:
                canvas.rect(qr_x + col * cell, MARGIN + QR_SIZE - (row + 1) * cell, cell, cell, stroke=0, fill=1)
    if revoked:
        _revoked_stamp(canvas, width, height, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
