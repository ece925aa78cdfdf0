"""The database: one engine per app, one SQLAlchemy session per request (or CLI command).

Views and services use ``db.session``; only the request teardown and CLI commands end it.
Services flush; the view (or command) that called them commits, in one place.
"""
from __future__ import annotations

from pathlib import Path

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


class Database:
    """Owns the engine and the request-scoped session of one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory = sessionmaker(expire_on_commit=False)
        self._scoped = scoped_session(self._factory)

    def init_app(self, app) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self._factory.configure(bind=self.engine)
        self._scoped.remove()
        app.extensions["marsa.db"] = self

        @app.teardown_appcontext
        def _end_session(_exc):
            self.remove()

    @property
    def session(self) -> Session:
        return self._scoped()

    def remove(self) -> None:
        """End the current session (closing its connection back to the pool)."""
        self._scoped.remove()
