"""People: the list, a person's page, a new account, ending sessions, one-time passwords (a reset,
and the handout of the passwords a page showed) and anonymising an account."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from course.access import admin_only
from course.downloads import content_disposition
from course.extensions import db
from course.forms import EmptyForm, PersonForm
from course.models import Role, User
from course.models._types import utcnow
from course.services import assignments, audit, cohorts, handouts, institute, privacy, sessions, users
from course.views.admin.common import PER_PAGE, assignment_form, course_update, page, pages, password_issued
from course.views.refusals import service_call
from course.views.stations import chosen_station, station_choices


@admin_only
def people():
    search, role = request.args.get("q", "").strip(), request.args.get("role", "")
    current = page()
    rows, total = users.search_people(db.session, search, role, current, PER_PAGE)
    return render_template("admin/people.html", people=rows, total=total, page=current, pages=pages(total),
                           search=search, role=role, course_update=course_update())


@admin_only
def new_person():
    form = PersonForm()
    form.duty_station.choices = station_choices()
    if form.validate_on_submit():
        with service_call(form) as call:
            password = users.one_time_password()
            person = users.create_user(db.session, username=form.username.data, password=password,
                                       role=Role(form.role.data), full_name=form.full_name.data,
                                       staff_number=form.staff_number.data or None,
                                       duty_station=chosen_station(form.duty_station.data),
                                       language=form.language.data, sex=form.sex.data, email=form.email.data,
                                       must_change_password=True, check_policy=False)
            audit.record(db.session, current_user, "user.create", "user", person.id, username=person.username,
                         role=person.role.value)
        if not call.refused:
            return password_issued(person, password)
    return render_template("admin/person.html", form=form, person=None)


@admin_only
def person(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    form = PersonForm(obj=person)
    form.duty_station.choices = station_choices()
    if request.method == "GET":
        form.role.data, form.active.data = person.role.value, person.is_active_account
    if form.validate_on_submit():
        with service_call(form) as call:
            users.update_person(db.session, current_user, person, username=form.username.data,
                                full_name=form.full_name.data, staff_number=form.staff_number.data,
                                duty_station=chosen_station(form.duty_station.data), role=Role(form.role.data),
                                language=form.language.data, active=form.active.data, sex=form.sex.data,
                                email=form.email.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.person", user_id=person.id))
    own = assignments.assignments_of(db.session, officer=person) if person.role == Role.OFFICER else []
    open_sessions = sessions.open_count(db.session, person, sessions.limits_from(current_app.config), utcnow())
    return render_template("admin/person.html", form=form, person=person,
                           cohorts=cohorts.cohorts_of(db.session, person),
                           assignment_form=assignment_form(), assignments=own, reset_form=EmptyForm(prefix="reset"),
                           anonymise_form=EmptyForm(prefix="anonymise"), remove_form=EmptyForm(prefix="remove"),
                           sessions_form=EmptyForm(prefix="sessions"), open_sessions=open_sessions)


@admin_only
def end_sessions(user_id: int):
    """Every session of the person ends at once (a lost phone, a shared PC left signed in)."""
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="sessions").validate_on_submit():
        abort(400)
    ended = sessions.end_all(db.session, person, actor=current_user)
    db.session.commit()
    flash(ngettext("%(num)s session ended.", "%(num)s sessions ended.", ended), "success")
    if person.id == current_user.id:
        return redirect(url_for("auth.login"))
    return redirect(url_for("admin.person", user_id=person.id))


@admin_only
def reset_password(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="reset").validate_on_submit():
        abort(400)
    password = users.reset_password(db.session, current_user, person)
    db.session.commit()
    return password_issued(person, password)


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.url_root


@admin_only
def password_handout(kind: str):
    """The one-time passwords a page just showed, as a CSV or as printable slips (see
    ``course.services.handouts``: sealed in that page, for its administrator, for 30 minutes)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call(report=False) as call:
        issued = handouts.unseal(db.session, current_app.config["SECRET_KEY"], current_user,
                                 request.form.get("sealed", ""), utcnow())
        audit.record(db.session, current_user, "user.password_handout", "user", None, format=kind, count=len(issued))
    if call.refused:
        return render_template("errors.html", status=call.error.status, message=call.error.message), call.error.status
    today = utcnow().date().isoformat()
    if kind == "csv":
        body, mimetype, name = handouts.handout_csv(issued, _base_url()), "text/csv", f"one-time-passwords-{today}.csv"
    else:
        from course.pdf.slips import render_slips_pdf  # reportlab loads only when slips are printed
        body = render_slips_pdf(issued, institute.name(db.session, current_app.config["INSTITUTE_NAME"]), _base_url())
        mimetype, name = "application/pdf", f"one-time-password-slips-{today}.pdf"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name, "attachment"),
                                                      "Cache-Control": "no-store"})


@admin_only
def anonymise(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="anonymise").validate_on_submit():
        abort(400)
    with service_call() as call:
        privacy.anonymise(db.session, current_user, person)
    if not call.refused:
        flash(_("The account was anonymised. Its attempts still count in the statistics, under no name."),
              "success")
    return redirect(url_for("admin.person", user_id=person.id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/people", view_func=people, methods=["GET"])
    bp.add_url_rule("/people/new", view_func=new_person, methods=["GET", "POST"])
    bp.add_url_rule("/people/<int:user_id>", view_func=person, methods=["GET", "POST"])
    bp.add_url_rule("/people/<int:user_id>/sessions/end", view_func=end_sessions, methods=["POST"])
    bp.add_url_rule("/people/<int:user_id>/reset-password", view_func=reset_password, methods=["POST"])
    bp.add_url_rule("/passwords/<any(csv, pdf):kind>", view_func=password_handout, methods=["POST"])
    bp.add_url_rule("/people/<int:user_id>/anonymise", view_func=anonymise, methods=["POST"])
