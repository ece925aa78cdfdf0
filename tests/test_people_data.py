"""Self-declared sex, e-mail and the duty stations list: who sets and sees them, imports that map
stations and refuse unknown values whole, the own-data download, anonymisation, and the migration
that turned free-text stations into list entries."""
import io
import json

import pytest
from sqlalchemy import select, text

from course.db import make_engine
from course.migrate import upgrade_engine
from course.models import AuditEntry, DutyStation, Role, Sex, StationKind, User
from tests.conftest import add_station, make_cohort


@pytest.fixture
def admin_client(app, mini_course, make_user, login, session):
    make_user(Role.ADMIN, username="root")
    add_station(session, "Alexandria seaport", "ميناء الإسكندرية", "seaport")
    session.commit()
    client = app.test_client()
    login(client, "root")
    return client


def upload(client, body: str) -> str:
    response = client.post("/admin/import", data={"file": (io.BytesIO(body.encode()), "officers.csv")},
                           content_type="multipart/form-data")
    return response.headers["Location"]


def test_an_officer_declares_their_sex_and_e_mail_on_their_profile(app, mini_course, make_user, login, session):
    amal = make_user(username="amal", duty_station="Salloum land port")
    client = app.test_client()
    login(client, "amal")
    page = client.get("/me").get_data(as_text=True)
    assert "Salloum land port" in page and "Prefer not to say" in page
    assert client.post("/me", data={"sex": "female", "email": "amal@example.org"}).status_code == 302
    session.expire_all()
    assert session.get(User, amal.id).sex == Sex.FEMALE and session.get(User, amal.id).email == "amal@example.org"
    # The audit log says that something changed, not the value.
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.profile"))
    assert "female" not in json.dumps(entry.details)
    # A value not offered, or a broken address, is refused and changes nothing.
    assert client.post("/me", data={"sex": "other", "email": ""}).status_code == 400
    assert client.post("/me", data={"sex": "", "email": "not-an-address"}).status_code == 400
    session.expire_all()
    assert session.get(User, amal.id).sex == Sex.FEMALE
    # Back to "not stated".
    client.post("/me", data={"sex": "", "email": ""})
    session.expire_all()
    assert session.get(User, amal.id).sex is None


def test_the_administrator_sets_sex_and_station_on_the_person_page(admin_client, make_user, session):
    karim = make_user(username="karim", full_name="Karim Farouk")
    station = session.scalar(select(DutyStation))
    response = admin_client.post(f"/admin/people/{karim.id}", data={
        "username": "karim", "full_name": "Karim Farouk", "staff_number": "", "duty_station": str(station.id),
        "sex": "male", "email": "", "role": "officer", "language": "en", "active": "y"})
    assert response.status_code == 302
    session.expire_all()
    person = session.get(User, karim.id)
    assert person.sex == Sex.MALE and person.duty_station_id == station.id
    page = admin_client.get(f"/admin/people/{karim.id}").get_data(as_text=True)
    assert '<option selected value="male">' in page
    assert f'<option selected value="{station.id}">' in page
    # A station that is not in the list is refused.
    response = admin_client.post(f"/admin/people/{karim.id}", data={
        "username": "karim", "full_name": "Karim Farouk", "staff_number": "", "duty_station": "99999",
        "sex": "male", "email": "", "role": "officer", "language": "en", "active": "y"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_import_maps_stations_and_sex_and_refuses_unknown_values_whole(admin_client, session):
    bad = ("full_name,staff_number,duty_station,sex,email\n"
           "Amal Hassan,ALX-1,ميناء الإسكندرية,female,amal@example.org\n"
           "Karim Farouk,SAL-1,Salloum,male,\n"
           "Nour Adel,ALX-2,alexandria  SEAPORT,woman,\n"
           "Sara Ali,ALX-3,,,sara@\n")
    preview = admin_client.get(upload(admin_client, bad)).get_data(as_text=True)
    assert "Line 3" in preview and "no duty station named &#39;Salloum&#39; in the list" in preview
    assert "Line 4" in preview and "&#39;woman&#39; is not one of: female, male, prefer_not_to_say" in preview
    assert "Line 5" in preview and "&#39;sara@&#39; is not an e-mail address" in preview
    assert "Import these officers" not in preview
    assert session.scalar(select(User).where(User.role == Role.OFFICER)) is None

    good = ("full_name,staff_number,duty_station,sex,email\n"
            "Amal Hassan,ALX-1,ميناء الإسكندرية,female,amal@example.org\n"
            "Nour Adel,ALX-2,alexandria  SEAPORT,Prefer not to say,\n"
            "Sara Ali,ALX-3,,,\n")
    location = upload(admin_client, good)
    assert "3 new officer(s)" in admin_client.get(location).get_data(as_text=True)
    admin_client.post(location + "/apply")
    people = {u.staff_number: u for u in session.scalars(select(User).where(User.role == Role.OFFICER))}
    station = session.scalar(select(DutyStation))
    assert people["ALX-1"].duty_station_id == station.id and people["ALX-1"].sex == Sex.FEMALE
    assert people["ALX-1"].email == "amal@example.org"
    assert people["ALX-2"].duty_station_id == station.id and people["ALX-2"].sex == Sex.PREFER_NOT_TO_SAY
    assert people["ALX-3"].duty_station_id is None and people["ALX-3"].sex is None
    # Re-imported with an empty cell, a declared sex stays as it is; a new value replaces it.
    location = upload(admin_client, "full_name,staff_number,sex\nAmal Hassan,ALX-1,\nNour Adel,ALX-2,female\n")
    preview = admin_client.get(location).get_data(as_text=True)
    assert "update: sex" in preview
    admin_client.post(location + "/apply")
    session.expire_all()
    assert session.get(User, people["ALX-1"].id).sex == Sex.FEMALE
    assert session.get(User, people["ALX-2"].id).sex == Sex.FEMALE


def test_stations_are_managed_by_the_administrator(admin_client, session, make_user):
    response = admin_client.post("/admin/stations", data={"station-name_en": "Cairo International Airport",
                                                         "station-name_ar": "مطار القاهرة الدولي",
                                                         "station-kind": "airport"})
    assert response.status_code == 302
    cairo = session.scalar(select(DutyStation).where(DutyStation.name_en == "Cairo International Airport"))
    assert cairo.kind == StationKind.AIRPORT
    # A name already used (English or Arabic, case and spacing aside) is refused.
    response = admin_client.post("/admin/stations", data={"station-name_en": "cairo  international airport",
                                                         "station-name_ar": "", "station-kind": "airport"})
    assert response.status_code == 400 and "already names the station" in response.get_data(as_text=True)
    response = admin_client.post("/admin/stations", data={"station-name_en": "Somewhere", "station-kind": "moon"})
    assert response.status_code == 400
    # A station with people cannot be removed; an empty one can.
    make_user(username="pilot", duty_station="Cairo International Airport")
    admin_client.post(f"/admin/stations/{cairo.id}/delete")
    assert session.get(DutyStation, cairo.id) is not None
    admin_client.post(f"/admin/stations/{cairo.id}", data={"station-name_en": "Cairo Airport",
                                                          "station-name_ar": "مطار القاهرة", "station-kind": "airport"})
    session.expire_all()
    assert session.get(DutyStation, cairo.id).name_en == "Cairo Airport"
    empty = add_station(session, "Closed office", kind="inland_office")
    session.commit()
    empty_id = empty.id
    admin_client.post(f"/admin/stations/{empty_id}/delete")
    session.expire_all()
    assert session.scalar(select(DutyStation).where(DutyStation.id == empty_id)) is None
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"station.create", "station.update", "station.delete"} <= actions


def test_own_data_and_anonymisation_cover_sex_and_e_mail(app, mini_course, make_user, login, session):
    amal = make_user(username="amal", full_name="Amal Hassan", sex=Sex.FEMALE, email="amal@example.org",
                     duty_station="Alexandria seaport")
    make_user(Role.ADMIN, username="root")
    client = app.test_client()
    login(client, "amal")
    profile = client.get("/me/data.json").get_json()["profile"]
    assert profile["sex"] == "female" and profile["email"] == "amal@example.org"
    assert profile["duty_station"] == "Alexandria seaport"
    admin = app.test_client()
    login(admin, "root")
    admin.post(f"/admin/people/{amal.id}", data={
        "username": "amal", "full_name": "Amal Hassan", "staff_number": "", "duty_station": "",
        "sex": "prefer_not_to_say", "email": "amal@example.org", "role": "officer", "language": "en", "active": "y"})
    admin.post(f"/admin/people/{amal.id}/anonymise")
    session.expire_all()
    person = session.get(User, amal.id)
    assert person.sex is None and person.email is None
    # The audit log's own entries about her no longer hold the values she declared.
    details = json.dumps([e.details for e in session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "user", AuditEntry.object_id == str(amal.id)))])
    assert "prefer_not_to_say" not in details and "amal@example.org" not in details


def test_trainers_never_see_one_officers_sex(app, mini_course, make_user, login, session):
    trainer = make_user(Role.TRAINER, username="coach")
    amal = make_user(username="amal", sex=Sex.PREFER_NOT_TO_SAY, email="amal@example.org")
    make_cohort(session, "C", [amal], [trainer])
    client = app.test_client()
    login(client, "coach")
    for url in (f"/trainer/officers/{amal.id}", f"/trainer/officers/{amal.id}/transcript.xlsx"):
        body = client.get(url).data
        assert b"prefer" not in body.lower() and b"amal@example.org" not in body
    assert client.get(f"/admin/people/{amal.id}").status_code == 403


def test_the_migration_turns_free_text_stations_into_list_entries(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("run on a scratch SQLite file: the shared PostgreSQL database stays at the head")
    engine = make_engine("sqlite:///" + str(tmp_path / "old.db"))
    try:
        upgrade_engine(engine, "0014")
        with engine.begin() as connection:
            for n, station in enumerate(["Alexandria seaport", " alexandria  Seaport", "Cairo International Airport",
                                         "Salloum land port", "Safaga port", None, "  "], start=1):
                connection.execute(text(
                    "INSERT INTO users (username, password_hash, role, full_name, duty_station, language, "
                    "is_active_account, must_change_password, session_token, created_at) VALUES "
                    "(:u, '!', 'officer', :u, :s, 'en', 1, 0, 'x', '2026-01-01 00:00:00')"), {"u": f"u{n}", "s": station})
        upgrade_engine(engine, "0015")
        with engine.connect() as connection:
            stations = connection.execute(text("SELECT name_en, kind FROM duty_stations ORDER BY name_en")).all()
            assert stations == [("Alexandria seaport", "seaport"), ("Cairo International Airport", "airport"),
                                ("Safaga port", "not_set"), ("Salloum land port", "land_port")]
            linked = dict(connection.execute(text(
                "SELECT u.username, s.name_en FROM users u LEFT JOIN duty_stations s ON s.id = u.duty_station_id"
            )).all())
            assert linked == {"u1": "Alexandria seaport", "u2": "Alexandria seaport",
                              "u3": "Cairo International Airport", "u4": "Salloum land port", "u5": "Safaga port",
                              "u6": None, "u7": None}
        upgrade_engine(engine, "0015")  # idempotent at the head
        from alembic import command

        from course.migrate import alembic_config
        with engine.connect() as connection:
            command.downgrade(alembic_config(str(engine.url), connection), "0014")
            connection.commit()
        with engine.connect() as connection:
            back = dict(connection.execute(text("SELECT username, duty_station FROM users")).all())
        assert back["u2"] == "Alexandria seaport" and back["u5"] == "Safaga port" and back["u6"] is None
    finally:
        engine.dispose()
