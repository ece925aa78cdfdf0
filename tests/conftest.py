"""Test fixtures: an app on a clean database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a client, a sign-in helper and factories."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import create_app
from course.db import Base, make_engine
from course.extensions import db as database
from course.migrate import upgrade_engine
from course.models import Role
from course.models._types import utcnow
from course.package import apply_package, read_package
from course.services.users import create_user

FIXTURES = Path(__file__).parent / "fixtures"
MINI_COURSE = FIXTURES / "mini"
PASSWORD = "correct-horse-battery"
#: scrypt at a 128th of production's cost: the suite creates and signs in thousands of people.
#: Production keeps the full cost (tests/test_auth.py::test_production_hashes_passwords_at_full_cost).
TEST_HASH_METHOD = "scrypt:256:8:1"


def pytest_configure(config):
    from tests.browser.run import fix_for_run
    fix_for_run()  # before pytest-xdist starts its workers: they inherit it


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):  # the main process, after every worker ended
        from tests.browser.run import remove_templates
        remove_templates(os.environ.get("TEST_DATABASE_URL"))


def pytest_report_header(config):
    return f"database: {os.environ.get('TEST_DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "marsa-test.db")
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        url = _worker_database(url, os.environ["PYTEST_XDIST_WORKER"])
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade_engine(engine)  # the schema comes from the migrations, as in production
    engine.dispose()
    return url


def _worker_database(base_url: str, worker: str) -> str:
    """A PostgreSQL database of this test worker's own beside ``base_url``'s (``test_gw0`` ...):
    parallel workers each empty their tables after every test, so they cannot share one."""
    import psycopg
    from sqlalchemy.engine import make_url
    base = make_url(base_url)
    name = f"{base.database}_{worker}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def _empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            connection.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the clean test database; ``make_app(WTF_CSRF_ENABLED=True)`` for CSRF tests."""
    apps = []

    def build(**overrides):
        config = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                  "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "COURSE_DIR": str(MINI_COURSE),
                  "PASSWORD_HASH_METHOD": TEST_HASH_METHOD}
        config.update(overrides)
        application = create_app(config)
        apps.append(application)
        return application

    yield build
    emptied = False
    for application in apps:  # each app has its own engine (course/db.py)
        state = application.extensions["marsa.db"]
        state.remove()
        if application.config["DATABASE_URL"] == database_url and not emptied:
            _empty_all_tables(state.engine)
            emptied = True
        state.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def session(app):
    """A session of the test's own, to arrange and check the database between requests.

    It is deliberately not the app's request session: holding an app context open across
    test-client requests would share ``g`` (and the signed-in user) between them."""
    with Session(database.engine, expire_on_commit=False) as own:
        yield own


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def factory(role: Role = Role.OFFICER, username: str | None = None, **fields):
        counter["n"] += 1
        username = username or f"{role.value}{counter['n']}"
        with app.app_context():
            if isinstance(fields.get("duty_station"), str):  # a station's name: found, or added to the list
                fields["duty_station"] = add_station(database.session, fields["duty_station"])
            user = create_user(database.session, username=username, password=fields.pop("password", PASSWORD),
                               role=role, full_name=fields.pop("full_name", f"Test {username.title()}"),
                               **fields)
            database.session.commit()
            return user
    return factory


def add_station(session, name_en: str, name_ar: str = "", kind: str = "not_set"):
    """The duty station named ``name_en`` (exactly: a test may need a hostile name kept as it is),
    added to the list if it is not there yet."""
    from sqlalchemy import select

    from course.models import DutyStation, StationKind
    station = session.scalar(select(DutyStation).where(DutyStation.name_en == name_en))
    if station is None:
        station = DutyStation(name_en=name_en, name_ar=name_ar, kind=StationKind(kind))
        session.add(station)
        session.flush()
    return station


@pytest.fixture
def login():
    def do(client, username: str, password: str = PASSWORD):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response
    return do


def page_value(app, attempt_id: int, version_id: int, item_id: str, kind: str = "option") -> str:
    """The name an attempt's page gives an option of a question (or a matching "prompt" or
    "match", an ordering "item"): what the officer's browser posts in place of ``item_id``."""
    from course.answertokens import tokens_for
    return tokens_for(app).token(attempt_id, version_id, kind, item_id)


def load_package(app, path: Path):
    with app.app_context():
        package = read_package(path)
        summary = apply_package(database.session, package, now=utcnow())
        database.session.commit()
        return summary


def make_cohort(session, name: str, officers=(), trainers=()):
    """A cohort with these officers and trainers, committed (the app's requests see it)."""
    from course.models import Cohort, CohortMember, CohortTrainer
    cohort = Cohort(name=name)
    session.add(cohort)
    session.flush()
    session.add_all([CohortMember(cohort_id=cohort.id, user_id=o.id) for o in officers])
    session.add_all([CohortTrainer(cohort_id=cohort.id, user_id=t.id) for t in trainers])
    session.commit()
    return cohort


@pytest.fixture(scope="session")
def real_package():
    """The course in this repository, read once for the whole run (about a second of CPU a read).
    Shared by every test that only reads it: do not change it."""
    from course.config import REPO_ROOT
    return read_package(REPO_ROOT)


@pytest.fixture
def mini_course(app):
    return load_package(app, MINI_COURSE)


@pytest.fixture
def course_copy(tmp_path):
    """A writable copy of the mini course, for tests that break or change it."""
    target = tmp_path / "course"
    shutil.copytree(MINI_COURSE, target)
    return target


#: The settings lines of the mini course's quiz, which ``quiz_with`` replaces.
BASICS_QUIZ_HEADER = "preset: graded\npass_mark: 60\n"


@pytest.fixture
def quiz_with(app, course_copy):
    """Publish the mini course with its quiz's settings replaced by ``settings`` (YAML lines)."""
    def publish(settings: str) -> None:
        path = course_copy / "quizzes/basics.yaml"
        path.write_text(path.read_text().replace(BASICS_QUIZ_HEADER, settings))
        load_package(app, course_copy)
    return publish


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...`` then ``counter.count``: SQL statements run."""
    from contextlib import contextmanager

    from sqlalchemy import event

    class Counter:
        count = 0

    @contextmanager
    def counting():
        counter = Counter()

        def before(*_args, **_kwargs):
            counter.count += 1
        event.listen(database.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(database.engine, "before_cursor_execute", before)
    return counting
