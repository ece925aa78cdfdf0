"""Consistent online backups and restores of the database.

SQLite: the sqlite3 online backup API copies a consistent snapshot while officers keep working.
PostgreSQL: ``pg_dump`` in custom format (a consistent snapshot by MVCC), restored with
``pg_restore --clean``. Both are what the database's own authors recommend; nothing here copies
database files by hand.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from course.files import create_private_file, private_folder


class BackupError(RuntimeError):
    pass


def default_backup_path(instance_path: Path, url: URL) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite" if url.get_backend_name() == "sqlite" else "dump"
    return instance_path / "backups" / f"marsa-{stamp}.{suffix}"


def _pg_env_args(url: URL) -> tuple[list[str], dict]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def backup(engine: Engine, target: Path) -> Path:
    url = engine.url
    # A backup holds everything the database does: made in a 0700 folder as a 0600 file (pg_dump
    # and SQLite write into the file as created here, keeping its mode).
    private_folder(target.parent, tighten=False)
    create_private_file(target)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        if not shutil.which("pg_dump"):
            raise BackupError("pg_dump was not found; install the PostgreSQL client tools")
        args, env = _pg_env_args(url)
        result = subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(target), url.database],
                                capture_output=True, text=True, env={**_base_env(), **env})
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_dump failed")
        return target
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def restore(engine: Engine, source: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        try:
            with sqlite3.connect(source) as check:
                intact = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        if not intact:
            raise BackupError(f"{source} is not an intact SQLite database; nothing was changed")
        origin = sqlite3.connect(source)
        destination = sqlite3.connect(url.database)
        try:
            with destination:
                origin.backup(destination)
        finally:
            destination.close()
            origin.close()
        return
    if url.get_backend_name() == "postgresql":
        args, env = _pg_env_args(url)
        result = subprocess.run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 "-d", url.database, str(source)], capture_output=True, text=True,
                                env={**_base_env(), **env})
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_restore failed")
        return
    raise BackupError(f"restores of {url.get_backend_name()} databases are not supported")


def _base_env() -> dict:
    return dict(os.environ)
