"""Reminders: a trainer reminds a cohort's overdue officers; an officer dismisses a reminder; the
administrator configures the SMTP server reminders are e-mailed through."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from course.access import admin_only, staff_only
from course.extensions import db
from course.forms import EmptyForm, MailSettingsForm
from course.models import Cohort
from course.models._types import utcnow
from course.services import cohorts, mail, reminders
from course.views.refusals import service_call

bp = Blueprint("reminders", __name__)


def _cohort_for(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohorts.can_see_cohort(db.session, current_user, cohort):
        abort(404)
    return cohort


@bp.route("/trainer/cohorts/<int:cohort_id>/reminders", methods=["GET", "POST"])
@staff_only
def cohort_reminders(cohort_id: int):
    cohort = _cohort_for(cohort_id)
    form = EmptyForm(prefix="remind")
    settings = mail.settings(db.session)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        # The reminders stand (committed) whatever happened to the e-mails.
        with service_call(report=False) as call:
            result = reminders.send(db.session, current_user, cohort, utcnow(), mail_settings=settings,
                                    password=current_app.config.get("SMTP_PASSWORD"),
                                    link=url_for("learn.dashboard", _external=True))
        if call.refused:
            flash(call.error.message, "warning")
        else:
            flash(ngettext("%(num)s officer reminded: the reminder is on their dashboard.",
                           "%(num)s officers reminded: the reminder is on their dashboards.",
                           len(result.reminded)), "success")
            if result.emailed:
                flash(ngettext("%(num)s e-mail sent.", "%(num)s e-mails sent.", result.emailed), "success")
            for officer, problem in result.failed:
                flash(_("The e-mail to %(name)s could not be sent (%(problem)s); the reminder is still on "
                        "their dashboard.", name=officer.full_name, problem=problem), "error")
        return redirect(url_for("reminders.cohort_reminders", cohort_id=cohort.id))
    late = reminders.overdue(db.session, cohort, utcnow())
    return render_template("reminders/cohort.html", cohort=cohort, form=form, overdue=len(late),
                           recent=reminders.recent(db.session, cohort), mail_on=settings.configured)


@bp.post("/reminders/<int:reminder_id>/dismiss")
@login_required
def dismiss(reminder_id: int):
    if not EmptyForm(prefix="dismiss").validate_on_submit():
        abort(400)
    if not reminders.dismiss(db.session, current_user, reminder_id, utcnow()):
        abort(404)
    db.session.commit()
    return redirect(url_for("learn.dashboard"))


@bp.route("/admin/mail", methods=["GET", "POST"])
@admin_only
def mail_settings():
    current = mail.settings(db.session)
    form = MailSettingsForm(obj=current)
    if form.validate_on_submit():
        with service_call(form) as call:
            mail.save_settings(db.session, current_user, host=form.host.data, port=form.port.data,
                               sender=form.sender.data, security=form.security.data, username=form.username.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("reminders.mail_settings"))
    return render_template("reminders/mail.html", form=form, configured=current.configured,
                           password_set=bool(current_app.config.get("SMTP_PASSWORD"))), 400 if form.errors else 200


@bp.app_template_global("reminder_titles")
def reminder_titles(reminder, lang: str) -> list[str]:
    return reminders.module_titles(reminder, lang)
