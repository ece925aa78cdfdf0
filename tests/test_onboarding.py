"""Onboarding officers: the import template imports as downloaded, and the one-time passwords an
import or a reset issues are handed out as a CSV and as printable slips, to the issuing administrator
only, right after issuing, without ever being stored."""
import csv
import io
import re
from datetime import timedelta
from io import BytesIO

import pytest
from arabic_reshaper import reshape
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy import func, select

from course.models import AuditEntry, Cohort, Role, User
from course.models._types import utcnow
from course.services import handouts
from course.services.errors import ServiceError
from tests.conftest import PASSWORD, make_cohort

PASSWORD_RE = r"[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="root", full_name="Root Admin")


@pytest.fixture
def admin_client(app, admin, login, mini_course):
    client = app.test_client()
    login(client, "root")
    return client


def upload(client, data: bytes, name="officers.csv") -> str:
    response = client.post("/admin/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response.headers["Location"]


def officers(session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == Role.OFFICER))


def import_file(client, data: bytes) -> str:
    """Upload, preview and apply ``data``; the page that shows the one-time passwords."""
    location = upload(client, data)
    preview = client.get(location).get_data(as_text=True)
    assert "problem" not in preview, preview[preview.find("problems"):][:600]
    done = client.post(location + "/apply")
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    return done.get_data(as_text=True)


def sealed_in(page: str) -> str:
    return re.search(r'name="sealed" value="([^"]+)"', page).group(1)


def shown_passwords(page: str) -> list[str]:
    return re.findall(rf"<td>({PASSWORD_RE})</td>", page)


# --- the template --------------------------------------------------------------------------------

def test_the_template_imports_as_downloaded_on_a_fresh_installation(admin_client, session):
    template = admin_client.get("/admin/import/template.csv").data
    page = import_file(admin_client, template)
    assert len(shown_passwords(page)) == 2 and officers(session) == 2
    # Imported twice, it changes nothing the second time (the examples are found by staff number).
    preview = admin_client.get(upload(admin_client, template)).get_data(as_text=True)
    assert "0 new officer(s), 2 update(s)." in preview and preview.count("(no change)") == 2


def test_the_template_names_only_a_cohort_that_exists(admin_client, session):
    make_cohort(session, "Port Said — November")
    make_cohort(session, "Alexandria seaport — December")
    archived = make_cohort(session, "Closed cohort")
    archived.archived = True
    session.commit()
    template = admin_client.get("/admin/import/template.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(template.lstrip("\ufeff"))))
    assert rows[0] == ["full_name", "staff_number", "username", "duty_station", "language", "cohort", "sex", "email"]
    assert [row[5] for row in rows[1:]] == ["Alexandria seaport — December", ""]
    import_file(admin_client, template.encode())
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Alexandria seaport — December"))
    session.refresh(cohort)
    assert [session.get(User, m.user_id).staff_number for m in cohort.members] == ["EXAMPLE-0001"]


def test_the_template_names_only_duty_stations_of_the_list(admin_client, session):
    """Stations are the administrators' managed list, which an import never adds to: the examples
    name the first stations that exist (none on a fresh installation) and import as downloaded."""
    from course.models import DutyStation
    from course.models.stations import StationKind
    session.add_all([DutyStation(name_en="Nuweiba seaport", name_ar="ميناء نويبع", kind=StationKind.SEAPORT),
                     DutyStation(name_en="Borg El Arab airport", name_ar="مطار برج العرب", kind=StationKind.AIRPORT)])
    session.commit()
    template = admin_client.get("/admin/import/template.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(template.lstrip("\ufeff"))))
    assert [row[3] for row in rows[1:]] == ["Nuweiba seaport", "Borg El Arab airport"]
    import_file(admin_client, template.encode())
    imported = {u.staff_number: u.duty_station.name_en for u in session.scalars(select(User))
                if u.staff_number and u.staff_number.startswith("EXAMPLE")}
    assert imported == {"EXAMPLE-0001": "Nuweiba seaport", "EXAMPLE-0002": "Borg El Arab airport"}


# --- one-time passwords as a CSV -----------------------------------------------------------------

BATCH = ("full_name,staff_number,language\n"
         "منى عبد الرحمن,ALX-0101,ar\n"
         "=HYPERLINK(\"http://evil.example\"),ALX-0102,en\n"
         "Karim Farouk,SAL-0107,en\n")


def test_one_time_passwords_download_as_a_csv_safe_for_spreadsheets(admin_client, app, session):
    page = import_file(admin_client, ("\ufeff" + BATCH).encode())
    shown = shown_passwords(page)
    response = admin_client.post("/admin/passwords/csv", data={"sealed": sealed_in(page)})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["one_time_password"] for row in rows] == shown and len(shown) == 3
    assert [row["full_name"] for row in rows] == ["منى عبد الرحمن", "'=HYPERLINK(\"http://evil.example\")",
                                                   "Karim Farouk"]
    assert [row["language"] for row in rows] == ["ar", "en", "en"]
    assert {row["sign_in_url"] for row in rows} == {"http://localhost/login"}
    # The password in the file is the one that works.
    officer = app.test_client()
    officer.post("/login", data={"username": rows[0]["username"], "password": rows[0]["one_time_password"]})
    assert officer.get("/").headers["Location"].endswith("/password")
    # Nothing of the passwords was stored: only their hashes, and an audit entry without them.
    stored = " ".join(str(entry.details) for entry in session.scalars(select(AuditEntry)))
    assert "user.password_handout" in " ".join(session.scalars(select(AuditEntry.action)))
    assert not any(password in stored for password in shown)


def test_a_reset_password_downloads_too(admin_client, make_user):
    amal = make_user(username="amal", full_name="Amal Hassan", language="ar")
    page = admin_client.post(f"/admin/people/{amal.id}/reset-password").get_data(as_text=True)
    password = re.search(rf'class="secret">({PASSWORD_RE})<', page).group(1)
    rows = list(csv.DictReader(io.StringIO(admin_client.post(
        "/admin/passwords/csv", data={"sealed": sealed_in(page)}).get_data(as_text=True).lstrip("\ufeff"))))
    assert [(row["username"], row["one_time_password"]) for row in rows] == [("amal", password)]


# --- printable slips ------------------------------------------------------------------------------

def test_slips_are_one_per_officer_in_their_language(admin_client, app):
    names = [f"Officer {n}" for n in range(1, 9)]
    data = "full_name,staff_number,language\n" + "".join(f"{name},P-{n},en\n" for n, name in enumerate(names)) \
        + "منى عبد الرحمن,ALX-0101,ar\n"
    page = import_file(admin_client, data.encode())
    shown = shown_passwords(page)
    response = admin_client.post("/admin/passwords/pdf", data={"sealed": sealed_in(page)})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(BytesIO(response.data))
    assert len(reader.pages) == 2  # eight slips a page, nine officers
    first, second = (p.extract_text() for p in reader.pages)
    for name, password in zip(names, shown):
        assert name in first and password in first
    assert first.count("One-time password") == 8 and "http://localhost/login" in first
    with app.test_request_context(), force_locale("ar"):
        arabic_label = gettext("One-time password")
    assert arabic_label != "One-time password"
    assert reshape("منى عبد الرحمن") in second and shown[8] in second and "alx-0101" in second
    assert reshape(arabic_label) in second and "One-time password" not in second
    assert "Test Training Institute" in first and reshape("معهد التدريب التجريبي") in second


# --- only the issuing administrator, only right after issuing --------------------------------------

def test_only_the_issuing_administrator_in_the_same_sign_in_gets_them(admin_client, app, make_user, login):
    page = import_file(admin_client, BATCH.encode())
    sealed = sealed_in(page)
    make_user(Role.ADMIN, username="root2")
    make_user(Role.OFFICER, username="omar")
    other_admin, officer, anonymous = app.test_client(), app.test_client(), app.test_client()
    login(other_admin, "root2")
    login(officer, "omar")
    refused = other_admin.post("/admin/passwords/csv", data={"sealed": sealed})
    assert refused.status_code == 410 and "administrator who issued them" in refused.get_data(as_text=True)
    assert officer.post("/admin/passwords/pdf", data={"sealed": sealed}).status_code == 403
    assert anonymous.post("/admin/passwords/csv", data={"sealed": sealed}).status_code == 302
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    assert admin_client.post("/admin/passwords/csv", data={"sealed": tampered}).status_code == 410
    assert admin_client.post("/admin/passwords/csv", data={}).status_code == 410
    # The same administrator after signing out and in again: a new sign-in, no passwords.
    admin_client.post("/logout")
    login(admin_client, "root")
    assert admin_client.post("/admin/passwords/csv", data={"sealed": sealed}).status_code == 410


def test_a_sealed_list_expires_half_an_hour_after_issuing(app, session, make_user):
    admin = make_user(Role.ADMIN, username="root")
    amal = make_user(username="amal")
    admin.login_key = "a-sign-in"
    now = utcnow()
    with app.app_context():
        sealed = handouts.seal(app.config["SECRET_KEY"], admin, [(amal, "abc123-def456-a1b2c3")], now)
        assert handouts.unseal(session, app.config["SECRET_KEY"], admin, sealed, now + timedelta(minutes=29)) \
            == [(session.get(User, amal.id), "abc123-def456-a1b2c3")]
        with pytest.raises(ServiceError):
            handouts.unseal(session, app.config["SECRET_KEY"], admin, sealed, now + timedelta(minutes=31))
        assert handouts.seal(app.config["SECRET_KEY"], admin, [(amal, None)], now) is None


def test_the_download_needs_the_form_token(make_app, make_user, login, mini_course):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(Role.ADMIN, username="root")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": token})
    assert client.post("/admin/passwords/csv", data={"sealed": "x"}).status_code == 400
