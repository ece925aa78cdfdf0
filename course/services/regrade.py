"""Regrading: when a question's key is corrected in the package, re-score the answers that
officers gave to its earlier versions against the current key.

The officer keeps the version they saw (its text is what they answered); only the score changes.
``plan_regrade`` is the dry run; ``apply_regrade`` writes the same changes, audits them and records
the completions (and certificates) a raised score brings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import Attempt, AttemptAnswer, AttemptState, CohortMember, CohortTrainer, Question, Role, User
from course.questions import get_type, score_response
from course.services import audit, certificates, xapi_events


@dataclass
class RegradeChange:
    answer: AttemptAnswer
    attempt: Attempt
    old_score: float
    new_score: float

    @property
    def new_attempt_percent(self) -> float:
        total = (self.attempt.score or 0) - self.old_score + self.new_score
        return round(100 * total / self.attempt.max_score, 2) if self.attempt.max_score else 0.0

    @property
    def new_passed(self) -> bool:
        return self.new_attempt_percent >= self.attempt.quiz.settings.get("pass_mark", 70)


def _visible_user_ids(session: Session, viewer: User):
    if viewer.role == Role.ADMIN:
        return None
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == viewer.id)
    return select(CohortMember.user_id).where(CohortMember.cohort_id.in_(trained))


def plan_regrade(session: Session, viewer: User, question: Question) -> list[RegradeChange]:
    current = question.current_version
    old_ids = [v.id for v in question.versions if v.id != current.id]
    if not old_ids:
        return []
    query = (select(AttemptAnswer).join(Attempt)
             .where(AttemptAnswer.question_version_id.in_(old_ids), Attempt.state != AttemptState.IN_PROGRESS)
             .options(selectinload(AttemptAnswer.attempt).selectinload(Attempt.quiz),
                      selectinload(AttemptAnswer.question_version)))
    visible = _visible_user_ids(session, viewer)
    if visible is not None:
        query = query.where(Attempt.user_id.in_(visible))
    qtype = get_type(current.type)
    if qtype.graded_by_trainer:
        return []  # a trainer's marks are not re-scored by a key: they grade the answer again
    changes = []
    for answer in session.scalars(query):
        if answer.question_version.type != current.type:
            continue  # a different kind of question: its answers cannot be read against the new key
        response = answer.response
        if response is not None and qtype.check_response(current.definition, response) is not None:
            response = None  # the answer names options that no longer exist
        new_score = round(score_response(current.definition, response) * (answer.max_score or 1), 4)
        if abs(new_score - (answer.score or 0)) > 1e-9:
            changes.append(RegradeChange(answer, answer.attempt, answer.score or 0, new_score))
    return changes


def apply_regrade(session: Session, actor: User, question: Question, now: datetime) -> list[RegradeChange]:
    changes = plan_regrade(session, actor, question)
    for change in changes:
        attempt = change.attempt
        new_percent, new_passed = change.new_attempt_percent, change.new_passed
        change.answer.score = change.new_score
        attempt.score = round((attempt.score or 0) - change.old_score + change.new_score, 4)
        attempt.percent, attempt.passed = new_percent, new_passed
        xapi_events.attempt_regraded(session, attempt, question, now)
    audit.record(session, actor, "question.regrade", "question", question.key,
                 version=question.current_version.number, attempts=len(changes),
                 changed=[{"attempt": c.attempt.id, "from": c.old_score, "to": c.new_score} for c in changes][:200])
    session.flush()
    for officer in {change.attempt.user_id: change.attempt.user for change in changes}.values():
        certificates.record_completions(session, officer, now)
    return changes
