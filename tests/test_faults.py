"""Fault injection against real gunicorn processes: a worker killed in the middle of a submission,
the database going away while officers answer (PostgreSQL restarted; SQLite held locked past its
busy timeout) and a full disk under SQLite. Each time the officer gets a clear message (the app's
own, never a stack trace), the retry succeeds, and nothing already saved is lost or duplicated."""
from __future__ import annotations

import errno
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from course.answertokens import AnswerTokens
from course.db import make_engine
from course.extensions import db as database
from course.migrate import upgrade_engine
from course.models import Attempt, AttemptAnswer, AttemptState, Role, User
from course.models._types import utcnow
from course.package import apply_package, read_package
from course.services.users import create_user
from tests.conftest import MINI_COURSE, PASSWORD
from tests.support.live import Browserish, free_port, start_server, stop_server

# Starts servers or a browser: `pytest -m "not slow"` leaves it out of a quick run.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

# What the app says when it cannot do what was asked (app.py, register_errors).
SORRY = "Something went wrong on our side. Your saved work is safe; please try again."
STACK_TRACE = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3\.|OperationalError")


def backend() -> str:
    scheme = os.environ.get("TEST_DATABASE_URL", "").split(":", 1)[0].split("+", 1)[0]
    return "postgresql" if scheme in ("postgres", "postgresql") else "sqlite"


def pytest_generate_tests(metafunc):
    # SQLite has no server to restart: its outage is a write lock held past the busy timeout.
    if "outage" in metafunc.fixturenames:
        metafunc.parametrize("outage", [{"postgresql": "postgresql-restart",
                                         "sqlite": "sqlite-locked-past-busy-timeout"}[backend()]])


# ---------------------------------------------------------------- helpers


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def workers_of(master: subprocess.Popen) -> set[int]:
    """The gunicorn master's children: its workers."""
    path = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return {int(pid) for pid in path.read_text().split()}


def worker_holding(workers: set[int], server_port: int, client_port: int) -> int | None:
    """The worker that accepted our connection: it holds the socket (server side) whose peer is us."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (int(local.rsplit(":", 1)[1], 16) == server_port and int(remote.rsplit(":", 1)[1], 16) == client_port
                    and inode != "0"):
                inodes.add(f"socket:[{inode}]")
    for pid in workers:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) in inodes:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def log_tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no server log)"


def sign_in(port: int, username: str) -> Browserish:
    officer = Browserish()
    officer.get(port, "/login")
    status, _, _ = officer.post(port, "/login", {"username": username, "password": PASSWORD})
    assert status == 302, f"{username} could not sign in"
    return officer


def start_quiz(officer: Browserish, port: int) -> tuple[int, list[str]]:
    """Start the mini course's quiz: (attempt id, question version ids in page order)."""
    officer.get(port, "/quizzes/basics-quiz")  # a fresh CSRF token for the signed-in session
    status, headers, _ = officer.post(port, "/quizzes/basics-quiz/start")
    assert status == 302, status
    attempt_id = int(headers["Location"].rsplit("/", 1)[1])
    _, _, page = officer.get(port, f"/attempts/{attempt_id}")
    versions = re.findall(r'data-question="(\d+)"', page)
    assert len(versions) == 3, page[:2000]  # single, multiple, true/false
    return attempt_id, versions


#: The servers' SECRET_KEY, from which the attempt pages' option tokens are made.
SECRET = "faults-secret"


def on_page(attempt_id: int, version: str, value):
    """An answer (authoring ids, or "true"/"false") as the attempt page names it: by the attempt's tokens."""
    if isinstance(value, list):
        return [on_page(attempt_id, version, v) for v in value]
    if value in ("true", "false"):
        return value
    return AnswerTokens.from_secret(SECRET).token(attempt_id, int(version), "option", value)


def answer_form(attempt_id: int, *versions: str) -> dict:
    """The quiz form with "a" for the single choice, "a" and "b" for the multiple response and
    "false" for the true/false question (as many of them as ``versions`` names, in that order)."""
    return {f"q{v}": on_page(attempt_id, v, value) for v, value in zip(versions, ("a", ["a", "b"], "false"))}


def autosave(officer: Browserish, port: int, attempt_id: int, version: str, seq: int, value):
    """One save as the quiz page's script sends it (and replays it from its journal)."""
    return officer.post(port, f"/attempts/{attempt_id}/answer",
                        {"question": version, "seq": str(seq), f"q{version}": on_page(attempt_id, version, value)},
                        headers={"X-CSRFToken": officer.csrf, "Accept": "application/json"})


def assert_clear_json_error(status: int, headers: dict, body: str) -> None:
    """A failed save: a 5xx the page's script retries, as JSON carrying the app's message, no trace."""
    assert 500 <= status < 600, (status, body[:500])
    assert headers.get("Content-Type", "").startswith("application/json"), (headers, body[:500])
    data = json.loads(body)
    assert data == {"ok": False, "error": SORRY}, data
    assert not STACK_TRACE.search(body), body


def assert_clear_error_page(status: int, headers: dict, body: str) -> None:
    """A failed page: a 5xx in the app's own layout with the app's message, no trace."""
    assert 500 <= status < 600, (status, body[:500])
    assert headers.get("Content-Type", "").startswith("text/html"), headers
    assert SORRY in body and "Marsa" in body, body[:1500]
    assert not STACK_TRACE.search(body), body


def stored_answers(engine, attempt_id: int) -> dict[int, tuple]:
    """question version id -> (response, seq), read with a connection of the test's own."""
    with Session(engine) as own:
        rows = own.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        ids = [row.question_version_id for row in rows]
        assert len(ids) == len(set(ids)) == 3, f"answer rows duplicated or missing: {ids}"
        return {row.question_version_id: (row.response, row.seq) for row in rows}


def attempts_of(engine, username: str) -> list[Attempt]:
    with Session(engine, expire_on_commit=False) as own:
        return own.scalars(select(Attempt).join(User, User.id == Attempt.user_id)
                           .where(User.username == username).order_by(Attempt.id)).all()


@pytest.fixture
def server(database_url, mini_course, make_user, tmp_path):
    """``server(workers)`` starts a real gunicorn on the test database: (master process, port, log)."""
    started = []

    def run(workers: int = 2):
        log = tmp_path / f"gunicorn-{len(started)}.log"
        port = free_port()
        process = start_server(port, {"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                                      "COURSE_DIR": str(MINI_COURSE)}, workers=workers, log=log)
        started.append(process)
        return process, port, log

    yield run
    for process in started:
        stop_server(process)


# ---------------------------------------------------------------- 1. a worker killed mid-submission


@contextmanager
def attempt_row_locked(database_url: str, attempt_id: int):
    """Hold the lock a submission needs, from the test's own connection, so the submit blocks
    inside the app (no delay in the app's code): the attempt row on PostgreSQL, the database's
    write lock on SQLite."""
    if backend() == "postgresql":
        connection = database.engine.connect()
        connection.execute(select(Attempt.id).where(Attempt.id == attempt_id).with_for_update())
        try:
            yield
        finally:
            connection.rollback()
            connection.close()
    else:
        connection = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()


def submit_is_blocked_in_the_database(worker: int, database_url: str) -> bool:
    """Whether the worker's submission is waiting for the lock the test holds.

    PostgreSQL lists the waiting UPDATE in pg_stat_activity. SQLite has no such view, so look at the
    worker from outside: it has the database file open and one of its threads sleeps in the kernel's
    nanosleep, which is where SQLite's busy handler waits between tries for the write lock (the app
    itself never sleeps while it serves a request)."""
    if backend() == "postgresql":
        with database.engine.connect() as connection:  # a new transaction: a fresh activity snapshot
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE attempts%'")))
    database_file = os.path.realpath(make_url(database_url).database)
    proc = Path("/proc") / str(worker)
    try:
        has_file = any(os.path.realpath(fd) == database_file for fd in (proc / "fd").iterdir())
        sleeping = any("nanosleep" in (task / "wchan").read_text() for task in (proc / "task").iterdir())
    except OSError:  # the worker or one of its threads went away between two reads
        return False
    return has_file and sleeping


def test_worker_killed_mid_submission_then_retry_submits_exactly_once(server, make_user, database_url):
    make_user(username="amal")
    master, port, log = server(workers=2)
    officer = sign_in(port, "amal")
    attempt_id, (q1, q2, q3) = start_quiz(officer, port)
    for version, value in ((q1, "a"), (q2, ["a", "b"])):
        status, _, body = autosave(officer, port, attempt_id, version, 1, value)
        assert status == 200 and json.loads(body)["ok"], body
    # The whole form, as "Submit" posts it: the two saved answers and a third given just now.
    final_form = answer_form(attempt_id, q1, q2, q3)

    before = workers_of(master)
    assert len(before) == 2, before
    outcome: dict = {}
    # The probe below must tell a waiting submission from an idle worker, or it proves nothing.
    assert not any(submit_is_blocked_in_the_database(worker, database_url) for worker in before)
    with attempt_row_locked(database_url, attempt_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.connect()
        officer.connections[port] = connection  # so we know the client port the worker sees
        client_port = connection.sock.getsockname()[1]

        def submit():
            try:
                outcome["response"] = officer.post(port, f"/attempts/{attempt_id}/submit", final_form, retry=False)
            except (http.client.HTTPException, OSError) as error:
                outcome["error"] = error
        thread = threading.Thread(target=submit)
        thread.start()
        victim = wait_for(lambda: worker_holding(before, port, client_port), 10, "a worker to take the submission")
        wait_for(lambda: submit_is_blocked_in_the_database(victim, database_url), 10,
                 "the submission to wait for the attempt's lock")
        assert thread.is_alive() and not outcome, f"the submission finished while it should be blocked: {outcome}"
        os.kill(victim, signal.SIGKILL)
        thread.join(15)
        assert not thread.is_alive(), "the client never heard that its request died"
        # The officer's browser sees the failure: the connection dropped (or a 5xx), never a success.
        if "response" in outcome:
            assert outcome["response"][0] >= 500, outcome["response"][:2]
        else:
            assert isinstance(outcome["error"], (http.client.RemoteDisconnected, ConnectionError,
                                                 http.client.IncompleteRead, http.client.BadStatusLine)), outcome
        officer.connections.pop(port, None)
        # Nothing half-done: the killed request's transaction is gone, everything saved before is there.
        (attempt,) = attempts_of(database.engine, "amal")
        assert attempt.state == AttemptState.IN_PROGRESS and attempt.submitted_at is None
        stored = stored_answers(database.engine, attempt_id)
        assert stored[int(q1)] == ("a", 1) and stored[int(q2)] == (["a", "b"], 1)
        assert stored[int(q3)] == (None, 0)

    # gunicorn replaces the dead worker.
    wait_for(lambda: victim not in workers_of(master) and len(workers_of(master)) == 2, 30,
             "gunicorn to start a new worker")
    replacement = workers_of(master) - before
    assert len(replacement) == 1 and victim not in workers_of(master), (before, workers_of(master))
    assert master.poll() is None, log_tail(log)

    # The officer presses Submit again: it goes through, once.
    status, headers, body = officer.post(port, f"/attempts/{attempt_id}/submit", final_form)
    assert status == 302 and headers["Location"].endswith(f"/attempts/{attempt_id}/result"), (status, body[:500])
    status, _, result_page = officer.get(port, f"/attempts/{attempt_id}/result")
    assert status == 200, result_page[:500]
    (attempt,) = attempts_of(database.engine, "amal")
    assert attempt.state == AttemptState.SUBMITTED and attempt.number == 1
    assert attempt.score == attempt.max_score == 3 and attempt.percent == 100
    first_submitted_at = attempt.submitted_at
    stored = stored_answers(database.engine, attempt_id)
    assert {v: r for v, (r, _) in stored.items()} == {int(q1): "a", int(q2): ["a", "b"], int(q3): False}

    # A third press (the browser's back button and Submit) changes nothing.
    status, headers, _ = officer.post(port, f"/attempts/{attempt_id}/submit", final_form)
    assert status == 302 and headers["Location"].endswith("/result")
    (attempt,) = attempts_of(database.engine, "amal")
    assert attempt.submitted_at == first_submitted_at and attempt.score == 3
    assert stored_answers(database.engine, attempt_id) == stored


# ---------------------------------------------------------------- 2. the database goes away while officers answer


def postgres_cluster(url: str) -> tuple[str, str]:
    """(version, name) of the local cluster serving ``url``, from pg_lsclusters."""
    port = make_url(url).port or 5432
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        version, name, cluster_port = line.split()[:3]
        if int(cluster_port) == port:
            return version, name
    raise AssertionError(f"no local PostgreSQL cluster on port {port}:\n{listing}")


def pg_ctlcluster(cluster: tuple[str, str], action: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
                          capture_output=True, text=True, timeout=60)


def in_parallel(work, names) -> None:
    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"


def accepts_connections(url: str) -> bool:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(plain, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def running_again(cluster: tuple[str, str], url: str) -> None:
    """Start the cluster if it is down, and wait until it accepts connections."""
    if not accepts_connections(url):
        started = pg_ctlcluster(cluster, "start")
        assert started.returncode == 0 or accepts_connections(url), started.stderr
    wait_for(lambda: accepts_connections(url), 60, "PostgreSQL to accept connections", 0.2)


@contextmanager
def database_outage(outage: str, database_url: str):
    """While inside, the database cannot take writes; afterwards it is back (even on failure)."""
    if outage == "postgresql-restart":
        # A restart is a stop then a start; the gap is held open while officers answer, because the
        # gap of `pg_ctlcluster restart` alone is too short to land a request in it reliably.
        cluster = postgres_cluster(database_url)
        try:
            stopped = pg_ctlcluster(cluster, "stop")
            assert stopped.returncode == 0, stopped.stderr
            assert not accepts_connections(database_url)
            yield
        finally:
            running_again(cluster, database_url)
    else:
        # Another process (a long maintenance write, a restore) holds SQLite's write lock for longer
        # than the app's 15-second busy timeout.
        locker = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()


def test_database_outage_while_officers_answer_then_retries_succeed(server, make_user, database_url, outage):
    names = ("amal", "badr", "chadi")  # chadi's browser runs no JavaScript: he posts the whole form
    for name in names:
        make_user(username=name)
    master, port, log = server(workers=3)
    officers = {name: sign_in(port, name) for name in names}
    quiz = {name: start_quiz(officer, port) for name, officer in officers.items()}
    for name, officer in officers.items():  # the first answer of each is saved before the outage
        attempt_id, (q1, _, _) = quiz[name]
        status, _, body = autosave(officer, port, attempt_id, q1, 1, "a")
        assert status == 200 and json.loads(body)["ok"], body

    replies: dict[str, tuple] = {}

    def answer_second_question(name: str):
        attempt_id, (q1, q2, _) = quiz[name]
        if name == "chadi":  # "Save and continue later"
            replies[name] = officers[name].post(port, f"/attempts/{attempt_id}/save",
                                                answer_form(attempt_id, q1, q2))
        else:
            replies[name] = autosave(officers[name], port, attempt_id, q2, 1, ["a", "b"])

    started = time.monotonic()
    with database_outage(outage, database_url):
        status, headers, page = officers["amal"].get(port, f"/attempts/{quiz['amal'][0]}")
        if outage == "postgresql-restart":
            assert_clear_error_page(status, headers, page)  # the page cannot be read: the app says so
        else:
            # SQLite's write lock does not block readers: saved answers stay on screen.
            assert status == 200 and re.search(
                rf'name="q{quiz["amal"][1][0]}" value="{on_page(quiz["amal"][0], quiz["amal"][1][0], "a")}" checked', page)
        in_parallel(answer_second_question, names)
        assert_clear_json_error(*replies["amal"])
        assert_clear_json_error(*replies["badr"])
        assert_clear_error_page(*replies["chadi"])
    outage_seconds = time.monotonic() - started

    # Back: each page's script replays what it kept (same sequence numbers), and it is saved.
    for name in names:
        answer_second_question(name)
        status, headers, body = replies[name]
        if name == "chadi":
            assert status == 302 and headers["Location"].endswith("/quizzes/basics-quiz"), body[:500]
        else:
            assert status == 200 and json.loads(body) == {"ok": True, "seq": 1, "question": int(quiz[name][1][1])}

    # A restart between two answers goes unnoticed: each worker's pool tests its connections before
    # use (pool_pre_ping) and replaces the dead ones. All three workers hold pooled connections first.
    in_parallel(lambda name: officers[name].get(port, "/"), names)
    if outage == "postgresql-restart":
        cluster = postgres_cluster(database_url)
        try:
            restarted = pg_ctlcluster(cluster, "restart")
            assert restarted.returncode == 0, restarted.stderr
        finally:
            running_again(cluster, database_url)
    carried_on: dict[str, list] = {}

    def carry_on(name: str):
        attempt_id, (q1, q2, q3) = quiz[name]
        carried_on[name] = [officers[name].get(port, f"/attempts/{attempt_id}")]
        if name != "chadi":
            carried_on[name].append(autosave(officers[name], port, attempt_id, q3, 1, "false"))
    in_parallel(carry_on, names)
    for name in names:
        (status, _, page), *saved = carried_on[name]
        attempt_id, (q1, q2, _) = quiz[name]
        assert status == 200, page[:1000]
        assert re.search(rf'name="q{q1}" value="{on_page(attempt_id, q1, "a")}" checked', page), page[:2000]
        assert re.search(rf'name="q{q2}" value="{on_page(attempt_id, q2, "b")}" checked', page), page[:2000]
        for status, _, body in saved:
            assert status == 200 and json.loads(body)["ok"], body

    for name, officer in officers.items():  # and everyone submits
        attempt_id, (q1, q2, q3) = quiz[name]
        status, headers, _ = officer.post(port, f"/attempts/{attempt_id}/submit",
                                          answer_form(attempt_id, q1, q2, q3))
        assert status == 302 and headers["Location"].endswith("/result"), log_tail(log)
    for name in names:
        attempt_id, (q1, q2, q3) = quiz[name]
        (attempt,) = attempts_of(database.engine, name)
        assert attempt.state == AttemptState.SUBMITTED and attempt.percent == 100
        stored = stored_answers(database.engine, attempt_id)
        assert {v: r for v, (r, _) in stored.items()} == {int(q1): "a", int(q2): ["a", "b"], int(q3): False}
    # The server log has the details the officers were spared.
    assert "Unhandled error on POST /attempts/" in log.read_text(errors="replace")
    assert master.poll() is None
    print(f"{outage}: the outage lasted {outage_seconds:.1f} s")


# ---------------------------------------------------------------- 3. a full disk under SQLite


@contextmanager
def tiny_filesystem(where: Path, size: str = "2m"):
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, f"this test mounts a {size} tmpfs and needs root to do so: {mounted.stderr}"
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write a ballast file until the filesystem refuses another byte."""
    ballast = directory / "ballast"
    chunk = b"\0" * 65536
    with open(ballast, "wb", buffering=0) as out:
        while True:
            try:
                out.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                break
    while True:  # the last few bytes too
        try:
            with open(ballast, "ab", buffering=0) as out:
                out.write(b"\0" * 512)
        except OSError:
            break
    return ballast


def test_disk_full_under_sqlite_then_retry_after_space_is_freed(tmp_path):
    with tiny_filesystem(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'marsa.db'}"
        engine = make_engine(url)
        upgrade_engine(engine)
        with Session(engine) as own:
            apply_package(own, read_package(MINI_COURSE), now=utcnow())
            create_user(own, username="amal", password=PASSWORD, role=Role.OFFICER, full_name="Test Amal")
            own.commit()
        engine.dispose()  # the last connection out checkpoints the WAL into the file

        log = tmp_path / "gunicorn.log"
        port = free_port()
        process = start_server(port, {"DATABASE_URL": url, "SECRET_KEY": SECRET,
                                      "COURSE_DIR": str(MINI_COURSE)}, workers=1, log=log)
        try:
            officer = sign_in(port, "amal")
            attempt_id, (q1, q2, q3) = start_quiz(officer, port)
            status, _, body = autosave(officer, port, attempt_id, q1, 1, "a")
            assert status == 200 and json.loads(body)["ok"], body

            ballast = fill(disk)
            stats = os.statvfs(disk)
            assert stats.f_bavail * stats.f_frsize < 4096, "the disk is not full"
            status, headers, body = autosave(officer, port, attempt_id, q2, 1, ["a", "b"])
            assert_clear_json_error(status, headers, body)
            status, headers, page = officer.post(port, f"/attempts/{attempt_id}/submit",
                                                 answer_form(attempt_id, q1, q2, q3))
            assert_clear_error_page(status, headers, page)
            # What was saved is intact and still shown, disk full or not.
            status, _, page = officer.get(port, f"/attempts/{attempt_id}")
            assert status == 200 and re.search(rf'name="q{q1}" value="{on_page(attempt_id, q1, "a")}" checked',
                                               page), page[:2000]
            assert "database or disk is full" in log.read_text(errors="replace"), log_tail(log)

            ballast.unlink()  # space comes back
            status, _, body = autosave(officer, port, attempt_id, q2, 1, ["a", "b"])  # the script's replay
            assert status == 200 and json.loads(body) == {"ok": True, "seq": 1, "question": int(q2)}, body
            status, headers, _ = officer.post(port, f"/attempts/{attempt_id}/submit",
                                              answer_form(attempt_id, q1, q2, q3))
            assert status == 302 and headers["Location"].endswith("/result"), log_tail(log)
        finally:
            stop_server(process)

        check = sqlite3.connect(disk / "marsa.db")
        try:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            attempts = check.execute("SELECT id, state, percent FROM attempts").fetchall()
            assert attempts == [(attempt_id, "submitted", 100.0)], attempts
            rows = dict(check.execute("SELECT question_version_id, response FROM attempt_answers "
                                      "WHERE attempt_id = ?", (attempt_id,)).fetchall())
            assert {k: json.loads(v) for k, v in rows.items()} == {int(q1): "a", int(q2): ["a", "b"], int(q3): False}
        finally:
            check.close()
