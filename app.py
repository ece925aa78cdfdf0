"""Marsa: the app factory and entry point (``flask --app app ...``)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import configure_mappers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from course.access import home_endpoint
from course.config import REPO_ROOT, load_config
from course.extensions import babel, compress, csrf, db, limiter, login_manager
from course.i18n import current_language, select_locale, select_timezone, text_direction, time_zone_name
from course.markdown import render_markdown
from course.models.content import text_in
from course.services import institute
from course.views.params import InputRefused, refuse_unreadable_input


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(REPO_ROOT / "instance"), template_folder="templates",
                static_folder="static")
    app.config.update(load_config(Path(app.instance_path), config))
    app.url_map.converters["int"] = DatabaseInteger
    trust_proxies(app)
    init_extensions(app)
    register_blueprints(app)
    register_templates(app)
    register_static_fingerprints(app)
    register_security_headers(app)
    register_input_checks(app)
    register_errors(app)
    register_cli(app)
    configure_mappers()
    return app


def warm_up(app: Flask) -> None:
    """Build, in gunicorn's master before it forks the workers, what every worker would otherwise
    build for itself on its first requests: the ORM's mapper configuration (done in
    ``create_app``), the templates of the sign-in and lesson pages, the translations of both
    languages, the published course's structure and the compiled form of the statements every
    signed-in page runs. The workers then share those memory pages instead of each holding a copy
    (docs/PERFORMANCE.md, "Serving"). Nothing personal is read (the statements run with keys that
    match no row), and the database connection is closed before the fork."""
    from course.forms import LoginForm
    from course.models._types import utcnow
    from course.services import catalog, progress, sessions
    try:
        for language in ("en", "ar"):
            with app.test_request_context("/login", headers={"Accept-Language": language}):
                render_template("auth/login.html", form=LoginForm(meta={"csrf": False}))
        for name in ("learn/lesson.html", "errors.html"):
            app.jinja_env.get_template(name)
        with app.app_context():
            catalog.current(db.session)
            sessions.signed_in_user(db.session, "-" * 43, sessions.limits_from(app.config), utcnow())
            progress.has_read(db.session, 0, 0)
    except Exception:  # only a saving: a database not yet prepared or not reachable must not stop the server
        app.logger.warning("Warm-up before the fork skipped", exc_info=True)
    finally:
        with app.app_context():
            db.remove()
            db.engine.dispose()


class DatabaseInteger(IntegerConverter):
    """``<int:...>`` in routes, limited to what an integer column holds: a larger id in a URL is
    a plain 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def trust_proxies(app: Flask) -> None:
    """Behind ``MARSA_PROXY_HOPS`` reverse proxies, the client's address and scheme are read from
    their X-Forwarded-For and X-Forwarded-Proto (the nearest hops only, so a client cannot forge
    them): the per-address limits then count each client, not the proxy. The host is never taken
    from the request; links that leave the site use ``PUBLIC_BASE_URL``."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    check_limits_only_where_set(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from course.models._types import utcnow
    from course.services import sessions
    limits = sessions.limits_from(app.config)

    @login_manager.user_loader
    def load_user(cookie_key: str):
        return sessions.signed_in_user(db.session, cookie_key, limits, utcnow())

    @login_manager.unauthorized_handler
    def sign_in_first():
        """The sign-in page, or for the quiz's autosave a 401 that its script understands: the
        answers stay in the journal on the device and are sent after the officer signs in again."""
        from flask import redirect
        from flask_login import login_url
        if request.path.endswith("/answer") or request.accept_mimetypes.best == "application/json":
            back = request.path.removesuffix("/answer")  # the attempt page, where the journal is sent
            return jsonify(ok=False, signed_out=True, login=login_url("auth.login", back),
                           error=_("Your session has ended. Sign in again: your answers are kept on this device.")), 401
        return redirect(login_url("auth.login", request.url))


def check_limits_only_where_set(app: Flask) -> None:
    """Flask-Limiter looks up limits for every request in a ``before_request`` hook, even for the
    pages that have none (every page but sign-in, the password change and the certificate checks):
    about a tenth of a lesson page's cost. A route's own limits (``@limiter.limit``) are checked by
    its decorator, not by the hook; the hook serves only limits that reach routes without one:
    default, application-wide and blueprint limits (``RATELIMIT_DEFAULT``, ``RATELIMIT_APPLICATION``,
    ``limiter.limit`` on a blueprint), and a decorated callable that is not a view. While none is
    set the hook is skipped; once any is, it runs as before (``tests/test_rate_limit_scope.py``)."""
    funcs = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in funcs:
        return
    manager = limiter.limit_manager

    def check_request_limit():
        if (manager._application_limits or manager._default_limits or manager._blueprint_limits
                or manager.has_hints(request.endpoint or "")):
            return check()
        return None

    funcs[funcs.index(check)] = check_request_limit


def register_blueprints(app: Flask) -> None:
    from course.views import (
        admin,
        auth,
        certificates,
        grading,
        learn,
        offline,
        profile,
        reminders,
        report,
        stations,
        trainer,
    )

    app.register_blueprint(admin.bp)
    app.register_blueprint(stations.bp)
    app.register_blueprint(report.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(trainer.bp)
    app.register_blueprint(grading.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(offline.bp)

    @app.before_request
    def force_password_change():
        from flask import redirect, url_for
        from flask_login import current_user
        allowed = {"auth.change_password", "auth.logout", "auth.logout_everywhere", "auth.set_language", "static"}
        # The endpoint first: a stylesheet or script needs no signed-in user loaded from the database.
        if (request.endpoint not in allowed and current_user.is_authenticated
                and current_user.must_change_password):
            return redirect(url_for("auth.change_password"))
        return None


def register_templates(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["tr"] = text_in
    app.jinja_env.globals["zip"] = zip
    app.jinja_env.globals["time_zone_name"] = time_zone_name
    app.jinja_env.globals["home_endpoint"] = home_endpoint
    app.jinja_env.filters["inline_markdown"] = lambda text: render_markdown(text, inline=True)

    @app.context_processor
    def page_globals():
        # The header's two forms take their token from csrf_token(): building two WTForms forms on
        # every page cost more than the rest of a lesson page's template.
        # The institute's name is read only where a template prints it (course/services/institute.py).
        lang = current_language()
        return {"lang": lang, "direction": text_direction(),
                "institute": institute.DisplayName(db.session, lang, app.config["INSTITUTE_NAME"])}


COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}


def register_static_fingerprints(app: Flask) -> None:
    """Static URLs carry a hash of the file (``?v=...``), so browsers may keep them for a year
    and still fetch a changed file at once: old port PCs on slow links download each asset once."""
    import hashlib

    fingerprints: dict[str, str] = {}  # a pure function of the files shipped with this version

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        name = values["filename"]
        if name not in fingerprints:
            path = Path(app.static_folder) / name
            fingerprints[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else ""
        if fingerprints[name]:
            values["v"] = fingerprints[name]

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint == "static" and response.mimetype in COMPRESSIBLE and response.status_code == 200:
            # Files are streamed as-is by default; reading the (small) text assets into the
            # response lets Flask-Compress gzip them for every browser, old ones included.
            response.direct_passthrough = False
            response.set_data(response.get_data())
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.max_age = 31536000
            response.cache_control.public = True
            response.cache_control.immutable = True
        return response


CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("MARSA_HTTPS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Nothing personal is ever stored by the browser (a port PC is shared): scores, personal
            # data and staff pages are no-store. Lesson pages set their own "private, no-cache" (ETag,
            # 304), and the service worker keeps its copies of reading pages until sign-out.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_input_checks(app: Flask) -> None:
    app.before_request(refuse_unreadable_input)


def register_errors(app: Flask) -> None:
    messages = {
        400: _l("The request could not be understood. Please go back and try again."),
        403: _l("You do not have access to this page."),
        404: _l("This page does not exist, or you do not have access to it."),
        405: _l("This action is not available here."),
        413: _l("The file is too large."),
        429: _l("Too many attempts. Please wait a few minutes and try again."),
        500: _l("Something went wrong on our side. Your saved work is safe; please try again."),
    }

    def render_error(status: int, message: str | None = None):
        text = str(message or messages.get(status, messages[400]))
        if request.path.endswith("/answer") or request.accept_mimetypes.best == "application/json":
            return jsonify(ok=False, error=text), status
        return render_template("errors.html", status=status, message=text), status

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(400, _("This form has expired or was not sent from Marsa. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = error.description if isinstance(error, InputRefused) else None
        if status == 429:
            message = _("Too many attempts. Please wait a few minutes and try again.")
        return render_error(status, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
            return render_error(500)
        except Exception:
            # The database itself is unreachable (PostgreSQL restarting, say): the page and the
            # language choice must not load the signed-in user again, so they see a visitor.
            app.logger.warning("The error page could not load the signed-in user; shown without it")
            db.remove()
            login_manager._update_request_context_with_user()  # anonymous for this response only
            return render_error(500)


def register_cli(app: Flask) -> None:
    from course.cli import register
    register(app)


if __name__ == "__main__":  # pragma: no cover - `python app.py` for a quick local run
    create_app().run(debug=False)
