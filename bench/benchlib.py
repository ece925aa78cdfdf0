"""Shared helpers of the benchmark scripts: paths, database URLs, timing, machine facts.

The scripts run as ``.venv/bin/python bench/<script>.py``; this module puts the repository on
``sys.path`` so they can import the app exactly as gunicorn does.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"  # git-ignored: SQLite databases, result files, profiles, logs
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/marsa_bench"
#: The database the test suite owns: the benchmarks refuse to touch it.
FORBIDDEN_PG_DATABASES = {"test"}
#: Password of every generated account (officers, trainers, the bench admin).
BENCH_PASSWORD = "bench-password-2026"
BENCH_ADMIN = "bench-admin"
#: A fixed key for the servers the benchmarks start, so they can mint session cookies for them.
BENCH_SECRET_KEY = "marsa-benchmark-only-secret-key-not-for-production"


def sqlite_url(path: Path | str) -> str:
    return "sqlite:///" + str(Path(path).resolve())


def default_sqlite_path(officers: int) -> Path:
    return OUT / f"marsa-bench-{officers}.db"


def backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def check_url(url: str) -> None:
    """Refuse any PostgreSQL database the test suite (or anything but the benchmarks) uses."""
    if url.startswith("sqlite"):
        return
    name = urlsplit(url).path.lstrip("/")
    if name in FORBIDDEN_PG_DATABASES:
        sys.exit(f"Refusing to use the database {name!r}: it belongs to the test suite. Use marsa_bench.")


def label(url: str) -> str:
    if url.startswith("sqlite"):
        return "SQLite"
    return "PostgreSQL"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on the sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def fmt_ms(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    ms = seconds * 1000
    if ms >= 1000:
        return f"{seconds:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))


def read_json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_facts(pg_url: str | None = DEFAULT_PG_URL) -> dict:
    import sqlite3
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    facts = {
        "nproc": _run(["nproc"]) or str(os.cpu_count()),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "gunicorn": None,
        "wrk": _run(["sh", "-c", "wrk --version 2>&1 | head -1"]) or None,
    }
    try:
        import gunicorn
        facts["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        import flask
        import sqlalchemy
        facts["flask"] = getattr(flask, "__version__", None) or _pkg_version("flask")
        facts["sqlalchemy"] = sqlalchemy.__version__
        import psycopg
        facts["psycopg"] = psycopg.__version__
    except ImportError:
        pass
    if pg_url:
        try:
            from sqlalchemy import text

            from course.db import make_engine
            engine = make_engine(pg_url)
            with engine.connect() as connection:
                facts["postgresql"] = connection.execute(text("SHOW server_version")).scalar()
            engine.dispose()
        except Exception as error:
            facts["postgresql"] = f"unreachable ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
    return facts


def _pkg_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


# --------------------------------------------------------------------------- the app, signed in

CSRF_RE = None


def csrf_token_in(html: str) -> str | None:
    """The CSRF token of the first form on a page."""
    import re
    global CSRF_RE
    if CSRF_RE is None:
        CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
    match = CSRF_RE.search(html)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def bench_app(url: str, **overrides):
    """The real app on ``url``, configured as in production except for a known secret key."""
    from app import create_app
    config = {"DATABASE_URL": url, "SECRET_KEY": BENCH_SECRET_KEY}
    config.update(overrides)
    return create_app(config)


def sign_in(client, username: str, password: str = BENCH_PASSWORD, follow: bool = True):
    """Sign in through the real form (CSRF token included); returns the final response."""
    page = client.get("/login")
    token = csrf_token_in(page.get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token or ""})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {response.status_code}")
    if follow:
        # The dashboard renders a form, which stores the CSRF secret in the session: after this the
        # session cookie no longer changes from request to request.
        client.get(response.headers["Location"])
    return response


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    if cookie is None:
        raise RuntimeError("no session cookie after sign-in")
    return cookie.value


class QueryCounter:
    """Counts SQL statements run on an engine: ``with QueryCounter(engine) as c: ...; c.count``."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _hit(self, *_args, **_kwargs) -> None:
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *_exc) -> None:
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._hit)


# --------------------------------------------------------------------------- a quiet machine

def _cpu_times() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields), idle


def idle_share(seconds: float = 2.0) -> float:
    """The share of all CPUs that was idle over the next ``seconds``."""
    total0, idle0 = _cpu_times()
    time.sleep(seconds)
    total1, idle1 = _cpu_times()
    return (idle1 - idle0) / max(1, total1 - total0)


#: Seconds one process may spend waiting for a quiet machine in all (MARSA_BENCH_WAIT_BUDGET), so a
#: machine that never gets quiet delays the whole run by a bounded amount.
WAIT_BUDGET = float(os.environ.get("MARSA_BENCH_WAIT_BUDGET", "420"))
_waited = 0.0


def wait_quiet(min_idle: float = 0.85, timeout: float = 300, say=None) -> dict:
    """Wait (at most ``timeout`` seconds, and within this process's budget) until other processes
    leave the CPUs idle; the benchmarks share this machine with whatever else runs on it. Returns
    what was seen, for the record."""
    global _waited
    start = time.perf_counter()
    timeout = max(0.0, min(timeout, WAIT_BUDGET - _waited))
    idle = idle_share()
    while idle < min_idle and time.perf_counter() - start < timeout:
        if say:
            say(f"  (waiting for a quiet machine: {idle:.0%} idle, load {Path('/proc/loadavg').read_text().split()[0]})")
        time.sleep(8)
        idle = idle_share()
    _waited += time.perf_counter() - start
    return {"idle_share": round(idle, 3), "waited_s": round(time.perf_counter() - start, 1),
            "quiet": idle >= min_idle, "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def officers_who_can_start(session, quiz, limit: int, language: str = "en") -> list[str]:
    """Usernames of officers who may start ``quiz`` now (no open attempt, attempts left), those who
    never took it first: the quiz-path benchmarks consume attempts, so each run picks new ones."""
    from sqlalchemy import exists, func, select

    from course.models import Attempt, AttemptState, User
    used = (select(func.count()).where(Attempt.user_id == User.id, Attempt.quiz_id == quiz.id)
            .correlate(User).scalar_subquery())
    open_now = exists().where(Attempt.user_id == User.id, Attempt.quiz_id == quiz.id,
                              Attempt.state == AttemptState.IN_PROGRESS)
    allowed = quiz.settings.get("attempts") or 10**6
    return list(session.scalars(select(User.username).where(User.role == "officer", User.language == language,
                                                            User.is_active_account.is_(True), ~open_now,
                                                            used < allowed)
                                .order_by(used, User.id.desc()).limit(limit)))


def upgrade_schema(url: str, say=None) -> str | None:
    """Bring the benchmark database to the migrations' head, as `flask db upgrade` does after a
    deployment: the app's code may have gained a migration since the data was generated (others
    work on it while benchmarks run). Returns the revision it was at when it had to upgrade."""
    from alembic.runtime.migration import MigrationContext

    from course.db import make_engine
    from course.migrate import upgrade_engine
    check_url(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
        upgrade_engine(engine)
        with engine.connect() as connection:
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if before != after:
        if say:
            say(f"  (schema upgraded from {before} to {after}: the app gained migrations since the data was generated)")
        return before
    return None


def code_fingerprint() -> dict:
    """Which app code was measured: the commit HEAD points at (read from .git, without running git)
    and a hash of the working tree's Python sources and templates (others edit them while we run)."""
    head = None
    git = REPO / ".git"
    try:
        ref = (git / "HEAD").read_text().strip()
        if ref.startswith("ref: "):
            ref_file = git / ref[5:]
            head = ref_file.read_text().strip() if ref_file.exists() else None
            if head is None and (git / "packed-refs").exists():
                for line in (git / "packed-refs").read_text().splitlines():
                    if line.endswith(ref[5:]):
                        head = line.split()[0]
        else:
            head = ref
    except OSError:
        pass
    digest = hashlib.sha256()
    files = sorted([*REPO.glob("app.py"), *REPO.glob("course/**/*.py"), *REPO.glob("templates/**/*.html")])
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return {"head": head, "sources_sha256": digest.hexdigest()[:16], "files": len(files)}
