"""The published course kept in memory per process: fast lesson pages that are never stale."""
from __future__ import annotations

from course.extensions import db
from course.services import catalog
from tests.conftest import load_package

LESSON = "/modules/basics/lessons/basics-first"


def test_lesson_page_asks_the_database_only_what_changes_per_request(app, client, mini_course, make_user, login,
                                                                     count_queries):
    make_user(username="amal")
    login(client, "amal")
    assert "Words matter" in client.get(LESSON).get_data(as_text=True)  # the first request builds the copy
    with count_queries() as counter:
        page = client.get(LESSON).get_data(as_text=True)
    assert "Words matter" in page and "First lesson" in page
    # Signing in (the user row), whether the copy is current (one settings row), this officer's read mark.
    assert counter.count <= 3, counter.count


def test_stylesheets_and_scripts_need_no_database(client, mini_course, make_user, login, count_queries):
    """Served by the app where no web server sits in front: a signed-in officer's page pulls them in."""
    make_user(username="amal")
    login(client, "amal")
    with count_queries() as counter:
        response = client.get("/static/css/marsa.css")
    assert response.status_code == 200 and b"{" in response.get_data()
    assert counter.count == 0, counter.count


def test_a_publication_reaches_the_next_request_and_nothing_else_rebuilds(app, client, course_copy, make_user, login):
    load_package(app, course_copy)
    make_user(username="amal")
    login(client, "amal")
    with app.app_context():
        before = catalog.current(db.session)
        assert catalog.current(db.session) is before  # nothing published since: the same copy
    assert "Words matter" in client.get(LESSON).get_data(as_text=True)

    load_package(app, course_copy)  # the same package again: no change, the copy stays
    with app.app_context():
        assert catalog.current(db.session) is before

    lesson = course_copy / "modules/01-basics/01-first.en.md"
    lesson.write_text(lesson.read_text().replace("## Words matter", "## Precise words matter"))
    load_package(app, course_copy)  # from any process: the stamp lives in the shared database
    page = client.get(LESSON).get_data(as_text=True)
    assert "Precise words matter" in page
    with app.app_context():
        assert catalog.current(db.session) is not before


def test_a_retired_lesson_disappears_at_once(app, client, course_copy, make_user, login):
    load_package(app, course_copy)
    make_user(username="amal")
    login(client, "amal")
    assert client.get("/modules/basics/lessons/basics-second").status_code == 200
    (course_copy / "modules/01-basics/02-second.en.md").unlink()
    load_package(app, course_copy)
    assert client.get("/modules/basics/lessons/basics-second").status_code == 404


def test_lesson_html_in_the_copy_is_sanitised(app, client, course_copy, make_user, login):
    lesson = course_copy / "modules/01-basics/01-first.en.md"
    lesson.write_text(lesson.read_text() + '\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n')
    load_package(app, course_copy)
    make_user(username="amal")
    login(client, "amal")
    page = client.get(LESSON).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in page and "<script>alert(1)" not in page  # shown as text, never run
    assert 'href="javascript:' not in page
