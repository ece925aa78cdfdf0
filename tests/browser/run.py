"""What every process of one test run shares about the browser tests: their due dates and the
seeded database the package's servers start from.

``pytest_configure`` of ``tests/conftest.py`` calls ``fix_for_run`` in the main process before
pytest-xdist starts its workers, which inherit the environment: every worker (and every seeding
subprocess) then agrees on the dates even when the run crosses midnight, and finds the template
of this run, not of another run beside it."""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def fix_for_run(environ=os.environ) -> None:
    # Due dates years after any run (relative to today, so the seeded modules are never overdue).
    today = date.today()
    environ.setdefault("BROWSER_DUE_COHORT", (today + timedelta(days=2 * 365)).isoformat())
    environ.setdefault("BROWSER_DUE_PERSONAL", (today + timedelta(days=3 * 365)).isoformat())
    environ.setdefault("BROWSER_TEST_RUN", str(os.getpid()))


def due_dates() -> tuple[str, str]:
    """(the cohort's due date, the personal one), as ISO days."""
    fix_for_run()  # a script outside pytest (screenshots.py) fixes its own
    return os.environ["BROWSER_DUE_COHORT"], os.environ["BROWSER_DUE_PERSONAL"]


def template_folder() -> Path:
    """Where this run's seeded SQLite template and its lock live."""
    fix_for_run()
    folder = Path(tempfile.gettempdir()) / f"marsa-browser-template-{os.environ['BROWSER_TEST_RUN']}"
    folder.mkdir(exist_ok=True)
    return folder


def template_database_name() -> str:
    fix_for_run()
    return f"marsa_browser_template_{os.environ['BROWSER_TEST_RUN']}"


def remove_templates(test_database_url: str | None) -> None:
    """At the end of the run, in the main process: the template's folder and PostgreSQL database."""
    shutil.rmtree(template_folder(), ignore_errors=True)
    if test_database_url:
        import psycopg
        admin_url = urlunsplit(urlsplit(test_database_url)._replace(scheme="postgresql"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{template_database_name()}" WITH (FORCE)')
