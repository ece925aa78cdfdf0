#!/usr/bin/env python3
"""Exam-morning load test: many officers answer and submit the same quiz within a minute, against
two app processes sharing one database. Afterwards every answer must be stored exactly once, no
attempt duplicated and no request failed.

Two phases, each timed: the officers sign in (as they arrive in the room), then the quiz starts and
they answer and submit it, starting over ``--spread`` seconds. The figure to hold is the second.

    .venv/bin/python tests/load/quiz_load.py --url postgresql://postgres@127.0.0.1:5432/marsa_load

Loopback only; every officer makes a bounded number of requests and the run stops by itself.
It creates the officers in the given database, which it empties first (never point it at real data).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from course.answertokens import AnswerTokens  # noqa: E402
from course.db import Base, make_engine  # noqa: E402
from course.migrate import upgrade_engine  # noqa: E402
from course.models import Attempt, AttemptAnswer, Quiz, Role, User  # noqa: E402
from course.models._types import utcnow  # noqa: E402
from course.package import apply_package, read_package  # noqa: E402
from course.services.users import hash_password  # noqa: E402
from tests.support.live import Browserish, free_port, start_server, stop_server  # noqa: E402

PASSWORD = "load-test-password-1"


def prepare(url: str, officers: int) -> str:
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    if engine.dialect.name == "sqlite":
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_engine(engine)
    from sqlalchemy.orm import Session
    with Session(engine) as session:
        apply_package(session, read_package(ROOT), now=utcnow())
        digest = hash_password(PASSWORD)  # one hash for all: scrypt is slow by design
        session.execute(User.__table__.insert(), [
            {"username": f"load{i}", "password_hash": digest, "role": Role.OFFICER.value,
             "full_name": f"Load Officer {i}", "language": "en", "is_active_account": True,
             "must_change_password": False, "session_token": f"tok{i:08d}"} for i in range(officers)])
        quiz_key = session.scalar(select(Quiz.key).where(Quiz.module_id.is_not(None)).order_by(Quiz.id))
        session.commit()
    engine.dispose()
    return quiz_key


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = {}
        self.failures: list[str] = []

    def record(self, step: str, seconds: float, ok: bool, detail: str = ""):
        with self.lock:
            self.timings.setdefault(step, []).append(seconds)
            if not ok:
                self.failures.append(f"{step}: {detail}")


def _timed(stats: Stats, step: str, call, ok_statuses=(200, 302)):
    began = time.perf_counter()
    status, headers, body = call()
    stats.record(step, time.perf_counter() - began, status in ok_statuses, f"HTTP {status}")
    return status, headers, body


def sign_in(index: int, ports: list[int], stats: Stats) -> Browserish:
    """Before the exam: the officer opens Marsa and signs in (each sign-in checks an scrypt hash,
    deliberately slow, so it is measured as its own phase)."""
    client = Browserish()
    port = ports[index % len(ports)]
    _timed(stats, "login page", lambda: client.get(port, "/login"))
    _timed(stats, "sign in", lambda: client.post(port, "/login", {"username": f"load{index}", "password": PASSWORD}))
    _timed(stats, "dashboard", lambda: client.get(port, "/"))  # where the sign-in redirects; it carries a fresh form token
    return client


def take_quiz(index: int, client: Browserish, ports: list[int], quiz_key: str, stats: Stats, expected: dict,
              arrives_at: float):
    # Officers start spread over the minute, not all at once; a late thread starts at once.
    time.sleep(max(0.0, arrives_at - time.monotonic()))
    port = ports[index % len(ports)]

    def timed(step, call, ok_statuses=(200, 302)):
        return _timed(stats, step, call, ok_statuses)

    status, headers, _ = timed("start attempt", lambda: client.post(port, f"/quizzes/{quiz_key}/start"))
    attempt_path = headers.get("Location", "")
    _, _, page = timed("attempt page", lambda: client.get(ports[(index + 1) % len(ports)], attempt_path))
    attempt_id = int(attempt_path.rsplit("/", 1)[1])
    questions = re.findall(r'data-question="(\d+)"', page)
    chosen = {}
    for seq, version in enumerate(questions, start=1):
        options = re.findall(rf'name="q{version}" value="([^"]+)"', page)
        if not options:
            continue
        value = random.choice(options)
        chosen[version] = value
        # Autosave goes to either process, as a load balancer would send it.
        answer_port = ports[(index + seq) % len(ports)]
        timed("save answer", lambda: client.post(answer_port, f"/attempts/{attempt_id}/answer",
                                                 {"question": version, "seq": "1", f"q{version}": value},
                                                 headers={"X-CSRFToken": client.csrf, "Accept": "application/json"}),
              ok_statuses=(200,))
        if random.random() < 0.1:  # a flaky connection: the browser's journal sends it again
            timed("save answer (replay)", lambda: client.post(answer_port, f"/attempts/{attempt_id}/answer",
                                                              {"question": version, "seq": "1", f"q{version}": value},
                                                              headers={"X-CSRFToken": client.csrf}),
                  ok_statuses=(200,))
    # Confirmed at once: questions without options stay unanswered, which would ask first.
    timed("submit", lambda: client.post(port, f"/attempts/{attempt_id}/submit", {"confirmed": "1"}))
    expected[attempt_id] = chosen


def _run_all(pool: ThreadPoolExecutor, calls: list, stats: Stats, label: str) -> list:
    futures = [pool.submit(*call) for call in calls]
    results = []
    for done, future in enumerate(futures, start=1):
        try:
            results.append(future.result(timeout=300))
        except Exception as error:  # a crashed officer thread is a failure to report, not to hide
            stats.failures.append(f"{label} thread: {error!r}")
            results.append(None)
        if done % 50 == 0:
            print(f"  {label}: {done}/{len(calls)} officers done", flush=True)
    return results


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="a database this test may empty")
    parser.add_argument("--officers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--spread", type=float, default=45.0, help="seconds over which officers start the quiz")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per process")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (as gunicorn.conf.py)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    print(f"Preparing {args.officers} officers ...", flush=True)
    quiz_key = prepare(args.url, args.officers)
    env = {"DATABASE_URL": args.url, "SECRET_KEY": "load-test", "COURSE_DIR": str(ROOT),
           "RATELIMIT_ENABLED": "0", "GUNICORN_CMD_ARGS": f"--threads {args.threads}"}
    ports = [free_port(), free_port()]
    servers = [start_server(port, env, workers=args.workers) for port in ports]
    stats, expected = Stats(), {}
    try:
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            began = time.perf_counter()
            clients = _run_all(pool, [(sign_in, i, ports, stats) for i in range(args.officers)], stats, "sign-in")
            signed_in = time.perf_counter() - began
            print(f"All signed in after {signed_in:.1f} s; the quiz starts", flush=True)
            began = time.perf_counter()
            start = time.monotonic()
            _run_all(pool, [(take_quiz, i, clients[i], ports, quiz_key, stats, expected,
                             start + args.spread * i / args.officers)
                            for i in range(args.officers) if clients[i] is not None], stats, "quiz")
            elapsed = time.perf_counter() - began
    finally:
        for server in servers:
            stop_server(server)

    engine = make_engine(args.url)
    from sqlalchemy.orm import Session
    problems = []
    with Session(engine) as session:
        attempts = session.scalar(select(func.count()).select_from(Attempt))
        per_user = session.execute(select(Attempt.user_id, func.count()).group_by(Attempt.user_id)
                                   .having(func.count() > 1)).all()
        if attempts != args.officers or per_user:
            problems.append(f"{attempts} attempts for {args.officers} officers; duplicated: {len(per_user)}")
        rows = session.execute(select(AttemptAnswer.attempt_id, AttemptAnswer.question_version_id,
                                      AttemptAnswer.response)).all()
        stored = {}
        for attempt_id, version, response in rows:
            key = (attempt_id, str(version))
            if key in stored:
                problems.append(f"answer stored twice: {key}")
            stored[key] = response
        missing = wrong = 0
        tokens = AnswerTokens.from_secret(env["SECRET_KEY"])

        def as_sent(attempt_id, version, response):
            """A stored response as the page named it: an option by the attempt's token."""
            if isinstance(response, bool):
                return "true" if response else "false"
            if isinstance(response, list) and len(response) == 1:
                response = response[0]
            return tokens.token(attempt_id, int(version), "option", response) if isinstance(response, str) else None

        for attempt_id, chosen in expected.items():
            for version, value in chosen.items():
                if (attempt_id, version) not in stored:
                    missing += 1
                elif as_sent(attempt_id, version, stored[(attempt_id, version)]) != value:
                    wrong += 1
        if missing or wrong:
            problems.append(f"{missing} answers missing, {wrong} answers differ from what was sent")
        unsubmitted = session.scalar(select(func.count()).select_from(Attempt).where(Attempt.submitted_at.is_(None)))
        if unsubmitted:
            problems.append(f"{unsubmitted} attempts not submitted")
    engine.dispose()
    answers_sent = sum(len(c) for c in expected.values())
    summary = {"officers": args.officers, "concurrency": args.concurrency, "processes": 2,
               "workers_per_process": args.workers, "threads_per_worker": args.threads, "database": make_engine(args.url).dialect.name,
               "seconds": round(elapsed, 1), "sign_in_seconds": round(signed_in, 1), "answers": answers_sent,
               "requests": sum(len(v) for v in stats.timings.values()), "failed_requests": len(stats.failures),
               "steps": {step: {"count": len(v), "median_ms": round(1000 * statistics.median(v), 1),
                                "p99_ms": round(1000 * percentile(v, 0.99), 1)} for step, v in stats.timings.items()},
               "problems": problems + stats.failures[:20]}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if problems or stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
