"""Caches that are never wrong: the lesson page's ETag follows the release (files, published course,
institute settings), each app keeps its own database, and the per-process copies are bounded and
follow a publication made through any other app."""
from __future__ import annotations

import shutil

import pytest
from babel.messages.mofile import read_mo, write_mo
from sqlalchemy import select

from course.caches import StampedLRU
from course.config import REPO_ROOT
from course.db import make_engine
from course.extensions import db
from course.migrate import upgrade_engine
from course.models import AttemptAnswer, Question, Role, User
from course.services import assignments, institute, referrals
from course.services import attempts as attempt_service
from course.services.users import create_user
from tests.conftest import PASSWORD, load_package

LESSON = "/modules/basics/lessons/basics-first"


@pytest.fixture
def served(tmp_path):
    """A copy of what the app serves and translates with, to change as a release would."""
    root = tmp_path / "release"
    for name in ("templates", "static", "translations"):
        shutil.copytree(REPO_ROOT / name, root / name)
    return root


@pytest.fixture
def build(make_app, served):
    """An app serving the copied folders, as a restarted server would after a release."""
    def build_app(**config):
        application = make_app(BABEL_TRANSLATION_DIRECTORIES=str(served / "translations"), **config)
        application.template_folder = str(served / "templates")
        application.static_folder = str(served / "static")
        return application
    return build_app


@pytest.fixture
def cookie(app, mini_course, make_user, login):
    """The sign-in cookie of an officer, valid in every app on the test database."""
    make_user(username="amal")
    client = app.test_client()
    login(client, "amal")
    return client.get_cookie("session").value


def etag_in(application, cookie: str, if_none_match: str | None = None):
    client = application.test_client()
    client.set_cookie("session", cookie)
    response = client.get(LESSON, headers={"If-None-Match": if_none_match} if if_none_match else {})
    assert response.status_code in (200, 304), response.status_code
    return response


def test_the_lesson_etag_changes_with_every_file_a_release_changes_and_only_then(build, served, cookie):
    first = etag_in(build(), cookie)
    etag = first.headers["ETag"]
    same = etag_in(build(), cookie, if_none_match=etag)  # a restart with nothing changed
    assert same.status_code == 304 and same.headers["ETag"] == etag

    stylesheet = served / "static/css/marsa.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.release-test { color: inherit; }\n")
    after_css = etag_in(build(), cookie, if_none_match=etag)
    assert after_css.status_code == 200 and after_css.headers["ETag"] != etag
    # The fresh page points at the new stylesheet; the old page pointed at the old one.
    old_link = first.get_data(as_text=True).split("css/marsa.css?v=")[1][:10]
    assert f"css/marsa.css?v={old_link}" not in after_css.get_data(as_text=True)
    etag = after_css.headers["ETag"]

    mo_path = served / "translations/ar/LC_MESSAGES/messages.mo"
    with mo_path.open("rb") as handle:
        catalog = read_mo(handle)
    catalog.get("Sign in").string = "ادخل"
    with mo_path.open("wb") as handle:
        write_mo(handle, catalog)
    after_mo = etag_in(build(), cookie, if_none_match=etag)
    assert after_mo.status_code == 200 and after_mo.headers["ETag"] != etag
    etag = after_mo.headers["ETag"]

    template = served / "templates/learn/lesson.html"
    template.write_text(template.read_text() + "{# a release changed this template #}\n")
    after_template = etag_in(build(), cookie, if_none_match=etag)
    assert after_template.status_code == 200 and after_template.headers["ETag"] != etag
    assert etag_in(build(), cookie, if_none_match=after_template.headers["ETag"]).status_code == 304


def test_the_lesson_etag_changes_with_the_published_course_and_the_institute_settings(
        app, make_app, course_copy, cookie, session):
    etag = etag_in(app, cookie).headers["ETag"]
    assert etag_in(app, cookie, if_none_match=etag).status_code == 304

    other = course_copy / "modules/01-basics/02-second.en.md"  # not the lesson shown
    other.write_text(other.read_text() + "\nOne more sentence.\n")
    load_package(app, course_copy)
    published = etag_in(app, cookie, if_none_match=etag)
    assert published.status_code == 200 and published.headers["ETag"] != etag
    etag = published.headers["ETag"]
    load_package(app, course_copy)  # the same package again: nothing changed, the page stays
    assert etag_in(app, cookie, if_none_match=etag).status_code == 304

    admin = create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN, full_name="Admin")
    assignments.set_show_unassigned_modules(session, admin, False)
    session.commit()
    setting = etag_in(app, cookie, if_none_match=etag)
    assert setting.status_code == 200 and setting.headers["ETag"] != etag
    etag = setting.headers["ETag"]

    referrals.save_contacts(session, admin, [{"who_en": "Duty officer", "who_ar": "الضابط المناوب",
                                              "reach": "1234"}], now=admin.created_at)
    session.commit()
    contacts = etag_in(app, cookie, if_none_match=etag)
    assert contacts.status_code == 200 and contacts.headers["ETag"] != etag
    etag = contacts.headers["ETag"]

    institute.set_name(session, admin, "Alexandria Border Academy", "أكاديمية الإسكندرية لإدارة الحدود")
    session.commit()
    page = etag_in(app, cookie, if_none_match=etag)
    assert page.status_code == 200 and page.headers["ETag"] != etag
    assert "Alexandria Border Academy" in page.get_data(as_text=True)


def test_the_service_worker_names_its_caches_after_the_release(build, served):
    first = build().test_client().get("/sw.js")
    script = first.get_data(as_text=True)
    assert first.status_code == 200 and 'var VERSION = "dev"' not in script
    version = script.split('var VERSION = "')[1].split('"')[0]
    again = build().test_client().get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    script_file = served / "static/js/offline.js"
    script_file.write_text(script_file.read_text() + "\n// a release changed this script\n")
    changed = build().test_client().get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and version not in changed.get_data(as_text=True)


def _database(path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_engine(engine)
    engine.dispose()
    return url


def test_two_apps_in_one_process_each_keep_their_own_database(make_app, tmp_path):
    first = make_app(DATABASE_URL=_database(tmp_path / "first.db"))
    with first.app_context():
        create_user(db.session, username="amal", password=PASSWORD, role=Role.OFFICER, full_name="Amal Hassan")
        db.session.commit()
    second = make_app(DATABASE_URL=_database(tmp_path / "second.db"))  # created after: must not rebind the first
    with second.app_context():
        create_user(db.session, username="badr", password=PASSWORD, role=Role.OFFICER, full_name="Badr Saleh")
        db.session.commit()
        assert str(db.engine.url).endswith("second.db")
    with first.app_context():
        assert str(db.engine.url).endswith("first.db")
        assert str(db.session.get_bind().url).endswith("first.db")
        assert db.session.scalars(select(User.username)).all() == ["amal"]
    with second.app_context():
        assert db.session.scalars(select(User.username)).all() == ["badr"]
    # And through requests, interleaved: each app signs in only its own people.
    for application, username, other in ((first, "amal", "badr"), (second, "badr", "amal"), (first, "amal", "badr")):
        client = application.test_client()
        assert client.post("/login", data={"username": other, "password": PASSWORD}).status_code != 302
        assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


def test_a_publication_through_one_app_is_seen_by_another_on_the_same_database(make_app, course_copy, session):
    """Two apps stand for two worker processes: each keeps its own copies, checked against the stamps."""
    publisher, worker = make_app(), make_app()
    load_package(publisher, course_copy)
    with worker.app_context():
        create_user(db.session, username="amal", password=PASSWORD, role=Role.OFFICER, full_name="Amal Hassan")
        db.session.commit()
    officer = worker.test_client()
    assert officer.post("/login", data={"username": "amal", "password": PASSWORD}).status_code == 302
    assert "Words matter" in officer.get(LESSON).get_data(as_text=True)
    attempt_id = int(officer.post("/quizzes/basics-quiz/start").headers["Location"].rsplit("/", 1)[1])
    assert "Who has a legal definition in a treaty?" in officer.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    remembered = attempt_service.remembered_definitions(session)  # the test's session: the worker's database
    assert len(remembered) == 0  # each app has its own copy: the test's engine has none
    with worker.app_context():
        kept = attempt_service.remembered_definitions(db.session)
        old_versions = set(session.scalars(select(AttemptAnswer.question_version_id)
                                           .where(AttemptAnswer.attempt_id == attempt_id)))
        assert old_versions and all(version in kept for version in old_versions)
    old_first = session.scalar(select(Question.current_version_id).where(Question.key == "b-q1"))

    lesson = course_copy / "modules/01-basics/01-first.en.md"
    lesson.write_text(lesson.read_text().replace("## Words matter", "## Precise words matter"))
    quiz = course_copy / "quizzes/basics.yaml"
    quiz.write_text(quiz.read_text().replace("Who has a legal definition in a treaty?",
                                             "Which term has a legal definition in a treaty?"))
    load_package(publisher, course_copy)

    assert "Precise words matter" in officer.get(LESSON).get_data(as_text=True)
    officer.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    attempt_id = int(officer.post("/quizzes/basics-quiz/start").headers["Location"].rsplit("/", 1)[1])
    page = officer.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Which term has a legal definition in a treaty?" in page
    session.expire_all()
    new_version = session.scalar(select(Question.current_version_id).where(Question.key == "b-q1"))
    assert new_version != old_first
    with worker.app_context():
        kept = attempt_service.remembered_definitions(db.session)
        assert new_version in kept
        assert old_first not in kept  # dropped with the old stamp


def test_a_remembered_copy_is_bounded_and_drops_the_least_recently_used():
    cache = StampedLRU(2)
    cache.put("s1", "a", 1)
    cache.put("s1", "b", 2)
    assert cache.get("s1", "a") == 1  # "a" is now the most recently used
    cache.put("s1", "c", 3)
    assert len(cache) == 2 and "b" not in cache and cache.get("s1", "a") == 1
    assert cache.get("s2", "a") is None and len(cache) == 0  # a new stamp: everything kept before is gone
    cache.put(None, "a", 1)
    assert len(cache) == 0  # no stamp yet: nothing would tell a change, so nothing is kept
