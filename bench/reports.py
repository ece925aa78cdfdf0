#!/usr/bin/env python3
"""Time every trainer report on a generated institute: the service functions, and the pages
through the Flask test client signed in as the bench admin (rendering included).

    .venv/bin/python bench/reports.py                                    # SQLite, 10,000 officers
    .venv/bin/python bench/reports.py --url postgresql://postgres@127.0.0.1:5432/marsa_bench

Each case runs once to warm up (compiled SQL cache, templates, Markdown cache), then ``--runs``
times (default 5, 3 for any case whose warm-up took over 3 s); the table shows the median, the
fastest and slowest run, the number of SQL statements and the size of the answer. Every service
run uses a fresh session, as a request does.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib
from sqlalchemy import func, select

from course.extensions import db
from course.models import Assignment, Attempt, Cohort, CohortMember, Quiz, User
from course.models._types import utcnow
from course.services import exports, progress, reports

ALL_COHORT_NAME = "All officers (institute-wide)"


def pick_targets(session) -> dict:
    """The cohort a trainer would open today: the most recently finished regular cohort (every module
    due date passed), with its size; an officer of it with many attempts; the items page's default quiz."""
    now = utcnow()
    regular = select(Cohort).where(Cohort.name != ALL_COHORT_NAME)
    last_due = dict(session.execute(select(Assignment.cohort_id, func.max(Assignment.due_at))
                                    .group_by(Assignment.cohort_id)).all())
    cohorts = list(session.scalars(regular.order_by(Cohort.id)))
    finished = [c for c in cohorts if last_due.get(c.id) and last_due[c.id] < now]
    cohort = (finished or cohorts)[-1]
    size = session.scalar(select(func.count()).select_from(CohortMember).where(CohortMember.cohort_id == cohort.id))
    officer_id, attempts = session.execute(
        select(Attempt.user_id, func.count()).join(CohortMember, CohortMember.user_id == Attempt.user_id)
        .where(CohortMember.cohort_id == cohort.id).group_by(Attempt.user_id)
        .order_by(func.count().desc(), Attempt.user_id).limit(1)).one()
    everyone = session.scalar(select(Cohort).where(Cohort.name == ALL_COHORT_NAME))
    everyone_size = session.scalar(select(func.count()).select_from(CohortMember)
                                   .where(CohortMember.cohort_id == everyone.id)) if everyone else 0
    quiz = exports.quiz_for_items(session, None)
    officers = session.scalar(select(func.count()).select_from(User).where(User.role == "officer"))
    return {"cohort_id": cohort.id, "cohort_name": cohort.name, "cohort_size": size, "officer_id": officer_id,
            "officer_attempts": attempts, "all_cohort_id": everyone.id if everyone else None,
            "all_cohort_size": everyone_size, "quiz_id": quiz.id, "quiz_key": quiz.key, "officers": officers,
            "attempts": session.scalar(select(func.count()).select_from(Attempt))}


# --------------------------------------------------------------------------- the cases

def service_cases(t: dict) -> list[tuple[str, str, callable]]:
    """(name, report, function(session) -> size in rows or bytes)."""
    def gradebook(s):
        page = reports.gradebook(s, s.get(Cohort, t["cohort_id"]), now=utcnow())
        return len(page.officers)

    def transcript(s):
        officer = s.get(User, t["officer_id"])
        header, rows = exports.transcript_table(s, officer)
        statuses = progress.statuses_for(s, [officer.id], progress.active_modules(s), now=utcnow())
        return len(rows) + len(statuses)

    def items(s):
        cohort, quiz = s.get(Cohort, t["cohort_id"]), s.get(Quiz, t["quiz_id"])
        stats = reports.item_analysis(s, cohort, quiz)
        reports.objective_mastery(s, stats)
        reports.score_distribution(s, cohort, quiz)
        return len(stats)

    def gain(s):
        cohort = s.get(Cohort, t["cohort_id"])
        result = reports.knowledge_gain(s, cohort)
        reports.completions_over_time(s, cohort)
        return result.paired

    def csv_of(cohort_id):
        def run(s):
            return len(exports.to_csv(*exports.gradebook_table(s, s.get(Cohort, cohort_id), now=utcnow())))
        return run

    cases = [
        ("gradebook", "gradebook page data (cohort, page 1 of 50 rows)", gradebook),
        ("transcript", "transcript (officer's statuses and attempts)", transcript),
        ("items", "item analysis (module quiz, cohort) + mastery + distribution", items),
        ("gain", "knowledge gain (cohort) + completions over time", gain),
        ("csv_cohort", "gradebook CSV export, cohort", csv_of(t["cohort_id"])),
    ]
    if t["all_cohort_id"]:
        cases.append(("csv_all", "gradebook CSV export, ALL officers", csv_of(t["all_cohort_id"])))
    return cases


def http_cases(t: dict) -> list[tuple[str, str, str]]:
    c, o = t["cohort_id"], t["officer_id"]
    cases = [
        ("gradebook", "GET gradebook page", f"/trainer/cohorts/{c}"),
        ("transcript", "GET officer page (transcript)", f"/trainer/officers/{o}"),
        ("transcript_csv", "GET transcript CSV", f"/trainer/officers/{o}/transcript.csv"),
        ("items", "GET item analysis page", f"/trainer/cohorts/{c}/items"),
        ("gain", "GET knowledge gain page", f"/trainer/cohorts/{c}/gain"),
        ("csv_cohort", "GET gradebook CSV, cohort", f"/trainer/cohorts/{c}/gradebook.csv"),
        ("cohorts", "GET cohorts list", "/trainer/"),
    ]
    if t["all_cohort_id"]:
        a = t["all_cohort_id"]
        cases += [("csv_all", "GET gradebook CSV, ALL officers", f"/trainer/cohorts/{a}/gradebook.csv"),
                  ("xlsx_all", "GET gradebook Excel, ALL officers", f"/trainer/cohorts/{a}/gradebook.xlsx")]
    return cases


def _measure(run, runs: int, slow_runs: int, warm: float, first_value) -> dict:
    """After the warm-up run (timed by the caller), time ``runs`` runs: wall clock, and this process's
    CPU time (which other programs on the machine cannot inflate; it leaves out PostgreSQL's own work)."""
    n = slow_runs if warm > 3 else runs
    times, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"median_s": benchlib.median(times), "min_s": min(times), "max_s": max(times), "runs": n,
            "cpu_median_s": benchlib.median(cpu), "warmup_s": warm, "size": first_value}


def bench(url: str, runs: int = 5, slow_runs: int = 3, only: set | None = None, quiet: bool = False,
          skip: set | None = None, wait: float = 120) -> dict:
    benchlib.check_url(url)
    benchlib.upgrade_schema(url, say=lambda text: click.echo(text, err=True))
    app = benchlib.bench_app(url)
    engine = db.engine
    with app.app_context():
        targets = pick_targets(db.session)
    db.remove()
    say = (lambda *_: None) if quiet else (lambda text: click.echo(text, err=True))
    say(f"{benchlib.label(url)}: {targets['officers']:,} officers, {targets['attempts']:,} attempts; cohort "
        f"#{targets['cohort_id']} ({targets['cohort_size']} officers), officer #{targets['officer_id']} "
        f"({targets['officer_attempts']} attempts), quiz {targets['quiz_key']}")
    results = {"url": url, "backend": benchlib.backend(url), "targets": targets, "service": {}, "http": {},
               "code": benchlib.code_fingerprint(),
               "load_before": Path("/proc/loadavg").read_text().split()[:3]}

    def case(section: str, key: str, name: str, run, extra: dict) -> None:
        """Warm up (counting the SQL statements), wait for a quiet machine, time; a failure is recorded."""
        try:
            with benchlib.QueryCounter(engine) as counter:
                start = time.perf_counter()
                first_value = run()
                warm = time.perf_counter() - start
            machine = benchlib.wait_quiet(timeout=wait) if wait else None
            row = _measure(run, runs, slow_runs, warm, first_value)
        except Exception as error:
            message = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
            results[section][key] = {"name": name, "error": message, **extra}
            say(f"  {section:<7} {name:<62} FAILED: {message}")
            return
        row.update(name=name, queries=counter.count, machine=machine, **extra)
        results[section][key] = row
        size = f", {row['size'] / 1024:,.0f} KiB" if section == "http" else ""
        say(f"  {section:<7} {name:<62} {benchlib.fmt_ms(row['median_s']):>9}  ({counter.count} queries{size})")

    for key, name, function in service_cases(targets):
        if (only and key not in only) or (skip and key in skip):
            continue

        def run(function=function):
            with app.app_context():
                try:
                    return function(db.session)
                finally:
                    db.remove()
        case("service", key, name, run, {})

    client = app.test_client()
    benchlib.sign_in(client, benchlib.BENCH_ADMIN)
    for key, name, path in http_cases(targets):
        if (only and key not in only) or (skip and key in skip):
            continue

        def run(path=path):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
            return len(response.get_data())
        case("http", key, name, run, {"path": path})
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    engine.dispose()
    return results


def print_table(results: dict) -> None:
    t = results["targets"]
    click.echo(f"\n{benchlib.label(results['url'])} — {t['officers']:,} officers, {t['attempts']:,} attempts; "
               f"cohort of {t['cohort_size']} officers")
    click.echo(f"{'report':<66} {'median':>9} {'min':>9} {'max':>9} {'cpu':>9} {'queries':>7}")
    for section in ("service", "http"):
        for row in results[section].values():
            if "error" in row:
                click.echo(f"{section + ': ' + row['name']:<66} FAILED: {row['error']}")
                continue
            click.echo(f"{section + ': ' + row['name']:<66} {benchlib.fmt_ms(row['median_s']):>9} "
                       f"{benchlib.fmt_ms(row['min_s']):>9} {benchlib.fmt_ms(row['max_s']):>9} "
                       f"{benchlib.fmt_ms(row['cpu_median_s']):>9} {row['queries']:>7}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", default=None, help="Database URL (default: SQLite bench/out/marsa-bench-10000.db).")
@click.option("--runs", default=5, show_default=True)
@click.option("--slow-runs", default=3, show_default=True, help="Runs for cases whose warm-up took over 3 s.")
@click.option("--only", multiple=True, help="Only these case keys (gradebook, transcript, items, gain, ...).")
@click.option("--skip", multiple=True, help="Leave out these case keys (e.g. xlsx_all).")
@click.option("--wait", default=120, show_default=True,
              help="Seconds to wait at most, before each case, for other programs to leave the CPUs idle (0: never).")
@click.option("--json-out", default=None)
def main(url, runs, slow_runs, only, skip, wait, json_out):
    url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(10_000))
    results = bench(url, runs, slow_runs, set(only) if only else None, skip=set(skip) if skip else None, wait=wait)
    print_table(results)
    if json_out:
        benchlib.write_json(Path(json_out), results)


if __name__ == "__main__":
    main()
