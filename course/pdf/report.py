"""The institute report as a printable PDF: one A4 landscape page, in English or Arabic.

Drawn with reportlab like the certificate (``course/pdf/certificate.py``), with its font and its
Arabic shaping (``visual``); an Arabic page reads right to left, its columns mirrored. The table is
the one the CSV and XLSX exports carry (``institute_report.report_table``), suppressed cells as "<5".
A page holds about thirty rows: when the stations do not all fit, the last line says how many more
there are and that the spreadsheet has them all.
"""
from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from course.pdf.certificate import BRAND, FONT, FONT_PATH, INK, MUTED, _register_font, visual

MARGIN = 36
ROW = 14
#: Column widths in points: breakdown, group, then the eight figures.
WIDTHS = (86, 188, 58, 62, 58, 62, 66, 66, 72, 92)


def _wrapped(text: str, width: float, size: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and stringWidth(candidate, FONT, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (a long station name never runs into a figure)."""
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def render(title: str, scope: str, generated: str, header: list[str], rows: list[list], lang: str,
           more_note: str | None = None, font_path=FONT_PATH) -> bytes:
    """The PDF bytes. ``more_note`` (with ``%(n)s``) is written when rows had to be left out."""
    _register_font(font_path)
    rtl = lang == "ar"
    width, height = landscape(A4)
    out = BytesIO()
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("Marsa")

    def x_of(start: float, span: float) -> float:
        """Left edge of a column that starts ``start`` points from the page's start edge."""
        return width - MARGIN - start - span if rtl else MARGIN + start

    def draw(text: str, start: float, span: float, y: float, size: float, align: str, color=INK):
        canvas.setFont(FONT, size)
        canvas.setFillColor(color)
        shaped = visual(text, rtl=rtl)
        left = x_of(start, span)
        if align == "center":
            canvas.drawCentredString(left + span / 2, y, shaped)
        elif (align == "start") != rtl:
            canvas.drawString(left + 2, y, shaped)
        else:
            canvas.drawRightString(left + span - 2, y, shaped)

    full = width - 2 * MARGIN
    y = height - MARGIN - 6
    draw(title, 0, full, y, 17, "start", BRAND)
    y -= 18
    draw(scope, 0, full, y, 9.5, "start", MUTED)
    y -= 13
    draw(generated, 0, full, y, 8.5, "start", MUTED)
    y -= 20

    starts = [sum(WIDTHS[:i]) for i in range(len(WIDTHS))]
    header_lines = [_wrapped(text, WIDTHS[i] - 4, 7.5) for i, text in enumerate(header)]
    depth = max(len(lines) for lines in header_lines)
    for i, lines in enumerate(header_lines):
        for n, line in enumerate(lines):
            draw(line, starts[i], WIDTHS[i], y - n * 9, 7.5, "start" if i < 2 else "center", BRAND)
    y -= depth * 9 + 2
    canvas.setStrokeColor(BRAND)
    canvas.line(MARGIN, y + 6, width - MARGIN, y + 6)

    room = int((y - MARGIN - ROW) // ROW)
    shown, left_out = (rows, 0) if len(rows) <= room else (rows[:room - 1], len(rows) - (room - 1))
    previous = None
    for row in shown:
        y -= ROW
        if row[0] != previous:
            canvas.setStrokeColor(MUTED)
            canvas.setLineWidth(0.3)
            canvas.line(MARGIN, y + ROW - 3, width - MARGIN, y + ROW - 3)
        for i, value in enumerate(row):
            if i == 0 and row[0] == previous:
                continue
            text = "–" if value is None else (f"{value:.3f}" if isinstance(value, float) and i == 8
                                             else f"{value:.2f}" if isinstance(value, float) else str(value))
            if i < 2:
                text = _fit(text, WIDTHS[i] - 4, 8.5)
            draw(text, starts[i], WIDTHS[i], y, 8.5, "start" if i < 2 else "center",
                 BRAND if i == 0 else INK)
        previous = row[0]
    if left_out and more_note:
        y -= ROW
        draw(more_note % {"n": left_out}, 0, full, y, 8.5, "start", MUTED)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
