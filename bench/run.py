#!/usr/bin/env python3
"""Run every benchmark and write docs/PERFORMANCE.md.

    python3 bench/run.py                  # 1,000 and 10,000 officers, SQLite and PostgreSQL (~15-20 min)
    python3 bench/run.py --with-100k      # and 100,000 officers (generation and reports; ~20 min more)
    python3 bench/run.py --doc-only       # rewrite docs/PERFORMANCE.md from the results already in bench/out/

Each piece runs as its own process, with exactly the command printed in the document. Results go to
``bench/out/results/*.json`` (git-ignored); the analysis of the misses comes from ``bench/findings.md``
and is included as written. PostgreSQL is used only in the database ``marsa_bench`` (created here if
missing), never ``test``.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

sys.path.insert(0, str(HERE))
from project_venv import use_project_venv  # noqa: E402

use_project_venv(__file__)

import benchlib  # noqa: E402
import click  # noqa: E402

RESULTS = benchlib.OUT / "results"
DOC = REPO / "docs" / "PERFORMANCE.md"
FINDINGS = HERE / "findings.md"
PY = ".venv/bin/python"

TARGETS = {
    "ratio": 0.60,
    "save_p99": 0.100,
    "submit_p99": 0.250,
    "report_page": 0.300,
    "export": 3.0,
    "rss_mib": 80.0,
    "startup": 2.0,
}
REPORT_PAGES = ("gradebook", "transcript", "transcript_csv", "items", "gain", "csv_cohort")


# --------------------------------------------------------------------------- running the pieces

def log(text: str) -> None:
    click.secho(f"==> {text}", bold=True, err=True)


FAILURES: list[str] = []


def run(args: list[str], commands: list[str]) -> bool:
    """Run one piece; a failure is recorded (and shown in the document) and the run goes on."""
    printable = " ".join(shlex.quote(a) for a in args)
    commands.append(printable)
    log(printable)
    start = time.perf_counter()
    # Each piece may wait for a quiet machine for at most this long in all, so a machine that never
    # gets quiet delays the whole run by a bounded amount (about 15 minutes for the default run).
    env = {**os.environ, "MARSA_BENCH_WAIT_BUDGET": os.environ.get("MARSA_BENCH_WAIT_BUDGET", "150")}
    code = subprocess.run(args, cwd=REPO, env=env).returncode
    log(f"{'done' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - start:.0f} s")
    if code != 0:
        FAILURES.append(printable)
    return code == 0


def ensure_pg_database(url: str) -> bool:
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    benchlib.check_url(url)
    for _attempt in range(3):
        facts = benchlib.machine_facts(url)
        if facts["postgresql"] and not str(facts["postgresql"]).startswith("unreachable"):
            return True
        log(f"PostgreSQL: {facts['postgresql']}")
        time.sleep(3)
    created = subprocess.run(["createdb", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
                              "-U", parts.username or "postgres", name], capture_output=True, text=True)
    if created.returncode != 0:
        log(f"PostgreSQL: could not create {name}: {created.stderr.strip()}")
    facts = benchlib.machine_facts(url)
    return bool(facts["postgresql"]) and not str(facts["postgresql"]).startswith("unreachable")


def run_all(sizes: list[int], ceiling_size: int, pg_url: str | None, runs: int, seconds: int, wait: int,
            big_size: int | None) -> None:
    commands: list[str] = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    meta = {"started": started.isoformat(timespec="seconds"), "facts": benchlib.machine_facts(pg_url),
            "code": benchlib.code_fingerprint(), "commands": commands, "sizes": sizes, "big_size": big_size}
    backends = [("sqlite", None)] + ([("postgresql", pg_url)] if pg_url else [])
    for size in sizes + ([big_size] if big_size else []):
        big = size == big_size
        for backend, url in backends:
            url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(size))
            stem = f"{backend}-{size}"
            if not run([PY, "bench/generate.py", "--reset", "--officers", str(size), "--url", url,
                        "--json-out", f"bench/out/results/generate-{stem}.json"], commands):
                continue
            report_args = [PY, "bench/reports.py", "--url", url, "--json-out", f"bench/out/results/reports-{stem}.json",
                           "--wait", str(wait)]
            if big:
                report_args += ["--runs", "3", "--slow-runs", "1", "--skip", "xlsx_all"]
            else:
                report_args += ["--runs", str(runs)]
            run(report_args, commands)
            if size == ceiling_size:
                run([PY, "bench/ceiling.py", "--url", url, "--seconds", str(seconds), "--wait", str(max(wait, 60)),
                     "--json-out", f"bench/out/results/ceiling-{backend}.json"], commands)
                if backend == "sqlite":
                    run([PY, "bench/hotspots.py", "--url", url], commands)
        benchlib.write_json(RESULTS / "meta.json", {**meta, "failures": FAILURES, "finished": datetime.now(
            UTC).isoformat(timespec="seconds")})
    if ceiling_size not in sizes:
        log(f"note: no ceiling run (size {ceiling_size} not generated)")
    meta["failures"] = FAILURES
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["duration_min"] = round((datetime.now(UTC) - started).total_seconds() / 60, 1)
    benchlib.write_json(RESULTS / "meta.json", meta)


# --------------------------------------------------------------------------- the document

def ms(value) -> str:
    return benchlib.fmt_ms(value)


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def load(name: str):
    return benchlib.read_json(RESULTS / name)


def table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return out


def worst_rss(ceiling: dict | None, stages: tuple[str, ...]) -> float | None:
    if not ceiling:
        return None
    values = [w.get("rss_mib", 0) for stage, snap in ceiling["memory"].items() if stage in stages
              for w in snap["workers"]]
    return max(values) if values else None


def write_doc() -> None:
    meta = load("meta.json") or {}
    facts = meta.get("facts") or benchlib.machine_facts()
    sizes = sorted({int(p.stem.rsplit("-", 1)[1]) for p in RESULTS.glob("reports-*.json")})
    backends = ["sqlite", "postgresql"]
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    reports = {(b, n): load(f"reports-{b}-{n}.json") for b in backends for n in sizes}
    gens = {(b, n): load(f"generate-{b}-{n}.json") for b in backends for n in sizes}
    ceilings = {b: load(f"ceiling-{b}.json") for b in backends}
    prof = load("../profiles/profile-sqlite.json")
    main_size = 10_000 if 10_000 in sizes else (sizes[-1] if sizes else None)
    lines: list[str] = []
    w = lines.append

    w("# Performance")
    w("")
    w(f"Measured by `python3 bench/run.py` (started {meta.get('started', '?')}, finished {meta.get('finished', '?')}"
      f"{', ' + str(meta.get('duration_min')) + ' min' if meta.get('duration_min') else ''}). This file is written by "
      "that command: the figures below come from `bench/out/results/*.json`, the analysis of the misses from "
      "`bench/findings.md`. `bench/README.md` says how to run each piece.")
    w("")

    # ---- targets
    w("## Targets")
    w("")
    rows = []
    for b in backends:
        c = ceilings.get(b)
        if not c:
            continue
        cpu_ratio = c.get("cpu_ratio")
        rows.append([f"Lesson page ≥ 60 % of a bare Flask app's throughput ({names[b]})",
                     f"{c['ratio']:.0%} ({c['lesson']['rps']:.0f} vs {c['bare']['rps']:.0f} req/s)"
                     + (f"; by CPU cost per request {cpu_ratio:.0%}" if cpu_ratio else ""),
                     verdict(c["ratio"] >= TARGETS["ratio"])])
    for b in backends:
        c = ceilings.get(b)
        if not c:
            continue
        for mode in ("burst", "paced"):
            q = c["quiz"].get(mode)
            if not q:
                continue
            save, submit = q["steps"].get("save answer", {}), q["steps"].get("submit", {})
            label = "no pause" if mode == "burst" else "0.5–1.5 s between answers"
            if q.get("error_count"):
                rows.append([f"Quiz path, 50 concurrent officers, {label} ({names[b]})",
                             f"not measured: {q['error_count']} failed requests ({q['errors'][0]})", "–"])
                continue
            rows.append([f"Answer save p99 < 100 ms, 50 concurrent officers, {label} ({names[b]})",
                         ms(save.get("p99_s")), verdict(save.get("p99_s", 9) < TARGETS["save_p99"])])
            rows.append([f"Submit p99 < 250 ms, 50 concurrent officers, {label} ({names[b]})",
                         ms(submit.get("p99_s")), verdict(submit.get("p99_s", 9) < TARGETS["submit_p99"])])
    for b in backends:
        r = reports.get((b, main_size))
        if not r:
            continue
        pages = [(k, v) for k, v in r["http"].items() if k in REPORT_PAGES and "error" not in v]
        slowest = max(pages, key=lambda kv: kv[1]["median_s"]) if pages else None
        if slowest:
            rows.append([f"Every report page < 300 ms at {main_size:,} officers ({names[b]})",
                         f"slowest: {slowest[1]['name'].replace('GET ', '')} {ms(slowest[1]['median_s'])}",
                         verdict(slowest[1]["median_s"] < TARGETS["report_page"])])
        export = r["http"].get("csv_all")
        if export and "error" in export:
            rows.append([f"Full export (gradebook CSV of all {r['targets']['all_cohort_size']:,} officers) < 3 s "
                         f"({names[b]})", f"failed: {export['error']}", verdict(False)])
        elif export:
            rows.append([f"Full export (gradebook CSV of all {r['targets']['all_cohort_size']:,} officers) < 3 s "
                         f"({names[b]})", ms(export["median_s"]), verdict(export["median_s"] < TARGETS["export"])])
    for b in backends:
        c = ceilings.get(b)
        if not c:
            continue
        steady = worst_rss(c, ("after every officer page x4", "after quiz path (burst)", "after quiz path (paced)",
                               "after trainer reports x3"))
        peak = worst_rss(c, tuple(c["memory"]))
        rows.append([f"RSS per worker < 80 MB after warm-up ({names[b]})",
                     f"{steady:.0f} MiB (after the all-officer export: {peak:.0f} MiB)",
                     verdict(steady < TARGETS["rss_mib"] * 1e6 / 2**20)])
        rows.append([f"Start-up to first served page < 2 s ({names[b]})", ms(c["startup_median_s"]),
                     verdict(c["startup_median_s"] < TARGETS["startup"])])
    lines += table(["target", "measured", ""], rows)
    w("")
    w("Report timings are medians through the Flask test client signed in as an admin (rendering included); "
      "latencies of the quiz path and the lesson page are measured over loopback HTTP against gunicorn. "
      "RSS is in MiB (1 MiB = 1.05 MB, so the 80 MB target is 76.3 MiB).")
    w("")

    # ---- machine
    w("## The machine and the code measured")
    w("")
    code = meta.get("code", {})
    rows = [["CPUs (nproc)", f"{facts.get('nproc')} ({facts.get('cpu')})"],
            ["Memory", f"{facts.get('memory_gib')} GiB"], ["OS", f"{facts.get('os')}, Linux {facts.get('kernel')}"],
            ["Python", facts.get("python")], ["SQLite", facts.get("sqlite")], ["PostgreSQL", facts.get("postgresql")],
            ["Flask / SQLAlchemy / psycopg", f"{facts.get('flask')} / {facts.get('sqlalchemy')} / "
                                             f"{facts.get('psycopg')}"],
            ["gunicorn", facts.get("gunicorn")], ["Load tool", facts.get("wrk") or "Python threads (wrk missing)"],
            ["Code", f"HEAD {str(code.get('head'))[:12]}, working-tree sources sha256 {code.get('sources_sha256')} "
                     f"({code.get('files')} files)"]]
    lines += table(["", ""], rows)
    w("")
    versions: dict[str, list[str]] = {}
    for path in sorted(RESULTS.glob("*.json")):
        data = benchlib.read_json(path)
        if isinstance(data, dict) and isinstance(data.get("code"), dict):
            versions.setdefault(data["code"].get("sources_sha256"), []).append(
                "the start of the run" if path.stem == "meta" else path.stem)
    if len(versions) > 1:
        w("The app's sources changed while this run went on (pieces were re-run after later commits); the "
          "results were measured on these versions of its sources (sha256 of `app.py`, `course/**/*.py`, `templates/**/*.html`): "
          + "; ".join(f"`{k}`: {', '.join(v)}" for k, v in versions.items()) + ".")
        w("")
    w("Other programs may use the machine during a run (a test suite, a browser). Every timed "
      "section first waits, up to a limit, for the CPUs to be at least 85 % idle and records what it saw "
      "(`machine` in the JSON results); report timings also record this process's CPU time, which other programs "
      "cannot inflate. Sections that had to start on a busy machine are marked below.")
    w("")

    # ---- commands
    w("## Commands")
    w("")
    w("```sh")
    if meta.get("commands"):
        lines += meta["commands"]
    else:
        w("python3 bench/run.py")
    w("```")
    w("")

    # ---- data
    w("## Generated data")
    w("")
    rows = []
    for n in sizes:
        for b in backends:
            g = gens.get((b, n))
            if not g:
                continue
            c = g["counts"]
            rows.append([f"{n:,}", names[b], f"{c['attempts']:,}", f"{c['answers']:,}", f"{c['lesson_reads']:,}",
                         f"{g['database_bytes'] / 1e6:,.0f} MB", f"{g['total_s']:.0f} s",
                         f"{g['answers_per_s']:,}"])
    lines += table(["officers", "database", "attempts", "answer rows", "lesson reads", "size", "generation",
                    "answer rows/s (bulk phase)"], rows)
    g = gens.get(("sqlite", main_size)) or gens.get(("postgresql", main_size))
    if g:
        w("")
        c = g["counts"]
        w(f"At {main_size:,} officers: {c['users']:,} accounts ({c['trainers']} trainers, 2 admins), "
          f"{c['cohorts'] - 1} cohorts of {main_size // 100} plus one institute-wide cohort of everyone, "
          f"{c['assignments']} dated module assignments, {g['attempts_per_officer']} attempts per officer "
          f"({c['in_progress']} open, {c['expired']} expired) with {g['answers_per_attempt']} answer rows each "
          f"(one per question: the quizzes have 24–30), {c['overrides']} grade overrides, {c['audit']:,} audit "
          "entries. Scores as generated:")
        w("")
        lines += table(["quiz kind", "attempts", "mean %", "pass rate"],
                       [[k, f"{v['attempts']:,}", v["mean_percent"], f"{v['pass_rate']:.0%}"]
                        for k, v in g["scores"].items()])
        w("")
        w("The brief's \"about 3 attempts per officer … ~20 answers per attempt (so ~180,000 attempts and ~3.6 "
          "million answers at 10,000)\" does not add up (3 × 10,000 is 30,000 attempts), and an attempt here has one "
          "row per question of the real quizzes (24–30). The generator aims at the data volume with realistic "
          "behaviour (pre-test, lessons, 1–3 attempts per module quiz, post-test, drop-outs, cohorts still "
          "running): about 3 million answer rows and 120,000 attempts at 10,000 officers. "
          "`--retake-bias` raises the retake rate if a larger volume is wanted.")
    w("")

    # ---- reports
    if main_size:
        w(f"## Reports at {main_size:,} officers")
        w("")
        r0 = reports.get(("sqlite", main_size)) or reports.get(("postgresql", main_size))
        if r0:
            t = r0["targets"]
            w(f"Cohort #{t['cohort_id']} ({t['cohort_size']} officers, the most recently finished cohort), officer "
              f"#{t['officer_id']} ({t['officer_attempts']} attempts), item analysis of `{t['quiz_key']}` (the items "
              f"page's default quiz), exports of that cohort and of the institute-wide cohort "
              f"({t['all_cohort_size']:,} officers: Marsa has no export of all officers, so an admin gets one through a "
              f"cohort holding everyone, which the generator creates; it is the same route and code as a cohort's "
              f"export). Median of {r0['http'].get('gradebook', {}).get('runs', '?')} "
              "runs after a warm-up (3 runs, or 1 at 100,000, for cases slower than 3 s); \"CPU\" is this process's CPU "
              "time (for PostgreSQL the server's own work is not in it); \"q\" is the number of SQL statements.")
            w("")
        for section, title in (("http", "Through the app (test client, admin signed in, rendering included)"),
                               ("service", "Service functions only")):
            w(f"**{title}**")
            w("")
            rows = []
            keys = list((r0 or {}).get(section, {}).keys())
            for key in keys:
                row = [r0[section][key]["name"]]
                for b in backends:
                    r = reports.get((b, main_size))
                    v = r and r[section].get(key)
                    if v and "error" in v:
                        row += ["**failed**", "–", "–"]
                        continue
                    row += [ms(v["median_s"]) if v else "–", ms(v["cpu_median_s"]) if v else "–",
                            v["queries"] if v else "–"]
                rows.append(row)
            lines += table(["report", "SQLite", "CPU", "q", "PostgreSQL", "CPU", "q"], rows)
            w("")

        # ---- growth
        w("## Growth")
        w("")
        w("Median times through the app at each size (cohorts stay 100, so a cohort grows with the institute: "
          + ", ".join(f"{n // 100:,} officers at {n:,}" for n in sizes) + ").")
        w("")
        keys = list((r0 or {}).get("http", {}).keys())
        header = ["report"] + [f"{names[b]} {n:,}" for b in backends for n in sizes]
        rows = []
        for key in keys:
            row = [r0["http"][key]["name"].replace("GET ", "")]
            for b in backends:
                for n in sizes:
                    r = reports.get((b, n))
                    v = r and r["http"].get(key)
                    row.append(("**failed**" if "error" in v else ms(v["median_s"])) if v else "–")
            rows.append(row)
        lines += table(header, rows)
        w("")
        failed = [(names[b], n, v["name"], v["error"]) for (b, n), r in reports.items() if r
                  for section in ("service", "http") for v in r[section].values() if "error" in v]
        for name, n, case, error in failed:
            w(f"**Failed** on {name} at {n:,} officers: {case}: `{error}`")
            w("")
        gen_rows = []
        for n in sizes:
            for b in backends:
                g = gens.get((b, n))
                if g:
                    gen_rows.append(f"{names[b]} {n:,}: {g['total_s']:.0f} s")
        w("Generation time: " + "; ".join(gen_rows) + ".")
        if 100_000 not in sizes:
            w("")
            w("100,000 officers was not part of this run (`python3 bench/run.py --with-100k` adds it).")
        w("")

    # ---- ceiling
    w("## Lesson page against the bare-Flask ceiling")
    w("")
    any_c = next((c for c in ceilings.values() if c), None)
    if any_c:
        w(f"Both served by `{any_c['gunicorn_command'].split(' --bind')[0]} …` — {any_c['server']}, the "
          "configuration `python3 tasks.py run` starts (`gunicorn.conf.py`: preloaded app, access log on). The "
          f"page is `{any_c['lesson_page']['path']}` ({any_c['lesson_page']['bytes']:,} bytes) for a signed-in "
          "officer; the bare app (`bench/bare_app.py`) returns the same bytes with the same content type. "
          f"Load: `wrk -t2 -c8 -d{any_c['lesson']['runs'][0].get('seconds', 10)}s` over loopback, "
          f"{len(any_c['lesson']['runs'])} alternating runs each, medians shown.")
        w("")
        rows = []
        for b in backends:
            c = ceilings.get(b)
            if not c:
                continue
            for label, key in (("lesson page (real app)", "lesson"), ("bare Flask, same bytes", "bare")):
                v = c[key]
                cpu = v.get("cpu_ms_per_request")
                rows.append([names[b], label, f"{v['rps']:.0f}", ms(v["p50_s"]), ms(v["p99_s"]),
                             f"{cpu:.2f} ms" if cpu else "–", ", ".join(f"{r['rps']:.0f}" for r in v["runs"])])
            cpu_ratio = c.get("cpu_ratio")
            rows.append([names[b], "**ratio**", f"**{c['ratio']:.0%}**", "", "",
                         f"**{cpu_ratio:.0%}**" if cpu_ratio else "", ""])
            v = c.get("lesson_304")
            if v:
                cpu = v.get("cpu_ms_per_request")
                rows.append([names[b], "lesson page revalidated by the browser (If-None-Match → 304)",
                             f"{v['rps']:.0f}", ms(v.get("p50_s")), ms(v.get("p99_s")), f"{cpu:.2f} ms" if cpu else "–",
                             f"{v['rps']:.0f}"])
        lines += table(["database", "app", "req/s", "p50", "p99", "CPU per request", "runs (req/s)"], rows)
        w("")
        w("\"CPU per request\" is the CPU time of the gunicorn master and workers (plus, for PostgreSQL, the "
          "database server processes serving `marsa_bench`) over a run, divided by the requests served; other "
          "programs on the machine stretch wall-clock throughput but hardly this, so its ratio (bare ÷ real) is the "
          "steadier estimate of the ceiling ratio on an otherwise idle machine.")
        w("")

        # ---- quiz
        w("## Quiz path, 50 concurrent officers")
        w("")
        w(f"Each officer (a generated account with attempts left at `{any_c['targets']['quiz_key']}`, those who "
          "never took it first; "
          f"{any_c['targets']['quiz_questions']} questions — the real quizzes have 24–30, none has 20) opens the quiz "
          "page, starts an attempt, loads it, saves every answer as the page script does (POST with the CSRF header), "
          "submits the whole form and loads the result. *Burst*: no pause, all 50 start together (the worst "
          "case: everyone clicks at once, all the time). *Paced*: 0.5–1.5 s between answers (still ~30× faster "
          "than people reading questions). Every attempt was checked in the database afterwards. The req/s of a "
          "step is its number of requests divided by the length of the whole run. "
          + (f"Each mode ran {any_c['quiz']['burst'].get('waves', 1)} waves of 50 officers one after the other "
             "(new officers each time); the percentiles pool all waves."
             if any_c.get("quiz", {}).get("burst", {}).get("waves", 1) > 1 else ""))
        w("")
        rows = []
        for b in backends:
            c = ceilings.get(b)
            if not c:
                continue
            for mode, q in c["quiz"].items():
                for step, v in q["steps"].items():
                    rows.append([names[b], mode, step, v["requests"], f"{v['rps']:.1f}", ms(v["p50_s"]),
                                 ms(v["p95_s"]), ms(v["p99_s"]), ms(v["max_s"])])
                db_check = q["database"]
                cpu = q.get("cpu_ms_per_request")
                rows.append([names[b], mode, f"*all steps: {q['rps']:.0f} req/s over {q['seconds']:.0f} s"
                             + (f" ({q['waves']} waves)" if q.get("waves", 1) > 1 else "")
                             + (f", {cpu:.1f} ms server CPU per request" if cpu else "") + "; "
                             f"{db_check['submitted']}/{q['officers'] * q.get('waves', 1)} attempts submitted, "
                             f"{db_check['answers_saved']:,} answers stored, {q['error_count']} errors*",
                             "", "", "", "", "", ""])
        lines += table(["database", "mode", "step", "requests", "req/s", "p50", "p95", "p99", "max"], rows)
        w("")

        # ---- memory and startup
        w("## Memory per worker and start-up")
        w("")
        rows = []
        for b in backends:
            c = ceilings.get(b)
            if not c:
                continue
            for stage, snap in c["memory"].items():
                workers = snap["workers"]
                rows.append([names[b], stage, " / ".join(str(x.get("rss_mib")) for x in workers),
                             " / ".join(str(x.get("pss_mib")) for x in workers),
                             " / ".join(str(x.get("uss_mib")) for x in workers)])
            bare = c.get("bare_memory", {}).get("workers", [])
            rows.append([names[b], "bare Flask app, after its load", " / ".join(str(x.get("rss_mib")) for x in bare),
                         " / ".join(str(x.get("pss_mib")) for x in bare),
                         " / ".join(str(x.get("uss_mib")) for x in bare)])
        lines += table(["database", "after", "RSS MiB (worker 1 / 2)", "PSS MiB", "USS (private) MiB"], rows)
        w("")
        rows = [[names[b], ms(c["startup_median_s"]), ", ".join(ms(s) for s in c["startup_s"])]
                for b, c in ceilings.items() if c]
        w("Start-up: from spawning gunicorn to the first lesson page served (HTTP 200) to a signed-in officer; "
          "each run starts a new gunicorn.")
        w("")
        lines += table(["database", "median", "runs"], rows)
        w("")

    for note in meta.get("notes", []):
        w(f"Note: {note}")
        w("")
    if meta.get("failures"):
        w("## Pieces that failed in this run")
        w("")
        for item in meta["failures"]:
            w(f"- `{item}`")
        w("")

    # ---- machine record
    busy = []
    for (b, n), r in reports.items():
        if not r:
            continue
        for section in ("service", "http"):
            for key, v in r[section].items():
                m = v.get("machine")
                if m and not m.get("quiet"):
                    busy.append(f"{names[b]} {n:,} {section} {key} (idle {m['idle_share']:.0%})")
    for b, c in ceilings.items():
        if not c:
            continue
        for stage, m in c.get("machine", {}).items():
            for item in (m if isinstance(m, list) else [m]):
                if item and not item.get("quiet"):
                    busy.append(f"{names[b]} ceiling {stage} (idle {item['idle_share']:.0%})")
    w("## Sections measured on a busy machine")
    w("")
    w("These started after waiting the maximum time without finding the CPUs ≥ 85 % idle; their wall-clock "
      "figures are pessimistic (compare their CPU time): " + ("; ".join(busy) if busy else "none.") )
    w("")

    # ---- profiles
    if prof:
        w("## Profiles")
        w("")
        w("`bench/hotspots.py` runs the hot requests in one process through the Flask test client (no gunicorn, no "
          "network) on SQLite; own CPU time by package (cProfile):")
        w("")
        rows = []
        for p in prof["profiles"]:
            top = ", ".join(f"{name} {100 * s / max(1e-12, sum(x for _n, x in p['split'])):.0f} %"
                            for name, s in p["split"][:4])
            rows.append([p["label"], ms(p["cpu_s"]), f"{p.get('queries', 0):.0f}", top])
        lines += table(["request", "CPU per call", "SQL", "where the CPU goes"], rows)
        w("")
        w("Call trees: `bench/out/profiles/*.txt` (pyinstrument).")
        w("")

    # ---- findings
    if FINDINGS.exists():
        lines += FINDINGS.read_text().rstrip().splitlines()
        w("")
    # Commands are run from the repository: show them relative to it (sqlite:////abs/bench/out/x.db
    # becomes sqlite:///bench/out/x.db), so the document reads the same on every machine.
    import serving  # the section `bench/serving.py` writes (its before/after runs) is kept as it is
    DOC.write_text(serving.keep_section("\n".join(lines).replace(str(REPO) + "/", "") + "\n"))
    log(f"wrote {DOC.relative_to(REPO)}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--sizes", default="1000,10000", show_default=True, help="Officer counts to generate and report on.")
@click.option("--with-100k", "with_big", is_flag=True, help="Also 100,000 officers (generation and reports).")
@click.option("--ceiling-size", default=10_000, show_default=True, help="Data set the serving benchmarks use.")
@click.option("--pg-url", default=benchlib.DEFAULT_PG_URL, show_default=True)
@click.option("--no-pg", is_flag=True, help="SQLite only.")
@click.option("--runs", default=5, show_default=True, help="Timed runs per report.")
@click.option("--seconds", default=10, show_default=True, help="Length of each wrk run.")
@click.option("--wait", default=120, show_default=True, help="Max seconds to wait for a quiet machine per section.")
@click.option("--doc-only", is_flag=True, help="Only rewrite docs/PERFORMANCE.md from bench/out/results.")
def main(sizes, with_big, ceiling_size, pg_url, no_pg, runs, seconds, wait, doc_only):
    if not doc_only:
        # Measure start-up as `tasks.py run` serves: with the app byte-compiled.
        subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "course"], cwd=REPO, check=False)
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
        pg = None if no_pg else pg_url
        if pg and not ensure_pg_database(pg):
            log("PostgreSQL is not reachable: SQLite only")
            pg = None
        run_all(size_list, ceiling_size, pg, runs, seconds, wait, 100_000 if with_big else None)
    write_doc()


if __name__ == "__main__":
    main()
