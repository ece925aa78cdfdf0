"""What each member of staff sees first after signing in.

A trainer's cohorts with what needs their attention (officers past a due date, exam results waiting
for their release, questions the item analysis flags), and the institute's overview for an
administrator (counts, recent imports and activity). Every figure reuses the reports' own rules
(``progress``, ``review_policy``, ``reports``), so the home page and the report it links to agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.models import (
    Attempt,
    AuditEntry,
    Certificate,
    Cohort,
    CohortMember,
    ImportBatch,
    LessonRead,
    Quiz,
    Role,
    User,
)
from course.services import progress, releases, reports, review_policy

#: Overdue officers named on a cohort's card; the rest are counted and one link away (the gradebook).
NAMED_OVERDUE = 5
#: The least number of first attempts for the item analysis to judge a question (its own rule).
JUDGED_FROM = 5


@dataclass
class HeldResults:
    quiz: Quiz
    #: Officers of the cohort with a finished attempt whose result they do not see yet.
    officers: int


@dataclass
class FlaggedQuiz:
    quiz: Quiz
    #: Questions the item analysis flags (wording, key, difficulty), not counting "too few answers".
    questions: int


@dataclass
class CohortAttention:
    cohort: Cohort
    officers: int
    #: (id, full name) of the first overdue officers by name, and how many there are in all.
    overdue: list[tuple[int, str]] = field(default_factory=list)
    overdue_total: int = 0
    held: list[HeldResults] = field(default_factory=list)
    flagged: list[FlaggedQuiz] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue_total or self.held or self.flagged)


def trainer_home(session: Session, cohorts: list[Cohort], *, now: datetime) -> list[CohortAttention]:
    """Each cohort (archived ones last, without figures: nothing in them is waiting) with what needs
    attention now."""
    counts = dict(session.execute(select(CohortMember.cohort_id, func.count())
                                  .where(CohortMember.cohort_id.in_([c.id for c in cohorts]))
                                  .group_by(CohortMember.cohort_id)).all())
    modules = progress.active_modules(session)
    held_quizzes = [q for q in session.scalars(select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.id))
                    if review_policy.releasable(q)]
    out = []
    for cohort in cohorts:
        card = CohortAttention(cohort, counts.get(cohort.id, 0))
        out.append(card)
        if cohort.archived or not card.officers:
            continue
        card.overdue_total, card.overdue = _overdue(session, cohort, modules, now)
        card.held = _held(session, cohort, held_quizzes)
        card.flagged = _flagged(session, cohort)
    return out


def _overdue(session: Session, cohort: Cohort, modules, now: datetime) -> tuple[int, list[tuple[int, str]]]:
    roster = reports.cohort_roster(session, cohort)
    statuses = progress.statuses_for(session, [o.id for o in roster], modules, now=now,
                                     scope=reports.cohort_officer_ids(cohort))
    late = [(o.id, o.full_name) for o in roster if any(s.overdue for s in statuses[o.id].values())]
    return len(late), late[:NAMED_OVERDUE]


def _held(session: Session, cohort: Cohort, quizzes: list[Quiz]) -> list[HeldResults]:
    """Exam-style quizzes not yet released to the cohort, with how many of its officers finished one."""
    released = releases.releases_for(session, cohort)
    waiting = [q for q in quizzes if q.id not in released]
    if not waiting:
        return []
    finished = dict(session.execute(
        select(Attempt.quiz_id, func.count(func.distinct(Attempt.user_id)))
        .where(Attempt.quiz_id.in_([q.id for q in waiting]), Attempt.state.in_(reports.CLOSED),
               Attempt.user_id.in_(reports.cohort_officer_ids(cohort)))
        .group_by(Attempt.quiz_id)).all())
    return [HeldResults(q, finished[q.id]) for q in waiting if finished.get(q.id)]


def _flagged(session: Session, cohort: Cohort) -> list[FlaggedQuiz]:
    """Quizzes whose item analysis (first attempts, as its page opens) flags questions to check. Only
    quizzes with enough first attempts to judge are analysed: the others could flag nothing."""
    # Each officer's first finished attempt is what the analysis reads: one per officer who finished one.
    officers = func.count(func.distinct(Attempt.user_id))
    judged = session.scalars(
        select(Quiz).join(Attempt, Attempt.quiz_id == Quiz.id)
        .where(Quiz.retired.is_(False), Attempt.state.in_(reports.CLOSED),
               Attempt.user_id.in_(reports.cohort_officer_ids(cohort)))
        .group_by(Quiz.id).having(officers >= JUDGED_FROM)
        .order_by(Quiz.module_id.is_(None), Quiz.module_id, Quiz.id)).all()
    out = []
    for quiz in judged:
        flagged = sum(1 for item in reports.item_analysis(session, cohort, quiz) if item.n >= JUDGED_FROM and item.flags)
        if flagged:
            out.append(FlaggedQuiz(quiz, flagged))
    return out


@dataclass
class InstituteOverview:
    officers: int
    officers_inactive: int
    trainers: int
    admins: int
    cohorts: int
    cohorts_archived: int
    certificates: int
    #: The last seven days.
    attempts_week: int
    reads_week: int
    imports: list[ImportBatch]
    activity: list[AuditEntry]


def institute_overview(session: Session, *, now: datetime, recent: int = 8) -> InstituteOverview:
    by_role = dict(session.execute(select(User.role, func.count()).where(User.is_active_account.is_(True))
                                   .group_by(User.role)).all())
    inactive = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.OFFICER, User.is_active_account.is_(False)))
    archived = dict(session.execute(select(Cohort.archived, func.count()).group_by(Cohort.archived)).all())
    week = now - timedelta(days=7)
    return InstituteOverview(
        officers=by_role.get(Role.OFFICER, 0), officers_inactive=inactive or 0,
        trainers=by_role.get(Role.TRAINER, 0), admins=by_role.get(Role.ADMIN, 0),
        cohorts=archived.get(False, 0), cohorts_archived=archived.get(True, 0),
        certificates=session.scalar(select(func.count()).select_from(Certificate)
                                    .where(Certificate.revoked_at.is_(None))) or 0,
        attempts_week=session.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.state.in_(reports.CLOSED), Attempt.submitted_at >= week)) or 0,
        reads_week=session.scalar(select(func.count()).select_from(LessonRead)
                                  .where(LessonRead.read_at >= week)) or 0,
        imports=list(session.scalars(select(ImportBatch).where(ImportBatch.applied_at.is_not(None))
                                     .order_by(ImportBatch.applied_at.desc()).limit(recent))),
        activity=list(session.scalars(select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                      .limit(recent))),
    )
