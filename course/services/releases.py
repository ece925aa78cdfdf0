"""Releasing the results of exam-style quizzes: officers see them (score, feedback, answers as the
quiz allows) once a trainer releases them to their cohort. What "released" unlocks is decided by
``course.services.review_policy``; the completions (and certificates) that waited for the results
are recorded by the release itself."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.models import Cohort, CohortMember, Quiz, ResultRelease, Role, User
from course.services import audit, certificates, xapi_events


def release(session: Session, actor: User, quiz: Quiz, cohort: Cohort | None, now: datetime) -> bool:
    """Release ``quiz``'s results to a cohort (or everyone); False if they already were."""
    existing = session.scalar(select(ResultRelease).where(
        ResultRelease.quiz_id == quiz.id,
        ResultRelease.cohort_id.is_(None) if cohort is None else ResultRelease.cohort_id == cohort.id))
    if existing:
        return False
    session.add(ResultRelease(quiz_id=quiz.id, cohort_id=cohort.id if cohort else None, released_by_id=actor.id,
                              released_at=now))
    # Results the release shows are reported to the LRS now.
    xapi_events.results_released(session, quiz, cohort.id if cohort else None, now)
    audit.record(session, actor, "results.release", "quiz", quiz.key, cohort=cohort.name if cohort else "everyone")
    session.flush()
    certificates.record_completions_for(session, officers_reached(session, cohort), now)
    return True


def officers_reached(session: Session, cohort: Cohort | None) -> list[User]:
    """The officers a release to ``cohort`` (None: everyone) reaches."""
    query = select(User).where(User.role == Role.OFFICER).order_by(User.id)
    if cohort is not None:
        query = query.where(User.id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))
    return list(session.scalars(query))


def releases_for(session: Session, cohort: Cohort) -> dict[int, ResultRelease]:
    return {r.quiz_id: r for r in session.scalars(select(ResultRelease).where(
        or_(ResultRelease.cohort_id == cohort.id, ResultRelease.cohort_id.is_(None))))}
