"""Extra attempts: a trainer allows an officer one attempt more than a quiz allows, with a reason.

The usual remedy after a power cut or a mistaken submit. A grant is only made when the officer has
no attempt left and none open (so a double click cannot grant two), it is audited, and the trainer
is told when the officer has already been shown the quiz's correct answers.

A grant records no completion: it changes only how many attempts are allowed, which no module
status reads. The attempt it allows records what it completes when it closes (``attempts``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from course.models import Attempt, AttemptGrant, AttemptState, Quiz, Role, User
from course.services import audit, review_policy
from course.services.errors import ServiceError

REASON_MAX = 1000


@dataclass(frozen=True)
class Granted:
    grant: AttemptGrant
    #: The officer was already shown the correct answers of this quiz (the trainer should know).
    answers_seen: bool


def grantable_quizzes(session: Session, officer: User) -> list[Quiz]:
    """The quizzes at which ``officer`` has used every attempt (granted ones included) and has none open."""
    quizzes = [q for q in session.scalars(select(Quiz).where(Quiz.retired.is_(False))
                                          .order_by(Quiz.module_id.is_(None), Quiz.module_id, Quiz.id))
               if q.settings.get("attempts") is not None]
    if not quizzes:
        return []
    counts = {quiz_id: (used, open_count) for quiz_id, used, open_count in session.execute(
        select(Attempt.quiz_id, func.count(), func.count().filter(Attempt.state == AttemptState.IN_PROGRESS))
        .where(Attempt.user_id == officer.id, Attempt.quiz_id.in_([q.id for q in quizzes]))
        .group_by(Attempt.quiz_id))}
    granted = review_policy.granted_attempts(session, officer.id, [q.id for q in quizzes])
    return [q for q in quizzes if q.id in counts and not counts[q.id][1]
            and review_policy.attempts_left(q, counts[q.id][0], granted.get(q.id, 0)) == 0]


def grants_of(session: Session, officer: User) -> list[AttemptGrant]:
    return list(session.scalars(select(AttemptGrant).where(AttemptGrant.user_id == officer.id)
                                .options(selectinload(AttemptGrant.quiz), selectinload(AttemptGrant.granted_by))
                                .order_by(AttemptGrant.created_at.desc(), AttemptGrant.id.desc())))


def grant_attempt(session: Session, actor: User, officer: User, quiz: Quiz, reason: str, now: datetime) -> Granted:
    """Allow ``officer`` one more attempt at ``quiz``; the reason goes to the audit log."""
    reason = (reason or "").strip()
    if officer.role != Role.OFFICER:
        raise ServiceError(_l("Only officers are given extra attempts."))
    if not reason:
        raise ServiceError(_l("Give the reason for the extra attempt."), "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("Keep the reason under %(n)s characters.", n=REASON_MAX), "reason")
    if quiz.retired or quiz not in grantable_quizzes(session, officer):
        raise ServiceError(_l("No extra attempt is needed: the officer can still take or resume this quiz."),
                           "quiz")
    attempts = list(session.scalars(select(Attempt).where(Attempt.user_id == officer.id, Attempt.quiz_id == quiz.id)
                                    .options(selectinload(Attempt.quiz)).order_by(Attempt.number)))
    reviews = review_policy.reviews_for(session, officer, attempts)
    answers_seen = any(review.answers for review in reviews.values())
    grant = AttemptGrant(user_id=officer.id, quiz_id=quiz.id, after_attempts=len(attempts), reason=reason,
                         granted_by_id=actor.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(grant)
    except IntegrityError:  # granted by a concurrent request for the same used-up attempts
        raise ServiceError(_l("An extra attempt was already granted for this quiz."), "quiz") from None
    audit.record(session, actor, "attempt.grant", "user", officer.id, quiz=quiz.key, reason=reason,
                 after_attempts=len(attempts), answers_seen=answers_seen)
    session.flush()
    return Granted(grant, answers_seen)
