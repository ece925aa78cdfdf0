#!/usr/bin/env python3
"""Marsa's two set-up commands, with nothing but Python 3.11+ needed to start.

    python3 tasks.py run    # install, prepare the database (course and demo accounts on a first local start), serve
    python3 tasks.py test   # install, then run the whole test suite (SQLite, then PostgreSQL if reachable)

Everything is installed into .venv from the pinned requirements; a second run reuses it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def ensure_venv(requirements: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file must run on an older Python to say so)
        sys.exit("Marsa needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / requirements
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes()
                                     for name in ("requirements.txt", requirements))).hexdigest()
    stamp = VENV / f".installed-{req.stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    pip_install(req)
    stamp.write_text(digest)


def pip_install(req: Path) -> None:
    """Install the pinned requirements, one progress line a package (the first run takes a minute or two)."""
    wanted = list(_requirement_lines(req))
    say(f"Installing {len(wanted)} pinned packages and what they need from {req.name} into .venv "
        "(the first time takes a minute or two)")
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
               "-r", str(req)]
    output: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=ROOT) as pip:
        count = 0
        for line in pip.stdout:
            output.append(line)
            if line.startswith("Collecting "):
                count += 1
                print(f"    {count:3d}. {line.split()[1]}", flush=True)
            elif line.startswith("Installing collected packages"):
                print("    installing...", flush=True)
    if pip.returncode != 0:
        sys.stdout.write("".join(output[-40:]))
        sys.exit(f"Installing {req.name} failed (pip's last lines are above). Check the network and run again.")


def _requirement_lines(req: Path):
    for raw in req.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            yield from _requirement_lines(req.parent / line[3:].strip())
        else:
            yield line


def flask(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "app", *args], check=True, cwd=ROOT, env=env)


def run() -> None:
    ensure_venv("requirements.txt")
    # Byte-compile the app once, even where PYTHONDONTWRITEBYTECODE is set: otherwise every worker
    # compiles every module from source at each start (a second of start-up on a small server).
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", "app.py", "course", "gunicorn.conf.py"], cwd=ROOT,
                   check=False)
    # The course is loaded on the first start only, and demo accounts exist only in a local trial:
    # `flask prepare` never replaces a published course, nor creates accounts when MARSA_ENV=production.
    say("Preparing the database")
    flask("prepare")
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    workers = os.environ.get("WEB_CONCURRENCY", "1" if os.environ.get("MARSA_SINGLE_PROCESS") == "1" else "2")
    trial = "" if os.environ.get("MARSA_ENV") == "production" else "sign in as officer / marsa-demo; "
    say(f"Marsa is running at http://{host}:{port}/  ({trial}Ctrl+C stops it)")
    os.chdir(ROOT)
    gunicorn = str(BIN / "gunicorn")
    os.execv(gunicorn, [gunicorn, "--workers", workers, "--bind", f"{host}:{port}", "--access-logfile", "-",
                        "--log-level", "warning", "app:create_app()"])


def reachable(url: str) -> bool:
    """Whether something listens at the URL's host and port (PostgreSQL, Redis)."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    default_port = 6379 if parts.scheme == "redis" else 5432
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


APT_LOCKED = ("Could not get lock", "Unable to lock", "is held by process", "Unable to acquire the dpkg")


def apt_get(*args: str, tries: int = 6, pause: float = 20.0) -> None:
    """Run apt-get; while another program holds apt's lock, say so, wait and try again."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in range(1, tries + 1):
        done = subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True)
        if done.returncode == 0:
            return
        held = next((line.strip() for line in done.stderr.splitlines() if any(s in line for s in APT_LOCKED)), None)
        if held is None:
            sys.stdout.write(done.stdout[-3000:] + done.stderr[-3000:])
            sys.exit(f"apt-get {' '.join(args)} failed (its messages are above).")
        if attempt == tries:
            sys.exit(f"apt is still busy after {int(pause * (tries - 1))} s: another program holds its lock "
                     f"({held}). Let it finish (or run 'apt-get install chromium' yourself), then run this again.")
        say(f"apt is busy: another program holds its lock ({held}). Waiting {int(pause)} s, "
            f"then trying again ({attempt}/{tries - 1}).")
        if pause > 0:
            time.sleep(pause)


def ensure_chromium() -> None:
    """Browser tests drive the system's Chromium (Debian's package), never a downloaded one."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if not (shutil.which("apt-get") and os.geteuid() == 0):
        say("Chromium was not found and cannot be installed here (needs apt-get as root): "
            "the browser tests will fail; install Debian's 'chromium' package")
        return
    say("Installing Chromium for the browser tests (apt-get; a minute or two)")
    apt_get("update", "-qq")
    apt_get("install", "-y", "-qq", "chromium")


def ensure_node_packages() -> None:
    """Browser tests load scorm-again and axe-core, and the Open Badges test runs an independent
    verifier built from Digital Bazaar's packages, all from the npm registry (package-lock.json pins them)."""
    lock = ROOT / "package-lock.json"
    if not lock.exists():
        return
    if not shutil.which("npm"):
        say("npm was not found: the tests that need scorm-again, axe-core or the Open Badges verifier will fail; install Node.js 20+")
        return
    stamp = ROOT / "node_modules" / ".marsa-installed"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("Installing the test's JavaScript packages (npm ci)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], check=True, cwd=ROOT)
    stamp.write_text(digest)


def test(pytest_args: list[str]) -> None:
    ensure_venv("requirements-dev.txt")
    ensure_chromium()
    ensure_node_packages()
    excluded = []
    if not reachable("redis://127.0.0.1:6379"):
        say("Redis is not reachable at 127.0.0.1:6379: the scale-out tests (needs_redis) will not run")
        excluded.append("not needs_redis")
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    say("Lint: ruff (pyproject.toml)")
    lint = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT).returncode
    say("Test suite on SQLite")
    sqlite_status = run_suite(pytest_args, excluded, env)
    pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    pg_status = None
    if reachable(pg_url):
        say(f"Test suite on PostgreSQL ({pg_url})")
        pg_status = run_suite(pytest_args, excluded, {**env, "TEST_DATABASE_URL": pg_url})
    else:
        say(f"PostgreSQL is not reachable at {pg_url}: the PostgreSQL pass did not run")
    failed = lint != 0 or sqlite_status != 0 or (pg_status not in (None, 0))
    say("Lint: " + ("clean" if lint == 0 else "FAILED") + "; SQLite: " + ("passed" if sqlite_status == 0 else "FAILED")
        + "; PostgreSQL: " + ({None: "not run", 0: "passed"}.get(pg_status, "FAILED")))
    sys.exit(1 if failed else 0)


def run_suite(pytest_args: list[str], excluded: list[str], env: dict) -> int:
    """One database's pass: everything but the ``serial`` tests spread over one worker a CPU
    (``MARSA_TEST_WORKERS`` overrides), then the serial ones alone, since they restart PostgreSQL
    or time how workers block. Arguments given to ``tasks.py test`` run as given, in one process."""
    pytest = [str(PYTHON), "-m", "pytest"]
    if pytest_args:
        marks = ["-m", " and ".join(excluded)] if excluded and "-m" not in pytest_args else []
        return subprocess.run([*pytest, *marks, *pytest_args], cwd=ROOT, env=env).returncode
    workers = os.environ.get("MARSA_TEST_WORKERS", "auto")
    parallel = subprocess.run([*pytest, "-n", workers, "-m", " and ".join(["not serial", *excluded])],
                              cwd=ROOT, env=env).returncode
    say("The serial tests (they restart PostgreSQL or time blocked workers), alone")
    serial = subprocess.run([*pytest, "-m", " and ".join(["serial", *excluded])], cwd=ROOT, env=env).returncode
    return parallel or serial


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        sys.exit(__doc__)
    if sys.argv[1] == "run":
        run()
    else:
        test(sys.argv[2:])


if __name__ == "__main__":
    main()
