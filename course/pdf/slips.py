"""Printable one-time password slips: A4 pages of eight slips to cut apart, one per officer, each in
that officer's preferred language (Arabic slips read right to left). The font, the Arabic shaping and
the measured line wrapping are the certificate's (``course.pdf.certificate``).
"""
from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from course.models import User
from course.models.content import text_in
from course.pdf.certificate import BRAND, FONT, FONT_PATH, INK, MUTED, _register_font, ink, visual, wrap
from course.services.handouts import sign_in_url, slip_texts

COLUMNS, ROWS = 2, 4
PAGE_MARGIN, PADDING = 28, 14


def _slip(canvas: Canvas, x: float, top: float, width: float, officer: User, password: str, institute: dict,
          url: str) -> None:
    lang = "ar" if officer.language == "ar" else "en"
    words = slip_texts(officer)
    inner = width - 2 * PADDING
    y = top - PADDING

    def line(text: str, size: float, color=INK, text_lang: str = lang, gap: float = 2.0) -> None:
        nonlocal y
        for part in wrap(text, size, inner, text_lang):
            drawn = visual(part, rtl=text_lang == "ar")
            below, above = ink(drawn)
            y -= above * size
            canvas.setFont(FONT, size)
            canvas.setFillColor(color)
            if lang == "ar":
                canvas.drawRightString(x + width - PADDING, y, drawn)
            else:
                canvas.drawString(x + PADDING, y, drawn)
            y -= below * size + 1
        y -= gap

    line(text_in(institute, lang), 8.5, BRAND)
    line(words["title"], 13, gap=5)
    line(words["name"], 7.5, MUTED, gap=0)
    line(officer.full_name, 10.5, text_lang="ar" if visual(officer.full_name) != officer.full_name else "en")
    line(words["username"], 7.5, MUTED, gap=0)
    line(officer.username, 11, text_lang="en")
    line(words["password"], 7.5, MUTED, gap=0)
    line(password, 15, text_lang="en")
    line(words["address"], 7.5, MUTED, gap=0)
    line(url, 9, text_lang="en", gap=5)
    line(words["note"], 7.5, MUTED)


def render_slips_pdf(issued: list[tuple[User, str]], institute: dict, base_url: str) -> bytes:
    _register_font(FONT_PATH)
    width, height = A4
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, initialFontName=FONT)
    canvas.setTitle("Marsa one-time passwords")
    slip_width = (width - 2 * PAGE_MARGIN) / COLUMNS
    slip_height = (height - 2 * PAGE_MARGIN) / ROWS
    url = sign_in_url(base_url)
    per_page = COLUMNS * ROWS
    for start in range(0, len(issued), per_page):
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.4)
        canvas.setDash(3, 3)  # where to cut
        for column in range(COLUMNS + 1):
            canvas.line(PAGE_MARGIN + column * slip_width, PAGE_MARGIN, PAGE_MARGIN + column * slip_width,
                        height - PAGE_MARGIN)
        for row in range(ROWS + 1):
            canvas.line(PAGE_MARGIN, PAGE_MARGIN + row * slip_height, width - PAGE_MARGIN,
                        PAGE_MARGIN + row * slip_height)
        canvas.setDash()
        for n, (officer, password) in enumerate(issued[start:start + per_page]):
            row, column = divmod(n, COLUMNS)
            _slip(canvas, PAGE_MARGIN + column * slip_width, height - PAGE_MARGIN - row * slip_height,
                  slip_width, officer, password, institute, url)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
