"""The browser-test harness: Marsa under gunicorn on a fresh database, and Debian's Chromium.

* ``server`` (one per package run): copies the real course to a temporary folder, adds a small
  module whose quiz holds every question type, creates a fresh database (SQLite in a temporary
  folder, or a database of its own on the PostgreSQL server of ``TEST_DATABASE_URL``), runs
  ``flask --app app demo`` and ``seed_database()`` in the app's environment, then serves Marsa with
  ``gunicorn --workers 2`` on a free 127.0.0.1 port until the package's tests are done.
* ``ui`` (one per test): fresh browser contexts on that server. A test fails on any console error,
  uncaught page error, failed request or HTTP error (except deliberate offline ones), on any axe-core
  violation of WCAG 2.0/2.1 A and AA on the pages it checks, and if it visits a page it did not check.
  On failure it saves a screenshot and the HTML of every open page under
  ``test-artifacts/<test name>/`` and prints that folder.

``tests/browser/screenshots.py`` reuses ``running_server`` to serve the same data on its own.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser.run import due_dates, remove_templates, template_database_name, template_folder

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent if (Path(sys.executable).parent / "gunicorn").exists() else REPO / ".venv" / "bin"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 800}
SECRET_KEY = "browser-tests-secret-key"

# Every account the tests use signs in with this password (the demo accounts keep "marsa-demo").
PASSWORD = "harbour-lights-2026"
DEMO_PASSWORD = "marsa-demo"
COHORT = "Alexandria seaport — browser cohort"
TRAINER = "nadia"
OFFICER = "layla"          # the officer journey (keyboard, offline, result, progress)
LANGUAGE_OFFICER = "omar"  # switches to Arabic
NOJS_OFFICER = "hana"      # answers a quiz with JavaScript off
WEIGHT_OFFICER = "youssef"  # the page-weight measurement
OFFLINE_OFFICER = "mona"   # offline reading through the service worker
# The gradebook of a real cohort: 60 officers, every module assigned (some overdue), results in most cells.
BIG_COHORT = "Port Said — sixty officers"
BIG_TRAINER = "samir"
BIG_SIZE = 60
#: Offline: the offline page and "Mark as read" kept for later, one officer per language.
OFFLINE_READERS = {"en": ("rania", "Rania Adel"), "ar": ("tarek", "طارق منصور")}
STAT_OFFICERS = (("stat1", "Ahmed Kamal", 0.35, 0.6), ("stat2", "Salma Adel", 0.5, 0.8),
                 ("stat3", "Tarek Nabil", 0.2, 0.7), ("stat4", "Dina Samir", 0.65, 0.95))
SWEEP = {lang: {"officer": f"sweep-officer-{lang}", "trainer": f"sweep-trainer-{lang}",
                "admin": f"sweep-admin-{lang}"} for lang in ("en", "ar")}
#: Officers who finished the course, one per language: their certificate's pages on a phone.
CERTIFIED = {"en": ("certified-en", "Nour Adel"), "ar": ("certified-ar", "نور عادل")}
SWEEP_NAMES = {"en": {"officer": "Amal Hassan", "trainer": "Karim Farouk", "admin": "Heba Lotfy"},
               "ar": {"officer": "سارة محمود", "trainer": "خالد منصور", "admin": "هبة لطفي"}}
EXTRA_MODULE = "browser-check"
EXTRA_QUIZ = "browser-check-quiz"
# Due dates years after any run, the same in every process of the run (tests/browser/run.py).
DUE_COHORT, DUE_PERSONAL = due_dates()

# --- The extra module: one lesson (English and Arabic) and a quiz with every question type ------------

EXTRA_MODULE_YAML = """\
id: browser-check
order: 7
title: {en: "Words at the crossing: a short check", ar: "الألفاظ عند المنفذ: مراجعة قصيرة"}
summary:
  en: A short module with one lesson and a practice quiz that uses every kind of question.
  ar: وحدة قصيرة فيها درس واحد واختبار تدريبي يستخدم كل أنواع الأسئلة.
minutes: 20
required: false
objectives:
  - id: M7.1
    text: {en: Tell a refugee from an asylum-seeker and a migrant., ar: أن تميّز بين اللاجئ وملتمس اللجوء والمهاجر.}
  - id: M7.2
    text:
      en: Describe a person's situation without labels the facts do not support.
      ar: أن تصف وضع الشخص دون أوصاف لا تدعمها الوقائع.
completion: {lessons: all, quiz: pass}
"""
EXTRA_LESSON_EN = """\
## Words that travel further than you think

A **migrant** is an umbrella term, not a legal status. A **refugee** is defined in Article 1A(2) of the
1951 Convention, and an **asylum-seeker** is a person whose claim has not yet been decided.

::: key-terms
**Irregular situation**: a person who entered or stays without authorisation. The status can change; the
person never becomes "illegal".
:::

| Term | Defined in a treaty? |
|---|---|
| Refugee | yes |
| Migrant | no |
"""
EXTRA_LESSON_AR = """\
## كلمات تصل إلى أبعد مما تظن

**المهاجر** مصطلح جامع وليس وضعًا قانونيًا. أما **اللاجئ** فتعرّفه المادة 1(أ)(2) من اتفاقية 1951، و**ملتمس
اللجوء** شخص لم يُبتّ في طلبه بعد.

::: key-terms
**الوضع غير النظامي**: شخص دخل أو أقام دون إذن. يمكن أن يتغير هذا الوضع، ولا يصبح الشخص «غير شرعي» أبدًا.
:::

| المصطلح | هل تعرّفه معاهدة؟ |
|---|---|
| اللاجئ | نعم |
| المهاجر | لا |
"""
EXTRA_QUIZ_YAML = """\
id: browser-check-quiz
module: browser-check
title: {en: "Practice: words at the crossing", ar: "تدريب: الألفاظ عند المنفذ"}
preset: practice
pass_mark: 60
shuffle_questions: false
questions:
  - id: bc-q1
    type: single
    objectives: [M7.1]
    stem: Who has a legal definition in a treaty?
    options:
      - {id: a, text: A refugee, correct: true, feedback: Yes - Article 1A(2) of the 1951 Convention.}
      - {id: b, text: An asylum-seeker, weight: 0.5, feedback: Nearly - a refugee whose claim is not yet decided.}
      - {id: c, text: A migrant, feedback: No treaty defines migrant.}
    explanation: The 1951 Convention defines a refugee.
  - id: bc-q2
    type: multiple
    objectives: [M7.1]
    points: 2
    stem: Which are umbrella terms rather than legal categories?
    options:
      - {id: a, text: Migrant, correct: true}
      - {id: b, text: People on the move, correct: true}
      - {id: c, text: Mixed movement, correct: true}
      - {id: d, text: Refugee, feedback: A legal status.}
      - {id: e, text: Stateless person, weight: -0.5}
    explanation: Migrant, people on the move and mixed movement are not legal categories.
  - id: bc-q3
    type: truefalse
    objectives: [M7.2]
    case: An officer at Salloum calls a traveller an *illegal migrant* in a report.
    stem: The term "illegal migrant" is the neutral term IOM recommends.
    answer: false
    feedback: {true: IOM advises against it., false: Right - IOM prefers "migrant in an irregular situation".}
    explanation: IOM prefers irregular.
  - id: bc-q4
    type: matching
    objectives: [M7.1]
    stem: Match each status to the treaty that defines it.
    pairs:
      - {id: p1, prompt: Refugee, match: 1951 Convention}
      - {id: p2, prompt: Victim of trafficking, match: Palermo Protocol}
      - {id: p3, prompt: Stateless person, match: 1954 Convention}
    distractors: [Universal Declaration]
    explanation: Each status has its own instrument.
  - id: bc-q5
    type: ordering
    objectives: [M7.2]
    stem: Put the first steps of an interview in order.
    items:
      - {id: greet, text: Greet and introduce yourself}
      - {id: explain, text: Explain the purpose}
      - {id: ask, text: Ask open questions}
      - {id: refer, text: Refer as needed}
    explanation: Trust first, questions next, referral last.
  - id: bc-q6
    type: short
    objectives: [M7.1]
    stem: Name the status of a person recognised under the 1951 Convention.
    accept: [Refugee, لاجئ]
    explanation: A refugee.
  - id: bc-q7
    type: numeric
    objectives: [M7.1]
    stem: In which year was the Refugee Convention adopted?
    answer: 1951
    explanation: 28 July 1951.
  - id: bc-g1
    type: group
    case: A woman arrives at the port with two children and no documents.
    questions:
      - id: bc-q8
        type: single
        objectives: [M7.2]
        stem: What do you do first?
        options:
          - {id: a, text: Ensure their safety and immediate needs, correct: true}
          - {id: b, text: Start a criminal investigation}
        explanation: Safety first.
      - id: bc-q9
        type: numeric
        objectives: [M7.2]
        stem: How many children travel with her?
        answer: 2
        explanation: Two children.
"""


def make_course_copy(target: Path) -> Path:
    """The real course (course.yaml, modules/, quizzes/, banks/) plus the extra module and its quiz."""
    from course.package.model import short_hash
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "course.yaml", target / "course.yaml")
    for name in ("modules", "quizzes", "banks"):
        shutil.copytree(REPO / name, target / name)
    module = target / "modules" / "07-browser-check"
    module.mkdir()
    (module / "module.yaml").write_text(EXTRA_MODULE_YAML, encoding="utf-8")
    (module / "01-words.en.md").write_text(
        "---\nid: check-words\ntitle: Words at the crossing\nminutes: 5\n---\n\n" + EXTRA_LESSON_EN, encoding="utf-8")
    (module / "01-words.ar.md").write_text(
        f"---\nid: check-words\ntitle: الألفاظ عند المنفذ\nminutes: 5\nsource_hash: {short_hash(EXTRA_LESSON_EN)}\n"
        "---\n\n" + EXTRA_LESSON_AR, encoding="utf-8")
    (target / "quizzes" / f"{EXTRA_MODULE}.yaml").write_text(EXTRA_QUIZ_YAML, encoding="utf-8")
    return target


# --- Seeding (runs inside the app's environment, in a subprocess) ------------------------------------

#: The stations the seeded people serve at, with their kinds and Arabic names.
STATION_KINDS = {"Alexandria seaport": "seaport", "Cairo International Airport": "airport",
                 "Salloum land port": "land_port", "Port Said": "seaport", "Damietta seaport": "seaport"}
STATION_NAMES_AR = {"Alexandria seaport": "ميناء الإسكندرية", "Cairo International Airport": "مطار القاهرة الدولي",
                    "Salloum land port": "ميناء السلوم البري", "Port Said": "بورسعيد", "Damietta seaport": "ميناء دمياط"}
# "Borg El Arab Airport" stays as an import would leave it: no Arabic name, its kind not set.


def seed_database() -> None:
    """Accounts, a cohort with its trainer, assignments with due dates, and finished attempts of four
    officers (pre-test, post-test, a module quiz) so that the trainer's reports have data to draw."""
    import random
    from datetime import datetime

    from sqlalchemy import select

    from app import create_app
    from course.extensions import db
    from course.models import ImportBatch, Module, Quiz, Reminder, Role
    from course.questions import get_type
    from course.services import assignments, attempts, cohorts, reading, stations, users

    hashed = users.hash_password(PASSWORD)  # scrypt is slow on purpose: hash the shared password once
    users.hash_password = lambda password, real=users.hash_password: hashed if password == PASSWORD else real(password)
    app = create_app()
    with app.app_context():
        session = db.session
        admin = users.find_user(session, "admin")

        def person(username, role, name, staff=None, station=None, language="en", sex=None):
            if station:  # the stations list: found by name, or added with its kind
                station = stations.by_name(session, station) or stations.create_station(
                    session, admin, station, STATION_NAMES_AR.get(station, ""), STATION_KINDS.get(station, "not_set"))
            return users.create_user(session, username=username, password=PASSWORD, role=role, full_name=name,
                                     staff_number=staff, duty_station=station, language=language, sex=sex,
                                     check_policy=False)

        trainer = person(TRAINER, Role.TRAINER, "Nadia Hosny")
        officers = [person(OFFICER, Role.OFFICER, "Layla Mansour", "BRW-001", "Alexandria seaport"),
                    person(LANGUAGE_OFFICER, Role.OFFICER, "Omar Said", "BRW-002", "Cairo International Airport"),
                    person(NOJS_OFFICER, Role.OFFICER, "Hana Fathy", "BRW-003", "Salloum land port"),
                    person(WEIGHT_OFFICER, Role.OFFICER, "Youssef Ali", "BRW-004", "Port Said"),
                    person(OFFLINE_OFFICER, Role.OFFICER, "Mona Ibrahim", "BRW-005", "Alexandria seaport")]
        readers = [person(username, Role.OFFICER, name, f"RDR-{lang.upper()}", "Port Said", language=lang)
                   for lang, (username, name) in OFFLINE_READERS.items()]
        stats = [(person(username, Role.OFFICER, name, f"STA-{n}", ("Alexandria seaport", "Port Said")[n % 2],
                         sex=("female", "male", None)[n % 3]),
                  pre, post) for n, (username, name, pre, post) in enumerate(STAT_OFFICERS, start=1)]
        sweepers = {}
        for lang, accounts in SWEEP.items():
            sweepers[lang] = {
                "officer": person(accounts["officer"], Role.OFFICER, SWEEP_NAMES[lang]["officer"],
                                  f"SWP-{lang.upper()}", "Alexandria seaport", language=lang),
                "trainer": person(accounts["trainer"], Role.TRAINER, SWEEP_NAMES[lang]["trainer"], language=lang),
                "admin": person(accounts["admin"], Role.ADMIN, SWEEP_NAMES[lang]["admin"], language=lang)}
        session.flush()

        cohort = cohorts.create_cohort(session, admin, COHORT, "Officers of the browser tests")
        for officer in officers + readers + [s[0] for s in stats] + [s["officer"] for s in sweepers.values()]:
            cohorts.add_member(session, admin, cohort, officer)
        for staff in [trainer] + [s["trainer"] for s in sweepers.values()]:
            cohorts.add_trainer(session, admin, cohort, staff)

        modules = {m.key: m for m in session.scalars(select(Module))}
        quizzes = {q.key: q for q in session.scalars(select(Quiz))}
        def due(day: str) -> datetime:  # the day's end in the institute's zone, as an administrator's form sets it
            from course.services import timezones
            return timezones.end_of_day(date.fromisoformat(day), timezones.DEFAULT)
        assignments.assign(session, admin, module=modules["terminology"], cohort=cohort, due_at=due(DUE_COHORT))
        assignments.assign(session, admin, module=modules[EXTRA_MODULE], officer=officers[0],
                           due_at=due(DUE_PERSONAL))

        rng = random.Random(2026)
        now = datetime.now(UTC)

        def answer_and_submit(officer, quiz, skill, when, submit=True):
            attempt = attempts.start_attempt(session, officer, quiz, when, "en", seed=rng.randrange(1, 10**6))
            for answer in attempt.answers:
                definition = answer.question_version.definition
                qtype = get_type(definition["type"])
                if rng.random() < skill:
                    response = qtype.correct_response(definition)
                elif definition["type"] in ("single", "multiple"):
                    wrong = [o["id"] for o in definition["options"] if not o.get("correct")]
                    response = None if not wrong else (rng.choice(wrong) if definition["type"] == "single"
                                                       else [rng.choice(wrong)])
                else:
                    response = None
                attempts.save_answer(session, attempt, answer.question_version_id, response, None, when, 30)
            if submit:
                attempts.submit_attempt(session, attempt, when + timedelta(minutes=25), 30)
            return attempt

        for day, (officer, pre, post) in enumerate(stats):
            answer_and_submit(officer, quizzes["pre-test"], pre, now - timedelta(days=20 - day))
            answer_and_submit(officer, quizzes["terminology-quiz"], (pre + post) / 2, now - timedelta(days=12 - day))
            answer_and_submit(officer, quizzes["post-test"], post, now - timedelta(days=6 - day))
            for lesson in modules["terminology"].active_lessons:
                reading.mark_read(session, officer, lesson, now - timedelta(days=13 - day))

        if os.environ.get("BROWSER_SEED_BIG_COHORT", "1") == "1":  # only the package's servers need these
            seed_big_cohort(session, admin, modules, quizzes, person, rng, now)
            seed_certified(session, modules, quizzes, person, now)

        # The accessibility sweep visits a finished attempt (its result) and an open one, per language,
        # and the dashboard with a trainer's reminder on it.
        for sweeper in sweepers.values():
            session.add(Reminder(officer_id=sweeper["officer"].id, cohort_id=cohort.id, sent_by_id=trainer.id,
                                 modules="1|Terminology|المصطلحات", created_at=now, email_status="off"))
            answer_and_submit(sweeper["officer"], quizzes[EXTRA_QUIZ], 0.6, now - timedelta(days=1))
            answer_and_submit(sweeper["officer"], quizzes[EXTRA_QUIZ], 0.0, now, submit=False)
            for upload, content in (("bad", "full_name,staff_number\n,SWB-1\n"),
                                    ("good", "full_name,staff_number\nSweep Import,SWG-{lang}\n")):
                session.add(ImportBatch(filename=f"sweep-{upload}-{sweeper['admin'].language}.csv",
                                        content=content.format(lang=sweeper["admin"].language).encode(),
                                        created_by_id=sweeper["admin"].id))
        session.commit()
        print("seeded")


def seed_certified(session, modules, quizzes, person, now) -> None:
    """CERTIFIED: every required module's lessons read and its quiz passed (one whole-form attempt
    each), so the course certificate is issued as it would be (the development signing key)."""
    from datetime import timedelta

    from course.models import Certificate, Role
    from course.questions import get_type
    from course.services import attempts, reading

    required = [m for m in sorted(modules.values(), key=lambda m: m.position) if m.required]
    by_module = {q.module_id: q for q in quizzes.values() if q.module_id}
    for lang, (username, name) in CERTIFIED.items():
        officer = person(username, Role.OFFICER, name, f"CRT-{lang.upper()}", "Port Said", language=lang,
                         sex="female")
        when = now - timedelta(days=10)
        for module in required:
            for lesson in module.active_lessons:
                reading.mark_read(session, officer, lesson, when)
            attempt = attempts.start_attempt(session, officer, by_module[module.id], when, lang, seed=7)
            responses = {a.question_version_id: get_type(a.question_version.definition["type"]).correct_response(
                a.question_version.definition) for a in attempt.answers}
            attempts.submit_attempt(session, attempt, when + timedelta(minutes=20), 30, responses)
            when += timedelta(days=1)
        session.flush()
        if session.query(Certificate).filter_by(user_id=officer.id).count() != 1:
            raise RuntimeError(f"{username} was not certified: the browser tests need their certificate")


def seed_big_cohort(session, admin, modules, quizzes, person, rng, now) -> None:
    """BIG_COHORT: BIG_SIZE officers with long names, every module assigned to the cohort (the first
    two already past due), lessons read and attempts in a mix that fills the gradebook's cells with
    every status."""

    from course.models import Role
    from course.questions import get_type
    from course.services import assignments, attempts, cohorts, reading

    def take(officer, quiz, skill, when):
        """An attempt answered and submitted in one go (a whole form): quick for 180 attempts."""
        attempt = attempts.start_attempt(session, officer, quiz, when, "en", seed=rng.randrange(1, 10**6))
        responses = {}
        for answer in attempt.answers:
            definition = answer.question_version.definition
            if rng.random() < skill:
                responses[answer.question_version_id] = get_type(definition["type"]).correct_response(definition)
        attempts.submit_attempt(session, attempt, when + timedelta(minutes=20), 30, responses)

    trainer = person(BIG_TRAINER, Role.TRAINER, "Samir Abdel Aziz")
    cohort = cohorts.create_cohort(session, admin, BIG_COHORT, "A full cohort for the gradebook's layout")
    cohorts.add_trainer(session, admin, cohort, trainer)
    first = ("Abdelrahman", "Mohamed", "Fatma", "Mostafa", "Nourhan", "Ibrahim", "Yasmine", "Abdallah", "Rania",
             "Mahmoud", "Heba", "Sherif")
    last = ("El-Sayed Abdel Hamid", "Abou El Naga", "Mansour", "Abdel Rahman Soliman", "Fathy", "El-Shazly")
    stations = ("Port Said", "Alexandria seaport", "Cairo International Airport", "Salloum land port",
                "Damietta seaport", "Borg El Arab Airport")
    officers = []
    for n in range(BIG_SIZE):
        officer = person(f"big{n:02d}", Role.OFFICER, f"{first[n % len(first)]} {last[n % len(last)]} {n:02d}",
                         f"PSB-{n:04d}", stations[n % len(stations)])
        cohorts.add_member(session, admin, cohort, officer)
        officers.append(officer)
    ordered = [m for m in sorted(modules.values(), key=lambda m: m.position) if m.key != EXTRA_MODULE]
    for position, module in enumerate(ordered):
        due_at = now + timedelta(days=30 * position - 35)  # the first two modules are past due
        assignments.assign(session, admin, module=module, cohort=cohort, due_at=due_at)
    by_module = {q.module_id: q for q in quizzes.values() if q.module_id}
    for n, officer in enumerate(officers):
        for position, module in enumerate(ordered):
            if (n + position) % 4 == 3:
                continue  # not started
            for lesson in module.active_lessons[: 1 + (n % 3)]:
                reading.mark_read(session, officer, lesson, now - timedelta(days=3))
            if (n + position) % 4 != 2:
                take(officer, by_module[module.id], rng.random(), now - timedelta(days=2))
    session.flush()


# --- The server ---------------------------------------------------------------------------------------

@dataclass
class Server:
    url: str
    database_url: str
    course_dir: Path
    log: Path
    process: subprocess.Popen | None = None
    cleanup: list = field(default_factory=list)

    def engine(self):
        """An engine of the test's own on the server's database, to check what was saved."""
        from course.db import make_engine
        return make_engine(self.database_url)

    def query(self, sql: str, **params) -> list[dict]:
        """Rows of ``sql`` on the server's database, as dicts: what was really saved."""
        from sqlalchemy import text
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return [dict(row._mapping) for row in connection.execute(text(sql), params)]
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database(base_url: str, label: str = "browser", name: str | None = None,
                       template: str | None = None) -> tuple[str, callable]:
    """A fresh database next to ``base_url``'s (never that one: the unit tests drop its schema), a
    copy of ``template`` if given."""
    import psycopg
    parts = urlsplit(base_url)
    name = name or f"marsa_{label}_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return urlunsplit(parts._replace(path="/" + name)), drop


def _run(args: list[str], env: dict, what: str) -> str:
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Marsa did not answer at {url} within {timeout}s:\n{log.read_text()[-3000:]}")


def start_server(workdir: Path, extend_course=None, label: str = "browser", shared_seed: bool = False) -> Server:
    """``extend_course(course_dir)``, if given, adds to the course copy before it is loaded (a test
    module with a server of its own, such as test_hostile.py); ``label`` names its PostgreSQL database.

    The package's servers (``shared_seed``: one per xdist worker that runs browser tests) start from
    one seeded database per run, seeded by the first and copied by the others; a module's own server
    seeds its own, without the sixty-officer cohort only the gradebook's tests need."""
    course_dir = make_course_copy(workdir / "course")
    if extend_course is not None:
        extend_course(course_dir)
    cleanup = []
    base_env = {**os.environ, "SECRET_KEY": SECRET_KEY, "COURSE_DIR": str(course_dir),
                "RATELIMIT_STORAGE_URI": "memory://", "MARSA_ENV": "development", "PYTHONUNBUFFERED": "1",
                "BROWSER_SEED_BIG_COHORT": "1" if shared_seed else "0"}
    base_env.pop("TEST_DATABASE_URL", None)
    postgres = os.environ.get("TEST_DATABASE_URL")
    server = None
    try:
        if shared_seed:
            database_url = _copy_of_seeded_template(workdir, base_env, cleanup)
        else:
            if postgres:
                database_url, drop = _postgres_database(postgres, label)
                cleanup.append(drop)
            else:
                database_url = "sqlite:///" + str(workdir / "marsa-browser.db")
            _seed({**base_env, "DATABASE_URL": database_url})
        env = {**base_env, "DATABASE_URL": database_url}
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = workdir / "gunicorn.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                 "--log-level", "warning", "--timeout", "60", "app:create_app()"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        server = Server(url=url, database_url=database_url, course_dir=course_dir, log=log, process=process,
                        cleanup=cleanup)
        _wait_until_serving(url, process, log)
        return server
    except BaseException:
        if server is not None:
            stop_server(server)  # the process too, not only the database
        else:
            for step in cleanup:
                step()
        raise


def _seed(env: dict) -> None:
    """The schema, the course, the demo accounts (``flask demo``), then ``seed_database()``."""
    _run([str(BIN / "flask"), "--app", "app", "demo"], env, "flask demo")
    _run([str(BIN / "python"), "-c", "from tests.browser.conftest import seed_database; seed_database()"],
         env, "seeding the database")


def _copy_of_seeded_template(workdir: Path, env: dict, cleanup: list) -> str:
    """A database of this server's own, copied from the run's seeded template (seeded here if this is
    the first server of the run; a lock file keeps the other workers waiting until it is whole)."""
    import fcntl
    import sqlite3
    folder = template_folder()
    postgres = os.environ.get("TEST_DATABASE_URL")
    with open(folder / "seeding.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        ready = folder / "seeded"
        if postgres:
            if not ready.exists():
                template_url, _ = _postgres_database(postgres, name=template_database_name())
                _seed({**env, "DATABASE_URL": template_url})
                ready.touch()
            database_url, drop = _postgres_database(postgres, "browser", template=template_database_name())
            cleanup.append(drop)
            return database_url
        template = folder / "marsa-browser.db"
        if not ready.exists():
            _seed({**env, "DATABASE_URL": "sqlite:///" + str(template)})
            ready.touch()
        own = workdir / "marsa-browser.db"
        # The backup API copies a consistent database whatever is still in the template's WAL file.
        with contextlib.closing(sqlite3.connect(template)) as source, contextlib.closing(sqlite3.connect(own)) as copy:
            source.backup(copy)
        return "sqlite:///" + str(own)


def stop_server(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        # gunicorn's quick shutdown: TERM would wait up to 30 s for a request Chromium left half-sent
        # (an offline test's), and the tests are over.
        server.process.send_signal(signal.SIGQUIT)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for step in server.cleanup:
        with contextlib.suppress(Exception):
            step()


@contextlib.contextmanager
def running_server():
    """``with running_server() as server:`` for scripts (screenshots.py)."""
    workdir = Path(tempfile.mkdtemp(prefix="marsa-browser-"))
    server = start_server(workdir, shared_seed=True)
    try:
        yield server
    finally:
        stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)
        remove_templates(os.environ.get("TEST_DATABASE_URL"))


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: install Debian's Chromium with "
                                "`apt-get install -y chromium` (never `playwright install`).")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --- The browser side -----------------------------------------------------------------------------------

RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                            summary: n.failureSummary}))}));
}"""
OFFLINE_ERRORS = ("ERR_INTERNET_DISCONNECTED", "ERR_NAME_NOT_RESOLVED")


def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm install` in {REPO} (package.json pins axe-core)", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class Ui:
    """Fresh browser contexts on the test server, watched for errors, with axe checks and sign-in."""

    def __init__(self, browser, server: Server):
        self.browser, self.server = browser, server
        self.contexts, self.pages = [], []
        self.problems: list[str] = []
        self.offline_allowed = False
        self.downloads: set[str] = set()
        self.visited: dict[str, str] = {}  # url -> how it was seen, for pages axe must check
        self.checked: set[str] = set()
        self._axe = None

    # contexts and pages
    def new_page(self, javascript: bool = True, locale: str = "en-GB", **options):
        context = self.browser.new_context(base_url=self.server.url, viewport=VIEWPORT, locale=locale,
                                           java_script_enabled=javascript, accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        self.contexts.append(context)
        page = context.new_page()
        self.pages.append(page)
        page.on("console", self._console)
        if javascript:
            page.on("framenavigated", lambda frame: self._navigated(page, frame))
        return page

    def _navigated(self, page, frame):
        if frame == page.main_frame and frame.url.startswith("http"):
            self.visited.setdefault(_without_fragment(frame.url), "visited")

    def _console(self, message):
        if message.type != "error":
            return
        text = message.text
        if self.offline_allowed and any(code in text for code in OFFLINE_ERRORS):
            return
        self.problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def _request_failed(self, request):
        failure = request.failure or ""
        if self.offline_allowed and any(code in failure for code in OFFLINE_ERRORS):
            return
        if request.url in self.downloads and "ERR_ABORTED" in failure:
            return  # Chromium ends a navigation that turned into a download this way
        if request.resource_type in ("image", "media", "font", "other") and failure == "net::ERR_ABORTED":
            return  # the favicon or web font of a page left before it arrived: cancelled, not failed
            # (a missing one still shows: it answers 404, which _response reports)
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    @contextlib.contextmanager
    def offline(self, context):
        """Cut the network of ``context``: failures it causes are deliberate, not problems."""
        self.offline_allowed = True
        context.set_offline(True)
        try:
            yield
        finally:
            context.set_offline(False)

    def download(self, page, link_selector: str):
        """Follow a download link; returns (download, bytes of the file)."""
        href = page.get_attribute(link_selector, "href")
        self.downloads.add(self.server.url + href if href.startswith("/") else href)
        with page.expect_download() as info:
            page.click(link_selector)
        download = info.value
        return download, Path(download.path()).read_bytes()

    # checks
    def assert_clean(self):
        assert not self.problems, "Browser problems:\n" + "\n".join(self.problems)

    def axe(self, page):
        """axe-core on the page as it is now: no WCAG 2.0/2.1 A or AA violation allowed."""
        page.wait_for_load_state("load")
        if self._axe is None:
            self._axe = _axe_source()
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self._axe + "\n;void 0")  # through DevTools: the page's CSP stays in force
        violations = page.evaluate(RUN_AXE, AXE_TAGS)
        self.checked.add(_without_fragment(page.url))
        if violations:
            lang = page.evaluate("document.documentElement.lang")
            lines = [f"axe: {len(violations)} violation(s) on {page.url} (lang={lang})"]
            for v in violations:
                lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
                lines += [f"    {n['target']}: {n['html']}\n      {n['summary']}" for n in v["nodes"]]
            raise AssertionError("\n".join(lines))
        self.assert_clean()

    def goto(self, page, path: str, check: bool = True):
        response = page.goto(path)
        assert response is not None and response.ok, f"GET {path}: {response.status if response else 'no response'}"
        if check:
            self.axe(page)
        return response

    def sign_in(self, page, username: str, password: str = PASSWORD, check_login_page: bool = True):
        self.goto(page, "/login", check=check_login_page)
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/login" not in page.url, f"{username} could not sign in: " + page.inner_text("main")[:300]

    def unchecked_pages(self) -> list[str]:
        return sorted(url for url in self.visited if url not in self.checked)

    # failure evidence
    def save_artifacts(self, folder: Path) -> Path:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(self.pages, start=1):
            if page.is_closed():
                continue
            with contextlib.suppress(Exception):
                page.screenshot(path=str(folder / f"page-{number}.png"), full_page=True, timeout=5000)
            with contextlib.suppress(Exception):
                (folder / f"page-{number}.html").write_text(
                    f"<!-- {page.url} -->\n" + page.content(), encoding="utf-8")
        (folder / "problems.txt").write_text("\n".join(self.problems) + "\n", encoding="utf-8")
        with contextlib.suppress(Exception):
            shutil.copy(self.server.log, folder / "gunicorn.log")
        return folder

    def close(self):
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


REPORT: list[str] = []  # lines printed at the end of the run (the page weight)


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("browser")
    started = start_server(workdir, shared_seed=True)
    yield started
    stop_server(started)


@pytest.fixture(scope="package")
def browser(request):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium` "
                    "(the browser tests never download a browser; do not run `playwright install`).", pytrace=False)
    from playwright.sync_api import sync_playwright
    owned = None
    if request.config.pluginmanager.has_plugin("playwright"):
        playwright = request.getfixturevalue("playwright")  # pytest-playwright's instance: only one may run
    else:
        owned = playwright = sync_playwright().start()
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()
    if owned is not None:
        owned.stop()


@pytest.fixture
def ui(browser, server):
    watcher = Ui(browser, server)
    yield watcher
    watcher.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    watcher = getattr(item, "funcargs", {}).get("ui")
    if watcher is None or outcome.exception is not None:
        return
    problems = list(watcher.problems)
    problems += [f"visited without an axe check: {url}" for url in watcher.unchecked_pages()]
    if problems:
        outcome.force_exception(AssertionError("Browser problems:\n" + "\n".join(problems)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    watcher = getattr(item, "funcargs", {}).get("ui")
    if report.when == "call" and report.failed and watcher is not None:
        folder = watcher.save_artifacts(ARTIFACTS / re.sub(r"[^\w.-]+", "_", item.name))
        message = f"Screenshots and HTML of the failing test's pages: {folder}"
        report.sections.append(("browser artifacts", message))
        print(f"\n{message}", file=sys.stderr)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("browser measurements")
        for line in REPORT:
            terminalreporter.write_line(line)
