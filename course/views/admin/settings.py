"""The institute's settings (its name, unassigned modules, time zone) and the xAPI outbox."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.access import admin_only
from course.extensions import db
from course.forms import SettingsForm
from course.services import assignments, institute, lrs, timezones
from course.views.refusals import service_call


@admin_only
def settings():
    form = SettingsForm()
    if request.method == "GET":
        name = institute.name(db.session, current_app.config["INSTITUTE_NAME"])
        form.institute_en.data, form.institute_ar.data = name.get("en", ""), name.get("ar", "")
        form.show_unassigned.data = assignments.show_unassigned_modules(db.session)
        form.time_zone.data = timezones.institute_zone(db.session)
    if form.validate_on_submit():
        with service_call(form) as call:
            institute.set_name(db.session, current_user, form.institute_en.data, form.institute_ar.data)
            assignments.set_show_unassigned_modules(db.session, current_user, form.show_unassigned.data)
            timezones.set_institute_zone(db.session, current_user, form.time_zone.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form), 400 if request.method == "POST" else 200


@admin_only
def xapi_outbox():
    return render_template("admin/xapi.html", status=lrs.status(db.session),
                           endpoint=current_app.config.get("XAPI_LRS_ENDPOINT"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/settings", view_func=settings, methods=["GET", "POST"])
    bp.add_url_rule("/xapi", view_func=xapi_outbox, methods=["GET"])
