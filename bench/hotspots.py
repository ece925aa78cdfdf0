#!/usr/bin/env python3
"""Where the time goes: profiles of the requests and reports that miss a target.

    .venv/bin/python bench/hotspots.py --url sqlite:///bench/out/marsa-bench-10000.db

Profiles, in one process through the Flask test client (so the numbers exclude gunicorn and the
network): the lesson page, an answer save, a submit, and the institute-wide CSV export. For each it
writes a pyinstrument call tree to ``bench/out/profiles/`` (when pyinstrument is installed: it is a
profiling aid only, never a requirement of the app) and prints the CPU time per request split by
package (cProfile, own time), which is what the findings in docs/PERFORMANCE.md quote.
"""
from __future__ import annotations

import cProfile
import pstats
import random
import re
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib
import httpload
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from course.extensions import db
from course.models import Cohort, Module, Quiz, User

PROFILES = benchlib.OUT / "profiles"
REPO = Path(__file__).resolve().parent.parent
BUCKETS = [
    ("sqlite3 / psycopg (driver and database)", re.compile(r"sqlite3|psycopg|\{method 'execute'|\{method 'fetch")),
    ("SQLAlchemy", re.compile(r"sqlalchemy")),
    ("Jinja2 templates", re.compile(r"jinja2|templates/|<template>")),
    ("WTForms / Flask-WTF / itsdangerous (forms, CSRF)", re.compile(r"wtforms|flask_wtf|itsdangerous")),
    ("MarkupSafe", re.compile(r"markupsafe")),
    ("Flask-Login / Babel / Limiter", re.compile(r"flask_login|flask_babel|babel/|flask_limiter|limits/")),
    ("Flask / Werkzeug (incl. test client)", re.compile(r"/flask/|werkzeug")),
    # This checkout's own files, wherever it is cloned (site-packages holds no course/ of ours).
    ("Marsa code (course/, app.py)", re.compile(re.escape(str(REPO / "course")) + "/|" + re.escape(str(REPO / "app.py")))),
    ("json", re.compile(r"json")),
]


def buckets(profile: cProfile.Profile, requests: int) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        where = f"{filename}:{function}"
        name = next((label for label, pattern in BUCKETS if pattern.search(where)), "other (stdlib, builtins)")
        totals[name] = totals.get(name, 0.0) + tottime
    return sorted(((k, v / requests) for k, v in totals.items()), key=lambda kv: -kv[1])


def profile_calls(label: str, call, n: int, out: list) -> None:
    for _ in range(min(20, n)):
        call()
    hits = [0]

    def hit(*_args, **_kwargs):
        hits[0] += 1
    engine = db.engine
    event.listen(engine, "before_cursor_execute", hit)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    wall, cpu = (time.perf_counter() - start) / n, (time.process_time() - cpu) / n
    event.remove(engine, "before_cursor_execute", hit)
    queries = hits[0] / n
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        call()
    profile.disable()
    split = buckets(profile, n)
    total = sum(v for _k, v in split)
    out.append({"label": label, "wall_s": wall, "cpu_s": cpu, "queries": queries, "split": split})
    click.echo(f"\n{label}: {wall * 1000:.2f} ms wall, {cpu * 1000:.2f} ms CPU, {queries:.1f} SQL statements "
               f"per call (unprofiled)")
    for name, seconds in split:
        click.echo(f"   {100 * seconds / total:5.1f} %  {name}")
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        call()
    profiler.stop()
    PROFILES.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    (PROFILES / f"{slug}.txt").write_text(profiler.output_text(unicode=True, color=False))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", default=None, help="Database URL (default: SQLite bench/out/marsa-bench-10000.db).")
@click.option("--n", default=200, show_default=True, help="Requests per profiled page.")
def main(url, n):
    url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(10_000))
    benchlib.upgrade_schema(url, say=lambda text: click.echo(text, err=True))
    app = benchlib.bench_app(url, RATELIMIT_ENABLED=False)
    out: list = []
    with app.app_context():
        s = db.session
        module = s.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position))
        lesson = module.active_lessons[0]
        reader = s.scalar(select(User.username).where(User.role == "officer", User.language == "en")
                          .order_by(User.id))
        last = s.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position.desc()))
        quiz = s.scalar(select(Quiz).where(Quiz.module_id == last.id))
        takers = benchlib.officers_who_can_start(s, quiz, 60)
        everyone = s.scalar(select(Cohort.id).where(Cohort.name == "All officers (institute-wide)"))
        db.remove()

    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT})
    benchlib.sign_in(client, reader)
    lesson_path = f"/modules/{module.slug}/lessons/{lesson.key}"
    profile_calls("lesson page (signed-in officer)", lambda: client.get(lesson_path), n, out)

    # Bare Flask returning the same bytes, through the same test client: the floor.
    body = client.get(lesson_path).get_data()
    from flask import Flask, Response
    bare = Flask("bare")
    bare.add_url_rule("/", "page", lambda: Response(body, content_type="text/html; charset=utf-8"))
    bare_client = bare.test_client()
    profile_calls("bare Flask, same bytes", lambda: bare_client.get("/"), n, out)

    # Answer saves and submits: officers who never took the quiz, one attempt each.
    officer = app.test_client()
    officer.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT})
    takers_iter = iter(takers)

    def open_attempt():
        username = next(takers_iter)
        c = app.test_client()
        c.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT})
        benchlib.sign_in(c, username)
        page = c.get(f"/quizzes/{quiz.key}").get_data(as_text=True)
        token = benchlib.csrf_token_in(page)
        reply = c.post(f"/quizzes/{quiz.key}/start", data={"csrf_token": token})
        attempt = reply.headers["Location"].rsplit("/", 1)[-1]
        parser = httpload.QuizPage()
        parser.feed(c.get(f"/attempts/{attempt}").get_data(as_text=True))
        return c, attempt, parser, token

    client_a, attempt, parser, token = open_attempt()
    rng = random.Random(1)
    seq = [0]

    def save():
        question = parser.questions[seq[0] % len(parser.questions)]
        seq[0] += 1
        data = [("question", question["id"]), ("seq", str(seq[0]))] + httpload.answer_fields(question, rng)
        reply = client_a.post(f"/attempts/{attempt}/answer", data=MultiDict(data),
                              headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert reply.status_code == 200, reply.status_code
    profile_calls("answer save (autosave POST)", save, n, out)

    prepared = [open_attempt() for _ in range(45)]
    queue = iter(prepared)

    def submit():
        c, attempt_id, page, csrf = next(queue)
        fields = [("csrf_token", csrf), ("confirmed", "1")]
        for question in page.questions:
            fields += httpload.answer_fields(question, rng)
        reply = c.post(f"/attempts/{attempt_id}/submit", data=MultiDict(fields))
        assert reply.status_code == 302, reply.status_code
    profile_calls("submit (24 answers in the form)", submit, 10, out)

    if everyone:
        admin = app.test_client()
        benchlib.sign_in(admin, benchlib.BENCH_ADMIN)
        profile_calls("gradebook CSV, all officers", lambda: admin.get(f"/trainer/cohorts/{everyone}/gradebook.csv"),
                      2, out)

    benchlib.write_json(PROFILES / f"profile-{benchlib.backend(url)}.json", {"url": url, "profiles": out})


if __name__ == "__main__":
    main()
