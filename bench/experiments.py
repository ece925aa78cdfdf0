#!/usr/bin/env python3
"""Prototypes of the fixes proposed in docs/PERFORMANCE.md, measured against the current code.

    .venv/bin/python bench/experiments.py --url sqlite:///bench/out/marsa-bench-10000.db

Nothing here changes the app's files. Each prototype is a function written in this file (swapped in
only in this process, for the measurement) and each one is checked against the current code's output
before it is timed:

* ``fast_gradebook_table``: the gradebook export with attempts aggregated in SQL, the officers chosen by
  a membership subquery instead of a list of 10,000 ids, due dates resolved per cohort instead of per
  officer, and per-module constants hoisted out of the officer loop. Checked: the same CSV rows.
* ``submit_attempt_batched``: submit loading the attempt's answers once and flushing once, instead of
  one query and one flush per answer. Checked: the same scores and grade as the current code on a
  twin attempt with the same answers.
* ``lesson_cached``: the lesson view with the course structure (module, lessons, texts) kept in memory
  per worker process between publications, leaving one query (the officer's reads) besides sign-in.
  Checked: the same HTML.
"""
from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
import httpload  # noqa: E402
from sqlalchemy import case, event, func, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from course.extensions import db  # noqa: E402
from course.models import (Assignment, Attempt, AttemptAnswer, AttemptState, Cohort, CohortMember,  # noqa: E402
                           GradeOverride, Lesson, LessonRead, Module, Quiz, User)
from course.services import exports, progress  # noqa: E402
from course.services.assignments import Due  # noqa: E402

ALL = "All officers (institute-wide)"


# --------------------------------------------------------------------------- export prototype

def fast_gradebook_table(session, cohort: Cohort, lang: str = "en"):
    now = datetime.now(timezone.utc)
    modules = progress.active_modules(session)
    quizzes = progress.module_quizzes(session)
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    officers = session.execute(
        select(User.id, User.full_name, User.staff_number, User.duty_station)
        .join(CohortMember, CohortMember.user_id == User.id).where(CohortMember.cohort_id == cohort.id)
        .order_by(User.full_name)).all()
    module_ids = [m.id for m in modules]
    lesson_totals = dict(session.execute(
        select(Lesson.module_id, func.count()).where(Lesson.retired.is_(False), Lesson.module_id.in_(module_ids))
        .group_by(Lesson.module_id)).all())
    reads = {(u, m): n for u, m, n in session.execute(
        select(LessonRead.user_id, Lesson.module_id, func.count()).join(Lesson)
        .where(Lesson.retired.is_(False), LessonRead.user_id.in_(members), Lesson.module_id.in_(module_ids))
        .group_by(LessonRead.user_id, Lesson.module_id)).all()}
    # Attempts: one row per (officer, quiz) instead of one per attempt. "highest" (every module quiz of
    # the course) is max(percent) over closed attempts; other rules fall back to the attempt rows.
    quiz_list = list(quizzes.values())
    highest = [q.id for q in quiz_list if q.settings.get("grading", "highest") == "highest"]
    others = [q.id for q in quiz_list if q.id not in highest]
    open_state = AttemptState.IN_PROGRESS.value
    closed_percent = case((Attempt.state != open_state, Attempt.percent))
    agg = {}
    for user_id, quiz_id, used, opened, best in session.execute(
            select(Attempt.user_id, Attempt.quiz_id, func.count(),
                   func.sum(case((Attempt.state == open_state, 1), else_=0)), func.max(closed_percent))
            .where(Attempt.user_id.in_(members), Attempt.quiz_id.in_(highest))
            .group_by(Attempt.user_id, Attempt.quiz_id)):
        agg[(user_id, quiz_id)] = (used, bool(opened), best)
    if others:
        from course.services.attempts import combine_grades
        rows: dict = {}
        for user_id, quiz_id, state, percent, number in session.execute(
                select(Attempt.user_id, Attempt.quiz_id, Attempt.state, Attempt.percent, Attempt.number)
                .where(Attempt.user_id.in_(members), Attempt.quiz_id.in_(others))):
            rows.setdefault((user_id, quiz_id), []).append((state, percent, number))
        rules = {q.id: q.settings.get("grading", "highest") for q in quiz_list}
        for key, items in rows.items():
            closed = [p for s, p, n in sorted(items, key=lambda r: r[2]) if s != open_state and p is not None]
            agg[key] = (len(items), any(s == open_state for s, _p, _n in items), combine_grades(closed, rules[key[1]]))
    overrides = {(u, q): p for u, q, p in session.execute(
        select(GradeOverride.user_id, GradeOverride.quiz_id, GradeOverride.percent)
        .where(GradeOverride.user_id.in_(members), GradeOverride.quiz_id.in_([q.id for q in quiz_list]))
        .order_by(GradeOverride.created_at, GradeOverride.id))}
    # Due dates: the assignments of the cohorts involved (hundreds of rows), resolved once per cohort.
    required = [m.id for m in modules if m.required]

    def resolve(rows, into=None):
        out = dict(into or {})
        for module_id, starts_at, due_at in rows:
            for target in ([module_id] if module_id is not None else required):
                current = out.get(target)
                if current is None or (due_at and (current.due_at is None or due_at < current.due_at)):
                    out[target] = Due(starts_at, due_at)
        return out
    memberships: dict[int, list[int]] = {}
    for user_id, cohort_id in session.execute(select(CohortMember.user_id, CohortMember.cohort_id)
                                              .where(CohortMember.user_id.in_(members))):
        memberships.setdefault(user_id, []).append(cohort_id)
    by_cohort: dict[int, list] = {}
    cohort_ids = select(CohortMember.cohort_id).where(CohortMember.user_id.in_(members)).distinct()
    for cohort_id, module_id, starts_at, due_at in session.execute(
            select(Assignment.cohort_id, Assignment.module_id, Assignment.starts_at, Assignment.due_at)
            .where(Assignment.cohort_id.in_(cohort_ids))):
        by_cohort.setdefault(cohort_id, []).append((module_id, starts_at, due_at))
    direct: dict[int, list] = {}
    for user_id, module_id, starts_at, due_at in session.execute(
            select(Assignment.user_id, Assignment.module_id, Assignment.starts_at, Assignment.due_at)
            .where(Assignment.user_id.in_(members))):
        direct.setdefault(user_id, []).append((module_id, starts_at, due_at))
    cohort_dues = {cid: resolve(rows) for cid, rows in by_cohort.items()}
    dues_cache: dict[tuple, dict] = {}

    def dues_of(user_id):
        key = tuple(c for c in memberships.get(user_id, ()) if c in cohort_dues)
        if user_id in direct:
            merged = {}
            for cid in key:
                merged = resolve(by_cohort[cid], merged)
            return resolve(direct[user_id], merged)
        if key not in dues_cache:
            merged = {}
            for cid in key:
                merged = resolve(by_cohort[cid], merged)
            dues_cache[key] = merged
        return dues_cache[key]

    plan = []
    for module in modules:
        quiz = quizzes.get(module.id)
        rules = module.completion
        plan.append((module.id, quiz.id if quiz else None, quiz.settings.get("pass_mark", 70) if quiz else 0,
                     lesson_totals.get(module.id, 0), rules.get("lessons") == "none", rules.get("quiz", "pass")))
    header = ["officer", "staff_number", "duty_station"]
    for module in modules:
        prefix = f"M{module.position}"
        header += [f"{prefix} status", f"{prefix} best %", f"{prefix} attempts", f"{prefix} due"]
    labels = exports.STATUS_LABELS
    out_rows = []
    for user_id, full_name, staff_number, duty_station in officers:
        row = [full_name, staff_number or "", duty_station or ""]
        dues = dues_of(user_id)
        for module_id, quiz_id, pass_mark, total, lessons_free, quiz_rule in plan:
            used, opened, best = agg.get((user_id, quiz_id), (0, False, None)) if quiz_id else (0, False, None)
            if quiz_id is not None and (user_id, quiz_id) in overrides:
                best = overrides[(user_id, quiz_id)]
            passed = best is not None and best >= pass_mark
            read = reads.get((user_id, module_id), 0)
            lessons_ok = lessons_free or read >= total
            if quiz_rule == "none" or quiz_id is None:
                quiz_ok = True
            elif quiz_rule == "attempt":
                quiz_ok = used > 0 and not (opened and used == 1)
            else:
                quiz_ok = passed
            due = dues.get(module_id)
            if lessons_ok and quiz_ok:
                status = "completed"
            elif due is not None and due.due_at is not None and now > due.due_at:
                status = "overdue"
            elif best is not None and not passed and not opened:
                status = "failed"
            elif read or used:
                status = "in_progress"
            else:
                status = "not_started"
            row += [labels[status], None if best is None else round(best, 1), used,
                    due.due_at.date().isoformat() if due and due.due_at else ""]
        out_rows.append(row)
    return header, out_rows


# --------------------------------------------------------------------------- submit prototype

def submit_attempt_batched(session, attempt, now, grace_seconds, final_answers=None):
    from course.questions import get_type
    from course.services import attempts as service
    from course.services.errors import ServiceError
    if not attempt.is_open:
        return attempt
    if service.close_if_overdue(session, attempt, now, grace_seconds):
        return attempt
    answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                              .options(selectinload(AttemptAnswer.question_version))
                              .order_by(AttemptAnswer.position)).all()
    by_version = {a.question_version_id: a for a in answers}
    for version_id, response in (final_answers or {}).items():
        answer = by_version.get(version_id)
        if answer is None:
            raise ServiceError("That question is not part of this attempt.", status=400)
        if response is not None:
            problem = get_type(answer.question_version.type).check_response(answer.question_version.definition,
                                                                             response)
            if problem:
                raise ServiceError(f"That answer cannot be accepted: {problem}.", status=400)
        answer.response, answer.seq, answer.saved_at = response, answer.seq + 1, now
    attempt.submit(now)
    service.grade(attempt)  # attempt.answers: the rows loaded above, from the identity map
    session.flush()  # one flush: the answer UPDATEs go out together
    return attempt


# --------------------------------------------------------------------------- lesson prototype

_STRUCTURE: dict = {}


def lesson_cached(slug: str, lesson_key: str):
    from flask import abort, render_template
    from flask_login import current_user

    from course.forms import EmptyForm
    from course.i18n import current_language
    entry = _STRUCTURE.get(slug)
    if entry is None:  # in the app: keyed by a publication counter, refreshed when a package is applied
        module = db.session.scalar(select(Module).where(Module.slug == slug, Module.retired.is_(False))
                                   .options(selectinload(Module.lessons).selectinload(Lesson.texts)))
        if module is None:
            abort(404)
        lessons = module.active_lessons
        for item in [module, *module.lessons, *(t for lesson in module.lessons for t in lesson.texts)]:
            db.session.expunge(item)  # kept, fully loaded, outside any session
        entry = _STRUCTURE[slug] = (module, lessons)
    module, lessons = entry
    index = next((i for i, lesson in enumerate(lessons) if lesson.key == lesson_key), None)
    if index is None:
        abort(404)
    current = lessons[index]
    lang = current_language()
    text = current.text_for(lang)
    read = set(db.session.scalars(select(LessonRead.lesson_id).where(
        LessonRead.user_id == current_user.id, LessonRead.lesson_id.in_([x.id for x in lessons]))))
    return render_template(
        "learn/lesson.html", module=module, lesson=current, text=text, lang=lang,
        translated=text is not None and text.language == lang, is_read=current.id in read,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        position=index + 1, total=len(lessons), form=EmptyForm())


# --------------------------------------------------------------------------- measuring

def timed(call, n: int, engine) -> dict:
    hits = [0]

    def hit(*_a, **_k):
        hits[0] += 1
    call()
    event.listen(engine, "before_cursor_execute", hit)
    walls, cpus = [], []
    for _ in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    event.remove(engine, "before_cursor_execute", hit)
    return {"wall_s": benchlib.median(walls), "cpu_s": benchlib.median(cpus), "queries": hits[0] / n, "runs": n}


def show(label: str, before: dict, after: dict) -> None:
    click.echo(f"{label}: {benchlib.fmt_ms(before['cpu_s'])} CPU / {before['queries']:.0f} queries  ->  "
               f"{benchlib.fmt_ms(after['cpu_s'])} CPU / {after['queries']:.0f} queries "
               f"(wall {benchlib.fmt_ms(before['wall_s'])} -> {benchlib.fmt_ms(after['wall_s'])})")


def export_experiment(app, runs: int) -> dict:
    with app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == ALL))
        db.remove()
    if cohort_id is None:
        return {}

    def current():
        with app.app_context():
            try:
                return exports.to_csv(*exports.gradebook_table(db.session, db.session.get(Cohort, cohort_id)))
            finally:
                db.remove()

    def proposed():
        with app.app_context():
            try:
                return exports.to_csv(*fast_gradebook_table(db.session, db.session.get(Cohort, cohort_id)))
            finally:
                db.remove()
    try:
        a = current()
    except Exception as error:  # noqa: BLE001 - e.g. too many bound parameters for PostgreSQL
        b = proposed()
        after = timed(proposed, runs, db.engine)
        message = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        click.echo(f"gradebook CSV of all officers (service): the current code fails ({message}); "
                   f"prototype {benchlib.fmt_ms(after['cpu_s'])} CPU / {after['queries']:.0f} queries "
                   f"(wall {benchlib.fmt_ms(after['wall_s'])})")
        return {"same_output": None, "rows": len(b.decode().splitlines()) - 1, "before": {"error": message},
                "after": after}
    b = proposed()
    lines_a, lines_b = a.decode().splitlines(), b.decode().splitlines()
    same = lines_a[0] == lines_b[0] and sorted(lines_a[1:]) == sorted(lines_b[1:])
    if not same:
        raise SystemExit("the export prototype does not produce the same rows: not measured")
    result = {"same_output": same, "rows": len(lines_a) - 1, "before": timed(current, runs, db.engine),
              "after": timed(proposed, runs, db.engine)}
    show(f"gradebook CSV of all {result['rows']:,} officers (service)", result["before"], result["after"])
    return result


def submit_experiment(app, runs: int) -> dict:
    from course.services import attempts as service
    with app.app_context():
        last = db.session.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position.desc()))
        quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == last.id))
        takers = benchlib.officers_who_can_start(db.session, quiz, 4 * runs + 8)
        quiz_key = quiz.key
        db.remove()
    if len(takers) < 4 * runs + 4:
        return {}
    rng = random.Random(7)
    pending = iter(takers)

    def prepared():
        client = app.test_client()
        client.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT})
        benchlib.sign_in(client, next(pending))
        token = benchlib.csrf_token_in(client.get(f"/quizzes/{quiz_key}").get_data(as_text=True))
        reply = client.post(f"/quizzes/{quiz_key}/start", data={"csrf_token": token})
        attempt_id = int(reply.headers["Location"].rsplit("/", 1)[-1])
        page = httpload.QuizPage()
        page.feed(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
        answers = []
        for question in page.questions:
            answers += httpload.answer_fields(question, rng)
        return client, attempt_id, [("csrf_token", token)] + answers

    def grade_of(attempt_id):
        with app.app_context():
            a = db.session.get(Attempt, attempt_id)
            out = (str(a.state), a.score, a.percent, a.passed,
                   sorted((x.question_version_id, x.score) for x in a.answers))
            db.remove()
            return out

    # Twin attempts with the same answers: current code on one, the prototype on the other.
    original = service.submit_attempt
    twins = []
    for _ in range(2):
        c1, a1, fields = prepared()
        c2, a2, fields2 = prepared()
        c1.post(f"/attempts/{a1}/submit", data=MultiDict(fields))
        service.submit_attempt = submit_attempt_batched
        try:
            # The same answers (fields are named by question version, whatever the order shown),
            # with the second officer's own CSRF token.
            c2.post(f"/attempts/{a2}/submit", data=MultiDict(fields2[:1] + fields[1:]))
        finally:
            service.submit_attempt = original
        g1, g2 = grade_of(a1), grade_of(a2)
        # Per-question scores must be identical. The totals are summed in each attempt's own (shuffled)
        # question order, so the percent may differ in the last rounded digit between twins.
        same = (g1[0] == g2[0] == "submitted" and g1[4] == g2[4] and abs(g1[1] - g2[1]) < 1e-3
                and abs(g1[2] - g2[2]) <= 0.011 and g1[3] == g2[3])
        if not same:
            click.echo(f"current: {g1}\nproposed: {g2}", err=True)
        twins.append(same)
    if not all(twins):
        raise SystemExit("the submit prototype does not grade like the current code: not measured")
    queue = [prepared() for _ in range(2 * runs + 2)]

    def submit_next():
        client, attempt_id, fields = queue.pop()
        reply = client.post(f"/attempts/{attempt_id}/submit", data=MultiDict(fields))
        assert reply.status_code == 302, reply.status_code

    before = timed(submit_next, runs, db.engine)
    service.submit_attempt = submit_attempt_batched
    try:
        after = timed(submit_next, runs, db.engine)
    finally:
        service.submit_attempt = original
    result = {"same_grades": True, "before": before, "after": after}
    show("submit request (24 answers)", before, after)
    return result


def lesson_experiment(app, runs: int) -> dict:
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.retired.is_(False)).order_by(Module.position))
        path = f"/modules/{module.slug}/lessons/{module.active_lessons[0].key}"
        reader = db.session.scalar(select(User.username).where(User.role == "officer", User.language == "en")
                                   .order_by(User.id))
        db.remove()
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": httpload.USER_AGENT})
    benchlib.sign_in(client, reader)
    original = app.view_functions["learn.lesson"]
    html_before = client.get(path).get_data()
    before = timed(lambda: client.get(path), runs, db.engine)
    app.view_functions["learn.lesson"] = _login_wrapped(lesson_cached)
    try:
        html_after = client.get(path).get_data()
        after = timed(lambda: client.get(path), runs, db.engine)
    finally:
        app.view_functions["learn.lesson"] = original
    if _masked(html_before) != _masked(html_after):
        raise SystemExit("the lesson prototype does not render the same page: not measured")
    result = {"same_html": True, "before": before, "after": after}
    show("lesson page request", before, after)
    return result


MEMORY_PROBE = r"""
import importlib.abc, importlib.machinery, os, sys, types
STUB = sys.argv[1].split(",") if len(sys.argv) > 1 and sys.argv[1] else []

class Stub(types.ModuleType):
    __path__ = []  # a package: submodules resolve through the finder below
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {"__init__": lambda self, *a, **k: None})

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in STUB:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None
    def create_module(self, spec):
        return Stub(spec.name)
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, Finder())
sys.path.insert(0, os.getcwd())
from app import create_app
create_app({"SECRET_KEY": "x", "DATABASE_URL": sys.argv[2]})
for line in open(f"/proc/{os.getpid()}/status"):
    if line.startswith("VmRSS"):
        print(int(line.split()[1]) / 1024)
"""


def memory_experiment(url: str) -> dict:
    """RSS of a process that imports the app and calls create_app(), as a gunicorn worker does at boot,
    with and without the certificate libraries (replaced by empty stand-ins: what lazy imports give)."""
    import subprocess
    heavy = "reportlab,PIL,cryptography,arabic_reshaper,bidi,qrcode"

    def rss(stubs: str) -> float:
        values = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, stubs, url], cwd=benchlib.REPO,
                                 capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                raise SystemExit(f"memory probe failed: {out.stderr[-500:]}")
            values.append(float(out.stdout.strip().splitlines()[-1]))
        return benchlib.median(values)
    before, after = rss(""), rss(heavy)
    click.echo(f"worker after create_app(): {before:.1f} MiB RSS -> {after:.1f} MiB without importing {heavy} "
               "at start-up")
    return {"before_rss_mib": before, "after_rss_mib": after, "lazy": heavy.split(",")}


def preload_experiment(url: str) -> dict:
    """Worker memory after the same warm-up, with gunicorn's default (each worker imports the app) and
    with ``--preload`` (the master imports it once; workers share those pages copy-on-write)."""
    from ceiling import mint, pick, visit
    app = benchlib.bench_app(url, RATELIMIT_ENABLED=False)
    targets = pick(app, None, 1)
    cookie = mint(app, targets["reader"])
    headers = {"Cookie": f"session={cookie}", "User-Agent": httpload.USER_AGENT}
    env = {"DATABASE_URL": url, "SECRET_KEY": benchlib.BENCH_SECRET_KEY}
    out = {}
    for label, extra in (("default", []), ("--preload", ["--preload"])):
        server = httpload.Server("app:create_app()", env, extra=extra, log=benchlib.OUT / "gunicorn-preload.log")
        with server:
            server.wait_first_page(targets["lesson_path"], headers)
            server.wait_workers()
            visit(server.port, cookie, targets["officer_paths"], rounds=4)
            workers = server.memory()["workers"]
        out[label] = {k: benchlib.median([w.get(k, 0) for w in workers]) for k in ("rss_mib", "pss_mib", "uss_mib")}
        click.echo(f"gunicorn {label}: per worker RSS {out[label]['rss_mib']:.1f} MiB, PSS {out[label]['pss_mib']:.1f}"
                   f" MiB, private {out[label]['uss_mib']:.1f} MiB (after every officer page x4)")
    return out


def _masked(html: bytes) -> bytes:
    """The page without its CSRF tokens (signed with a timestamp, so they change every second)."""
    import re
    return re.sub(rb'(name="csrf_token"[^>]*value=")[^"]*', rb"\1", html)


def _login_wrapped(view):
    from flask_login import login_required
    return login_required(view)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", default=None, help="Database URL (default: SQLite bench/out/marsa-bench-10000.db).")
@click.option("--runs", default=5, show_default=True)
@click.option("--only", "only", multiple=True, type=click.Choice(["export", "submit", "lesson", "memory", "preload"]),
              help="Only these experiments (default: all).")
@click.option("--json-out", default=None)
def main(url, runs, only, json_out):
    url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(10_000))
    benchlib.check_url(url)
    benchlib.upgrade_schema(url, say=lambda text: click.echo(text, err=True))
    app = benchlib.bench_app(url, RATELIMIT_ENABLED=False)
    with app.app_context():
        officers = db.session.scalar(select(func.count()).select_from(User).where(User.role == "officer"))
        db.remove()
    chosen = set(only) or {"export", "submit", "lesson", "memory", "preload"}
    experiments = {"export": lambda: export_experiment(app, max(2, runs // 2)),
                   "submit": lambda: submit_experiment(app, runs * 2),
                   "lesson": lambda: lesson_experiment(app, runs * 40),
                   "memory": lambda: memory_experiment(url), "preload": lambda: preload_experiment(url)}
    results = {"url": url, "officers": officers, "code": benchlib.code_fingerprint()}
    for name, experiment in experiments.items():
        if name in chosen:
            results[name] = experiment()
    if json_out:
        benchlib.write_json(Path(json_out), results)


if __name__ == "__main__":
    main()
