"""Results of exam-style quizzes stay hidden from officers until a trainer releases them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.models import Cohort, CohortMember, Quiz, ResultRelease, User
from course.services import audit


def withheld(quiz: Quiz) -> bool:
    """Whether the quiz keeps results back until they are released."""
    return quiz.settings.get("show_feedback") == "when_released"


def released_quiz_ids(session: Session, user: User) -> set[int]:
    """Quizzes whose results are released to ``user`` (for everyone, or for one of their cohorts)."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    return set(session.scalars(select(ResultRelease.quiz_id).where(
        or_(ResultRelease.cohort_id.is_(None), ResultRelease.cohort_id.in_(cohorts)))))


def hidden_quiz_ids(session: Session, user: User, quizzes: list[Quiz]) -> set[int]:
    """Quizzes (among ``quizzes``) whose scores ``user`` may not see yet."""
    if user.is_staff:
        return set()
    held = {q.id for q in quizzes if withheld(q)}
    return held - released_quiz_ids(session, user) if held else set()


def release(session: Session, actor: User, quiz: Quiz, cohort: Cohort | None, now: datetime) -> bool:
    """Release ``quiz``'s results to a cohort (or everyone); False if they already were."""
    existing = session.scalar(select(ResultRelease).where(
        ResultRelease.quiz_id == quiz.id,
        ResultRelease.cohort_id.is_(None) if cohort is None else ResultRelease.cohort_id == cohort.id))
    if existing:
        return False
    session.add(ResultRelease(quiz_id=quiz.id, cohort_id=cohort.id if cohort else None, released_by_id=actor.id))
    from course.services import xapi_events  # it asks this module what is released: imported late
    xapi_events.results_released(session, quiz, cohort.id if cohort else None, now)
    audit.record(session, actor, "results.release", "quiz", quiz.key, cohort=cohort.name if cohort else "everyone")
    session.flush()
    return True


def releases_for(session: Session, cohort: Cohort) -> dict[int, ResultRelease]:
    return {r.quiz_id: r for r in session.scalars(select(ResultRelease).where(
        or_(ResultRelease.cohort_id == cohort.id, ResultRelease.cohort_id.is_(None))))}
