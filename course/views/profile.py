"""A person's own details that they may set themselves: their self-declared sex and the address
reminders are e-mailed to. Name, staff number and duty station are the administrator's."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from course.extensions import db
from course.forms import ProfileForm
from course.services import users
from course.views.refusals import service_call

bp = Blueprint("profile", __name__)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    form = ProfileForm()
    if request.method == "GET":
        form.sex.data = current_user.sex.value if current_user.sex else ""
        form.email.data = current_user.email or ""
    if form.validate_on_submit():
        with service_call(form) as call:
            users.set_own_details(db.session, current_user, sex=form.sex.data, email=form.email.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("profile.me"))
    return render_template("profile/me.html", form=form), 400 if form.errors else 200
