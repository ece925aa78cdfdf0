"""Assignments: which modules a cohort or an officer must do, and by when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.models import Assignment, Cohort, CohortMember, Module, Setting, User
from course.services import audit
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


def due_dates_for(session: Session, user_ids: list[int], modules: list[Module]) -> dict[int, dict[int, Due]]:
    """user id -> module id -> dates, for every module assigned to them (directly or by cohort).

    When several assignments cover a module, the earliest due date counts.
    """
    rows = session.execute(
        select(CohortMember.user_id, Assignment.module_id, Assignment.starts_at, Assignment.due_at)
        .join(Assignment, Assignment.cohort_id == CohortMember.cohort_id)
        .where(CohortMember.user_id.in_(user_ids))
        .union_all(select(Assignment.user_id, Assignment.module_id, Assignment.starts_at, Assignment.due_at)
                   .where(Assignment.user_id.in_(user_ids)))).all()
    required = [m.id for m in modules if m.required]
    out: dict[int, dict[int, Due]] = {user_id: {} for user_id in user_ids}
    for user_id, module_id, starts_at, due_at in rows:
        for target in ([module_id] if module_id is not None else required):
            current = out[user_id].get(target)
            if current is None or (due_at and (current.due_at is None or due_at < current.due_at)):
                out[user_id][target] = Due(starts_at, due_at)
    return out


def show_unassigned_modules(session: Session) -> bool:
    setting = session.get(Setting, "show_unassigned_modules")
    return True if setting is None else bool(setting.value)


def set_show_unassigned_modules(session: Session, actor: User, value: bool) -> None:
    setting = session.get(Setting, "show_unassigned_modules")
    if setting is None:
        session.add(Setting(key="show_unassigned_modules", value=value))
    else:
        setting.value = value
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
