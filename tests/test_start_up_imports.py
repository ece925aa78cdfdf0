"""Heavy libraries are imported where they are used, not when the app starts: every server process
would otherwise carry them (docs/PERFORMANCE.md, "Serving": what each costs). Checked in a fresh
interpreter, since the test session itself has imported everything."""
import sys
from pathlib import Path

from tests.support.processes import run_bounded

ROOT = Path(__file__).resolve().parent.parent
#: Each with the megabytes it added to a server process when imported at start-up (RSS, measured).
LAZY = {
    "zxcvbn": "13 MiB: password strength, only where a password is set",
    "cryptography": "8 MiB: password handouts, signatures, badges",
    "reportlab": "PDF certificates, slips and reports",
    "openpyxl": "Excel exports",
    "arabic_reshaper": "Arabic in PDFs",
    "bidi": "Arabic in PDFs",
    "alembic": "migrations (flask prepare, flask db)",
    "psycopg": "PostgreSQL's driver, on a SQLite installation",
}


def test_create_app_leaves_heavy_libraries_unimported(tmp_path):
    code = (
        "import sys\n"
        "from app import create_app\n"
        f"create_app({{'TESTING': True, 'SECRET_KEY': 'x', 'DATABASE_URL': 'sqlite:///{tmp_path}/t.db'}})\n"
        f"print(' '.join(sorted(name for name in {sorted(LAZY)!r} if name in sys.modules)))\n"
    )
    result = run_bounded([sys.executable, "-c", code], 120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    assert imported == [], {name: LAZY[name] for name in imported}


def test_warm_up_before_the_fork_leaves_nothing_open(app, mini_course):
    """gunicorn's master runs app.warm_up before forking (gunicorn.conf.py): it must leave no database
    connection for the workers to share, and no page rendered for anyone."""
    from app import warm_up
    from course.extensions import db
    warm_up(app)
    assert db.engine.pool.checkedout() == 0
    assert "marsa_shared_pages" not in app.extensions
    assert app.test_client().get("/login").status_code == 200


def test_warm_up_on_an_unprepared_database_does_not_stop_the_server(make_app, tmp_path):
    from app import warm_up
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/empty.db")  # no tables yet
    warm_up(app)  # logs and carries on
    assert app.extensions["marsa.db"].engine.pool.checkedout() == 0
