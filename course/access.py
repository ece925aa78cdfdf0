"""Who may see what, decided in one place.

Routes declare their role with ``@role_required``; objects are fetched through ``*_for(viewer,
...)`` helpers that answer 404 for anything the viewer may not see, so a guessed id reveals
nothing.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from course.extensions import db
from course.models import Attempt, Cohort, Role, User
from course.services import cohorts


def role_required(*roles: Role):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


staff_only = role_required(Role.TRAINER, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


def get_attempt_for(viewer: User, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not cohorts.can_see_user(db.session, viewer, attempt.user):
        abort(404)
    return attempt


def get_cohort_for(viewer: User, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohorts.can_see_cohort(db.session, viewer, cohort):
        abort(404)
    return cohort


def get_person_for(viewer: User, user_id: int) -> User:
    person = db.session.scalar(select(User).where(User.id == user_id))
    if person is None or not cohorts.can_see_user(db.session, viewer, person):
        abort(404)
    return person


#: Where each role starts after signing in (and where the brand in the header leads): officers on their
#: course, trainers on their cohorts and what needs attention there, administrators on the institute's
#: overview. Staff reach the learner view ("My course") from the navigation.
HOME_ENDPOINTS = {Role.OFFICER: "learn.dashboard", Role.TRAINER: "trainer.cohorts_list", Role.ADMIN: "admin.index"}


def home_endpoint(user) -> str:
    return HOME_ENDPOINTS.get(getattr(user, "role", None), "learn.dashboard")
