"""Signing in and out, and changing one's password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from course import release
from course.access import home_endpoint
from course.extensions import db, limiter
from course.forms import ChangePasswordForm, EmptyForm, LanguageForm, LoginForm
from course.i18n import current_language
from course.models._types import utcnow
from course.services import sessions, users
from course.sharedpages import render_shared
from course.views.refusals import service_call

bp = Blueprint("auth", __name__)
#: Refused sign-ins allowed for one account from one address, and from all addresses together.
LOGIN_PER_ACCOUNT_AND_ADDRESS = "8 per 5 minutes"
LOGIN_PER_ACCOUNT = "30 per 5 minutes"
#: Refused password changes (a wrong current password) allowed per signed-in person.
PASSWORD_CHANGES = "6 per 15 minutes"


def _safe_next(target: str | None) -> str | None:
    """Only local paths: a crafted ``next`` must not send the officer to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home(user) -> str:
    return url_for(home_endpoint(user))


def _after_sign_in(user, target: str | None) -> str:
    """A page asked for (a bookmark, a session that ended mid-quiz) if it is safe, else the role's home.
    The bare site root is where everyone arrives, not a page asked for: it leads home too."""
    target = _safe_next(target)
    if target is None or target == url_for("learn.dashboard"):
        return _home(user)
    return target


def _begin_session(user) -> None:
    """A new server-side session for this device, and the cookie that names it."""
    sessions.start(db.session, user, sessions.limits_from(current_app.config), utcnow())
    db.session.commit()
    login_user(user)


def _signed_out(message: str):
    language = session.get("lang") or current_user.language
    logout_user()
    session.clear()
    session["lang"] = language  # the sign-in page stays in the language just used
    flash(message, "info")
    response = redirect(url_for("auth.login"))
    # The browser forgets the pages it kept of this person (a shared port PC): its HTTP cache only,
    # never the quiz journal, which may still hold answers the server has not yet confirmed.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def _submitted_username() -> str:
    """The username of a sign-in attempt as the account is looked up, whatever the body's format
    (a form, or JSON as Flask-WTF also accepts): case and surrounding spaces never make a new bucket."""
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("username") if isinstance(body, dict) else None
    else:
        value = request.form.get("username")
    return users.normalise_username(value)[:100] if isinstance(value, str) else ""


def _login_account_and_address_key() -> str:
    return f"login-account-address:{_submitted_username()}|{get_remote_address()}"


def _login_account_key() -> str:
    return "login-account:" + _submitted_username()


def _refused(response) -> bool:
    """Only refused attempts count towards the limits (a sign-in or a change that worked redirects)."""
    return response.status_code != 302


@bp.get("/login")
def login():
    """The sign-in page: the same for every visitor in a language but for its form token, so it is
    rendered once per process and release (course/sharedpages.py), the empty form built only for
    that rendering. Sign-in itself is ``sign_in`` (POST, same address), where the limits are."""
    if current_user.is_authenticated:
        return redirect(_home(current_user))
    identity = release.current(current_app, db.session)
    return render_shared("auth/login.html", (identity.id, current_language()), lambda: {"form": LoginForm()})


@bp.post("/login")
# Refused attempts are counted per account from one address (tight: this is what stops guessing),
# per account from everywhere (looser than what one address may send, so no single address can
# lock someone else's account), and per address (generous: a whole port office may sign in from
# behind one NAT address on an exam morning). Past a limit the answer is 429 with Retry-After.
@limiter.limit("120 per minute", methods=["POST"], error_message="Too many sign-in attempts from this address.")
@limiter.limit(LOGIN_PER_ACCOUNT_AND_ADDRESS, key_func=_login_account_and_address_key, methods=["POST"],
               deduct_when=_refused, error_message="Too many sign-in attempts for this account from this address.")
@limiter.limit(LOGIN_PER_ACCOUNT, key_func=_login_account_key, methods=["POST"], deduct_when=_refused,
               error_message="Too many sign-in attempts for this account.")
def sign_in():
    if current_user.is_authenticated:
        return redirect(_home(current_user))
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
                user.language = language
            _begin_session(user)
            return redirect(_after_sign_in(user, request.args.get("next")))
    return render_template("auth/login.html", form=form)  # a refused sign-in, with its errors


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        # This session ends on the server: every copy of its cookie stops working at once.
        sessions.end(db.session, current_user.login_key)
        db.session.commit()
        return _signed_out(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device: each session of the person ends, this one included."""
    if not EmptyForm(prefix="everywhere").validate_on_submit():
        return redirect(url_for("auth.change_password"))
    sessions.end_all(db.session, current_user)
    db.session.commit()
    return _signed_out(_("You are signed out on every device."))


def _password_key() -> str:
    return f"password:{current_user.id}" if current_user.is_authenticated else f"password-anonymous:{get_remote_address()}"


@bp.route("/password", methods=["GET", "POST"])
@login_required
# With a stolen session, the current password must not be guessable online either.
@limiter.limit(PASSWORD_CHANGES, key_func=_password_key, methods=["POST"], deduct_when=_refused,
               error_message="Too many password attempts.")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            users.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        if not call.refused:
            # The new password ended every session (other devices included): this device gets a new one.
            _begin_session(current_user._get_current_object())
            flash(_("Your password was changed. Other devices have been signed out."), "success")
            return redirect(_home(current_user))
    return render_template("auth/password.html", form=form, everywhere_form=EmptyForm(prefix="everywhere"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.language = form.lang.data
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("learn.dashboard"))
