"""Settings that are checked before anything runs, and files only their owner can read."""
import os
import sqlite3
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from course.backup import backup
from course.config import ConfigError, load_config
from course.db import make_engine

LONG_SECRET = "k" * 32


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("MARSA_ENV", "SECRET_KEY", "CERTIFICATE_SIGNING_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("environment", ["Production", "PRODUCTION", "prod", "production ", "staging", "dev"])
def test_an_unknown_or_mistyped_environment_stops_the_start(clean_environment, tmp_path, environment):
    clean_environment.setenv("MARSA_ENV", environment)
    clean_environment.setenv("SECRET_KEY", LONG_SECRET)
    with pytest.raises(ConfigError, match="MARSA_ENV must be one of development, production"):
        load_config(tmp_path / "instance")
    assert not (tmp_path / "instance" / "secret_key").exists()  # no development keys made on the way


@pytest.mark.parametrize("secret", ["x", "marsa", "k" * 31])
def test_production_refuses_a_short_secret_key(clean_environment, tmp_path, secret):
    clean_environment.setenv("MARSA_ENV", "production")
    clean_environment.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 characters"):
        load_config(tmp_path / "instance")


def test_production_starts_with_a_long_secret_and_development_with_none(clean_environment, tmp_path):
    clean_environment.setenv("SECRET_KEY", LONG_SECRET)
    production = {"MARSA_ENV": "production", "PUBLIC_BASE_URL": "https://marsa.example.org", "MARSA_SINGLE_PROCESS": True}
    assert load_config(tmp_path / "a", production)["MARSA_ENV"] == "production"
    clean_environment.delenv("SECRET_KEY")
    assert len(load_config(tmp_path / "b")["SECRET_KEY"]) == 64


def test_instance_keys_and_database_are_created_for_their_owner_alone(clean_environment, tmp_path):
    old_umask = os.umask(0o022)  # the usual umask, under which files are created readable by all
    try:
        instance = tmp_path / "instance"
        config = load_config(instance)
        engine = make_engine(config["DATABASE_URL"])
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        copy = backup(engine, instance / "backups" / "copy.sqlite")
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert _mode(instance) == 0o700 and _mode(instance / "backups") == 0o700
    for name in ("secret_key", "certificate_signing_key", "marsa.db"):
        assert _mode(instance / name) == 0o600, name
    assert _mode(copy) == 0o600 and sqlite3.connect(copy).execute("SELECT x FROM t").fetchone() == (1,)


def test_an_existing_instance_folder_open_to_all_is_closed(clean_environment, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    load_config(instance)
    assert _mode(instance) == 0o700


def test_failed_statements_are_reported_without_their_values(app, make_user):
    """What the error log gets of a failed statement names the statement, never the values bound to
    it (answers, names, password hashes)."""
    from course.extensions import db
    from course.models import Role, User
    make_user(username="amal")
    with app.app_context(), pytest.raises(IntegrityError) as failed:
        db.session.add(User(username="amal", password_hash="a-very-private-hash", role=Role.OFFICER,
                            full_name="A Private Name", language="en"))
        db.session.flush()
    message = str(failed.value)
    assert "INSERT INTO users" in message and "hidden due to hide_parameters" in message
    assert "a-very-private-hash" not in message and "A Private Name" not in message
