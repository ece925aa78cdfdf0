"""Where each officer stands: lessons read, quiz grades, module status.

Computed with a handful of aggregate queries for any number of officers and modules, never
one query per cell.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, bindparam, case, exists, func, select
from sqlalchemy.orm import Session

from course.models import (
    Attempt,
    AttemptState,
    GradeOverride,
    Lesson,
    LessonRead,
    Module,
    ModuleChange,
    ModuleCompletion,
    Quiz,
    User,
)
from course.quizsettings import combine_grades
from course.services import review_policy
from course.services.assignments import Due, due_dates_for


@dataclass(slots=True)  # a large cohort's gradebook holds one per officer and module: 600,000 at 100,000
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
    #: As the officer sees it (``withhold``): the quiz's result waits for a trainer's release, so
    #: ``best_percent`` is None, ``passed`` False and the module cannot be completed yet.
    awaiting_release: bool = False
    #: As the officer sees it: the quiz never shows its score, so ``best_percent`` is None (``passed``
    #: still counts towards completion).
    grade_hidden: bool = False

    @property
    def assigned(self) -> bool:
        return self.due is not None

    @property
    def overdue(self) -> bool:
        return not self.completed and self._past_due

    @property
    def _past_due(self) -> bool:
        # Statuses are made for a moment the caller names (services never read the clock).
        return self.due is not None and self.due.due_at is not None and self.now > self.due.due_at

    @property
    def completed(self) -> bool:
        rules = self.module.completion
        lessons_ok = rules.get("lessons") == "none" or self.lessons_read >= self.lessons_total
        quiz_rule = rules.get("quiz", "pass")
        if quiz_rule == "none" or self.quiz is None:
            quiz_ok = True
        elif self.awaiting_release:
            quiz_ok = False
        elif quiz_rule == "attempt":
            quiz_ok = self.attempts_used > 0 and not (self.in_progress and self.attempts_used == 1)
        else:
            quiz_ok = self.passed
        return lessons_ok and quiz_ok

    @property
    def status(self) -> str:
        """not_started, in_progress, awaiting_release, failed, overdue or completed."""
        if self.completed:
            return "completed"
        if self.awaiting_release:  # the officer has done their part
            return "awaiting_release"
        if self._past_due:  # not completed: overdue
            return "overdue"
        if self.best_percent is not None and not self.passed and not self.in_progress:
            return "failed"
        if self.lessons_read or self.attempts_used:
            return "in_progress"
        return "not_started"

    @property
    def diagnostic(self) -> bool:
        """The module's quiz has no pass mark that means anything (see ``review_policy.diagnostic``)."""
        return self.quiz is not None and review_policy.diagnostic(self.quiz)

    @property
    def percent_read(self) -> int:
        return round(100 * self.lessons_read / self.lessons_total) if self.lessons_total else 0


def active_modules(session: Session) -> list[Module]:
    return list(session.scalars(select(Module).where(Module.retired.is_(False)).order_by(Module.position)))


def module_quizzes(session: Session) -> dict[int, Quiz]:
    return {q.module_id: q for q in session.scalars(
        select(Quiz).where(Quiz.retired.is_(False), Quiz.module_id.is_not(None)))}


def read_lesson_ids(session: Session, user: User, module: Module) -> set[int]:
    return set(session.scalars(select(LessonRead.lesson_id).join(Lesson)
                               .where(LessonRead.user_id == user.id, Lesson.module_id == module.id)))


_HAS_READ = select(exists().where(LessonRead.user_id == bindparam("user_id"),
                                  LessonRead.lesson_id == bindparam("lesson_id")))


def has_read(session: Session, user_id: int, lesson_id: int) -> bool:
    """Whether the officer has marked this lesson read (the one per-officer fact a lesson page needs)."""
    # A prebuilt Core statement on the session's connection: a sixth of the ORM path's cost, and
    # every lesson page asks it.
    return bool(session.connection().scalar(_HAS_READ, {"user_id": user_id, "lesson_id": lesson_id}))


def latest_overrides(session: Session, user_ids: list[int], quiz_ids: list[int],
                     scope: Select | None = None) -> dict[tuple[int, int], float]:
    """(user id, quiz id) -> the percent of the latest grade override."""
    officers = scope if scope is not None else user_ids
    rows = session.execute(select(GradeOverride.user_id, GradeOverride.quiz_id, GradeOverride.percent)
                           .where(GradeOverride.user_id.in_(officers), GradeOverride.quiz_id.in_(quiz_ids))
                           .order_by(GradeOverride.created_at, GradeOverride.id)).all()
    return {(u, q): p for u, q, p in rows}


class QuizRecord(NamedTuple):
    """What an officer's attempts at one quiz add up to."""
    attempts_used: int
    in_progress: bool
    grade: float | None


NO_ATTEMPT = QuizRecord(0, False, None)


def quiz_records(session: Session, quizzes: list[Quiz], officers: list[int] | Select
                 ) -> dict[tuple[int, int], QuizRecord]:
    """(user id, quiz id) -> attempts used, one still open, grade by the quiz's rule (overrides aside)."""
    rules = {quiz.id: quiz.settings.get("grading", "highest") for quiz in quizzes}
    highest = [quiz_id for quiz_id, rule in rules.items() if rule == "highest"]
    others = [quiz_id for quiz_id, rule in rules.items() if rule != "highest"]
    records: dict[tuple[int, int], QuizRecord] = {}
    if highest:
        # One row per officer and quiz instead of one per attempt (a large cohort has hundreds of
        # thousands): the best closed attempt is an aggregate the database computes.
        is_open = Attempt.state == AttemptState.IN_PROGRESS
        for user_id, quiz_id, used, open_count, best in session.execute(
                select(Attempt.user_id, Attempt.quiz_id, func.count(), func.sum(case((is_open, 1), else_=0)),
                       func.max(case((~is_open, Attempt.percent))))
                .where(Attempt.user_id.in_(officers), Attempt.quiz_id.in_(highest))
                .group_by(Attempt.user_id, Attempt.quiz_id)):
            records[(user_id, quiz_id)] = QuizRecord(used, bool(open_count), best)
    if others:
        # The other rules depend on the order of the attempts: the rows are combined here.
        by_user_quiz: dict[tuple[int, int], list] = {}
        for row in session.execute(select(Attempt.user_id, Attempt.quiz_id, Attempt.state, Attempt.percent,
                                          Attempt.number)
                                   .where(Attempt.user_id.in_(officers), Attempt.quiz_id.in_(others))):
            by_user_quiz.setdefault((row.user_id, row.quiz_id), []).append(row)
        for (user_id, quiz_id), rows in by_user_quiz.items():
            closed = sorted((r for r in rows if r.state != AttemptState.IN_PROGRESS), key=lambda r: r.number)
            records[(user_id, quiz_id)] = QuizRecord(
                len(rows), any(r.state == AttemptState.IN_PROGRESS for r in rows),
                combine_grades([r.percent for r in closed if r.percent is not None], rules[quiz_id]))
    return records


def statuses_for(session: Session, user_ids: list[int], modules: list[Module] | None = None,
                 *, now: datetime, scope: Select | None = None, withhold: bool = False
                 ) -> dict[int, dict[int, ModuleStatus]]:
    """user id -> module id -> status, in a fixed number of queries whatever the numbers.

    ``withhold``: the statuses as the officers themselves may see them (``course.services.review_policy``):
    a grade awaiting release is no grade yet, and a quiz that never shows its score shows none.
    Everything an officer sees, and every completion recorded, asks for this; staff reports do not.

    ``scope``: a select of user ids that includes ``user_ids`` (a cohort's members, say), used in the
    queries in their place: PostgreSQL refuses a statement with more than 65,535 parameters, and a
    cohort can have more officers than that.
    """
    return dict(statuses_one_by_one(session, user_ids, modules, now=now, scope=scope, withhold=withhold))


def statuses_one_by_one(session: Session, user_ids: list[int], modules: list[Module] | None = None,
                        *, now: datetime, scope: Select | None = None, withhold: bool = False
                        ) -> Iterator[tuple[int, dict[int, ModuleStatus]]]:
    """``statuses_for`` as (user id, module id -> status) in the order of ``user_ids``. The queries run
    at once; each officer's statuses are made as the caller gets to them, so an export of a large
    cohort holds one officer's at a time instead of 600,000 objects."""
    modules = modules if modules is not None else active_modules(session)
    officers = scope if scope is not None else user_ids
    quizzes = module_quizzes(session)
    module_ids = [m.id for m in modules]
    lesson_totals = dict(session.execute(
        select(Lesson.module_id, func.count()).where(Lesson.retired.is_(False), Lesson.module_id.in_(module_ids))
        .group_by(Lesson.module_id)).all())
    reads = {(u, m): n for u, m, n in session.execute(
        select(LessonRead.user_id, Lesson.module_id, func.count()).join(Lesson)
        .where(Lesson.retired.is_(False), LessonRead.user_id.in_(officers), Lesson.module_id.in_(module_ids))
        .group_by(LessonRead.user_id, Lesson.module_id)).all()}
    quiz_ids = [q.id for q in quizzes.values()]
    records = quiz_records(session, list(quizzes.values()), officers)
    overrides = latest_overrides(session, user_ids, quiz_ids, scope)
    dues = due_dates_for(session, user_ids, modules, scope)
    held, unscored = (review_policy.hidden_grade_pairs(session, officers, list(quizzes.values())) if withhold
                      else (set(), set()))
    # What is the same for every officer, worked out once: a cohort's export runs the loop 100,000 times.
    plan = []
    for module in modules:
        quiz = quizzes.get(module.id)
        plan.append((module, module.id, quiz, quiz.id if quiz else None,
                     quiz.settings.get("pass_mark", 70) if quiz else 0, lesson_totals.get(module.id, 0)))

    def each_officer():
        for user_id in user_ids:
            officer_dues = dues[user_id]
            by_module = {}
            for module, module_id, quiz, quiz_id, pass_mark, lessons_total in plan:
                key = (user_id, quiz_id)
                record = records.get(key, NO_ATTEMPT)
                override = overrides.get(key)
                overridden = override is not None
                best = override if overridden else record.grade
                passed = best is not None and best >= pass_mark
                awaiting = key in held and (overridden or record.attempts_used > record.in_progress)
                if awaiting:
                    best, passed = None, False
                grade_hidden = quiz_id in unscored
                by_module[module_id] = ModuleStatus(
                    module=module, quiz=quiz, lessons_total=lessons_total,
                    lessons_read=reads.get((user_id, module_id), 0), best_percent=None if grade_hidden else best,
                    attempts_used=record.attempts_used, in_progress=record.in_progress,
                    passed=passed, due=officer_dues.get(module_id),
                    overridden=overridden, now=now, awaiting_release=awaiting, grade_hidden=grade_hidden)
            yield user_id, by_module
    return each_officer()


class ModuleUpdate(NamedTuple):
    """A material correction published after the officer completed the module."""

    completed_at: datetime
    published_at: datetime
    note: dict


def updates_since_completion(session: Session, user_id: int) -> dict[int, list[ModuleUpdate]]:
    """Module id -> the change notes published after this officer completed that module, oldest
    first. The completion itself is never touched: the officer only learns what changed."""
    rows = session.execute(
        select(ModuleChange.module_id, ModuleCompletion.completed_at, ModuleChange.published_at, ModuleChange.note)
        .join(ModuleCompletion, (ModuleCompletion.module_id == ModuleChange.module_id)
              & (ModuleCompletion.user_id == user_id))
        .where(ModuleChange.published_at > ModuleCompletion.completed_at)
        .order_by(ModuleChange.module_id, ModuleChange.published_at, ModuleChange.id))
    out: dict[int, list[ModuleUpdate]] = {}
    for module_id, completed_at, published_at, note in rows:
        out.setdefault(module_id, []).append(ModuleUpdate(completed_at, published_at, note))
    return out
