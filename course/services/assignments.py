"""Assignments: which modules a cohort or an officer must do, and by when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from course.models import Assignment, Cohort, CohortMember, Module, Setting, User
from course.services import audit, stamps
from course.services.errors import ServiceError


@dataclass(frozen=True)
class Due:
    starts_at: datetime | None
    due_at: datetime | None


def assign(session: Session, actor: User, *, module: Module | None, cohort: Cohort | None = None,
           officer: User | None = None, starts_at: datetime | None = None, due_at: datetime | None = None
           ) -> Assignment:
    if (cohort is None) == (officer is None):
        raise ServiceError(_l("Assign to a cohort or to one officer."), "target")
    if starts_at and due_at and due_at < starts_at:
        raise ServiceError(_l("The due date must come after the start date."), "due_at")
    target = Assignment.cohort_id == cohort.id if cohort else Assignment.user_id == officer.id
    same = Assignment.module_id.is_(None) if module is None else Assignment.module_id == module.id
    existing = session.scalar(select(Assignment).where(target, same))
    if existing:  # re-assigning changes the dates; attempts are never touched
        existing.starts_at, existing.due_at = starts_at, due_at
        assignment = existing
        action = "assignment.update"
    else:
        assignment = Assignment(cohort_id=cohort.id if cohort else None, user_id=officer.id if officer else None,
                                module_id=module.id if module else None, starts_at=starts_at, due_at=due_at,
                                created_by_id=actor.id)
        session.add(assignment)
        action = "assignment.create"
    session.flush()
    audit.record(session, actor, action, "assignment", assignment.id,
                 module=module.key if module else "whole course",
                 cohort=cohort.name if cohort else None, officer=officer.username if officer else None,
                 starts_at=starts_at.isoformat() if starts_at else None,
                 due_at=due_at.isoformat() if due_at else None)
    return assignment


def unassign(session: Session, actor: User, assignment: Assignment) -> None:
    audit.record(session, actor, "assignment.delete", "assignment", assignment.id,
                 module=assignment.module.key if assignment.module else "whole course",
                 cohort=assignment.cohort.name if assignment.cohort else None,
                 officer=assignment.user.username if assignment.user else None)
    session.delete(assignment)
    session.flush()


def due_dates_for(session: Session, user_ids: list[int], modules: list[Module],
                  scope: Select | None = None) -> dict[int, dict[int, Due]]:
    """user id -> module id -> dates, for every module assigned to them (directly or by cohort).

    When several assignments cover a module, the earliest due date counts. ``scope``: a select of
    user ids that includes ``user_ids``, used in the queries in their place (PostgreSQL refuses more
    than 65,535 parameters in a statement).
    """
    officers = scope if scope is not None else user_ids
    required = [m.id for m in modules if m.required]
    their_cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id.in_(officers))
    by_cohort: dict[int, dict[int, Due]] = {}
    direct: dict[int, list] = {}
    for cohort_id, user_id, module_id, starts_at, due_at in session.execute(
            select(Assignment.cohort_id, Assignment.user_id, Assignment.module_id, Assignment.starts_at,
                   Assignment.due_at)
            .where(or_(Assignment.cohort_id.in_(their_cohorts), Assignment.user_id.in_(officers)))):
        if cohort_id is not None:
            _earliest(by_cohort.setdefault(cohort_id, {}), module_id, starts_at, due_at, required)
        else:
            direct.setdefault(user_id, []).append((module_id, starts_at, due_at))
    # Each cohort's assignments are resolved once, above, and not once per member; officers in the
    # same cohorts (most of a cohort) share the merge of theirs; only direct assignments are per officer.
    cohorts_of: dict[int, list[int]] = {}
    if by_cohort:
        # Memberships in cohorts without assignments are dropped here, not in SQL: SQLite answers a
        # second IN (...) on cohort_id by probing every (cohort, officer) pair, 5 s at 100,000 officers.
        for user_id, cohort_id in session.execute(select(CohortMember.user_id, CohortMember.cohort_id)
                                                  .where(CohortMember.user_id.in_(officers))):
            if cohort_id in by_cohort:
                cohorts_of.setdefault(user_id, []).append(cohort_id)
    combined: dict[tuple[int, ...], dict[int, Due]] = {}
    out: dict[int, dict[int, Due]] = {}
    for user_id in user_ids:
        cohort_ids = tuple(sorted(cohorts_of.get(user_id, ())))
        if cohort_ids not in combined:
            merged: dict[int, Due] = {}
            for cohort_id in cohort_ids:
                for module_id, due in by_cohort[cohort_id].items():
                    _earliest(merged, module_id, due.starts_at, due.due_at, required)
            combined[cohort_ids] = merged
        dates = dict(combined[cohort_ids])
        for module_id, starts_at, due_at in direct.get(user_id, ()):
            _earliest(dates, module_id, starts_at, due_at, required)
        out[user_id] = dates
    return out


def _earliest(dates: dict[int, Due], module_id: int | None, starts_at: datetime | None, due_at: datetime | None,
              required: list[int]) -> None:
    """Count one assignment (of a module, or with no module of every required one) into ``dates``:
    the earliest due date wins; a date beats no date; on a tie the assignment counted first stays."""
    for target in ([module_id] if module_id is not None else required):
        current = dates.get(target)
        if current is None or (due_at and (current.due_at is None or due_at < current.due_at)):
            dates[target] = Due(starts_at, due_at)


def show_unassigned_modules(session: Session) -> bool:
    setting = session.get(Setting, "show_unassigned_modules")
    return True if setting is None else bool(setting.value)


def set_show_unassigned_modules(session: Session, actor: User, value: bool) -> None:
    stamps.set_setting(session, "show_unassigned_modules", value)
    audit.record(session, actor, "settings.update", "setting", "show_unassigned_modules", value=value)


def assignments_of(session: Session, cohort: Cohort | None = None, officer: User | None = None) -> list[Assignment]:
    query = select(Assignment).order_by(Assignment.due_at.is_(None), Assignment.due_at)
    conditions = []
    if cohort is not None:
        conditions.append(Assignment.cohort_id == cohort.id)
    if officer is not None:
        conditions.append(Assignment.user_id == officer.id)
    if conditions:
        query = query.where(or_(*conditions))
    return list(session.scalars(query))
