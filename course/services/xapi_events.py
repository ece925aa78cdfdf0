"""xAPI events written to the outbox inside the transaction of the change that causes them.

The outbox is the only record the LRS feed works from: an event exists exactly when the change it
reports was committed, whatever the clocks said, and ``flask xapi send`` delivers it by its own
state. Recording the same event twice stores it once (the event name is unique).

A result the officer may not see yet (withheld until a trainer releases it, or awaiting a trainer's
grading) is not an event yet: the release records it. The review policy decides, as it does for every
page. A quiz that never shows its score to the officer (``show_feedback: never``) still reports it to
the institute's LRS: that is a record for the institute, not a page for the officer.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from course.models import Attempt, AttemptState, CohortMember, Question, Quiz, XapiOutboxEntry
from course.services import review_policy

_CLOSED = (AttemptState.SUBMITTED, AttemptState.EXPIRED)


def record(session: Session, events: list[str], now: datetime) -> None:
    """Add events to the outbox (one statement for any number; ones already there are kept as they are)."""
    if not events:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(XapiOutboxEntry.__table__)
                    .values([{"event": event, "created_at": now, "tries": 0} for event in events])
                    .on_conflict_do_nothing(index_elements=["event"]))


def lesson_read(session: Session, read_id: int, now: datetime) -> None:
    record(session, [f"lesson-read:{read_id}"], now)


def attempt_started(session: Session, attempt_id: int, now: datetime) -> None:
    record(session, [f"attempt-started:{attempt_id}"], now)


def attempt_closed(session: Session, attempt: Attempt, now: datetime) -> None:
    """A submitted or expired attempt: its completion, and its result unless that is withheld."""
    events = [f"attempt-completed:{attempt.id}"]
    if _result_reportable(session, attempt):
        events.append(f"attempt-result:{attempt.id}")
    record(session, events, now)


def results_released(session: Session, quiz: Quiz, cohort_id: int | None, now: datetime) -> None:
    """The results of ``quiz`` became visible to a cohort (or everyone): their statements are due now."""
    closed = select(Attempt.id).where(Attempt.quiz_id == quiz.id, Attempt.state.in_(_CLOSED),
                                      Attempt.percent.is_not(None))  # awaiting grading: the grading reports it
    if cohort_id is not None:
        closed = closed.where(Attempt.user_id.in_(
            select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))
    record(session, [f"attempt-result:{attempt_id}" for attempt_id in session.scalars(closed)], now)


def attempt_regraded(session: Session, attempt: Attempt, question: Question, now: datetime) -> None:
    """A corrected key changed the attempt's score: a new result statement, if the officer may see it."""
    if not _result_reportable(session, attempt):
        return  # the release will report the corrected score
    record(session, [f"attempt-regrade:{attempt.id}:{question.id}:{question.current_version.number}"], now)


def attempt_graded(session: Session, attempt: Attempt, answer, revision: int, *, first: bool,
                   now: datetime) -> None:
    """A trainer's marks gave the attempt its score (``first``) or changed it: its result statement,
    if the officer may see it (a held result is reported by the release, with the score of then)."""
    if not _result_reportable(session, attempt):
        return
    event = f"attempt-result:{attempt.id}" if first else f"attempt-regrade:{attempt.id}:answer{answer.id}-{revision}"
    record(session, [event], now)


def _result_reportable(session: Session, attempt: Attempt) -> bool:
    """Whether the officer may see the attempt's result: the review policy's own test for
    "awaiting grading" and "awaiting release", without the rest of a review (a submit pays for it)."""
    if attempt.percent is None:
        return False  # awaiting a trainer's grading
    if not review_policy.holds_until_release(attempt.quiz):
        return True
    return attempt.quiz_id in review_policy.released_quiz_ids(session, attempt.user_id)
