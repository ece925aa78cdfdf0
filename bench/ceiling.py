#!/usr/bin/env python3
"""Serving benchmarks on a generated institute, over loopback, with the production gunicorn command.

    .venv/bin/python bench/ceiling.py                                     # SQLite, 10,000 officers
    .venv/bin/python bench/ceiling.py --url postgresql://postgres@127.0.0.1:5432/marsa_bench

1. Start-up: seconds from spawning gunicorn to the first lesson page served to a signed-in officer.
2. The ceiling ratio: the real app's lesson page for a signed-in officer against a bare Flask app
   (``bench/bare_app.py``) returning the very same bytes, both under ``gunicorn --workers 2`` with
   the settings of ``gunicorn.conf.py`` (sync workers, preloaded), loaded with wrk (or a bounded
   Python client when wrk is missing), alternating real and bare runs to spread out machine noise.
3. The quiz path with 50 concurrent officers: open the quiz, start an attempt, load it, autosave every
   answer (the page script's POST), submit, see the result. Twice: "burst" (no pause: every officer
   clicks as fast as the server answers, the worst case) and "paced" (0.5-1.5 s between answers,
   still about 30 times faster than a person reading questions).
4. Memory (RSS, PSS, USS) of each worker after each stage, including after trainer reports and the
   institute-wide export.
"""
from __future__ import annotations

import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib
import httpload
from sqlalchemy import func, select

from course.extensions import db
from course.models import Attempt, AttemptAnswer, AttemptState, Cohort, CohortMember, Lesson, Module, Quiz, User


def mint(app, username: str) -> str:
    """Sign ``username`` in through the real login form and return the session cookie."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT, "REMOTE_ADDR": "127.0.0.1"})
    benchlib.sign_in(client, username)
    return benchlib.session_cookie(client)


def pick(app, quiz_key: str | None, needed: int) -> dict:
    with app.app_context():
        s = db.session
        module = s.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position))
        lesson = s.scalar(select(Lesson).where(Lesson.module_id == module.id, Lesson.retired.is_(False))
                          .order_by(Lesson.position))
        reader = s.scalar(select(User).where(User.role == "officer", User.language == "en").order_by(User.id))
        if quiz_key:
            quiz = s.scalar(select(Quiz).where(Quiz.key == quiz_key))
        else:  # the last module's quiz: the one most officers have not taken yet
            last = s.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position.desc()))
            quiz = s.scalar(select(Quiz).where(Quiz.module_id == last.id, Quiz.retired.is_(False)))
        fresh = benchlib.officers_who_can_start(s, quiz, needed)
        questions = len(quiz.active_questions)
        cohort = s.scalar(select(Cohort).where(Cohort.name != "All officers (institute-wide)").order_by(Cohort.id))
        everyone = s.scalar(select(Cohort).where(Cohort.name == "All officers (institute-wide)"))
        trainer_paths = [f"/trainer/cohorts/{cohort.id}", f"/trainer/cohorts/{cohort.id}/items",
                         f"/trainer/cohorts/{cohort.id}/gain", f"/trainer/cohorts/{cohort.id}/gradebook.csv"]
        member = s.scalar(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
        trainer_paths.append(f"/trainer/officers/{member}")
        officer_paths = ["/", f"/quizzes/{quiz.key}", "/attempts"]
        for m in s.scalars(select(Module).where(Module.retired.is_(False)).order_by(Module.position)):
            officer_paths.append(f"/modules/{m.slug}")
            officer_paths += [f"/modules/{m.slug}/lessons/{lesson_row.key}" for lesson_row in m.active_lessons]
        out = {"lesson_path": f"/modules/{module.slug}/lessons/{lesson.key}", "reader": reader.username,
               "quiz_key": quiz.key, "quiz_questions": questions, "fresh_officers": fresh,
               "officer_paths": officer_paths, "trainer_paths": trainer_paths,
               "export_path": f"/trainer/cohorts/{everyone.id}/gradebook.csv" if everyone else None}
        db.remove()
    return out


def quiz_outcome(app, usernames: list[str], quiz_key: str, since: datetime) -> dict:
    """What the database holds of the attempts these officers started since ``since`` (officers picked
    on a database an earlier run used may have older attempts at the same quiz)."""
    with app.app_context():
        s = db.session
        ids = list(s.scalars(select(User.id).where(User.username.in_(usernames))))
        quiz = s.scalar(select(Quiz).where(Quiz.key == quiz_key))
        theirs = (Attempt.user_id.in_(ids), Attempt.quiz_id == quiz.id, Attempt.started_at >= since)
        states = dict(s.execute(select(Attempt.state, func.count()).where(*theirs)
                                .group_by(Attempt.state)).all())
        saved = s.scalar(select(func.count()).select_from(AttemptAnswer).join(Attempt)
                         .where(*theirs, AttemptAnswer.seq > 0))
        db.remove()
    return {"attempts_by_state": {str(k.value if hasattr(k, "value") else k): v for k, v in states.items()},
            "answers_saved": saved, "submitted": states.get(AttemptState.SUBMITTED, 0)}


class CpuMeter:
    """CPU seconds spent by the server (gunicorn master and workers) and, for PostgreSQL, by the
    server processes serving this database, over one load run. Contention from other programs
    stretches wall-clock times but not CPU seconds per request, so this gives a second, steadier
    view of the ceiling ratio."""

    def __init__(self, server, url: str) -> None:
        self.server = server
        self.url = url

    def _db_pids(self) -> list[int]:
        if not self.url.startswith("postgresql"):
            return []
        from urllib.parse import urlsplit

        import psycopg
        parts = urlsplit(self.url)
        with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                             dbname=parts.path.lstrip("/")) as connection:
            rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()").fetchall()
        return [r[0] for r in rows]

    def __enter__(self):
        self.pids = self.server.pids()
        self.db_pids = self._db_pids()
        self.start_app = httpload.cpu_of(self.pids)
        self.start_db = httpload.cpu_of(self.db_pids)
        return self

    def __exit__(self, *_exc) -> None:
        self.app_s = httpload.cpu_of(self.pids) - self.start_app
        db_pids = set(self.db_pids) | set(self._db_pids())
        self.db_s = httpload.cpu_of(db_pids) - self.start_db  # backends opened during the run started at 0

    def record(self, result: dict) -> dict:
        requests = result.get("requests") or 0
        result["server_cpu_s"] = round(self.app_s, 3)
        result["db_cpu_s"] = round(self.db_s, 3)
        result["cpu_ms_per_request"] = 1000 * (self.app_s + self.db_s) / requests if requests else None
        return result


def measured_load(server, url: str, path: str, headers: dict, seconds: int, connections: int) -> dict:
    with CpuMeter(server, url) as meter:
        result = httpload.load(server.port, path, headers, seconds, connections)
    return meter.record(result)


def visit(port: int, cookie: str, paths: list[str], rounds: int) -> int:
    headers = {"Cookie": f"session={cookie}", "User-Agent": httpload.USER_AGENT}
    bad = 0
    for _ in range(rounds):
        for path in paths:
            if httpload.request(port, "GET", path, headers, timeout=120).status != 200:
                bad += 1
    return bad


def bench(url: str, seconds: int = 10, rounds: int = 3, connections: int = 8, officers: int = 50,
          think: tuple[float, float] = (0.5, 1.5), startups: int = 3, worker_class: str = "sync", threads: int = 1,
          quiz_key: str | None = None, quiet: bool = False, modes: tuple[str, ...] = ("burst", "paced"),
          wait: float = 180, waves: int = 3) -> dict:
    benchlib.check_url(url)
    benchlib.upgrade_schema(url, say=lambda text: click.echo(text, err=True))
    say = (lambda *_: None) if quiet else (lambda text: click.echo(text, err=True))
    name = benchlib.label(url)
    app = benchlib.bench_app(url, RATELIMIT_ENABLED=False)  # only mints cookies; the served app is untouched
    targets = pick(app, quiz_key, needed=waves * len(modes) * officers + 4)
    if len(targets["fresh_officers"]) < officers * waves * len(modes) + 2:
        raise click.ClickException(f"only {len(targets['fresh_officers'])} officers have not taken "
                                   f"{targets['quiz_key']}: regenerate the data (bench/generate.py --reset)")
    reader_cookie = mint(app, targets["reader"])
    admin_cookie = mint(app, benchlib.BENCH_ADMIN)
    page_headers = {"Cookie": f"session={reader_cookie}", "User-Agent": httpload.USER_AGENT}
    env = {"DATABASE_URL": url, "SECRET_KEY": benchlib.BENCH_SECRET_KEY}
    log = benchlib.OUT / f"gunicorn-{benchlib.backend(url)}.log"
    results = {"url": url, "backend": benchlib.backend(url), "code": benchlib.code_fingerprint(),
               "targets": {k: v for k, v in targets.items()
                                                                          if k not in ("fresh_officers",)},
               "load_before": Path("/proc/loadavg").read_text().split()[:3]}

    def quiet_now():
        return benchlib.wait_quiet(timeout=wait, say=say) if wait else None

    machine = results["machine"] = {}
    # 1. Start-up time to the first served page.
    startup = []
    machine["startup"] = quiet_now()
    for _ in range(startups):
        server = httpload.Server("app:create_app()", env, worker_class=worker_class, threads=threads, log=log)
        with server:
            seconds_to_page, _reply = server.wait_first_page(targets["lesson_path"], page_headers)
            startup.append(seconds_to_page)
    results["server"] = server.describe()
    results["gunicorn_command"] = " ".join(server.command).replace(str(benchlib.REPO) + "/", "")
    results["startup_s"] = startup
    results["startup_median_s"] = benchlib.median(startup)
    say(f"{name}: start-up to first lesson page {benchlib.fmt_ms(results['startup_median_s'])} "
        f"(runs: {', '.join(benchlib.fmt_ms(s) for s in startup)})")

    real = httpload.Server("app:create_app()", env, worker_class=worker_class, threads=threads, log=log)
    real.start()
    try:
        real.wait_first_page(targets["lesson_path"], page_headers)
        real.wait_workers()
        page = httpload.request(real.port, "GET", targets["lesson_path"], page_headers)
        body_file = benchlib.OUT / f"lesson-page-{benchlib.backend(url)}.html"
        body_file.write_bytes(page.body)
        results["lesson_page"] = {"path": targets["lesson_path"], "bytes": len(page.body),
                                  "content_type": page.header("Content-Type"),
                                  "sets_cookie": page.header("Set-Cookie") is not None}
        bare_env = {"BARE_BODY_FILE": str(body_file), "BARE_CONTENT_TYPE": page.header("Content-Type") or ""}
        bare = httpload.Server("bare_app:create_app()", bare_env, worker_class=worker_class, threads=threads,
                               pythonpath=str(benchlib.BENCH), log=benchlib.OUT / "gunicorn-bare.log")
        bare.start()
        try:
            bare.wait_first_page("/", {"User-Agent": httpload.USER_AGENT})
            bare.wait_workers()
            # 2. Ceiling: warm both, then alternate real / bare.
            httpload.load(real.port, targets["lesson_path"], page_headers, 3, connections)
            httpload.load(bare.port, "/", {"User-Agent": httpload.USER_AGENT}, 3, connections)
            real_runs, bare_runs = [], []
            machine["ceiling"] = []
            for _ in range(rounds):
                machine["ceiling"].append(quiet_now())
                real_runs.append(measured_load(real, url, targets["lesson_path"], page_headers, seconds,
                                               connections))
                bare_runs.append(measured_load(bare, "", "/", {"User-Agent": httpload.USER_AGENT}, seconds,
                                               connections))
            # A browser revalidating a page it already has sends If-None-Match: the view answers 304
            # when the page's ETag matches (it still signs the officer in and runs its queries).
            etag = page.header("ETag")
            if etag:
                machine["revalidation"] = quiet_now()
                revalidated = measured_load(real, url, targets["lesson_path"], {**page_headers, "If-None-Match": etag},
                                            seconds, connections)
                revalidated.pop("raw", None)
                results["lesson_304"] = revalidated
                say(f"{name}: lesson page revalidated (304): {revalidated['rps']:.0f} req/s, "
                    f"{revalidated.get('cpu_ms_per_request') or 0:.2f} ms CPU per request")
            results["bare_memory"] = bare.memory()
        finally:
            bare.stop()
        for run in real_runs + bare_runs:
            run.pop("raw", None)

        def summary(runs):
            return {"rps": benchlib.median([r["rps"] for r in runs]),
                    "cpu_ms_per_request": benchlib.median([r["cpu_ms_per_request"] for r in runs
                                                           if r.get("cpu_ms_per_request")]),
                    "p50_s": benchlib.median([r.get("p50_s") for r in runs]),
                    "p99_s": benchlib.median([r.get("p99_s") for r in runs]), "runs": runs,
                    "non_2xx": sum(r.get("non_2xx") or 0 for r in runs)}
        results["lesson"] = summary(real_runs)
        results["bare"] = summary(bare_runs)
        results["ratio"] = results["lesson"]["rps"] / results["bare"]["rps"]
        results["cpu_ratio"] = results["bare"]["cpu_ms_per_request"] / results["lesson"]["cpu_ms_per_request"]
        say(f"{name}: lesson page {results['lesson']['rps']:.0f} req/s (p50 "
            f"{benchlib.fmt_ms(results['lesson']['p50_s'])}, p99 {benchlib.fmt_ms(results['lesson']['p99_s'])}); "
            f"bare {results['bare']['rps']:.0f} req/s (p50 {benchlib.fmt_ms(results['bare']['p50_s'])}, p99 "
            f"{benchlib.fmt_ms(results['bare']['p99_s'])}); ratio {results['ratio']:.0%}; CPU per request "
            f"{results['lesson']['cpu_ms_per_request']:.2f} vs {results['bare']['cpu_ms_per_request']:.2f} ms "
            f"(ratio {results['cpu_ratio']:.0%})")
        memory = {"after lesson-page load": real.memory()}

        # Every officer page, several times (both workers get some).
        bad = visit(real.port, reader_cookie, targets["officer_paths"], rounds=4)
        memory["after every officer page x4"] = real.memory()

        # 3. The quiz path.
        fresh = targets["fresh_officers"]
        warm = [httpload.Officer(u, mint(app, u), random.Random(i)) for i, u in enumerate(fresh[:2])]
        httpload.run_quiz_path(real.port, warm, targets["quiz_key"], None)
        fresh = fresh[2:]
        results["quiz"] = {}
        for index, mode in enumerate(modes):
            runs, everyone = [], []
            since = datetime.now(UTC) - timedelta(seconds=1)
            machine[f"quiz {mode}"] = []
            for wave in range(waves):
                start = (index * waves + wave) * officers
                usernames = fresh[start:start + officers]
                everyone += usernames
                group = [httpload.Officer(u, mint(app, u), random.Random(1000 * (index * waves + wave) + i))
                         for i, u in enumerate(usernames)]
                machine[f"quiz {mode}"].append(quiet_now())
                with CpuMeter(real, url) as meter:
                    run = httpload.run_quiz_path(real.port, group, targets["quiz_key"],
                                                 None if mode == "burst" else think)
                meter.record(run)
                runs.append(run)
            outcome = httpload.merge_waves(runs)
            outcome["cpu_ms_per_request"] = benchlib.median([r["cpu_ms_per_request"] for r in runs
                                                             if r.get("cpu_ms_per_request")])
            outcome.pop("samples", None)
            outcome["database"] = quiz_outcome(app, everyone, targets["quiz_key"], since)
            outcome["think_s"] = None if mode == "burst" else think
            results["quiz"][mode] = outcome
            steps = outcome["steps"]
            say(f"{name}: quiz path ({mode}, {officers} officers x {waves} waves): {outcome['rps']:.0f} req/s; save "
                f"answer p99 {benchlib.fmt_ms(steps.get('save answer', {}).get('p99_s'))}, submit p99 "
                f"{benchlib.fmt_ms(steps.get('submit', {}).get('p99_s'))}; errors {outcome['error_count']}; "
                f"submitted {outcome['database']['submitted']}/{officers * waves}")
            memory[f"after quiz path ({mode})"] = real.memory()

        # 4. Trainer reports, then the institute-wide export, for memory.
        bad += visit(real.port, admin_cookie, targets["trainer_paths"], rounds=3)
        memory["after trainer reports x3"] = real.memory()
        if targets["export_path"]:
            bad += visit(real.port, admin_cookie, [targets["export_path"]], rounds=2)
            memory["after the all-officer CSV export x2"] = real.memory()
        results["memory"] = memory
        results["warmup_failures"] = bad
    finally:
        real.stop()
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    return results


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", default=None, help="Database URL (default: SQLite bench/out/marsa-bench-10000.db).")
@click.option("--seconds", default=10, show_default=True, help="Length of each wrk run.")
@click.option("--rounds", default=3, show_default=True, help="Alternating real/bare runs.")
@click.option("--connections", default=8, show_default=True)
@click.option("--officers", default=50, show_default=True, help="Concurrent officers on the quiz path.")
@click.option("--worker-class", default="sync", type=click.Choice(["sync", "gthread"]), show_default=True,
              help="Worker kind (gunicorn.conf.py ships one thread per worker: sync).")
@click.option("--threads", default=1, show_default=True, help="Threads per worker (with --worker-class gthread).")
@click.option("--quiz", "quiz_key", default=None, help="Quiz for the quiz path (default: the last module's).")
@click.option("--mode", "modes", multiple=True, type=click.Choice(["burst", "paced"]),
              help="Quiz path modes (default both).")
@click.option("--waves", default=3, show_default=True,
              help="Groups of --officers run one after the other per mode (more samples for p99).")
@click.option("--wait", default=180, show_default=True,
              help="Seconds to wait at most, before each stage, for other programs to leave the CPUs idle (0: never).")
@click.option("--json-out", default=None)
def main(url, seconds, rounds, connections, officers, worker_class, threads, quiz_key, modes, waves, wait, json_out):
    url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(10_000))
    # Stopped from outside (SIGTERM): unwind, so the servers this process started are stopped too.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    results = bench(url, seconds, rounds, connections, officers, worker_class=worker_class, threads=threads,
                    quiz_key=quiz_key, modes=tuple(modes) or ("burst", "paced"), wait=wait, waves=waves)
    mem = results["memory"]
    for stage, snapshot in mem.items():
        rss = ", ".join(f"{w.get('rss_mib', '?')}" for w in snapshot["workers"])
        click.echo(f"RSS per worker {stage}: {rss} MiB")
    if json_out:
        benchlib.write_json(Path(json_out), results)


if __name__ == "__main__":
    main()
