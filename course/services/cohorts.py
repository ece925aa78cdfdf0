"""Cohorts, their members and trainers, and who may see whom.

Trainer scope lives here: a trainer sees the officers of the cohorts they train, and nothing else;
admins see everyone. Views ask ``visible_officer_ids`` or ``can_see_user`` instead of deciding.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from course.models import Cohort, CohortMember, CohortTrainer, Role, User
from course.services import audit
from course.services.errors import ServiceError


def cohorts_visible_to(session: Session, viewer: User) -> list[Cohort]:
    query = select(Cohort).order_by(Cohort.archived, Cohort.name)
    if viewer.role != Role.ADMIN:
        query = query.join(CohortTrainer).where(CohortTrainer.user_id == viewer.id)
    return list(session.scalars(query))


def can_see_cohort(session: Session, viewer: User, cohort: Cohort) -> bool:
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role != Role.TRAINER:
        return False
    return bool(session.scalar(select(exists().where(CohortTrainer.cohort_id == cohort.id,
                                                     CohortTrainer.user_id == viewer.id))))


def can_see_user(session: Session, viewer: User, person: User) -> bool:
    """Officers see themselves; trainers see the officers of their cohorts; admins see everyone."""
    if viewer.id == person.id or viewer.role == Role.ADMIN:
        return True
    if viewer.role != Role.TRAINER:
        return False
    trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == viewer.id)
    return bool(session.scalar(select(exists().where(CohortMember.user_id == person.id,
                                                     CohortMember.cohort_id.in_(trained)))))


def cohort_by_name(session: Session, name: str) -> Cohort | None:
    return session.scalar(select(Cohort).where(Cohort.name == name.strip()))


def all_cohorts(session: Session) -> list[Cohort]:
    """Every cohort, the archived ones last, by name."""
    return list(session.scalars(select(Cohort).order_by(Cohort.archived, Cohort.name)))


def member_counts(session: Session) -> dict[int, int]:
    """How many members each cohort has (a cohort without members is left out)."""
    return dict(session.execute(select(Cohort.id, func.count()).join(Cohort.members).group_by(Cohort.id)).all())


def cohorts_of(session: Session, person: User) -> list[Cohort]:
    """The cohorts ``person`` is a member of, by name."""
    return list(session.scalars(select(Cohort).where(Cohort.members.any(user_id=person.id)).order_by(Cohort.name)))


def member_count(session: Session, cohort: Cohort) -> int:
    return session.scalar(select(func.count()).select_from(CohortMember)
                          .where(CohortMember.cohort_id == cohort.id)) or 0


def members_page(session: Session, cohort: Cohort, page: int, per_page: int) -> list[User]:
    """One page of a cohort's members by name, through the membership table: an institute-wide
    cohort can hold 100,000 officers."""
    return list(session.scalars(select(User).join(CohortMember, CohortMember.user_id == User.id)
                                .where(CohortMember.cohort_id == cohort.id).order_by(User.full_name, User.id)
                                .offset((page - 1) * per_page).limit(per_page)))


def create_cohort(session: Session, actor: User, name: str, description: str = "") -> Cohort:
    name = name.strip()
    if not name:
        raise ServiceError(_l("A cohort needs a name."), "name")
    if cohort_by_name(session, name):
        raise ServiceError(_l("A cohort named '%(name)s' already exists.", name=name), "name")
    cohort = Cohort(name=name, description=description.strip())
    session.add(cohort)
    session.flush()
    audit.record(session, actor, "cohort.create", "cohort", cohort.id, name=name)
    return cohort


def rename_cohort(session: Session, actor: User, cohort: Cohort, name: str, description: str, archived: bool) -> None:
    name = name.strip()
    other = cohort_by_name(session, name)
    if not name or (other and other.id != cohort.id):
        raise ServiceError(_l("Choose a name no other cohort uses."), "name")
    changes = {k: v for k, v in (("name", name), ("description", description.strip()), ("archived", archived))
               if getattr(cohort, k) != v}
    for key, value in changes.items():
        setattr(cohort, key, value)
    if changes:
        audit.record(session, actor, "cohort.update", "cohort", cohort.id, **changes)
    session.flush()


def add_member(session: Session, actor: User, cohort: Cohort, officer: User) -> bool:
    if officer.role != Role.OFFICER:
        raise ServiceError(_l("%(name)s is not an officer.", name=officer.full_name), "user")
    if session.scalar(select(exists().where(CohortMember.cohort_id == cohort.id,
                                            CohortMember.user_id == officer.id))):
        return False
    session.add(CohortMember(cohort_id=cohort.id, user_id=officer.id))
    audit.record(session, actor, "cohort.member.add", "cohort", cohort.id, user=officer.username)
    session.flush()
    return True


def remove_member(session: Session, actor: User, cohort: Cohort, officer: User) -> None:
    session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                               CohortMember.user_id == officer.id))
    audit.record(session, actor, "cohort.member.remove", "cohort", cohort.id, user=officer.username)


def add_trainer(session: Session, actor: User, cohort: Cohort, trainer: User) -> None:
    if trainer.role not in (Role.TRAINER, Role.ADMIN):
        raise ServiceError(_l("%(name)s is not a trainer.", name=trainer.full_name), "user")
    if not session.scalar(select(exists().where(CohortTrainer.cohort_id == cohort.id,
                                                CohortTrainer.user_id == trainer.id))):
        session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        audit.record(session, actor, "cohort.trainer.add", "cohort", cohort.id, user=trainer.username)
        session.flush()


def remove_trainer(session: Session, actor: User, cohort: Cohort, trainer: User) -> None:
    session.execute(delete(CohortTrainer).where(CohortTrainer.cohort_id == cohort.id,
                                                CohortTrainer.user_id == trainer.id))
    audit.record(session, actor, "cohort.trainer.remove", "cohort", cohort.id, user=trainer.username)
