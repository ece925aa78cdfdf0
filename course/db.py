"""The database: one engine per app, one SQLAlchemy session per request (or CLI command).

Views and services use ``db.session``; only the request teardown and CLI commands end it.
Services flush; the view (or command) that called them commits, in one place.

Each app keeps its own engine and session registry in ``app.extensions["marsa.db"]`` (an
:class:`AppDatabase`); the process-wide ``db`` object only finds the current app's, so two apps in
one process (two databases, or a test that builds a second app) never share or rebind a session.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

from course.files import create_private_file, private_folder

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file as 0600 (SQLite gives its -wal and -shm files the same
    mode): it holds password hashes, answers and personal data."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if not path.exists():
            private_folder(path.parent, tighten=False)
            create_private_file(path)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets officers read while another writes; busy_timeout makes concurrent
            # writers wait for the lock instead of failing with "database is locked".
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


class AppDatabase:
    """One app's engine, its session factory and its sessions (one per thread, ended at teardown)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.scoped = scoped_session(self.factory)

    @property
    def session(self) -> Session:
        return self.scoped()

    def remove(self) -> None:
        self.scoped.remove()


class Database:
    """``db``: the current app's :class:`AppDatabase`, looked up on every use.

    Inside an app or request context that is the context's app, always. Outside any context (a
    script, gunicorn's ``post_fork``, a test arranging data between requests) it is the app created
    last in this process, which is unambiguous there: such code builds one app."""

    def __init__(self) -> None:
        self._latest: AppDatabase | None = None

    def init_app(self, app) -> None:
        state = AppDatabase(make_engine(app.config["DATABASE_URL"]))
        app.extensions["marsa.db"] = state
        self._latest = state

        @app.teardown_appcontext
        def _end_session(_exc):
            state.remove()

    def state(self) -> AppDatabase:
        if has_app_context():
            return current_app.extensions["marsa.db"]
        if self._latest is None:
            raise RuntimeError("No Marsa app has been created in this process: there is no database to use.")
        return self._latest

    @property
    def engine(self) -> Engine | None:
        return self.state().engine if (self._latest is not None or has_app_context()) else None

    @property
    def session(self) -> Session:
        return self.state().session

    def remove(self) -> None:
        """End the current session (closing its connection back to the pool)."""
        if self._latest is not None or has_app_context():
            self.state().remove()

