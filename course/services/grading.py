"""Trainer grading: the answers that a trainer marks (essays), their queue per cohort, and the marks.

An answer of a type ``graded_by_trainer`` scores nothing when its attempt is submitted: the answer's
score stays NULL and so does the attempt's percent, which the review policy shows as "awaiting
grading" (no score, no pass or fail, no completion, certificate, badge or xAPI result). A trainer of
one of the officer's cohorts gives marks per rubric criterion and a comment (``grade_answer``); the
answer's score is its share of the points, the attempt's totals are added up again from its answers'
scores (a corrected key's regrade is kept), and once no answer waits the attempt counts like any
other: completions are recorded, and the xAPI result follows the release rules. Grading again
replaces the marks (an answer has one grading, with a revision number) and is audited each time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import (
    AnswerGrading,
    Attempt,
    AttemptAnswer,
    AttemptState,
    Cohort,
    CohortMember,
    QuestionVersion,
    User,
)
from course.questions import REGISTRY, get_type
from course.services import audit, xapi_events
from course.services import certificates as certificate_service
from course.services.attempts import load_answers, total_up
from course.services.errors import ServiceError

CLOSED = (AttemptState.SUBMITTED, AttemptState.EXPIRED)
#: The longest comment kept (characters).
MAX_COMMENT = 2000


def trainer_graded_types() -> list[str]:
    return [t.name for t in REGISTRY.values() if t.graded_by_trainer]


@dataclass
class QueueEntry:
    answer: AttemptAnswer
    attempt: Attempt
    officer: User

    @property
    def pending(self) -> bool:
        return self.answer.grading is None


def queue(session: Session, cohort: Cohort, *, include_graded: bool = True) -> list[QueueEntry]:
    """The cohort's officers' answers that a trainer marks, of closed attempts: the ones waiting
    first (oldest submission first), then those already graded (to grade again)."""
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    rows = session.scalars(
        select(AttemptAnswer).join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .where(QuestionVersion.type.in_(trainer_graded_types()), Attempt.state.in_(CLOSED),
               Attempt.user_id.in_(members), AttemptAnswer.response.is_not(None))
        .options(selectinload(AttemptAnswer.attempt).selectinload(Attempt.user),
                 selectinload(AttemptAnswer.attempt).selectinload(Attempt.quiz),
                 selectinload(AttemptAnswer.question_version), selectinload(AttemptAnswer.grading))
        .order_by(Attempt.submitted_at, AttemptAnswer.position)).all()
    entries = [QueueEntry(a, a.attempt, a.attempt.user) for a in rows if a.response is not None]
    if not include_graded:
        entries = [e for e in entries if e.pending]
    return sorted(entries, key=lambda e: not e.pending)


def answer_in_cohort(session: Session, cohort: Cohort, answer_id: int) -> AttemptAnswer | None:
    """A trainer-marked answer of a closed attempt by an officer of ``cohort`` (None for anything else)."""
    answer = session.get(AttemptAnswer, answer_id)
    if answer is None or answer.response is None or not get_type(answer.question_version.type).graded_by_trainer:
        return None
    attempt = answer.attempt
    if attempt.state not in CLOSED:
        return None
    member = session.scalar(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                               CohortMember.user_id == attempt.user_id))
    return answer if member is not None else None


def _read_marks(definition: dict, given: dict[str, str]) -> dict[str, float]:
    marks: dict[str, float] = {}
    for criterion in definition["rubric"]:
        text = (given.get(criterion["id"]) or "").strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise ServiceError(_l("Give every criterion its marks (a number)."), f"mark-{criterion['id']}") from None
        if not math.isfinite(value) or value < 0 or value > criterion["marks"]:
            raise ServiceError(_l("Marks go from 0 to %(max)s for this criterion.", max=f"{criterion['marks']:g}"),
                               f"mark-{criterion['id']}")
        marks[criterion["id"]] = round(value, 2)
    return marks


def grade_answer(session: Session, grader: User, answer: AttemptAnswer, given: dict[str, str], comment: str,
                 now: datetime) -> AnswerGrading:
    """Mark ``answer`` (criterion id -> marks as typed) with ``comment``; grading again replaces the marks."""
    attempt = answer.attempt
    if attempt.user_id == grader.id:
        raise ServiceError(_l("Nobody can grade their own answers."))
    definition = answer.question_version.definition
    qtype = get_type(definition["type"])
    if not qtype.graded_by_trainer or attempt.state not in CLOSED or answer.response is None:
        raise ServiceError(_l("This answer is not waiting for a trainer's marks."), status=409)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ServiceError(_l("The comment is too long (at most %(n)s characters).", n=MAX_COMMENT), "comment")
    marks = _read_marks(definition, given)
    score = round(qtype.score_marks(definition, marks) * answer.max_score, 4)
    old_score, was_pending = answer.score, attempt.percent is None
    grading = answer.grading
    if grading is None:
        grading = AnswerGrading(answer_id=answer.id, revision=0)
        session.add(grading)
        answer.grading = grading
    grading.grader_id, grading.graded_at, grading.marks, grading.comment = grader.id, now, marks, comment
    grading.score, grading.revision = score, grading.revision + 1
    answer.score = score
    load_answers(session, attempt)
    total_up(attempt)
    audit.record(session, grader, "answer.grade", "attempt", attempt.id, question=definition["id"],
                 answer=answer.id, revision=grading.revision, marks=marks, score=score, previous=old_score,
                 percent=attempt.percent)
    session.flush()
    if attempt.percent is not None:
        xapi_events.attempt_graded(session, attempt, answer, grading.revision, first=was_pending, now=now)
        certificate_service.record_completions(session, attempt.user, now)
    return grading


def waiting_count(session: Session, cohort: Cohort) -> int:
    """How many answers of the cohort wait for a trainer's marks."""
    return len(queue(session, cohort, include_graded=False))
