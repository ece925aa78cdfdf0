"""A lesson marked read offline and sent later is dated when the officer pressed "Mark as read", as
the device tells it, within bounds: never in the future, never more than 14 days back, never before
the account existed. The completions it brings are dated when the server learnt of it."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.models import LessonRead, ModuleCompletion, XapiOutboxEntry
from course.services import reading

NOW = datetime(2030, 5, 20, 12, 0, tzinfo=UTC)  # a fixed moment for the pure rule (no clock is read)
READ = "/modules/basics/lessons/basics-first/read"


@pytest.mark.parametrize(("claimed", "not_before", "expected"), [
    (None, None, NOW),                                               # no claim: the server's time
    (NOW - timedelta(hours=5), None, NOW - timedelta(hours=5)),      # the officer's time
    (NOW + timedelta(days=1), None, NOW),                            # a fast device clock: not in the future
    (NOW - timedelta(days=40), None, NOW - timedelta(days=14)),      # a slow one: 14 days back at most
    (NOW - timedelta(days=3), NOW - timedelta(days=1), NOW - timedelta(days=1)),  # not before the account
    (NOW - timedelta(hours=2), NOW + timedelta(hours=1), NOW),       # an account "created later": now
    (datetime(2030, 5, 20, 7, 0), None, NOW),                        # a time without its zone: not a claim
])
def test_a_claimed_read_time_is_bounded(claimed, not_before, expected):
    assert reading.read_time(claimed, NOW, not_before) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2030-05-19T08:15:30.250Z", datetime(2030, 5, 19, 8, 15, 30, 250000, tzinfo=UTC)),
    ("2030-05-19T10:15:30+02:00", datetime(2030, 5, 19, 8, 15, 30, tzinfo=UTC)),
    ("2030-05-19T08:15:30", None), ("yesterday", None), ("", None), (None, None), ("2030-05-19T08:15:30Z" * 3, None),
])
def test_the_pages_time_is_read_with_its_zone_or_not_at_all(text, expected):
    assert reading.parse_claimed(text) == expected


@pytest.fixture
def officer(make_user, mini_course):
    return make_user(username="amal", full_name="Amal Hassan")


def read_at(session) -> datetime:
    session.expire_all()
    return session.scalar(select(LessonRead.read_at))


def test_a_mark_sent_later_is_dated_when_the_officer_pressed_it(client, officer, login, session):
    login(client, "amal")
    officer.created_at = datetime.now(UTC) - timedelta(days=30)  # an account a month old
    session.merge(officer)
    session.commit()
    pressed = (datetime.now(UTC) - timedelta(hours=26)).replace(microsecond=0)
    response = client.post(READ, data={"later": "1", "read_at": pressed.isoformat().replace("+00:00", "Z")},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert read_at(session) == pressed
    # The xAPI outbox records the event when the server learnt of it (the sender's window follows
    # the outbox, and an event dated a day back would fall behind it).
    event = session.scalar(select(XapiOutboxEntry).where(XapiOutboxEntry.event.like("lesson-read:%")))
    assert datetime.now(UTC) - event.created_at < timedelta(minutes=5)


def test_a_mark_sent_later_is_bounded(client, officer, login, session):
    login(client, "amal")
    officer.created_at = datetime.now(UTC) - timedelta(days=90)
    session.merge(officer)
    session.commit()
    client.post(READ, data={"later": "1", "read_at": (datetime.now(UTC) - timedelta(days=60)).isoformat()})
    first = read_at(session)
    assert timedelta(days=14) - timedelta(minutes=5) < datetime.now(UTC) - first < timedelta(days=14, minutes=5)
    # A device clock a week fast: dated on arrival.
    client.post("/modules/basics/lessons/basics-second/read",
                data={"later": "1", "read_at": (datetime.now(UTC) + timedelta(days=7)).isoformat()})
    session.expire_all()
    second = max(session.scalars(select(LessonRead.read_at)))
    assert abs(datetime.now(UTC) - second) < timedelta(minutes=5)


def test_the_completion_a_late_mark_brings_is_dated_on_arrival(client, officer, login, session):
    """The quiz passed an hour ago, the last lesson read offline three days ago and sent now: the read
    is three days old, the module became complete (for the gradebook, the certificate) only now."""
    from tests.test_completions import RIGHT, submit
    login(client, "amal")
    officer.created_at = datetime.now(UTC) - timedelta(days=30)
    session.merge(officer)
    session.commit()
    submit(session, officer, RIGHT, now=datetime.now(UTC) - timedelta(hours=1))
    client.post(READ)
    pressed = datetime.now(UTC) - timedelta(days=3)
    client.post("/modules/basics/lessons/basics-second/read", data={"later": "1", "read_at": pressed.isoformat()})
    session.expire_all()
    assert min(session.scalars(select(LessonRead.read_at))) == pressed
    completion = session.scalar(select(ModuleCompletion))
    assert completion is not None and abs(datetime.now(UTC) - completion.completed_at) < timedelta(minutes=5)


def test_a_time_is_taken_only_from_a_mark_sent_later(client, officer, login, session):
    """Pressed online, the request is the press: the server's clock dates it, whatever the form says."""
    login(client, "amal")
    client.post(READ, data={"read_at": (datetime.now(UTC) - timedelta(days=2)).isoformat()})
    assert abs(datetime.now(UTC) - read_at(session)) < timedelta(minutes=5)


def test_a_mark_sent_later_with_a_bad_time_is_dated_on_arrival(client, officer, login, session):
    login(client, "amal")
    response = client.post(READ, data={"later": "1", "read_at": "not a time"})
    assert response.status_code == 302
    assert abs(datetime.now(UTC) - read_at(session)) < timedelta(minutes=5)
