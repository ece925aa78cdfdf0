"""Malformed input that once ended in a 500: each now gets a 4xx or a clear message, and changes nothing.

(``test_property_no_500.py`` sends arbitrary values to every route; these are the cases found by hand.)"""
import io
import struct
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from course.models import ImportBatch, Question, Role, User
from tests.conftest import make_cohort

HUGE = "9" * 25


@pytest.fixture
def admin_client(app, make_user, login, mini_course):
    make_user(Role.ADMIN, username="root")
    client = app.test_client()
    login(client, "root")
    return client


def test_huge_numbers_in_urls_query_strings_and_forms_are_not_errors(admin_client, session, make_user):
    trainer = make_user(Role.TRAINER, username="ta")
    cohort = make_cohort(session, "Cohort A", [make_user(username="a1")], [trainer])
    for url in ("/admin/people", "/admin/audit", "/admin/certificates", "/trainer/certificates",
                f"/admin/cohorts/{cohort.id}", f"/trainer/cohorts/{cohort.id}"):
        response = admin_client.get(f"{url}?page={HUGE}")
        assert response.status_code == 200, url
    assert admin_client.get(f"/trainer/cohorts/{cohort.id}?module={HUGE}").status_code == 200
    for url in (f"/admin/cohorts/{HUGE}", f"/admin/course/preview/upload-{HUGE}", f"/trainer/officers/{HUGE}",
                f"/attempts/{HUGE}"):
        assert admin_client.get(url).status_code == 404, url
    response = admin_client.post(f"/admin/cohorts/{cohort.id}/trainers", data={"trainer-trainer": HUGE},
                                 follow_redirects=True)
    assert response.status_code == 200 and "Choose a trainer." in response.get_data(as_text=True)


@pytest.mark.parametrize("body", ['{"username": ["amal"], "password": {"x": 1}}', '[1, 2]', '"amal"', "null",
                                  '{"username": 1, "password": 2}', '{"username": "amal", "password": [3]}'])
def test_json_sign_ins_with_fields_that_are_not_text_are_refused(client, make_user, body):
    make_user(username="amal")
    response = client.post("/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON object of text fields" in response.get_data(as_text=True)


def test_a_json_sign_in_with_text_fields_still_works(client, make_user):
    make_user(username="amal")
    response = client.post("/login", json={"username": "amal", "password": "correct-horse-battery"})
    assert response.status_code == 302


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _package_zip(course_copy) -> bytes:
    return _zip({str(path.relative_to(course_copy)): path.read_bytes()
                 for path in sorted(course_copy.rglob("*")) if path.is_file()})


def _set_header_field(data: bytes, offset_in_local: int, offset_in_central: int, value: int) -> bytes:
    """Write a 2-byte field into every local and central directory header of a zip."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", offset_in_local), (b"PK\x01\x02", offset_in_central)):
        start = data.find(signature)
        while start != -1:
            data[start + offset:start + offset + 2] = struct.pack("<H", value)
            start = data.find(signature, start + 4)
    return bytes(data)


def _damaged(kind: str, course_copy) -> bytes:
    good = _package_zip(course_copy)
    if kind == "bad CRC":
        marker = b"Who has a legal definition in a treaty?"
        return good.replace(marker, marker.upper(), 1)  # same length, other bytes: the CRC no longer matches
    if kind == "encrypted member":
        return _set_header_field(good, 6, 8, 0x1)
    if kind == "unknown compression method":
        return _set_header_field(good, 8, 10, 99)
    return _zip({"modules/01-basics": b"a file", "modules/01-basics/module.yaml": b"and a folder"})


@pytest.mark.parametrize("kind", ["bad CRC", "encrypted member", "unknown compression method", "file and folder"])
def test_a_damaged_course_zip_gets_a_clear_message_and_publishes_nothing(admin_client, session, course_copy, kind):
    versions = session.scalar(select(func.count()).select_from(Question))
    upload = admin_client.post("/admin/course/upload", data={"file": (io.BytesIO(_damaged(kind, course_copy)),
                                                                      "course.zip")},
                               content_type="multipart/form-data")
    preview_url = upload.headers["Location"]
    page = admin_client.get(preview_url)
    assert page.status_code in (200, 400) and "damaged or encrypted zip archive" in page.get_data(as_text=True)
    applied = admin_client.post(preview_url.replace("/preview/", "/apply/"), follow_redirects=True)
    assert applied.status_code in (200, 400)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Question)) == versions


def _xlsx_with_entity_declarations() -> bytes:
    workbook = Workbook()
    workbook.active.append(["full_name", "staff_number", "duty_station", "language", "cohort"])
    workbook.active.append(["Karim Farouk", "SAL-0107", "Salloum", "en", ""])
    plain = io.BytesIO()
    workbook.save(plain)
    source, out = zipfile.ZipFile(plain), io.BytesIO()
    levels = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace("?>", f"?><!DOCTYPE worksheet [{levels}]>", 1)
                data = text.replace("</sheetData>", '<row r="3"><c r="A3" t="inlineStr"><is><t>&a9;</t></is></c>'
                                                    "</row></sheetData>").encode()
            target.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_with_an_entity_declaration_gets_a_clear_message(admin_client, session):
    response = admin_client.post("/admin/import", data={"file": (io.BytesIO(_xlsx_with_entity_declarations()),
                                                                 "officers.xlsx")},
                                 content_type="multipart/form-data")
    page = admin_client.get(response.headers["Location"])
    assert page.status_code == 200 and "could not be read as an Excel workbook" in page.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User).where(User.username == "sal-0107")) == 0
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1  # kept only as the upload


def test_a_nul_character_anywhere_is_refused_with_a_message(app, client, admin_client, session, make_user):
    make_user(username="amal")
    for response in (client.post("/login", data={"username": "am\x00al", "password": "x"}),
                     client.post("/login", json={"username": "am\x00al", "password": "x"}),
                     admin_client.get("/admin/people?q=a%00b"),
                     admin_client.get("/admin/people?q=a&q=a%00b"),  # the second value too
                     admin_client.get("/verify/MRS-%00"),
                     admin_client.post("/admin/people/new", data={"username": "a\x00b", "full_name": "A B",
                                                                  "role": "officer", "language": "en"})):
        assert response.status_code == 400
        assert "NUL character" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 2  # root and amal: no one added
