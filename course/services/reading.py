"""Marking a lesson read: the officer's one action on a lesson page.

It lives apart from ``progress``, which only computes where officers stand: a read changes progress,
so it records the completions that follow (``certificates.record_completions``), and those are
computed from ``progress``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.models import Lesson, LessonRead, User
from course.services import certificates, xapi_events
from course.services.progress import has_read


def mark_read(session: Session, user: User, lesson: Lesson, now: datetime) -> bool:
    """Record that ``user`` read ``lesson``, and what that completes; False if the read was already
    recorded (the completions are still brought up to date: a course change may have completed a
    module since)."""
    read = _record_read(session, user, lesson, now)
    certificates.record_completions(session, user, now)
    return read


def _record_read(session: Session, user: User, lesson: Lesson, now: datetime) -> bool:
    if has_read(session, user.id, lesson.id):
        return False
    try:
        with session.begin_nested():
            read = LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=now)
            session.add(read)
            session.flush()
            xapi_events.lesson_read(session, read.id, now)
    except IntegrityError:
        return False  # a second click raced the first: the lesson is read either way
    return True
