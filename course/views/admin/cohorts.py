"""Cohorts: the list, a cohort's page, its members and trainers, and assigning modules to a cohort
or to one officer."""
from __future__ import annotations

import math
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from course.access import admin_only
from course.extensions import db
from course.forms import CohortForm, EmptyForm, MembersForm, TrainerForm
from course.models import Assignment, Cohort, Module, Role, User
from course.services import assignments, cohorts, timezones, users
from course.views.admin.common import assignment_form
from course.views.params import id_arg, page_arg
from course.views.refusals import service_call

MEMBERS_PER_PAGE = 100


@admin_only
def cohorts_list():
    form = CohortForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            cohort = cohorts.create_cohort(db.session, current_user, form.name.data, form.description.data or "")
        if not call.refused:
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return render_template("admin/cohorts.html", cohorts=cohorts.all_cohorts(db.session),
                           counts=cohorts.member_counts(db.session), form=form)


@admin_only
def cohort(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    form = CohortForm(obj=cohort, prefix="cohort")
    if form.submit.data and form.validate_on_submit():
        with service_call(form) as call:
            cohorts.rename_cohort(db.session, current_user, cohort, form.name.data, form.description.data or "",
                                  form.archived.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    trainer_form = TrainerForm(prefix="trainer")
    trainer_form.trainer.choices = [(t.id, t.full_name) for t in users.active_staff(db.session)]
    member_total = cohorts.member_count(db.session, cohort)
    pages = max(1, math.ceil(member_total / MEMBERS_PER_PAGE))
    page = min(page_arg(request.args), pages)
    return render_template("admin/cohort.html", cohort=cohort, form=form,
                           members=cohorts.members_page(db.session, cohort, page, MEMBERS_PER_PAGE),
                           member_total=member_total, page=page, pages=pages,
                           members_form=MembersForm(prefix="members"), trainer_form=trainer_form,
                           trainers=[t.user for t in cohort.trainers], assignment_form=assignment_form(),
                           assignments=assignments.assignments_of(db.session, cohort=cohort),
                           remove_form=EmptyForm(prefix="remove"))


@admin_only
def add_members(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    form = MembersForm(prefix="members")
    if not form.validate_on_submit():
        flash(_("List at least one staff number or username."), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    wanted = [line.strip() for line in form.people.data.splitlines() if line.strip()]
    found, missing = [], []
    for key in wanted:
        person = users.find_by_key(db.session, key)
        (found if person else missing).append(person or key)
    if missing:
        flash(_("Not found, nothing was added: %(keys)s", keys=", ".join(missing)), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    with service_call() as call:
        added = sum(cohorts.add_member(db.session, current_user, cohort, person) for person in found)
    if not call.refused:
        flash(_("%(n)s officer(s) added.", n=added), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@admin_only
def remove_member(cohort_id: int, user_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    cohorts.remove_member(db.session, current_user, cohort, person)
    db.session.commit()
    flash(_("%(name)s left the cohort. Their attempts and progress are kept.", name=person.full_name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@admin_only
def add_trainer(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    trainer = db.session.get(User, id_arg(request.form, "trainer-trainer") or 0)
    if trainer is None or not EmptyForm(prefix="trainer").validate_on_submit():
        flash(_("Choose a trainer."), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    with service_call():
        cohorts.add_trainer(db.session, current_user, cohort, trainer)
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@admin_only
def remove_trainer(cohort_id: int, user_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    trainer = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    cohorts.remove_trainer(db.session, current_user, cohort, trainer)
    db.session.commit()
    flash(_("%(name)s no longer trains this cohort.", name=trainer.full_name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


def _day(value, end: bool = False) -> datetime | None:
    """A date entered by the administrator, as the moment it starts (or, for a due date, ends:
    23:59:59) in the institute's time zone."""
    if value is None:
        return None
    zone = timezones.institute_zone(db.session)
    return timezones.end_of_day(value, zone) if end else timezones.start_of_day(value, zone)


def _assign(target_cohort: Cohort | None, officer: User | None, back: str):
    form = assignment_form()
    if not form.validate_on_submit():
        for field in (form.module, form.starts_on, form.due_on):
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
        return redirect(back)
    module = None
    if form.module.data != "all":
        module = db.session.scalar(select(Module).where(Module.key == form.module.data)) or abort(400)
    with service_call() as call:
        assignments.assign(db.session, current_user, module=module, cohort=target_cohort, officer=officer,
                           starts_at=_day(form.starts_on.data), due_at=_day(form.due_on.data, end=True))
    if not call.refused:
        flash(_("Assigned."), "success")
    return redirect(back)


@admin_only
def assign_cohort(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    return _assign(cohort, None, url_for("admin.cohort", cohort_id=cohort.id))


@admin_only
def assign_officer(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if person.role != Role.OFFICER:
        abort(404)
    return _assign(None, person, url_for("admin.person", user_id=person.id))


@admin_only
def remove_assignment(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    back = (url_for("admin.cohort", cohort_id=assignment.cohort_id) if assignment.cohort_id
            else url_for("admin.person", user_id=assignment.user_id))
    assignments.unassign(db.session, current_user, assignment)
    db.session.commit()
    flash(_("Assignment removed. Attempts and progress are kept."), "success")
    return redirect(back)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/cohorts", view_func=cohorts_list, methods=["GET", "POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>", view_func=cohort, methods=["GET", "POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/members", view_func=add_members, methods=["POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/members/<int:user_id>/remove", view_func=remove_member,
                    methods=["POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/trainers", view_func=add_trainer, methods=["POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/trainers/<int:user_id>/remove", view_func=remove_trainer,
                    methods=["POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/assignments", view_func=assign_cohort, methods=["POST"])
    bp.add_url_rule("/people/<int:user_id>/assignments", view_func=assign_officer, methods=["POST"])
    bp.add_url_rule("/assignments/<int:assignment_id>/remove", view_func=remove_assignment, methods=["POST"])
