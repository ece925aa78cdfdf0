"""The trainer's side: who did what. Trainers and admins only."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from course.access import get_person_for, staff_only
from course.extensions import db
from course.models import Attempt, Role, User
from course.services import progress

bp = Blueprint("trainer", __name__, url_prefix="/trainer")


@bp.get("/")
@staff_only
def gradebook():
    officers = db.session.scalars(select(User).where(User.role == Role.OFFICER, User.is_active_account.is_(True))
                                  .order_by(User.full_name)).all()
    modules = progress.active_modules(db.session)
    statuses = progress.statuses_for(db.session, [o.id for o in officers], modules)
    return render_template("trainer/gradebook.html", officers=officers, modules=modules, statuses=statuses)


@bp.get("/officers/<int:user_id>")
@staff_only
def officer(user_id: int):
    person = get_person_for(current_user, user_id)
    modules = progress.active_modules(db.session)
    statuses = progress.statuses_for(db.session, [person.id], modules)[person.id]
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == person.id)
                                  .options(selectinload(Attempt.quiz)).order_by(Attempt.started_at)).all()
    return render_template("trainer/officer.html", person=person, rows=[statuses[m.id] for m in modules],
                           attempts=attempts)
