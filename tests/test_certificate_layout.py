"""The certificate PDF never prints one text over another, whatever the length of the officer's name
and of the module titles, in English and Arabic: every line's box (read back from the PDF with
pypdf, as wide as its glyphs' advances and as tall as their outlines) is checked against every other
line's and against the page's inner frame."""
import struct
from io import BytesIO
from pathlib import Path

import pytest
from arabic_reshaper import reshape
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFontFile

from course.pdf.certificate import FONT, FONT_PATH, render_certificate_pdf
from tests.test_certificates import complete_course

#: The page's inner frame is drawn 26 pt in from each edge; text keeps clear of it.
FRAME = 26 + 3

LONG_NAME_EN = ("Mohammed Abdel-Rahman Mahmoud Ibrahim El-Sayed Abou El-Fotouh Hassan Mostafa "
                "Abdel-Aziz El-Sharkawy Al-Iskandarani Ben Youssef Ould Cheikh Ahmed")
LONG_NAME_AR = ("محمد عبد الرحمن محمود إبراهيم السيد أبو الفتوح حسن مصطفى عبد العزيز الشرقاوي "
                "الإسكندراني بن يوسف ولد الشيخ أحمد عبد الله")
TITLES = [
    # Longer than a line of the table in both languages: it wraps, and its row grows.
    ("Border Governance, Human Rights and the Protection of People on the Move at Sea, Air and Land Ports: "
     "Legal Frameworks, Institutional Mandates, Screening Procedures and Referral in Mixed Migration Flows",
     "حوكمة الحدود وحقوق الإنسان وحماية الأشخاص المتنقلين في الموانئ البحرية والجوية والبرية: الأطر القانونية "
     "والولايات المؤسسية وإجراءات الفرز والإحالة إلى خدمات الحماية في تدفقات الهجرة المختلطة"),
    ("Identifying and Referring Victims of Trafficking in Persons and Smuggled Migrants in Mixed Movements",
     "التعرف على ضحايا الاتجار بالبشر والمهاجرين المهرَّبين في التحركات المختلطة وإحالتهم"),
    ("International Protection, Asylum Requests and the Principle of Non-Refoulement at the Border",
     "الحماية الدولية وطلبات اللجوء ومبدأ عدم الإعادة القسرية عند الحدود"),
    ("Children on the Move: Unaccompanied and Separated Children, Best Interests and Age Assessment",
     "الأطفال المتنقلون: الأطفال غير المصحوبين والمنفصلون عن ذويهم ومصلحتهم الفضلى وتقدير العمر"),
    ("Gender Mainstreaming in Migration and Border Work: Gender-Sensitive Interviewing and Referral",
     "التعميم المراعي للنوع الاجتماعي في مجال الهجرة والعمل الحدودي: المقابلات والإحالة المراعية للنوع"),
    ("Referral Pathways, Coordination with Partners and Documentation of Protection Cases",
     "مسارات الإحالة والتنسيق مع الشركاء وتوثيق حالات الحماية"),
]


class Glyphs:
    """How far each character's outline reaches below and above the baseline (in em), read from the
    font's glyf table: a line's box is as tall as the letters it really has."""

    def __init__(self, path: Path):
        face = TTFontFile(str(path))
        data, glyf, per_em = face._ttf_data, face.table["glyf"]["offset"], face.unitsPerEm
        self.extents = {}
        for char, glyph in face.charToGlyph.items():
            start, end = face.glyphPos[glyph], face.glyphPos[glyph + 1]
            if end > start:
                low, = struct.unpack(">h", data[glyf + start + 4:glyf + start + 6])
                high, = struct.unpack(">h", data[glyf + start + 8:glyf + start + 10])
                self.extents[char] = (low / per_em, high / per_em)

    def vertical(self, text: str) -> tuple[float, float]:
        reach = [self.extents.get(ord(char), (0.0, 0.0)) for char in text]
        return min((low for low, _ in reach), default=0.0), max((high for _, high in reach), default=0.0)


def text_boxes(pdf: bytes) -> list[tuple[str, float, float, float, float]]:
    """(text, left, bottom, right, top) of every piece of text drawn on the first page."""
    glyphs = Glyphs(FONT_PATH)
    runs: list[list] = []

    def visit(text, cm, tm, font, size):
        if not text.strip() or not size:
            return  # pypdf's own line breaks and spaces between runs, at the next run's position
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        if runs and (runs[-1][1], runs[-1][2]) == (x, y):
            runs[-1][0] += text  # one string drawn in several font subsets
        else:
            runs.append([text, x, y, size * tm[0] * cm[0]])

    PdfReader(BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    boxes = []
    for text, x, y, size in runs:
        text = text.strip("\n")
        low, high = glyphs.vertical(text)
        boxes.append((text, x, y + low * size, x + stringWidth(text, FONT, size), y + high * size))
    return boxes


def assert_nothing_overlaps(pdf: bytes) -> list:
    boxes = text_boxes(pdf)
    width, height = 841.89, 595.28  # A4 landscape
    for text, left, bottom, right, top in boxes:
        assert FRAME <= left and right <= width - FRAME and FRAME <= bottom and top <= height - FRAME, \
            f"{text!r} crosses the frame: {left:.1f}, {bottom:.1f}, {right:.1f}, {top:.1f}"
    for i, (text, left, bottom, right, top) in enumerate(boxes):
        for other, o_left, o_bottom, o_right, o_top in boxes[i + 1:]:
            apart = right <= o_left or o_right <= left or top <= o_bottom or o_top <= bottom
            assert apart, f"{text!r} ({left:.1f}, {bottom:.1f}, {right:.1f}, {top:.1f}) overlaps " \
                          f"{other!r} ({o_left:.1f}, {o_bottom:.1f}, {o_right:.1f}, {o_top:.1f})"
    return boxes


def certificate_with(session, certificate, full_name: str, language: str, titles=TITLES, course_title=None):
    """The officer's certificate as if issued for a six-module course with these titles."""
    snap = dict(certificate.snapshot)
    snap.update(full_name=full_name, language=language, modules=[
        {"position": n, "key": f"m{n}", "title": {"en": en, "ar": ar}, "percent": 100.0 if n % 2 else 87.0,
         "completed_on": snap["completed_on"]} for n, (en, ar) in enumerate(titles, start=1)])
    if course_title:
        snap["course"] = {**snap["course"], "title": course_title}
    certificate.snapshot = snap
    session.commit()
    return certificate


@pytest.fixture
def issued(session, make_user, mini_course):
    officer = make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-0001-PORT-SAID-EAST-TERMINAL")
    return complete_course(session, officer)[0]


@pytest.mark.parametrize("language, full_name", [("en", LONG_NAME_EN), ("ar", LONG_NAME_AR),
                                                 ("en", LONG_NAME_AR), ("ar", LONG_NAME_EN)])
def test_long_names_and_module_titles_never_overlap(app, session, issued, language, full_name):
    certificate = certificate_with(session, issued, full_name, language, course_title={
        "en": TITLES[0][0] + ": a Course for Officers at Sea, Air and Land Ports", "ar": TITLES[0][1]})
    with app.test_request_context():
        pdf = render_certificate_pdf(certificate, f"https://training.example.org/verify/{certificate.code}#t")
    boxes = assert_nothing_overlaps(pdf)
    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    # Everything is still there: each word of the name and of every title, in both languages.
    name_words = full_name.split() if language == "en" or full_name == LONG_NAME_EN else reshape(full_name).split()
    for word in (reshape(w) if full_name == LONG_NAME_AR else w for w in full_name.split()):
        assert word in text, word
    for en, ar in TITLES:
        for word in en.split()[-3:]:
            assert word in text, word
        for word in reshape(ar).split()[-2:]:
            assert word in text, word
    assert "100%" in text and "87%" in text and len(boxes) > 40 and name_words
    # In the table (the lowest lines naming it; the course title above names it too), the long
    # first title took more than one line, whichever language comes first.
    start = min((box for box in boxes if "Border Governance" in box[0]), key=lambda box: box[2])
    end = min((box for box in boxes if "Migration Flows" in box[0]), key=lambda box: box[2])
    assert start[2] > end[2], f"the first title did not wrap: {start}, {end}"


def test_the_demo_courses_arabic_title_no_longer_runs_into_its_score(app, session, issued):
    """What a reviewer saw: in row 5 the Arabic title was printed over "100 %"."""
    demo = [("Module one", "الوحدة الأولى")] * 4 + [
        ("Gender Mainstreaming in Migration and Border Work",
         "التعميم المراعي للنوع الاجتماعي في مجال الهجرة والعمل الحدودي"), ("Module six", "الوحدة السادسة")]
    for language in ("en", "ar"):
        certificate = certificate_with(session, issued, "Amal Hassan", language, titles=demo)
        with app.test_request_context():
            assert_nothing_overlaps(render_certificate_pdf(certificate, f"http://localhost/verify/{certificate.code}"))


def test_the_labels_come_from_the_interface_translations(app, session, issued):
    certificate = certificate_with(session, issued, "أمل حسن", "ar")
    with app.test_request_context():
        text = PdfReader(BytesIO(render_certificate_pdf(certificate, "http://localhost/verify/x"))).pages[0].extract_text()
    for english, arabic in (("Certificate of Completion", "شهادة إتمام"), ("Staff number", "الرقم الوظيفي"),
                            ("Verification code", "رمز التحقق")):
        assert english in text and reshape(arabic) in text
