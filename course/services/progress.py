"""Where each officer stands: lessons read, quiz grades, module status.

Computed with a handful of aggregate queries for any number of officers and modules, never
one query per cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.models import Attempt, AttemptState, GradeOverride, Lesson, LessonRead, Module, Quiz, User
from course.services.assignments import Due, due_dates_for
from course.services.attempts import combine_grades


@dataclass
class ModuleStatus:
    module: Module
    quiz: Quiz | None
    lessons_total: int
    lessons_read: int
    best_percent: float | None
    attempts_used: int
    in_progress: bool
    passed: bool
    #: Start and due dates when the module is assigned to the officer (directly or by cohort).
    due: Due | None = None
    #: A trainer's grade that replaces the attempts' grade.
    overridden: bool = False
    now: datetime | None = None

    @property
    def assigned(self) -> bool:
        return self.due is not None

    @property
    def overdue(self) -> bool:
        return (not self.completed and self.due is not None and self.due.due_at is not None
                and (self.now or datetime.now(timezone.utc)) > self.due.due_at)

    @property
    def completed(self) -> bool:
        rules = self.module.completion
        lessons_ok = rules.get("lessons") == "none" or self.lessons_read >= self.lessons_total
        quiz_rule = rules.get("quiz", "pass")
        if quiz_rule == "none" or self.quiz is None:
            quiz_ok = True
        elif quiz_rule == "attempt":
            quiz_ok = self.attempts_used > 0 and not (self.in_progress and self.attempts_used == 1)
        else:
            quiz_ok = self.passed
        return lessons_ok and quiz_ok

    @property
    def status(self) -> str:
        """not_started, in_progress, failed, overdue or completed."""
        if self.completed:
            return "completed"
        if self.overdue:
            return "overdue"
        if self.best_percent is not None and not self.passed and not self.in_progress:
            return "failed"
        if self.lessons_read or self.attempts_used:
            return "in_progress"
        return "not_started"

    @property
    def percent_read(self) -> int:
        return round(100 * self.lessons_read / self.lessons_total) if self.lessons_total else 0


def active_modules(session: Session) -> list[Module]:
    return list(session.scalars(select(Module).where(Module.retired.is_(False)).order_by(Module.position)))


def module_quizzes(session: Session) -> dict[int, Quiz]:
    return {q.module_id: q for q in session.scalars(
        select(Quiz).where(Quiz.retired.is_(False), Quiz.module_id.is_not(None)))}


def mark_read(session: Session, user: User, lesson: Lesson, now: datetime) -> bool:
    """Record that ``user`` read ``lesson``; False if it was already recorded."""
    exists = session.scalar(select(LessonRead.id).where(LessonRead.user_id == user.id,
                                                        LessonRead.lesson_id == lesson.id))
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=now))
    except IntegrityError:
        return False  # a second click raced the first: the lesson is read either way
    return True


def read_lesson_ids(session: Session, user: User, module: Module) -> set[int]:
    return set(session.scalars(select(LessonRead.lesson_id).join(Lesson)
                               .where(LessonRead.user_id == user.id, Lesson.module_id == module.id)))


def latest_overrides(session: Session, user_ids: list[int], quiz_ids: list[int]) -> dict[tuple[int, int], float]:
    """(user id, quiz id) -> the percent of the latest grade override."""
    rows = session.execute(select(GradeOverride.user_id, GradeOverride.quiz_id, GradeOverride.percent)
                           .where(GradeOverride.user_id.in_(user_ids), GradeOverride.quiz_id.in_(quiz_ids))
                           .order_by(GradeOverride.created_at, GradeOverride.id)).all()
    return {(u, q): p for u, q, p in rows}


def statuses_for(session: Session, user_ids: list[int], modules: list[Module] | None = None,
                 now: datetime | None = None) -> dict[int, dict[int, ModuleStatus]]:
    """user id -> module id -> status, in a fixed number of queries whatever the numbers."""
    modules = modules if modules is not None else active_modules(session)
    quizzes = module_quizzes(session)
    module_ids = [m.id for m in modules]
    lesson_totals = dict(session.execute(
        select(Lesson.module_id, func.count()).where(Lesson.retired.is_(False), Lesson.module_id.in_(module_ids))
        .group_by(Lesson.module_id)).all())
    reads = {(u, m): n for u, m, n in session.execute(
        select(LessonRead.user_id, Lesson.module_id, func.count()).join(Lesson)
        .where(Lesson.retired.is_(False), LessonRead.user_id.in_(user_ids), Lesson.module_id.in_(module_ids))
        .group_by(LessonRead.user_id, Lesson.module_id)).all()}
    quiz_ids = [q.id for q in quizzes.values()]
    attempt_rows = session.execute(
        select(Attempt.user_id, Attempt.quiz_id, Attempt.state, Attempt.percent, Attempt.passed, Attempt.number)
        .where(Attempt.user_id.in_(user_ids), Attempt.quiz_id.in_(quiz_ids))).all()
    overrides = latest_overrides(session, user_ids, quiz_ids)
    dues = due_dates_for(session, user_ids, modules)
    by_user_quiz: dict[tuple[int, int], list] = {}
    for row in attempt_rows:
        by_user_quiz.setdefault((row.user_id, row.quiz_id), []).append(row)
    out: dict[int, dict[int, ModuleStatus]] = {}
    for user_id in user_ids:
        out[user_id] = {}
        for module in modules:
            quiz = quizzes.get(module.id)
            rows = by_user_quiz.get((user_id, quiz.id), []) if quiz else []
            closed = sorted((r for r in rows if r.state != AttemptState.IN_PROGRESS), key=lambda r: r.number)
            best = combine_grades([r.percent for r in closed if r.percent is not None],
                                  quiz.settings.get("grading", "highest")) if quiz else None
            overridden = quiz is not None and (user_id, quiz.id) in overrides
            if overridden:
                best = overrides[(user_id, quiz.id)]
            pass_mark = quiz.settings.get("pass_mark", 70) if quiz else 0
            out[user_id][module.id] = ModuleStatus(
                module=module, quiz=quiz, lessons_total=lesson_totals.get(module.id, 0),
                lessons_read=reads.get((user_id, module.id), 0), best_percent=best, attempts_used=len(rows),
                in_progress=any(r.state == AttemptState.IN_PROGRESS for r in rows),
                passed=best is not None and best >= pass_mark, due=dues[user_id].get(module.id),
                overridden=overridden, now=now)
    return out
