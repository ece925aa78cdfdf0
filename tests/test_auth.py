"""Signing in and out, password changes, CSRF and redirects."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from course.models import Role, User
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, make_user, login):
    make_user(username="amal")
    login(client, "amal")
    assert "Test Amal" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user(username="amal")
    wrong_password = client.post("/login", data={"username": "amal", "password": "nope-nope-nope"})
    unknown_user = client.post("/login", data={"username": "nobody", "password": "nope-nope-nope"})
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "Wrong username or password." in response.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(app, client, make_user, session):
    user = make_user(username="gone")
    session.get(type(user), user.id).is_active_account = False
    session.commit()
    response = client.post("/login", data={"username": "gone", "password": "correct-horse-battery"})
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_login_redirect_refuses_other_sites(client, make_user):
    make_user(username="amal")
    response = client.post("/login?next=https://evil.example/", data={"username": "amal",
                                                                       "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/"
    response = client.get("/attempts")
    assert response.status_code == 200


def test_login_redirect_keeps_a_local_next(client, make_user):
    make_user(username="amal")
    response = client.post("/login?next=/attempts", data={"username": "amal", "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/attempts"


def test_form_without_csrf_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    response = client.post("/login", data={"username": "amal", "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert "form has expired or was not sent from Marsa" in response.get_data(as_text=True)
    # With the token from the page, the same sign-in works.
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "amal", "password": "correct-horse-battery",
                                           "csrf_token": token})
    assert response.status_code == 302


def test_password_change_signs_out_other_devices(app, make_user, login):
    make_user(username="amal")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "amal")
    login(phone, "amal")
    response = laptop.post("/password", data={"current_password": "correct-horse-battery",
                                              "new_password": "a-brand-new-passphrase",
                                              "confirm": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302  # the old cookie no longer signs anyone in
    login(phone, "amal", "a-brand-new-passphrase")


def test_password_policy_errors_show_next_to_the_field(client, make_user, login):
    make_user(username="amal")
    login(client, "amal")
    response = client.post("/password", data={"current_password": "correct-horse-battery",
                                              "new_password": "password123", "confirm": "password123"})
    page = response.get_data(as_text=True)
    assert 'id="new_password-error"' in page and "too easy to guess" in page


def test_one_time_password_forces_a_change(client, make_user, login):
    make_user(username="newbie", must_change_password=True)
    login(client, "newbie")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")


def test_language_switch_persists_for_the_user(client, make_user, login, session):
    user = make_user(username="amal")
    login(client, "amal")
    client.post("/language", data={"lang": "ar", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page
    session.expire_all()
    assert session.get(type(user), user.id).language == "ar"


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie_check = client.post("/login", data={"username": "x", "password": "y"})
    assert cookie_check.status_code == 200


def test_login_is_rate_limited_per_account(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "amal", "password": "wrong-wrong-wrong"}).status_code
                for _ in range(9)]
    assert statuses[:8] == [200] * 8
    assert statuses[8] == 429
    assert "Too many attempts" in client.post("/login", data={"username": "amal", "password": "x"}).get_data(as_text=True)


def test_language_chosen_before_sign_in_is_kept(client, make_user):
    make_user(username="amal")
    client.post("/language", data={"lang": "ar"})
    client.post("/login", data={"username": "amal", "password": "correct-horse-battery"})
    assert 'lang="ar" dir="rtl"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert 'lang="ar"' in client.get("/login").get_data(as_text=True)


def test_static_files_are_fingerprinted_cached_and_compressed(client):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/marsa.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    assert response.headers.get("Content-Encoding") == "gzip"
    html = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert html.headers.get("Content-Encoding") == "gzip"


def test_production_hashes_passwords_at_full_cost(tmp_path, monkeypatch):
    """The suite lowers scrypt's cost to stay fast; production never does."""
    import pytest
    from flask import Flask

    from course.config import PASSWORD_HASH_METHOD, ConfigError, load_config
    from course.services.users import hash_password
    from tests.conftest import TEST_HASH_METHOD

    monkeypatch.setenv("MARSA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-" + "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://marsa.example.org")
    monkeypatch.setenv("MARSA_SINGLE_PROCESS", "1")
    config = load_config(tmp_path)
    assert config["PASSWORD_HASH_METHOD"] == PASSWORD_HASH_METHOD == "scrypt:32768:8:1"
    monkeypatch.setenv("PASSWORD_HASH_METHOD", TEST_HASH_METHOD)  # not a setting the environment can lower
    assert load_config(tmp_path)["PASSWORD_HASH_METHOD"] == PASSWORD_HASH_METHOD
    with pytest.raises(ConfigError):
        load_config(tmp_path, {"PASSWORD_HASH_METHOD": TEST_HASH_METHOD})
    production = Flask("production")
    production.config.update(config)
    with production.app_context():
        assert hash_password("a long passphrase").startswith("scrypt:32768:8:1$")
    assert hash_password("a long passphrase").startswith("scrypt:32768:8:1$")  # outside any app, too


def test_the_test_configuration_stores_cheap_hashes(app, make_user, session):
    from tests.conftest import TEST_HASH_METHOD
    officer = make_user(username="amal")
    assert officer.password_hash.startswith(TEST_HASH_METHOD + "$")
def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_signing_out_ends_that_session_for_every_copy_of_its_cookie(app, make_user, login):
    make_user(username="amal")
    phone, desk = app.test_client(), app.test_client()
    login(phone, "amal")
    login(desk, "amal")
    copied = _cookie(desk)
    assert _with_cookie(app, copied).get("/me/data.json").status_code == 200
    signed_out = desk.post("/logout")
    assert signed_out.headers["Clear-Site-Data"] == '"cache"'  # the browser drops its copies too
    for url in ("/", "/me/data.json"):
        response = _with_cookie(app, copied).get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert phone.get("/me/data.json").status_code == 200  # the officer's other device stays signed in


def test_sign_out_everywhere_ends_every_session_of_the_officer(app, make_user, login):
    make_user(username="amal")
    phone, desk = app.test_client(), app.test_client()
    login(phone, "amal")
    login(desk, "amal")
    response = desk.post("/logout/everywhere", follow_redirects=True)
    assert "signed out on every device" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 302 and desk.get("/").status_code == 302
    login(phone, "amal")  # signing in again works as usual
    assert phone.get("/").status_code == 200


def test_an_administrator_ends_all_sessions_of_a_person_and_it_is_audited(app, make_user, login, session):
    from course.models import AuditEntry
    amal = make_user(username="amal")
    make_user(Role.ADMIN, username="boss")
    phone, admin = app.test_client(), app.test_client()
    login(phone, "amal")
    login(admin, "boss")
    page = admin.get(f"/admin/people/{amal.id}").get_data(as_text=True)
    assert "Signed in on 1 device." in page
    done = admin.post(f"/admin/people/{amal.id}/sessions/end", follow_redirects=True).get_data(as_text=True)
    assert "1 session ended." in done and "Signed in on 0 devices." in done
    assert phone.get("/").status_code == 302
    assert admin.get("/").status_code == 200  # the administrator's own session is untouched
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.sessions_ended"))
    assert entry.object_id == str(amal.id) and entry.details["sessions"] == 1


@pytest.mark.parametrize("column, age", [("last_seen_at", timedelta(minutes=61)),
                                         ("created_at", timedelta(hours=12, minutes=1))])
def test_a_session_ends_after_the_idle_timeout_and_after_its_lifetime(app, make_user, login, session, column, age):
    from course.models import LoginSession
    make_user(username="amal")
    client = app.test_client()
    login(client, "amal")
    assert client.get("/").status_code == 200
    past = datetime.now(UTC) - age
    session.execute(update(LoginSession).values({column: past}))
    session.commit()
    response = client.get("/me/data.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_timeouts_are_configurable_and_activity_keeps_a_session_alive(make_app, make_user, login, session,
                                                                               monkeypatch):
    from course.models import LoginSession
    from course.services import sessions
    monkeypatch.setenv("MARSA_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("MARSA_SESSION_LIFETIME_HOURS", "2")
    app = make_app()
    assert sessions.limits_from(app.config) == sessions.Limits(timedelta(hours=2), timedelta(minutes=5))
    make_user(username="amal")
    client = app.test_client()
    login(client, "amal")
    four_minutes_ago = datetime.now(UTC) - timedelta(minutes=4)
    session.execute(update(LoginSession).values(last_seen_at=four_minutes_ago))
    session.commit()
    assert client.get("/").status_code == 200  # a request within the idle time...
    session.expire_all()
    assert session.scalar(select(LoginSession.last_seen_at)) > four_minutes_ago  # ...counts as activity


def test_a_bad_session_setting_is_refused_at_start(make_app, monkeypatch):
    from course.config import ConfigError
    monkeypatch.setenv("MARSA_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(ConfigError, match="MARSA_SESSION_IDLE_MINUTES"):
        make_app()


def test_an_ended_session_gets_a_401_on_autosave_so_the_journal_keeps_the_answers(app, mini_course, make_user,
                                                                                    login, session):
    from course.models import LoginSession, Quiz
    from course.services.attempts import start_attempt
    officer = make_user(username="amal")
    attempt = start_attempt(session, officer, session.scalar(select(Quiz)), datetime.now(UTC))
    session.commit()
    client = app.test_client()
    login(client, "amal")
    session.execute(update(LoginSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=2)))
    session.commit()
    response = client.post(f"/attempts/{attempt.id}/answer", data={"question": "1", "seq": "1"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["signed_out"] is True and body["ok"] is False
    assert body["login"] == f"/login?next=%2Fattempts%2F{attempt.id}"


def test_personal_pages_are_never_stored_and_lesson_pages_still_revalidate(client, mini_course, make_user, login):
    make_user(username="amal")
    login(client, "amal")
    for url in ("/", "/me/data.json", "/attempts", "/password"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    lesson = client.get("/modules/basics/lessons/basics-first")
    assert lesson.headers["Cache-Control"] == "private, no-cache" and lesson.headers["ETag"]
    again = client.get("/modules/basics/lessons/basics-first", headers={"If-None-Match": lesson.headers["ETag"]})
    assert again.status_code == 304


def _sign_in(client, username, password="wrong-wrong-wrong", address="10.0.0.1", as_json=False):
    environ = {"REMOTE_ADDR": address}
    if as_json:
        return client.post("/login", json={"username": username, "password": password}, environ_base=environ)
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ)


def test_every_form_and_format_of_a_username_counts_against_one_account(make_app, make_user):
    """Case, spaces and a JSON body are the same account: none opens a fresh bucket of guesses."""
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    variants = ["amal", "AMAL", " amal ", "amal\t", "Amal"]
    statuses = [_sign_in(client, variants[i % len(variants)], as_json=i % 2 == 1).status_code for i in range(8)]
    assert statuses == [200] * 8
    refused = _sign_in(client, "AMAL", as_json=True)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert _sign_in(client, "amal").status_code == 429


def test_one_address_cannot_lock_someone_elses_account(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    attacker, owner = app.test_client(), app.test_client()
    assert [_sign_in(attacker, "amal", address="203.0.113.9").status_code for _ in range(9)][-1] == 429
    assert _sign_in(owner, "amal", password=PASSWORD, address="198.51.100.7").status_code == 302


def test_many_addresses_together_are_limited_per_account(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    statuses = [_sign_in(client, "amal", address=f"203.0.113.{i // 8}").status_code for i in range(30)]
    assert statuses == [200] * 30
    assert _sign_in(client, "amal", address="203.0.113.200").status_code == 429


def test_successful_sign_ins_do_not_use_up_the_limit(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    for _ in range(10):
        client = app.test_client()
        assert _sign_in(client, "amal", password=PASSWORD).status_code == 302


def test_guesses_of_the_current_password_are_limited(make_app, make_user, login):
    app = make_app(RATELIMIT_ENABLED=True)
    make_user(username="amal")
    client = app.test_client()
    login(client, "amal")
    guess = {"current_password": "guess-guess-guess", "new_password": "a-new-long-passphrase", "confirm":
             "a-new-long-passphrase"}
    statuses = [client.post("/password", data=guess).status_code for _ in range(7)]
    assert statuses == [200] * 6 + [429]
    assert int(client.post("/password", data=guess).headers["Retry-After"]) > 0


@pytest.mark.parametrize("settings, refused", [
    ({}, True),
    ({"MARSA_SINGLE_PROCESS": "1"}, False),
    ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}, False),
])
def test_production_needs_shared_limits_or_a_declared_single_process(make_app, monkeypatch, settings, refused):
    from course.config import ConfigError
    for name in ("RATELIMIT_STORAGE_URI", "MARSA_SINGLE_PROCESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    build = lambda: make_app(MARSA_ENV="production", RATELIMIT_ENABLED=True, SECRET_KEY="s" * 40,  # noqa: E731
                             PUBLIC_BASE_URL="https://marsa.example.org")
    if refused:
        with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
            build()
    else:
        assert build().config["MARSA_ENV"] == "production"


def test_sessions_that_ran_out_of_time_are_deleted(app, make_user, login, session):
    from course.models import LoginSession
    from course.services import sessions
    make_user(username="amal")
    make_user(username="omar")
    for name in ("amal", "omar"):
        login(app.test_client(), name)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    session.execute(update(LoginSession).values(created_at=long_ago, last_seen_at=long_ago))
    session.commit()
    login(app.test_client(), "amal")  # a new sign-in deletes the officer's own old sessions
    assert session.scalar(select(func.count(LoginSession.id))) == 2
    assert app.test_cli_runner().invoke(args=["prepare"]).exit_code == 0  # each start deletes the rest
    limits = sessions.limits_from(app.config)
    assert session.scalar(select(func.count(LoginSession.id))) == 1
    assert sessions.open_count(session, session.scalar(select(User).where(User.username == "amal")), limits,
                               datetime.now(UTC)) == 1
