"""Signing in and out, and changing one's password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from course.extensions import db, limiter
from course.forms import ChangePasswordForm, EmptyForm, LanguageForm, LoginForm
from course.services import users
from course.services.errors import ServiceError

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: a crafted ``next`` must not send the officer to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:80]


@bp.route("/login", methods=["GET", "POST"])
# Per address the limit is generous: a whole port office may sign in from behind one NAT address
# on an exam morning. Per account it is tight, which is what stops password guessing.
@limiter.limit("120 per minute", methods=["POST"], error_message="Too many sign-in attempts from this address.")
@limiter.limit("8 per 5 minutes", key_func=_login_account_key, methods=["POST"],
               error_message="Too many sign-in attempts for this account.")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learn.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong username or password."))
        else:
            # A fresh session on sign-in: nothing set before it (a planted session id) survives.
            language = session.get("lang")
            session.clear()
            if language:
                # A language chosen on the sign-in page is a choice: it becomes the preference.
                session["lang"] = language
                if user.language != language:
                    user.language = language
                    db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("learn.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        language = session.get("lang") or current_user.language
        logout_user()
        session.clear()
        session["lang"] = language  # the sign-in page stays in the language just used
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except ServiceError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the cookie must carry the new session token
            flash(_("Your password was changed. Other devices have been signed out."), "success")
            return redirect(url_for("learn.dashboard"))
    return render_template("auth/password.html", form=form)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.language = form.lang.data
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("learn.dashboard"))
