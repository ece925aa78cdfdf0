"""Flask-Limiter's per-request hook runs only while some limit needs it (app.check_limits_only_where_set):
the routes with limits of their own keep them, and a default or blueprint limit still reaches every route."""
from flask import Blueprint

from course.extensions import limiter


def test_routes_without_limits_skip_the_lookup(make_app, monkeypatch):
    app = make_app(RATELIMIT_ENABLED=True)
    looked_up = []
    monkeypatch.setattr(limiter, "_Limiter__filter_limits", lambda *a, **k: looked_up.append(a) or [])
    client = app.test_client()
    for _ in range(3):
        assert client.get("/").status_code == 302  # the dashboard: no limit of its own
    assert looked_up == []
    assert client.get("/login").status_code == 200  # the sign-in page has no limit either
    assert looked_up == []
    client.post("/login", data={"username": "x", "password": "y"})  # signing in has: its decorators look them up
    assert looked_up


def test_sign_in_and_certificate_checks_keep_their_limits(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "amal", "password": "wrong-wrong-wrong"}).status_code
                for _ in range(9)]
    assert statuses[-1] == 429
    checks = [client.get("/verify/NOT-A-CODE").status_code for _ in range(31)]
    assert checks[-1] == 429 and 429 not in checks[:30]


def test_a_default_limit_still_reaches_every_route(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute")
    client = app.test_client()
    assert [client.get("/login").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_blueprint_limit_still_applies(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    extra = Blueprint("limited_extra", __name__)

    @extra.get("/limited-extra")
    def page():
        return "ok"

    limiter.limit("2 per minute")(extra)
    try:
        app.register_blueprint(extra)
        client = app.test_client()
        assert [client.get("/limited-extra").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        limiter.limit_manager._blueprint_limits.pop("limited_extra", None)
