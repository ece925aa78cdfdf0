#!/usr/bin/env python3
"""The serving benchmark: one pinned command, run before and after a change, every figure in one run.

    python3 bench/serving.py --label before          # SQLite and PostgreSQL, then docs/PERFORMANCE.md
    python3 bench/serving.py --label after --kolibri # also Kolibri's sign-in page, its memory, start-up

What one run measures, on a freshly generated institute of ``--officers`` officers per database:

1. start-up: seconds from spawning gunicorn (the shipped ``gunicorn.conf.py``: 2 sync workers,
   preloaded) to the first sign-in page answered (HTTP 200), three times;
2. throughput with ``wrk -t2 -c16 -d8s``, ``--rounds`` alternating runs of: a bare Flask app serving
   the lesson page's bytes (``bench/bare_app.py``, the framework's ceiling), the real lesson page
   for a signed-in officer, the real sign-in page for a visitor;
3. memory of the whole server (PSS of the gunicorn master plus its workers, from
   ``/proc/PID/smaps_rollup``): idle after start-up, after the loads, after the quiz path;
4. the paced quiz path (50 officers at once, 0.5-1.5 s between answers, ``--waves`` groups): save
   and submit p99;
5. (SQLite, when Chromium and Playwright are there) the lesson page over a throttled link (256 kbit/s
   each way, 300 ms latency: Chromium's ``Network.emulateNetworkConditions`` through CDP), cold and
   warm cache, English and Arabic: bytes transferred, first paint, first contentful paint, load;
6. with ``--kolibri``, a peer: Kolibri (``pip install kolibri`` into ``bench/out/kolibri-venv``, its
   own virtualenv, created when missing) started the same way, its sign-in page under the same wrk
   command, its whole-process-tree PSS idle and after.

The results go to ``bench/out/results/serving-LABEL.json`` and into docs/PERFORMANCE.md between the
``serving`` markers (a run replaces the block of its own label and keeps the others, so the
"before" block stays next to the "after" one; ``bench/run.py`` keeps the whole section when it
rewrites the rest of the document). Nothing here is imported by the app or the tests.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

sys.path.insert(0, str(HERE))
from project_venv import VENV_PYTHON, use_project_venv  # noqa: E402

use_project_venv(__file__)

import benchlib  # noqa: E402
import click  # noqa: E402
import httpload  # noqa: E402

RESULTS = benchlib.OUT / "results"
DOC = REPO / "docs" / "PERFORMANCE.md"
START, END = "<!-- serving:start -->", "<!-- serving:end -->"
KOLIBRI_VENV = benchlib.OUT / "kolibri-venv"
KOLIBRI_HOME = benchlib.OUT / "kolibri-home"
THINK = (0.5, 1.5)

TARGETS = {"lesson_ratio": 0.35, "save_p99": 0.100, "submit_p99": 0.250, "startup": 1.5}


def say(text: str) -> None:
    click.echo(text, err=True)


def loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


# --------------------------------------------------------------------------- memory of a process tree

def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def tree_pss(pid: int) -> dict:
    """PSS (and RSS) summed over a process and all its descendants, in MiB."""
    pids = descendants(pid)
    parts = [httpload.memory_of(p) for p in pids]
    return {"processes": len(parts), "pss_mib": round(sum(p.get("pss_mib", 0) for p in parts), 1),
            "rss_mib": round(sum(p.get("rss_mib", 0) for p in parts), 1),
            "uss_mib": round(sum(p.get("uss_mib", 0) for p in parts), 1)}


def quiet() -> dict:
    """Wait (bounded: MARSA_BENCH_WAIT_BUDGET in all) for other programs to leave the CPUs idle, and
    record what was seen: the machine is shared."""
    return benchlib.wait_quiet(timeout=90, say=say)


# --------------------------------------------------------------------------- one database

def wrk_run(port: int, path: str, headers: dict, seconds: int, connections: int, server=None) -> dict:
    """One wrk run; with ``server``, also the server's CPU time per request (master and workers,
    from /proc): other programs on the machine stretch wall-clock throughput, hardly this."""
    if server is None:
        result = httpload.load(port, path, headers, seconds, connections)
    else:
        from ceiling import CpuMeter
        with CpuMeter(server, "") as meter:
            result = httpload.load(port, path, headers, seconds, connections)
        meter.record(result)
    result.pop("raw", None)
    return result


def serve_database(url: str, seconds: int, connections: int, rounds: int, waves: int, officers: int,
                   browser: bool) -> dict:
    from ceiling import mint, pick
    name = benchlib.label(url)
    benchlib.upgrade_schema(url, say=say)
    app = benchlib.bench_app(url, RATELIMIT_ENABLED=False)  # only mints cookies; the served app is untouched
    targets = pick(app, None, needed=waves * officers + 2)
    if len(targets["fresh_officers"]) < waves * officers + 2:
        raise click.ClickException(f"only {len(targets['fresh_officers'])} officers can start {targets['quiz_key']}")
    reader_cookie = mint(app, targets["reader"])
    lesson = targets["lesson_path"]
    agent = {"User-Agent": httpload.USER_AGENT}
    page_headers = {"Cookie": f"session={reader_cookie}", **agent}
    env = {"DATABASE_URL": url, "SECRET_KEY": benchlib.BENCH_SECRET_KEY}
    log = benchlib.OUT / f"gunicorn-serving-{benchlib.backend(url)}.log"
    out: dict = {"url": url, "lesson_path": lesson, "load_before": loadavg()}

    startup = []
    out["machine_startup"] = quiet()
    for _ in range(3):
        server = httpload.Server("app:create_app()", env, log=log)
        with server:
            seconds_to_page, _reply = server.wait_first_page("/login", agent)
            startup.append(seconds_to_page)
    out["startup_s"] = startup
    out["startup_median_s"] = benchlib.median(startup)
    out["gunicorn_command"] = " ".join(server.command).replace(str(benchlib.REPO) + "/", "")
    say(f"{name}: start-up to the first sign-in page {benchlib.fmt_ms(out['startup_median_s'])} "
        f"({', '.join(benchlib.fmt_ms(s) for s in startup)})")

    real = httpload.Server("app:create_app()", env, log=log)
    real.start()
    try:
        real.wait_first_page("/login", agent)
        real.wait_workers()
        time.sleep(1.0)
        out["pss_idle"] = tree_pss(real.process.pid)
        page = httpload.request(real.port, "GET", lesson, page_headers)
        login_page = httpload.request(real.port, "GET", "/login", agent)
        body_file = benchlib.OUT / f"serving-lesson-{benchlib.backend(url)}.html"
        body_file.write_bytes(page.body)
        out["lesson_bytes"] = len(page.body)
        out["login_bytes"] = len(login_page.body)
        bare = httpload.Server("bare_app:create_app()", {"BARE_BODY_FILE": str(body_file),
                                                         "BARE_CONTENT_TYPE": page.header("Content-Type") or ""},
                               pythonpath=str(benchlib.BENCH), log=benchlib.OUT / "gunicorn-bare.log")
        bare.start()
        try:
            bare.wait_first_page("/", agent)
            bare.wait_workers()
            for port, path, headers in ((bare.port, "/", agent), (real.port, lesson, page_headers),
                                        (real.port, "/login", agent)):
                wrk_run(port, path, headers, 2, connections)  # warm-up
            runs: dict[str, list[dict]] = {"bare": [], "lesson": [], "login": []}
            out["machine_load"] = quiet()
            for _ in range(rounds):
                runs["bare"].append(wrk_run(bare.port, "/", agent, seconds, connections, bare))
                runs["lesson"].append(wrk_run(real.port, lesson, page_headers, seconds, connections, real))
                runs["login"].append(wrk_run(real.port, "/login", agent, seconds, connections, real))
        finally:
            bare.stop()
        out["load"] = runs
        for key, values in runs.items():
            out[key] = {"rps": [r["rps"] for r in values], "p50_s": [r.get("p50_s") for r in values],
                        "cpu_ms": [r.get("cpu_ms_per_request") for r in values],
                        "p99_s": [r.get("p99_s") for r in values],
                        "non_2xx": sum(r.get("non_2xx") or 0 for r in values)}
        out["lesson_ratio"] = [lr / br for lr, br in zip(out["lesson"]["rps"], out["bare"]["rps"])]
        out["login_ratio"] = [lr / br for lr, br in zip(out["login"]["rps"], out["bare"]["rps"])]
        out["pss_after_load"] = tree_pss(real.process.pid)
        say(f"{name}: bare {out['bare']['rps']}, lesson {out['lesson']['rps']}, login {out['login']['rps']} req/s; "
            f"PSS idle {out['pss_idle']['pss_mib']} MiB, after {out['pss_after_load']['pss_mib']} MiB")

        if browser:
            try:
                out["browser"] = throttled_lesson(app, real.port, lesson)
            except Exception as error:  # optional: recorded, not fatal
                out["browser"] = {"error": f"{type(error).__name__}: {error}"}
                say(f"{name}: browser measurement failed: {out['browser']['error']}")

        fresh = targets["fresh_officers"]
        warm = [httpload.Officer(u, mint(app, u), random.Random(i)) for i, u in enumerate(fresh[:2])]
        httpload.run_quiz_path(real.port, warm, targets["quiz_key"], None)
        fresh = fresh[2:]
        wave_results = []
        out["machine_quiz"] = quiet()
        for wave in range(waves):
            group = [httpload.Officer(u, mint(app, u), random.Random(1000 * wave + i))
                     for i, u in enumerate(fresh[wave * officers:(wave + 1) * officers])]
            wave_results.append(httpload.run_quiz_path(real.port, group, targets["quiz_key"], THINK))
        quiz = httpload.merge_waves(wave_results)
        quiz.pop("samples", None)
        out["quiz"] = {"officers": officers, "waves": waves, "quiz_key": targets["quiz_key"],
                       "errors": quiz["error_count"], "first_errors": quiz["errors"][:3],
                       "save_p99_s": quiz["steps"].get("save answer", {}).get("p99_s"),
                       "submit_p99_s": quiz["steps"].get("submit", {}).get("p99_s"),
                       "steps": quiz["steps"]}
        out["pss_after_quiz"] = tree_pss(real.process.pid)
        say(f"{name}: paced quiz path save p99 {benchlib.fmt_ms(out['quiz']['save_p99_s'])}, submit p99 "
            f"{benchlib.fmt_ms(out['quiz']['submit_p99_s'])}, errors {quiz['error_count']}")
    finally:
        real.stop()
    out["load_after"] = loadavg()
    return out


# --------------------------------------------------------------------------- a throttled link

THROTTLE = {"offline": False, "latency": 300, "downloadThroughput": 256_000 / 8, "uploadThroughput": 256_000 / 8}
CHROMIUM = "/usr/bin/chromium"


def throttled_lesson(app, port: int, lesson: str) -> dict:
    """The lesson page as an officer at a land port sees it: 256 kbit/s each way, 300 ms latency."""
    from ceiling import mint
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from course.extensions import db
    from course.models import User
    with app.app_context():
        readers = {lang: db.session.scalar(select(User.username).where(User.role == "officer", User.language == lang)
                                           .order_by(User.id.desc())) for lang in ("en", "ar")}
        db.remove()
    base = f"http://{httpload.HOST}:{port}"
    out = {"throttle": {"latency_ms": 300, "kbit_s": 256}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            for lang, username in readers.items():
                context = browser.new_context(user_agent=httpload.USER_AGENT)
                context.add_cookies([{"name": "session", "value": mint(app, username), "url": base}])
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", THROTTLE)
                transferred = {"bytes": 0, "requests": 0}

                def finished(event, transferred=transferred):
                    transferred["bytes"] += int(event.get("encodedDataLength") or 0)
                    transferred["requests"] += 1
                cdp.on("Network.loadingFinished", finished)
                visits = {}
                for visit in ("cold", "warm"):
                    transferred.update(bytes=0, requests=0)
                    page.goto(base + lesson, wait_until="load", timeout=120_000)
                    page.wait_for_timeout(300)
                    timing = page.evaluate("""() => {
                        const paint = Object.fromEntries(performance.getEntriesByType('paint')
                                                         .map(e => [e.name, e.startTime]));
                        const nav = performance.getEntriesByType('navigation')[0];
                        return {first_paint_ms: paint['first-paint'] ?? null,
                                first_contentful_paint_ms: paint['first-contentful-paint'] ?? null,
                                response_start_ms: nav.responseStart, dom_content_loaded_ms: nav.domContentLoadedEventEnd,
                                load_ms: nav.loadEventEnd, lang: document.documentElement.lang}; }""")
                    visits[visit] = {**timing, **transferred}
                out[lang] = visits
                say(f"  throttled lesson page ({lang}): " + "; ".join(
                    f"{v}: {d['bytes']:,} B in {d['requests']} requests, first paint {d['first_paint_ms']:.0f} ms, "
                    f"load {d['load_ms']:.0f} ms" for v, d in visits.items()))
                context.close()
        finally:
            browser.close()
    return out


# --------------------------------------------------------------------------- Kolibri, the peer

def kolibri(seconds: int, connections: int, rounds: int) -> dict:
    """Kolibri in a virtualenv of its own (``pip install kolibri``), started as its docs say
    (``kolibri start --foreground``), provisioned once so its sign-in page is served."""
    bin_dir = KOLIBRI_VENV / "bin"
    if not (bin_dir / "kolibri").exists():
        say("Kolibri: creating bench/out/kolibri-venv and installing kolibri from PyPI")
        subprocess.run(["python3", "-m", "venv", str(KOLIBRI_VENV)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "kolibri"], check=True)
    env = {**os.environ, "KOLIBRI_HOME": str(KOLIBRI_HOME), "KOLIBRI_RUN_MODE": "bench"}
    env.pop("PYTHONPATH", None)
    version = subprocess.run([str(bin_dir / "kolibri"), "--version"], capture_output=True, text=True,
                             env=env).stdout.strip()
    if not (KOLIBRI_HOME / "marsa-bench-provisioned").exists():
        say("Kolibri: first run (migrations, provisioning a facility)")
        KOLIBRI_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(bin_dir / "kolibri"), "manage", "provisiondevice", "--facility", "Bench", "--preset",
                        "formal", "--superusername", "admin", "--superuserpassword", "bench-password-2026",
                        "--language_id", "en", "--noinput"], env=env, check=True, capture_output=True)
        (KOLIBRI_HOME / "marsa-bench-provisioned").write_text("yes\n")
    out = {"version": version, "startup_s": []}

    def start(port: int) -> subprocess.Popen:
        return subprocess.Popen([str(bin_dir / "kolibri"), "start", "--foreground", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: kolibri and the processes it started
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def first_page(process, port: int, path: str, deadline_s: float = 120) -> tuple[float, httpload.Reply]:
        started = time.perf_counter()
        while time.perf_counter() - started < deadline_s:
            if process.poll() is not None:
                raise RuntimeError(f"kolibri exited with {process.returncode}")
            try:
                reply = httpload.request(port, "GET", path, {"User-Agent": httpload.USER_AGENT}, timeout=30)
            except OSError:
                time.sleep(0.02)
                continue
            if reply.status == 200:
                return time.perf_counter() - started, reply
            if reply.status in (301, 302) and path == "/":
                path = re.sub(r"^https?://[^/]+", "", reply.header("Location") or "/")
                continue
            time.sleep(0.02)
        raise RuntimeError(f"kolibri did not serve {path}")

    path = "/"
    for _ in range(3):
        port = httpload.free_port()
        started = time.perf_counter()
        process = start(port)
        try:
            _seconds, reply = first_page(process, port, path)
            out["startup_s"].append(time.perf_counter() - started)
            path = out["path"] = first_redirect_target(port, path) if path == "/" else path
        finally:
            stop(process)
    out["startup_median_s"] = benchlib.median(out["startup_s"])
    port = httpload.free_port()
    process = start(port)
    try:
        _seconds, reply = first_page(process, port, path)
        time.sleep(3.0)
        out["bytes"] = len(reply.body)
        out["pss_idle"] = tree_pss(process.pid)
        wrk_run(port, path, {"User-Agent": httpload.USER_AGENT}, 2, connections)
        runs = [wrk_run(port, path, {"User-Agent": httpload.USER_AGENT}, seconds, connections) for _ in range(rounds)]
        out["rps"] = [r["rps"] for r in runs]
        out["p50_s"] = [r.get("p50_s") for r in runs]
        out["p99_s"] = [r.get("p99_s") for r in runs]
        out["non_2xx"] = sum(r.get("non_2xx") or 0 for r in runs)
        out["pss_after_load"] = tree_pss(process.pid)
    finally:
        stop(process)
    say(f"Kolibri {version}: sign-in page {path} {out['bytes']:,} B, {out['rps']} req/s; start-up "
        f"{benchlib.fmt_ms(out['startup_median_s'])}; PSS idle {out['pss_idle']['pss_mib']} MiB, after "
        f"{out['pss_after_load']['pss_mib']} MiB")
    return out


def first_redirect_target(port: int, path: str) -> str:
    for _ in range(5):
        reply = httpload.request(port, "GET", path, {"User-Agent": httpload.USER_AGENT}, timeout=30)
        if reply.status not in (301, 302, 303, 307, 308):
            return path
        path = re.sub(r"^https?://[^/]+", "", reply.header("Location") or "/")
    return path


# --------------------------------------------------------------------------- the document

def fmt_list(values, fmt) -> str:
    return ", ".join(fmt(v) for v in values if v is not None)


def run_block(result: dict) -> list[str]:
    """The Markdown of one run."""
    lines: list[str] = []
    w = lines.append
    label = result["label"]
    w(f"<!-- serving-run:{label} -->")
    w(f"### Run \"{label}\": {result['started']}")
    w("")
    w(f"Command: `{result['command']}`. Code: {result.get('code_label') or 'HEAD ' + str(result['code'].get('head'))[:12]}, sources sha256 "
      f"{result['code'].get('sources_sha256')}. 1-minute load average before: {result['load_before'][0]}, "
      f"after: {result['load_after'][0]} (2 CPUs; other programs may share them). Load: "
      f"`wrk -t2 -c{result['connections']} -d{result['seconds']}s`, {result['rounds']} alternating rounds of "
      "bare / lesson / sign-in; every figure of a row is one round.")
    w("")
    w("| database | what | req/s | share of bare | p50 | p99 | server CPU per request | share of bare by CPU |")
    w("|---|---|---|---|---|---|---|---|")
    for key, db in result["databases"].items():
        for what, name in (("bare", f"bare Flask, the lesson's bytes ({db['lesson_bytes']:,} B)"),
                           ("lesson", "lesson page, signed-in officer"),
                           ("login", f"sign-in page `/login` ({db['login_bytes']:,} B)")):
            v = db[what]
            share = "" if what == "bare" else fmt_list(db[f"{what}_ratio"], lambda x: f"{x:.2f}")
            cpu = v.get("cpu_ms") or []
            cpu_share = "" if what == "bare" else fmt_list(
                [b / c if b and c else None for b, c in zip(db["bare"].get("cpu_ms") or [], cpu)], lambda x: f"{x:.2f}")
            w(f"| {key} | {name} | {fmt_list(v['rps'], lambda x: f'{x:,.0f}')} | {share} | "
              f"{fmt_list(v['p50_s'], benchlib.fmt_ms)} | {fmt_list(v['p99_s'], benchlib.fmt_ms)} | "
              f"{fmt_list(cpu, lambda x: f'{x:.2f} ms')} | {cpu_share} |")
    k = result.get("kolibri")
    if k and "rps" in k:
        w(f"| — | Kolibri {k['version'].replace('kolibri, version ', '')} sign-in page `{k['path']}` ({k['bytes']:,} B) | "
          f"{fmt_list(k['rps'], lambda x: f'{x:,.0f}')} | | {fmt_list(k['p50_s'], benchlib.fmt_ms)} | "
          f"{fmt_list(k['p99_s'], benchlib.fmt_ms)} | | |")
    w("")
    seen = [m for db in result["databases"].values() for k, m in db.items() if k.startswith("machine_") and m]
    if seen:
        w("Before each timed stage the run waited (bounded) for the CPUs to be ≥ 85 % idle: idle share seen "
          + ", ".join(f"{m['idle_share']:.0%}" for m in seen) + ".")
        w("")
    w("| database | start-up to the first sign-in page (3 runs) | whole-server PSS idle | after the loads | "
      "after the quiz path | paced quiz, 50 officers: save p99 | submit p99 | errors |")
    w("|---|---|---|---|---|---|---|---|")
    for key, db in result["databases"].items():
        q = db["quiz"]
        w(f"| {key} | {fmt_list(db['startup_s'], benchlib.fmt_ms)} | {db['pss_idle']['pss_mib']} MiB | "
          f"{db['pss_after_load']['pss_mib']} MiB | {db['pss_after_quiz']['pss_mib']} MiB | "
          f"{benchlib.fmt_ms(q['save_p99_s'])} | {benchlib.fmt_ms(q['submit_p99_s'])} | {q['errors']} |")
    if k and "pss_idle" in k:
        w(f"| Kolibri | {fmt_list(k['startup_s'], benchlib.fmt_ms)} | {k['pss_idle']['pss_mib']} MiB "
          f"({k['pss_idle']['processes']} process{'es' if k['pss_idle']['processes'] > 1 else ''}) | {k['pss_after_load']['pss_mib']} MiB | | | | |")
    elif k:
        w(f"| Kolibri | not measured: {k.get('error')} | | | | | | |")
    w("")
    b = next((db.get("browser") for db in result["databases"].values() if db.get("browser")), None)
    if b and "error" not in b:
        w("Lesson page over a throttled link (Chromium, `Network.emulateNetworkConditions`: 256 kbit/s each way, "
          "300 ms latency), signed-in officer, times from the start of navigation. *Cold*: a fresh browser profile, "
          "everything over the link; *warm*: the same page opened again (the service worker's copy and the browser's "
          "cache answer it). Bytes are what crossed the link (`encodedDataLength`, headers included; HTML, CSS and "
          "JavaScript gzip-compressed):")
        w("")
        w("| language | cache | bytes transferred | requests | first paint | first contentful paint "
          "| DOMContentLoaded | load |")
        w("|---|---|---|---|---|---|---|---|")
        for lang in ("en", "ar"):
            for visit, d in b.get(lang, {}).items():
                w(f"| {lang} | {visit} | {d['bytes']:,} | {d['requests']} | "
                  f"{(d['first_paint_ms'] or 0):.0f} ms | {(d['first_contentful_paint_ms'] or 0):.0f} ms | "
                  f"{d['dom_content_loaded_ms']:.0f} ms | {d['load_ms']:.0f} ms |")
        w("")
    elif b:
        w(f"Throttled-link measurement: not made ({b['error']}).")
        w("")
    summary = {"label": label, "started": result["started"], "summary": summarize(result)}
    w(f"<!-- serving-data {json.dumps(summary, separators=(',', ':'))} -->")
    w(f"<!-- /serving-run:{label} -->")
    return lines


def summarize(result: dict) -> dict:
    out = {}
    for key, db in result["databases"].items():
        cpu = {k: [x for x in db[k].get("cpu_ms") or [] if x] for k in ("bare", "lesson", "login")}
        out[key] = {"lesson_ratio": benchlib.median(db["lesson_ratio"]), "login_ratio": benchlib.median(db["login_ratio"]),
                    "cpu_ms": {k: benchlib.median(v) if v else None for k, v in cpu.items()},
                    "bare_rps": benchlib.median(db["bare"]["rps"]), "lesson_rps": benchlib.median(db["lesson"]["rps"]),
                    "login_rps": benchlib.median(db["login"]["rps"]),
                    "lesson_p50_s": benchlib.median(db["lesson"]["p50_s"]),
                    "login_p50_s": benchlib.median(db["login"]["p50_s"]),
                    "startup_s": db["startup_median_s"], "pss_idle": db["pss_idle"]["pss_mib"],
                    "pss_after": db["pss_after_load"]["pss_mib"], "pss_after_quiz": db["pss_after_quiz"]["pss_mib"],
                    "save_p99_s": db["quiz"]["save_p99_s"], "submit_p99_s": db["quiz"]["submit_p99_s"],
                    "quiz_errors": db["quiz"]["errors"]}
    k = result.get("kolibri")
    if k and "pss_idle" in k:
        out["kolibri"] = {"pss_idle": k["pss_idle"]["pss_mib"], "pss_after": k["pss_after_load"]["pss_mib"],
                          "rps": benchlib.median(k["rps"]), "startup_s": k["startup_median_s"]}
    return out


def verdicts(summary: dict) -> list[str]:
    """The issue's targets 1-4 for one run."""
    rows = []
    kolibri_pss = (summary.get("kolibri") or {}).get("pss_idle")
    for key, s in summary.items():
        if key == "kolibri":
            continue
        met = s["lesson_ratio"] >= TARGETS["lesson_ratio"]
        cpu = s.get("cpu_ms") or {}
        by_cpu = (f"; by server CPU per request {cpu['bare'] / cpu['lesson']:.2f} ({cpu['lesson']:.2f} vs "
                  f"{cpu['bare']:.2f} ms)") if cpu.get("bare") and cpu.get("lesson") else ""
        rows.append(f"| 1. lesson page ≥ 0.35 of bare ({key}) | {s['lesson_ratio']:.2f} ({s['lesson_rps']:,.0f} vs "
                    f"{s['bare_rps']:,.0f} req/s){by_cpu} | {'**met**' if met else '**missed**'} |")
        met = s["login_rps"] >= s["lesson_rps"]
        rows.append(f"| 2. sign-in page at least as fast as the lesson page ({key}) | {s['login_rps']:,.0f} vs "
                    f"{s['lesson_rps']:,.0f} req/s; p50 {benchlib.fmt_ms(s['login_p50_s'])} vs "
                    f"{benchlib.fmt_ms(s['lesson_p50_s'])} | {'**met**' if met else '**missed**'} |")
        if kolibri_pss:
            met = s["pss_after"] < kolibri_pss
            rows.append(f"| 3a. whole-server PSS after the loads < Kolibri idle ({key}) | {s['pss_after']} vs "
                        f"{kolibri_pss} MiB | {'**met**' if met else '**missed**'} |")
        else:
            rows.append(f"| 3a. whole-server PSS after the loads < Kolibri idle ({key}) | {s['pss_after']} MiB "
                        "(Kolibri not measured in this run) | – |")
        met = s["startup_s"] < TARGETS["startup"]
        rows.append(f"| 3b. start-up < 1.5 s ({key}) | {benchlib.fmt_ms(s['startup_s'])} | "
                    f"{'**met**' if met else '**missed**'} |")
        met = (s["save_p99_s"] or 9) < TARGETS["save_p99"] and (s["submit_p99_s"] or 9) < TARGETS["submit_p99"] \
            and not s["quiz_errors"]
        rows.append(f"| 4. paced save p99 < 100 ms, submit p99 < 250 ms, 50 officers ({key}) | "
                    f"{benchlib.fmt_ms(s['save_p99_s'])} / {benchlib.fmt_ms(s['submit_p99_s'])} | "
                    f"{'**met**' if met else '**missed**'} |")
    return rows


def section(blocks: dict[str, list[str]]) -> list[str]:
    lines = [START, "## Serving: the pinned before/after command", "",
             "Written by `python3 bench/serving.py --label LABEL [--kolibri]` (each run replaces the block of its "
             "label and keeps the others; `bench/run.py` keeps this section). Ratios within one run are the robust "
             "figure: the machine's speed varies from day to day and with other programs on it.", ""]
    summaries = []
    for block in blocks.values():
        for line in block:
            if line.startswith("<!-- serving-data "):
                summaries.append(json.loads(line[len("<!-- serving-data "):-len(" -->")]))
    if summaries:
        lines += ["| target | " + " | ".join(f"{s['label']} ({s['started'][:16]})" for s in summaries) + " |",
                  "|---|" + "---|" * len(summaries)]
        per_run = [verdicts(s["summary"]) for s in summaries]
        for row in per_run[-1]:
            name = row.split(" | ")[0].lstrip("| ")
            cells = []
            for rows in per_run:
                match = next((r for r in rows if r.split(" | ")[0].lstrip("| ") == name), None)
                cells.append(" ".join(match.split(" | ")[1:]).rstrip(" |") if match else "–")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    findings = HERE / "findings-serving.md"
    if findings.exists():
        lines += findings.read_text().rstrip().splitlines() + [""]
    for block in blocks.values():
        lines += block + [""]
    lines.append(END)
    return lines


def existing_blocks(text: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    for match in re.finditer(r"<!-- serving-run:(\S+) -->.*?<!-- /serving-run:\1 -->", text, re.S):
        blocks[match.group(1)] = match.group(0).splitlines()
    return blocks


def write_section(result: dict | None) -> None:
    """Put ``result``'s block into the document (None: only rewrite the section around the blocks
    it has, after an edit of bench/findings-serving.md)."""
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    blocks = existing_blocks(text)
    if result is not None:
        blocks[result["label"]] = run_block(result)
    else:  # the blocks whose results this machine still has are written again from them
        for label in list(blocks):
            kept = benchlib.read_json(RESULTS / f"serving-{label}.json")
            if kept:
                blocks[label] = run_block(kept)
    new = "\n".join(section(blocks))
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + new + tail
    else:  # after the title and the first paragraph
        first, sep, rest = text.partition("\n## ")
        text = first.rstrip("\n") + "\n\n" + new + "\n\n" + sep.lstrip("\n") + rest
    DOC.write_text(text.replace(str(REPO) + "/", ""))
    say(f"wrote {DOC.relative_to(REPO)}")


def keep_section(new_doc: str) -> str:
    """For ``bench/run.py``: put the serving section of the current document back into a rewritten one."""
    if not DOC.exists():
        return new_doc
    text = DOC.read_text()
    if START not in text or END not in text:
        return new_doc
    kept = START + text.split(START, 1)[1].split(END, 1)[0] + END
    first, sep, rest = new_doc.partition("\n## ")
    return first.rstrip("\n") + "\n\n" + kept + "\n\n" + sep.lstrip("\n") + rest


# --------------------------------------------------------------------------- main

@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--label", default=None, help="Name of this run in the document (before, after, ...): required.")
@click.option("--officers", "size", default=1000, show_default=True, help="Officers in the generated institute.")
@click.option("--pg-url", default=benchlib.DEFAULT_PG_URL, show_default=True)
@click.option("--no-pg", is_flag=True, help="SQLite only.")
@click.option("--seconds", default=8, show_default=True, help="Length of each wrk run.")
@click.option("--connections", default=16, show_default=True)
@click.option("--rounds", default=2, show_default=True, help="Alternating bare / lesson / sign-in rounds.")
@click.option("--waves", default=3, show_default=True, help="Waves of 50 officers on the paced quiz path.")
@click.option("--kolibri", "with_kolibri", is_flag=True, help="Also measure Kolibri (own virtualenv, pip install).")
@click.option("--no-browser", is_flag=True, help="Skip the throttled-link measurement in Chromium.")
@click.option("--no-generate", is_flag=True, help="Reuse the databases of the last run (needs officers left).")
@click.option("--doc/--no-doc", default=True, show_default=True, help="Write docs/PERFORMANCE.md.")
@click.option("--doc-only", is_flag=True, help="Only rewrite the section from the blocks already in the document.")
def main(label, size, pg_url, no_pg, seconds, connections, rounds, waves, with_kolibri, no_browser, no_generate, doc,
         doc_only):
    if doc_only:
        write_section(None)
        return
    if not label:
        raise click.UsageError("--label is required (before, after, ...)")
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    if not httpload.wrk_available():
        say("wrk is missing (apt-get install -y wrk): the Python client is used and understates throughput")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "course"], cwd=REPO, check=False)
    command = "python3 bench/serving.py " + " ".join(sys.argv[1:])
    started = datetime.now(UTC).isoformat(timespec="seconds")
    urls = [benchlib.sqlite_url(benchlib.OUT / f"marsa-serving-{size}.db")]
    if not no_pg:
        import run as runner
        if runner.ensure_pg_database(pg_url):
            urls.append(pg_url)
        else:
            say("PostgreSQL is not reachable: SQLite only")
    browser = not no_browser and Path(CHROMIUM).exists() and shutil.which("chromium") is not None
    result = {"label": label, "started": started, "command": command, "code": benchlib.code_fingerprint(),
              "facts": benchlib.machine_facts(urls[-1] if len(urls) > 1 else None), "seconds": seconds,
              "connections": connections, "rounds": rounds, "load_before": loadavg(), "databases": {}}
    for url in urls:
        if not no_generate:
            subprocess.run([str(VENV_PYTHON), "bench/generate.py", "--reset", "--officers", str(size), "--url", url],
                           cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        result["databases"][benchlib.label(url)] = serve_database(url, seconds, connections, rounds, waves, 50,
                                                                   browser and url.startswith("sqlite"))
    if with_kolibri:
        try:
            result["kolibri"] = kolibri(seconds, connections, rounds)
        except Exception as error:  # optional: recorded, not fatal
            result["kolibri"] = {"error": f"{type(error).__name__}: {error}"}
            say(f"Kolibri: {result['kolibri']['error']}")
    result["load_after"] = loadavg()
    benchlib.write_json(RESULTS / f"serving-{label}.json", result)
    if doc:
        write_section(result)
    for row in verdicts(summarize(result)):
        say(row)


if __name__ == "__main__":
    main()
