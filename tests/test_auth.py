"""Signing in and out, password changes, CSRF and redirects."""
import re

from course.models import Role


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
