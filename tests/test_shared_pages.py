"""Lesson pages are rendered once per role and language and filled in per officer (course/sharedpages.py):
nothing of one officer may reach another, and the page must be what an ordinary render gives."""
import re

import pytest

from course.models import Role
from course.sharedpages import SlotUser
from tests.conftest import PASSWORD

LESSON = "/modules/basics/lessons/basics-first"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def csrf_app(make_app, mini_course):
    return make_app(WTF_CSRF_ENABLED=True)


def rendered(app, template: str) -> int:
    """How many shared copies of ``template`` the app keeps."""
    return sum(1 for key in app.extensions["marsa_shared_pages"]._pages if key[0] == template)


def sign_in(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_each_officer_gets_their_own_name_and_form_token(csrf_app, make_user):
    make_user(username="amal", full_name="Amal Hassan")
    make_user(username="bilal", full_name="Bilal <b>O'Neil</b> & Sons")
    amal, bilal = sign_in(csrf_app, "amal"), sign_in(csrf_app, "bilal")

    first = amal.get(LESSON).get_data(as_text=True)
    second = bilal.get(LESSON).get_data(as_text=True)
    assert "Amal Hassan" in first and "Bilal" not in first
    assert "Bilal &lt;b&gt;O&#39;Neil&lt;/b&gt; &amp; Sons" in second and "Amal" not in second
    assert "marsa-slot" not in first + second
    assert rendered(csrf_app, "learn/lesson.html") == 1  # one rendering served both

    amal_token, bilal_token = TOKEN.search(first).group(1), TOKEN.search(second).group(1)
    assert set(TOKEN.findall(second)) == {bilal_token}
    # Amal's token is no good in Bilal's session; Bilal's own is.
    assert bilal.post(f"{LESSON}/read", data={"csrf_token": amal_token}).status_code == 400
    assert bilal.post(f"{LESSON}/read", data={"csrf_token": bilal_token}).status_code == 302
    read_badge = '<p class="badge badge-completed">You have read this lesson.</p>'
    assert read_badge in bilal.get(LESSON).get_data(as_text=True)
    assert read_badge not in amal.get(LESSON).get_data(as_text=True)


def normalised(page: str) -> str:
    page = TOKEN.sub('name="csrf_token" type="hidden" value="T"', page)
    return re.sub(r'name="next" value="[^"]*"', 'name="next" value="N"', page)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_shared_page_is_what_an_ordinary_render_gives(client, make_user, login, language, mini_course):
    make_user(username="amal", full_name="Amal Hassan", language=language)
    login(client, "amal")
    shared = client.get(LESSON).get_data(as_text=True)
    shared_again = client.get(LESSON).get_data(as_text=True)
    ordinary = client.get(f"{LESSON}?from=dashboard").get_data(as_text=True)  # a query string is never shared
    assert normalised(shared) == normalised(shared_again) == normalised(ordinary)
    assert f'lang="{language}"' in shared


def test_roles_see_their_own_navigation_on_the_same_lesson(client, app, make_user, login, mini_course):
    make_user(username="amal")
    make_user(role=Role.TRAINER, username="tariq")
    login(client, "amal")
    assert "My cohorts" not in client.get(LESSON).get_data(as_text=True)
    trainer = app.test_client()
    login(trainer, "tariq")
    assert "My cohorts" in trainer.get(LESSON).get_data(as_text=True)
    assert "My cohorts" not in client.get(LESSON).get_data(as_text=True)


def test_a_flashed_message_still_shows(client, make_user, login, mini_course):
    make_user(username="amal")
    login(client, "amal")
    client.get(LESSON)
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Welcome back to the course")]
    assert "Welcome back to the course" in client.get(LESSON).get_data(as_text=True)
    assert "Welcome back to the course" not in client.get(LESSON).get_data(as_text=True)


def test_a_template_reading_personal_data_fails_instead_of_leaking_it():
    user = SlotUser(Role.OFFICER, False)
    assert user.is_authenticated and user.role is Role.OFFICER
    with pytest.raises(RuntimeError, match="username"):
        user.username  # noqa: B018


def test_the_sign_in_page_is_shared_by_visitors_but_not_their_form_tokens(csrf_app, make_user):
    make_user(username="amal")
    first, second = csrf_app.test_client(), csrf_app.test_client()
    one, two = first.get("/login").get_data(as_text=True), second.get("/login").get_data(as_text=True)
    assert "marsa-slot" not in one + two
    assert rendered(csrf_app, "auth/login.html") == 1  # one rendering served both
    one_token, two_token = TOKEN.search(one).group(1), TOKEN.search(two).group(1)
    assert one_token != two_token and set(TOKEN.findall(two)) == {two_token}
    # A token works only in the session it was made for.
    data = {"username": "amal", "password": PASSWORD}
    assert second.post("/login", data={**data, "csrf_token": one_token}).status_code == 400
    assert second.post("/login", data={**data, "csrf_token": two_token}).status_code == 302


@pytest.mark.parametrize("language", ["en", "ar"])
def test_shared_sign_in_page_is_what_an_ordinary_render_gives(client, language):
    client.post("/language", data={"lang": language})
    shared = client.get("/login").get_data(as_text=True)
    shared_again = client.get("/login").get_data(as_text=True)
    ordinary = client.get("/login?next=/").get_data(as_text=True)  # a query string is never shared
    assert normalised(shared) == normalised(shared_again) == normalised(ordinary)
    assert f'lang="{language}"' in shared


def test_a_refused_sign_in_shows_its_error_and_the_next_visitor_does_not(client, app, make_user):
    make_user(username="amal")
    client.get("/login")
    refused = client.post("/login", data={"username": "amal", "password": "wrong-wrong-wrong"})
    assert "Wrong username or password." in refused.get_data(as_text=True)
    assert "Wrong username or password." not in app.test_client().get("/login").get_data(as_text=True)
