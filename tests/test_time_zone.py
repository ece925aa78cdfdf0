"""Times people read are in the institute's time zone (Africa/Cairo unless the administrator chose
another), in both languages; a due date entered as a day ends at 23:59:59 there, daylight saving
included; everything is stored in UTC."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import pytz
from babel.dates import format_date, format_datetime, format_time
from sqlalchemy import select

from course.models import Assignment, Attempt, AuditEntry, Role, Setting
from course.models._types import utcnow
from course.services import timezones

CAIRO = pytz.timezone("Africa/Cairo")


def in_cairo(moment: datetime, lang: str, kind: str = "datetime", pattern: str = "short") -> str:
    """What Babel itself writes for ``moment`` in Cairo: the tests compare with that, not a hand copy."""
    if kind == "date":
        return format_date(moment.astimezone(CAIRO), pattern, locale=lang)
    if kind == "time":
        return format_time(moment, pattern, tzinfo=CAIRO, locale=lang)
    return format_datetime(moment, pattern, tzinfo=CAIRO, locale=lang)


@pytest.mark.parametrize("day, ends_utc", [
    (date(2030, 7, 15), datetime(2030, 7, 15, 20, 59, 59, tzinfo=UTC)),  # summer: UTC+3
    (date(2030, 1, 15), datetime(2030, 1, 15, 21, 59, 59, tzinfo=UTC)),  # winter: UTC+2
    # Last Thursday of October: at midnight the clocks go back, 23:59:59 comes twice; the day ends at the second.
    (date(2026, 10, 29), datetime(2026, 10, 29, 21, 59, 59, tzinfo=UTC)),
    # Last Friday of April: the day starts at 01:00 summer time and ends at 23:59:59 summer time.
    (date(2026, 4, 24), datetime(2026, 4, 24, 20, 59, 59, tzinfo=UTC)),
])
def test_a_day_ends_at_23_59_59_in_cairo_daylight_saving_included(day, ends_utc):
    assert timezones.end_of_day(day, "Africa/Cairo") == ends_utc
    assert timezones.start_of_day(day + timedelta(days=1), "Africa/Cairo") == ends_utc + timedelta(seconds=1)


@pytest.fixture
def admin_client(app, make_user, login, mini_course):
    make_user(Role.ADMIN, username="root")
    client = app.test_client()
    login(client, "root")
    return client


@pytest.fixture
def officer(app, make_user, login):
    person = make_user(username="amal")

    def client_in(lang: str):
        client = app.test_client()
        login(client, "amal")
        client.post("/language", data={"lang": lang})
        return client
    return person, client_in


@pytest.mark.parametrize("month, offset_hours", [(7, 3), (1, 2)])  # a summer and a winter day, next year
def test_a_due_date_entered_as_a_day_is_stored_as_its_end_in_cairo_and_shown_as_that_day(
        admin_client, officer, session, month, offset_hours):
    person, client_in = officer
    day = date(utcnow().year + 1, month, 15)
    response = admin_client.post(f"/admin/people/{person.id}/assignments",
                                 data={"assign-module": "basics", "assign-starts_on": day.replace(day=1).isoformat(),
                                       "assign-due_on": day.isoformat()})
    assert response.status_code == 302
    assignment = session.scalar(select(Assignment).where(Assignment.user_id == person.id))
    assert assignment.due_at == datetime(day.year, month, 15, 23 - offset_hours, 59, 59, tzinfo=UTC)
    assert assignment.starts_at == datetime(day.year, month, 1, 0, tzinfo=UTC) - timedelta(hours=offset_hours)
    for lang in ("en", "ar"):
        dashboard = client_in(lang).get("/").get_data(as_text=True)
        assert in_cairo(assignment.due_at, lang, "date", "medium") in dashboard
        admin_client.post("/language", data={"lang": lang})
        person_page = admin_client.get(f"/admin/people/{person.id}").get_data(as_text=True)
        assert in_cairo(assignment.starts_at, lang, "date", "medium") in person_page  # 1st, not the 30th/31st in UTC


def test_attempt_times_are_shown_in_cairo_in_both_languages(app, officer, session, mini_course):
    person, client_in = officer
    client = client_in("en")
    attempt_id = int(client.post("/quizzes/basics-quiz/start").headers["Location"].rsplit("/", 1)[1])
    # 23:30 UTC is already the next day in Cairo: a UTC time would show the wrong day as well as the wrong hour.
    late_evening = datetime.combine(utcnow().date() - timedelta(days=3), datetime.min.time(),
                                    tzinfo=UTC) + timedelta(hours=23, minutes=30)
    attempt = session.get(Attempt, attempt_id)
    attempt.started_at = late_evening
    session.commit()
    for lang in ("en", "ar"):
        page = client_in(lang).get("/attempts").get_data(as_text=True)
        assert in_cairo(late_evening, lang, "date", "medium") in page and in_cairo(late_evening, lang, "time") in page
        assert format_date(late_evening, "medium", locale=lang) not in page  # the UTC day
        assert format_time(late_evening, "short", tzinfo=pytz.utc, locale=lang) not in page


def test_a_timed_attempt_names_its_end_in_cairo_time(app, quiz_with, officer, session):
    quiz_with("preset: practice\ntime_limit_minutes: 20\npass_mark: 60\n")
    _person, client_in = officer
    client = client_in("ar")
    attempt_id = int(client.post("/quizzes/basics-quiz/start").headers["Location"].rsplit("/", 1)[1])
    deadline = session.get(Attempt, attempt_id).deadline_at
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert in_cairo(deadline, "ar", "time") in page and "UTC" not in page
    english = client_in("en").get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f"Time limit: submit before {in_cairo(deadline, 'en', 'time')}." in english


#: The settings page posts every field; the institute's name is one of them.
NAMES = {"institute_en": "National Customs Training Institute", "institute_ar": "المعهد القومي للتدريب الجمركي"}


def test_the_administrator_chooses_the_zone_and_a_bad_one_changes_nothing(admin_client, officer, session):
    person, _client_in = officer
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert '<option selected value="Africa/Cairo">' in page
    refused = admin_client.post("/admin/settings", data={**NAMES, "time_zone": "Mars/Olympus", "show_unassigned": "y"})
    assert refused.status_code == 400 and "Not a valid choice" in refused.get_data(as_text=True)
    assert session.get(Setting, timezones.SETTING) is None

    assert admin_client.post("/admin/settings", data={**NAMES, "time_zone": "Asia/Dubai", "show_unassigned": "y"}).status_code == 302
    session.expire_all()
    assert session.get(Setting, timezones.SETTING).value == "Asia/Dubai"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.object_id == timezones.SETTING))
    assert audit.details == {"value": "Asia/Dubai", "before": "Africa/Cairo"}
    day = date(utcnow().year + 1, 3, 10)
    admin_client.post(f"/admin/people/{person.id}/assignments",
                      data={"assign-module": "basics", "assign-due_on": day.isoformat()})
    due = session.scalar(select(Assignment.due_at).where(Assignment.user_id == person.id))
    assert due == datetime(day.year, 3, 10, 19, 59, 59, tzinfo=UTC)  # Dubai: UTC+4, no summer time
    for lang, label in (("en", "When (United Arab Emirates Time)"), ("ar", "الوقت (توقيت الإمارات العربية المتحدة)")):
        admin_client.post("/language", data={"lang": lang})
        audit_page = admin_client.get("/admin/audit").get_data(as_text=True)
        assert label in audit_page
        dubai = pytz.timezone("Asia/Dubai")
        assert format_datetime(audit.created_at, "medium", tzinfo=dubai, locale=lang) in audit_page
        # The assignment's due day, stored in UTC, is told as the day it is in the institute's zone.
        assert format_date(due.astimezone(dubai), "medium", locale=lang) in audit_page
        assert due.isoformat() not in audit_page
