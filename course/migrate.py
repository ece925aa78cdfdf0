"""Schema migrations through Alembic, driven from the app's settings."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from course.config import REPO_ROOT


def alembic_config(url: str, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def upgrade_engine(engine, revision: str = "head") -> None:
    with engine.connect() as connection:
        command.upgrade(alembic_config(engine.url.render_as_string(hide_password=False), connection), revision)
