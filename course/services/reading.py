"""Marking a lesson read: the officer's one action on a lesson page.

It lives apart from ``progress``, which only computes where officers stand: a read changes progress,
so it records the completions that follow (``certificates.record_completions``), and those are
computed from ``progress``.

A mark pressed offline reaches the server later (``static/js/offline.js`` keeps it on the device):
the read is dated when the officer pressed it, as the device tells it, within bounds the server
sets (``read_time``). The completions it brings, and the xAPI event, are dated when the server
learnt of it: that is when they became true for everyone else.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.models import Lesson, LessonRead, User
from course.services import certificates, xapi_events
from course.services.progress import has_read

#: How far back a mark kept on a device may be dated: older claims are dated this far back.
KEPT_AT_MOST = timedelta(days=14)


def read_time(claimed: datetime | None, now: datetime, not_before: datetime | None = None) -> datetime:
    """When a read happened: ``claimed`` (the device's time of a mark kept offline), never after
    ``now`` (a device clock running fast), never more than ``KEPT_AT_MOST`` before it, nor before
    ``not_before`` (the account's creation); ``now`` without a claim or for a claim without a zone."""
    if claimed is None or claimed.tzinfo is None:
        return now
    earliest = now - KEPT_AT_MOST
    if not_before is not None:
        earliest = max(earliest, min(not_before, now))
    return min(max(claimed, earliest), now)


def parse_claimed(text: str | None) -> datetime | None:
    """An ISO 8601 time with its zone (``2026-03-01T09:30:00.000Z``) as the page sends it; None for
    anything else (no time, no zone, not a time)."""
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def mark_read(session: Session, user: User, lesson: Lesson, now: datetime, claimed: datetime | None = None) -> bool:
    """Record that ``user`` read ``lesson``, and what that completes; False if the read was already
    recorded (the completions are still brought up to date: a course change may have completed a
    module since). ``claimed`` is when a mark kept offline was pressed (bounded by ``read_time``)."""
    read = _record_read(session, user, lesson, now, read_time(claimed, now, user.created_at))
    certificates.record_completions(session, user, now)
    return read


def _record_read(session: Session, user: User, lesson: Lesson, now: datetime, read_at: datetime) -> bool:
    if has_read(session, user.id, lesson.id):
        return False
    try:
        with session.begin_nested():
            read = LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=read_at)
            session.add(read)
            session.flush()
            xapi_events.lesson_read(session, read.id, now)
    except IntegrityError:
        return False  # a second click raced the first: the lesson is read either way
    return True
