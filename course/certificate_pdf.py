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

from io import BytesIO
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
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

#: Every fixed text of a certificate, in both languages (the HTML page uses the same words).
LABELS = {
    "title": {"en": "Certificate of Completion", "ar": "شهادة إتمام"},
    "module_title": {"en": "Certificate of Module Completion", "ar": "شهادة إتمام وحدة"},
    "certifies": {"en": "This is to certify that", "ar": "يشهد المعهد بأن"},
    "completed_course": {"en": "has completed the course", "ar": "قد أتمّ بنجاح الدورة التدريبية"},
    "completed_module": {"en": "has completed the module", "ar": "قد أتمّ بنجاح الوحدة التدريبية"},
    "of_course": {"en": "of the course", "ar": "من الدورة التدريبية"},
    "staff_number": {"en": "Staff number", "ar": "الرقم الوظيفي"},
    "module": {"en": "Module", "ar": "الوحدة"},
    "score": {"en": "Score", "ar": "الدرجة"},
    "completed_on": {"en": "Completed on", "ar": "تاريخ الإتمام"},
    "overall": {"en": "Overall score", "ar": "الدرجة الإجمالية"},
    "issued": {"en": "Issued on", "ar": "تاريخ الإصدار"},
    "expires": {"en": "Expires on", "ar": "تاريخ انتهاء الصلاحية"},
    "code": {"en": "Verification code", "ar": "رمز التحقق"},
    "verify_at": {"en": "Verify at", "ar": "للتحقق"},
    "no_quiz": {"en": "no graded quiz", "ar": "بلا اختبار"},
    "revoked": {"en": "REVOKED", "ar": "ملغاة"},
    "revoked_on": {"en": "Revoked on", "ar": "تاريخ الإلغاء"},
}


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


def _revoked_stamp(canvas: Canvas, width: float, height: float) -> None:
    """"REVOKED · ملغاة" across the page, over everything else, so no copy of a revoked certificate
    can pass for a valid one."""
    canvas.saveState()
    canvas.translate(width / 2, height / 2)
    canvas.rotate(24)
    canvas.setFillColor(REVOKED)
    canvas.setFillAlpha(0.35)
    canvas.setFont(FONT, 92)
    canvas.drawCentredString(0, 10, LABELS["revoked"]["en"])
    canvas.drawCentredString(0, -90, visual(LABELS["revoked"]["ar"], rtl=True))
    canvas.restoreState()


class _Page:
    """Drawing helpers that mirror the layout for a right-to-left certificate."""

    def __init__(self, canvas: Canvas, width: float, rtl: bool):
        self.c, self.width, self.rtl = canvas, width, rtl

    def x(self, x: float) -> float:
        return self.width - x if self.rtl else x

    def text(self, x: float, y: float, text: str, size: float, lang: str, align: str = "start",
             color=INK) -> None:
        """Draw at logical position ``x`` (from the start edge); align is start, end or center."""
        self.c.setFont(FONT, size)
        self.c.setFillColor(color)
        shaped = visual(text, rtl=lang == "ar")
        if align == "center":
            self.c.drawCentredString(x, y, shaped)
        elif (align == "start") != self.rtl:
            self.c.drawString(self.x(x), y, shaped)
        else:
            self.c.drawRightString(self.x(x), y, shaped)

    def centered(self, y: float, text: str, size: float, lang: str, color=INK) -> None:
        self.text(self.width / 2, y, text, size, lang, "center", color)

    def labelled(self, y: float, label: dict, value: str, size: float) -> None:
        """``value`` centred, its English label on the left and its Arabic label on the right, so
        each reads naturally in its own direction."""
        half = pdfmetrics.stringWidth(value, FONT, size) / 2 + 8
        middle = self.width / 2
        self.c.setFont(FONT, size)
        self.c.setFillColor(INK)
        self.c.drawCentredString(middle, y, value)
        self.c.setFillColor(MUTED)
        self.c.drawRightString(middle - half, y, label["en"])
        self.c.drawString(middle + half, y, visual(label["ar"], rtl=True))


def render_certificate_pdf(certificate, url: str, font_path: Path = FONT_PATH) -> bytes:
    """One A4 landscape page: who, what, scores, dates, institute, code and the QR of ``url``."""
    _register_font(font_path)
    snap = certificate.snapshot
    first = "ar" if snap.get("language") == "ar" else "en"
    second = other(first)
    width, height = landscape(A4)
    out = BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=1, initialFontName=FONT, lang=first)
    revoked = certificate.revoked_at is not None
    canvas.setTitle(f"{LABELS['revoked']['en'] + ': ' if revoked else ''}{LABELS['title']['en']} {certificate.code}")
    canvas.setAuthor(tr(snap["institute"], "en"))
    canvas.setSubject(f"{snap['full_name']} · {tr(snap['course']['title'], 'en')}")
    page = _Page(canvas, width, rtl=first == "ar")

    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(3)
    canvas.rect(18, 18, width - 36, height - 36)
    canvas.setLineWidth(0.8)
    canvas.rect(26, 26, width - 52, height - 52)

    module_kind = certificate.kind.value == "module"
    y = height - 62
    page.centered(y, tr(snap["institute"], first), 16, first, BRAND)
    page.centered(y - 18, tr(snap["institute"], second), 12, second, BRAND)
    title = LABELS["module_title" if module_kind else "title"]
    page.centered(y - 58, title[first], 28, first)
    page.centered(y - 82, title[second], 17, second, MUTED)
    page.centered(y - 110, f"{LABELS['certifies'][first]}  ·  {LABELS['certifies'][second]}", 11, first, MUTED)
    page.centered(y - 142, snap["full_name"], 26, "ar" if _has_rtl(snap["full_name"]) else "en")
    if snap.get("staff_number"):
        page.labelled(y - 162, LABELS["staff_number"], snap["staff_number"], 10)
    done = LABELS["completed_module" if module_kind else "completed_course"]
    page.centered(y - 186, f"{done[first]}  ·  {done[second]}", 11, first, MUTED)
    if module_kind:
        page.centered(y - 210, tr(snap["module"]["title"], first), 17, first)
        page.centered(y - 228, tr(snap["module"]["title"], second), 12, second, MUTED)
        page.centered(y - 246, f"{LABELS['of_course'][first]}: {tr(snap['course']['title'], first)}", 10, first, MUTED)
    else:
        page.centered(y - 210, tr(snap["course"]["title"], first), 17, first)
        page.centered(y - 228, tr(snap["course"]["title"], second), 12, second, MUTED)

    # The modules with their scores and dates.
    top = y - 270
    left, right = 70, width - 210
    page.text(left, top, f"{LABELS['module'][first]} / {LABELS['module'][second]}", 9, first, color=MUTED)
    page.text(right - 95, top, LABELS["score"][first], 9, first, "end", MUTED)
    page.text(right, top, LABELS["completed_on"][first], 9, first, "end", MUTED)
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.5)
    canvas.line(page.x(left), top - 4, page.x(right), top - 4)
    row_y = top - 17
    for entry in snap.get("modules", [])[:8]:
        name = f"{entry.get('position', '')}. {tr(entry['title'], first)}"
        if tr(entry["title"], second) != tr(entry["title"], first):
            name += f"  ·  {tr(entry['title'], second)}"
        page.text(left, row_y, name, 9.5, first)
        score = percent_text(entry.get("percent")) if entry.get("percent") is not None else LABELS["no_quiz"][first]
        page.text(right - 95, row_y, score, 9.5, first, "end")
        page.text(right, row_y, entry["completed_on"], 9.5, "en", "end")
        row_y -= 14

    # Dates, score and code; the QR code at the end edge.
    facts = [(LABELS["completed_on"], snap["completed_on"], 10),
             (LABELS["overall"], percent_text(snap.get("percent")), 10),
             (LABELS["issued"], certificate.issued_at.date().isoformat(), 10)]
    if certificate.expires_at is not None:
        facts.append((LABELS["expires"], certificate.expires_at.date().isoformat(), 10))
    if revoked:
        facts.append((LABELS["revoked_on"], certificate.revoked_at.date().isoformat(), 10))
    facts += [(LABELS["code"], certificate.code, 11), (LABELS["verify_at"], url.split("#", 1)[0], 8.5)]
    fact_y = 46 + 14 * (len(facts) - 1)
    for label, value, size in facts:
        page.text(left, fact_y, label[first], 9.5, first, color=MUTED)
        page.text(left + 150, fact_y, label[second], 9.5, second, color=MUTED)
        page.text(left + 265, fact_y, value, size, "en")
        fact_y -= 14
    qr_size = 118
    modules = qr_modules(url)
    cell = qr_size / len(modules)
    qr_x = width - 44 - qr_size if first == "en" else 44
    canvas.setFillColor(HexColor("#000000"))
    for row, cells in enumerate(modules):
        for col, dark in enumerate(cells):
            if dark:
                canvas.rect(qr_x + col * cell, 46 + qr_size - (row + 1) * cell, cell, cell, stroke=0, fill=1)
    if revoked:
        _revoked_stamp(canvas, width, height)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
