#!/usr/bin/env python3
"""Generate a realistic large institute into an empty database, fast.

    .venv/bin/python bench/generate.py --reset                       # 10,000 officers, SQLite in bench/out/
    .venv/bin/python bench/generate.py --reset --officers 1000 \\
        --url postgresql://postgres@127.0.0.1:5432/marsa_bench       # PostgreSQL

What it builds (defaults, at 10,000 officers):

* the schema through the app's own migrations (``course.migrate.upgrade_engine``) and the real
  six-module course from this repository (``read_package`` + ``apply_package``);
* 100 cohorts, started over the last two years (the oldest have finished the course, the newest
  started last week), each with one or two trainers and a dated assignment per module;
  officers spread evenly over them (100 each), plus one institute-wide cohort holding every officer
  (``--no-all-cohort`` leaves it out): the app has no other route that exports every officer;
* officers of varying ability (a latent ability per officer and a small cohort effect) answering
  questions of varying difficulty and discrimination (a 3-parameter logistic model per question,
  a few deliberately weak items, distractors of unequal appeal). They take the pre-test, read the
  lessons, take each module quiz (retaking a failed quiz, sometimes retaking a passed one to
  improve, never beyond the quiz's allowed attempts), then the post-test, which they do better on;
  some drop out, some are still working (open attempts), a few timed exams expire;
* every attempt has one answer row per question (the app's invariant), scored with the app's own
  ``course.questions.score_response``; attempts are graded exactly as ``attempts.grade`` does.

Speed: nothing goes through ORM objects. Rows are built as tuples and written in batches with
SQLAlchemy Core ``insert()`` executemany (SQLite, and the small tables everywhere) or with
PostgreSQL ``COPY`` through psycopg (attempts, answers and lesson reads).

The brief asked for "about 3 attempts per officer ... ~20 answers per attempt (so ~180,000 attempts
and ~3.6 million answers at 10,000)". Those figures disagree with each other (3 x 10,000 is 30,000),
and the real quizzes have 24 to 30 questions, not 20 (an attempt has one answer row per question).
The generator keeps the behaviour realistic (1 to 3 attempts per module quiz, drop-outs, cohorts
still running) and lands near the brief's volume: about 120,000 attempts (11.9 per officer) and
3 million answer rows at 10,000 officers. ``--retake-bias`` moves that up or down.
"""
from __future__ import annotations

import json
import math
import queue
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib
from sqlalchemy import Column, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from course.db import Base, make_engine
from course.migrate import upgrade_engine
from course.models import (
    Assignment,
    AuditEntry,
    Cohort,
    CohortMember,
    CohortTrainer,
    DutyStation,
    GradeOverride,
    Lesson,
    Module,
    Question,
    Quiz,
    User,
)
from course.models._types import utcnow
from course.package import apply_package, read_package
from course.questions import score_response
from course.services.users import hash_password

STATIONS = [
    "Alexandria seaport", "Port Said port", "Damietta port", "Ain Sokhna port", "Safaga port", "Nuweiba port",
    "Cairo International Airport", "Borg El Arab Airport", "Hurghada Airport", "Sharm El Sheikh Airport",
    "Luxor Airport", "Salloum land port", "Taba land port", "Arqeen land port", "Qustul land port",
    "Aswan High Dam port", "Rafah crossing", "East Port Said port",
]
#: The duty stations list (ids 1..n, in the order above), with their kinds.
STATION_ROWS = [{"id": i, "name_en": name, "name_ar": "", "created_at": datetime(2024, 1, 1, tzinfo=UTC),
                 "kind": "airport" if "Airport" in name else "land_port" if "land port" in name
                 else "inland_office" if "crossing" in name else "seaport"}
                for i, name in enumerate(STATIONS, start=1)]
FIRST_NAMES = [
    "Ahmed", "Mohamed", "Mahmoud", "Mostafa", "Omar", "Youssef", "Khaled", "Tarek", "Hany", "Sherif", "Amr",
    "Karim", "Hossam", "Walid", "Ayman", "Ibrahim", "Hassan", "Hussein", "Sameh", "Ashraf", "Islam", "Ramy",
    "Mina", "Peter", "Fady", "Sara", "Mariam", "Nour", "Yasmin", "Heba", "Dina", "Rania", "Mona", "Aya",
    "Salma", "Nada", "Reem", "Marwa", "Eman", "Shaimaa", "Hala", "Amira", "Ola", "Nesma", "Doaa", "Fatma",
    "Zeinab", "Asmaa", "Christine", "Marina",
]
LAST_NAMES = [
    "Abdelrahman", "Abdelaziz", "Abdelhamid", "El-Sayed", "Hassan", "Mahmoud", "Ibrahim", "Mostafa", "Fahmy",
    "Farouk", "Gamal", "Hamdy", "Kamal", "Lotfy", "Mansour", "Nasser", "Osman", "Ragab", "Saad", "Salem",
    "Shehata", "Soliman", "Taha", "Wahba", "Youssef", "Zaki", "El-Masry", "El-Shazly", "Badawy", "Darwish",
    "Helmy", "Khalil", "Morsy", "Naguib", "Ramadan", "Sabry", "Tawfik", "Zaghloul", "Ghaly", "Habib",
]

PASS_LEVELS = (70.0,)
NOW_HOUR = 6  # the generated "now" is today at 06:00 UTC unless --now is given


def sqlite_time(value: datetime | None) -> str | None:
    """A naive UTC datetime as SQLAlchemy's DateTime stores it in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff")."""
    if value is None:
        return None
    text_value = value.isoformat(" ")
    return text_value if value.microsecond else text_value + ".000000"


def same_time(value: datetime | None) -> datetime | None:
    return value


# --------------------------------------------------------------------------- the course, as data

@dataclass
class Item:
    version_id: int
    qtype: str
    definition: dict
    points: float
    group: str | None
    a: float = 1.0  # discrimination
    b: float = 0.0  # difficulty
    c: float = 0.0  # guessing floor
    distractor_weights: list[float] = field(default_factory=list)
    cache: dict = field(default_factory=dict)


@dataclass
class QuizInfo:
    id: int
    key: str
    kind: str
    module_id: int | None
    settings: dict
    items: list[Item]

    @property
    def attempts_allowed(self) -> int:
        return self.settings.get("attempts") or 3

    @property
    def pass_mark(self) -> float:
        return float(self.settings.get("pass_mark", 70))

    @property
    def time_limit(self) -> int | None:
        return self.settings.get("time_limit_minutes")


@dataclass
class ModuleInfo:
    id: int
    position: int
    lesson_ids: list[int]
    quiz: QuizInfo | None


def course_model(session: Session, rng: random.Random) -> tuple[list[ModuleInfo], QuizInfo | None, QuizInfo | None]:
    quizzes: dict[int, QuizInfo] = {}
    for quiz in session.scalars(select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.id)):
        items = []
        questions = session.scalars(select(Question).where(Question.quiz_id == quiz.id, Question.retired.is_(False))
                                    .order_by(Question.position)).all()
        for question in questions:
            version = question.current_version
            definition = version.definition
            item = Item(version.id, definition["type"], definition, float(definition.get("points", 1)),
                        definition.get("group"))
            # Item parameters: most items discriminate well; about 1 in 20 is weak (the kind item
            # analysis should flag); difficulty spreads from easy to hard.
            weak = rng.random() < 0.05
            item.a = rng.uniform(-0.4, 0.25) if weak else min(2.5, max(0.35, rng.lognormvariate(0.1, 0.35)))
            item.b = rng.gauss(0.0, 0.85)
            options = len(definition.get("options", [])) or 2
            item.c = {"truefalse": 0.5, "single": 0.6 / options, "multiple": 0.05}.get(item.qtype, 0.0)
            if item.qtype in ("single", "multiple"):
                wrong = [o for o in definition["options"] if not o["correct"]]
                # Unequal appeal: one strong distractor, sometimes one nobody picks.
                weights = [rng.gammavariate(0.7, 1.0) + 0.02 for _ in wrong]
                if wrong and rng.random() < 0.15:
                    weights[rng.randrange(len(wrong))] = 0.0005
                item.distractor_weights = weights
            items.append(item)
        quizzes[quiz.id] = QuizInfo(quiz.id, quiz.key, quiz.kind, quiz.module_id, dict(quiz.settings), items)
    modules = []
    for module in session.scalars(select(Module).where(Module.retired.is_(False)).order_by(Module.position)):
        lesson_ids = list(session.scalars(select(Lesson.id).where(Lesson.module_id == module.id,
                                                                  Lesson.retired.is_(False))
                                          .order_by(Lesson.position)))
        quiz = next((q for q in quizzes.values() if q.module_id == module.id), None)
        modules.append(ModuleInfo(module.id, module.position, lesson_ids, quiz))
    pre = next((q for q in quizzes.values() if q.kind == "pre-test"), None)
    post = next((q for q in quizzes.values() if q.kind == "post-test"), None)
    return modules, pre, post


# --------------------------------------------------------------------------- answering a question

def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def answer(item: Item, ability: float, rng: random.Random) -> tuple[str, float]:
    """One response to ``item`` by an officer of ``ability``: (its JSON text, score as a fraction)."""
    p = item.c + (1 - item.c) * _sigmoid(1.7 * item.a * (ability - item.b))
    definition = item.definition
    qtype = item.qtype
    if qtype == "single":
        options = definition["options"]
        if rng.random() < p:
            key = next(o["id"] for o in options if o["correct"])
        else:
            wrong = [o for o in options if not o["correct"]]
            key = rng.choices(wrong, weights=item.distractor_weights)[0]["id"]
        response = key
    elif qtype == "truefalse":
        key = definition["answer"] if rng.random() < p else (not definition["answer"])
        response = key
    elif qtype == "multiple":
        chosen = []
        wrong_index = 0
        for option in definition["options"]:
            if option["correct"]:
                if rng.random() < min(0.98, p + 0.1):
                    chosen.append(option["id"])
            else:
                appeal = item.distractor_weights[wrong_index] if item.distractor_weights else 1.0
                wrong_index += 1
                if rng.random() < (1 - p) * min(0.9, 0.35 * appeal):
                    chosen.append(option["id"])
        if not chosen:
            chosen.append(rng.choice(definition["options"])["id"])
        key = tuple(sorted(chosen))
        response = list(key)
    elif qtype == "matching":
        pairs = definition["pairs"]
        targets = [x["id"] for x in pairs] + [d["id"] for d in definition["distractors"]]
        pick = []
        for pair in pairs:
            if rng.random() < p:
                pick.append((pair["id"], pair["id"]))
            else:
                pick.append((pair["id"], rng.choice([t for t in targets if t != pair["id"]])))
        key = tuple(pick)
        response = dict(pick)
    elif qtype == "ordering":
        order = [x["id"] for x in definition["items"]]
        for _ in range(sum(1 for _ in order if rng.random() > p)):
            i, j = rng.randrange(len(order)), rng.randrange(len(order))
            order[i], order[j] = order[j], order[i]
        key = tuple(order)
        response = order
    elif qtype == "short":
        accept = definition.get("accept") or ["?"]
        key = accept[0] if rng.random() < p else "I am not sure"
        response = key
    else:  # numeric and anything newer: the correct response or nothing useful
        from course.questions import get_type
        correct = get_type(qtype).correct_response(definition)
        key = json.dumps(correct, sort_keys=True) if rng.random() < p else "wrong"
        response = correct if key != "wrong" else None
    cached = item.cache.get(key)
    if cached is None:
        cached = (json.dumps(response), score_response(definition, response))
        item.cache[key] = cached
    return cached


def ordered_items(quiz: QuizInfo, rng: random.Random) -> list[Item]:
    """The attempt's question order: shuffled by blocks, a scenario group kept together (as the app does)."""
    blocks: list[list[Item]] = []
    for item in quiz.items:
        if item.group and blocks and blocks[-1][0].group == item.group:
            blocks[-1].append(item)
        else:
            blocks.append([item])
    if quiz.settings.get("shuffle_questions"):
        rng.shuffle(blocks)
    return [i for block in blocks for i in block]


# --------------------------------------------------------------------------- the writer

ATTEMPT_COLS = ("id", "user_id", "quiz_id", "number", "state", "started_at", "deadline_at", "submitted_at", "seed",
                "language", "score", "max_score", "percent", "passed")
ANSWER_COLS = ("id", "attempt_id", "question_version_id", "position", "response", "seq", "saved_at", "score",
               "max_score")
READ_COLS = ("id", "user_id", "lesson_id", "read_at")


class Writer:
    """Writes row tuples of the three big tables in batches.

    SQLite: a Core ``insert()`` of the table, compiled once, run as one executemany per batch with
    values already in storage form (JSON text, SQLite datetime text), so nothing is processed per
    value in Python. PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, in the same transaction
    discipline (committed per batch).
    """

    def __init__(self, connection, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect
        self.statements: dict[str, str] = {}
        self.rows_written = 0
        if dialect == "postgresql":
            # The generator's datetimes are naive UTC: make the session read them as UTC.
            self.connection.exec_driver_sql("SET TIME ZONE 'UTC'")

    @property
    def time(self):
        return same_time if self.dialect == "postgresql" else sqlite_time

    def _statement(self, table: str, columns: tuple[str, ...]) -> str:
        """``insert()`` of just these columns (any other column takes its server default), compiled once."""
        key = f"{table}:{','.join(columns)}"
        if key not in self.statements:
            model_table = Base.metadata.tables[table]
            missing = [c for c in columns if c not in model_table.c]
            if missing:
                raise RuntimeError(f"{table} has no column {missing}: the models changed")
            loading = Table(table, MetaData(), *(Column(c) for c in columns))
            compiled = insert(loading).compile(dialect=self.connection.dialect)
            order = tuple(compiled.positiontup)
            if order != columns:
                raise RuntimeError(f"unexpected parameter order for {table}: {order}")
            self.statements[key] = str(compiled)
        return self.statements[key]

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        self.rows_written += len(rows)
        if self.dialect == "postgresql":
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        self.connection.exec_driver_sql(self._statement(table, columns), rows)

    def commit(self) -> None:
        if self.dialect == "postgresql":
            # COPY ran on the driver's connection, outside SQLAlchemy's view of the transaction.
            self.connection.connection.driver_connection.commit()
        self.connection.commit()


BIG_TABLES = ("attempts", "attempt_answers", "lesson_reads")


def drop_secondary_indexes(connection, dialect: str, tables) -> list[str]:
    """Drop the secondary indexes, unique constraints and foreign keys of ``tables``; return the
    statements that recreate them exactly (names and definitions read from the database itself)."""
    create: list[str] = []
    if dialect == "postgresql":
        uniques, foreign = [], []
        for table in tables:
            rows = connection.execute(text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('u', 'f')"), {"t": table}).all()
            constraint_names = {name for name, _kind, _definition in rows}
            for name, kind, definition in rows:
                connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                (uniques if kind == "u" else foreign).append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            indexes = connection.execute(text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.contype = 'p')"), {"t": table}).all()
            for name, definition in indexes:
                if name in constraint_names:
                    continue
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
                create.append(definition)
        return uniques + create + foreign
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (%s)"
        % ", ".join(f"'{t}'" for t in tables)).all()
    for name, sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
        create.append(sql)
    return create


def schema_fingerprint(connection, dialect: str, tables) -> set:
    """Every index and constraint definition of ``tables``, to prove the rebuild restored them exactly."""
    if dialect == "postgresql":
        indexes = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                                          "current_schema() AND tablename = ANY(:t)"), {"t": list(tables)}).all()
        constraints = connection.execute(text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                              "WHERE conrelid = ANY(CAST(:t AS regclass[]))"),
                                         {"t": list(tables)}).all()
        return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}
    rows = connection.exec_driver_sql("SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (%s)"
                                      % ", ".join(f"'{t}'" for t in tables)).all()
    return {tuple(r) for r in rows}


class BackgroundWriter(threading.Thread):
    """Writes (attempts, answers, reads) batches on its own connection while the main thread simulates."""

    def __init__(self, engine, dialect: str) -> None:
        super().__init__(name="bench-writer", daemon=True)
        self.engine = engine
        self.dialect = dialect
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.write_s = 0.0

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                if self.dialect == "sqlite":
                    connection.exec_driver_sql("PRAGMA synchronous=OFF")
                else:
                    connection.exec_driver_sql("SET synchronous_commit = off")
                writer = Writer(connection, self.dialect)
                while True:
                    item = self.queue.get()
                    if item is None:
                        return
                    mark = time.perf_counter()
                    attempts, answers, reads = item
                    writer.write("attempts", ATTEMPT_COLS, attempts)
                    writer.write("attempt_answers", ANSWER_COLS, answers)
                    writer.write("lesson_reads", READ_COLS, reads)
                    writer.commit()
                    self.write_s += time.perf_counter() - mark
        except BaseException as error:
            self.error = error
            while True:  # unblock the producer
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break

    def put(self, batch) -> None:
        while True:
            if self.error is not None:
                raise RuntimeError("the writer thread failed") from self.error
            try:
                self.queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        if self.is_alive():
            while True:
                if self.error is not None or not self.is_alive():
                    break
                try:
                    self.queue.put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
            self.join()
        if self.error is not None:
            raise RuntimeError("the writer thread failed") from self.error


# --------------------------------------------------------------------------- the institute

@dataclass
class Counts:
    users: int = 0
    officers: int = 0
    trainers: int = 0
    cohorts: int = 0
    memberships: int = 0
    assignments: int = 0
    attempts: int = 0
    answers: int = 0
    lesson_reads: int = 0
    overrides: int = 0
    audit: int = 0
    in_progress: int = 0
    expired: int = 0


@dataclass
class Scores:
    sums: dict = field(default_factory=dict)

    def add(self, kind: str, percent: float, passed: bool, first: bool) -> None:
        bucket = self.sums.setdefault(kind if not first else kind + " (first attempts)", [0, 0.0, 0])
        bucket[0] += 1
        bucket[1] += percent
        bucket[2] += passed

    def table(self) -> dict[str, dict]:
        return {k: {"attempts": n, "mean_percent": round(s / n, 1), "pass_rate": round(p / n, 3)}
                for k, (n, s, p) in sorted(self.sums.items()) if n}


class Institute:
    def __init__(self, args, modules: list[ModuleInfo], pre: QuizInfo | None, post: QuizInfo | None,
                 now: datetime, fmt=same_time) -> None:
        self.args = args
        self.fmt = fmt  # how the writer wants datetimes (naive UTC datetimes, or SQLite text)
        self.override_candidates: list[tuple[int, int, datetime]] = []
        self.rng = random.Random(args["seed"])
        self.modules = modules
        self.pre, self.post = pre, post
        self.now = now
        self.counts = Counts()
        self.scores = Scores()
        self.next_attempt_id = 1
        self.next_answer_id = 1
        self.next_read_id = 1

    # ---- one attempt
    def attempt(self, user_id: int, quiz: QuizInfo, number: int, ability: float, start: datetime, language: str,
                state: str, attempts: list, answers: list) -> tuple[float | None, bool | None]:
        rng = self.rng
        attempt_id = self.next_attempt_id
        self.next_attempt_id += 1
        limit = quiz.time_limit
        deadline = start + timedelta(minutes=limit) if limit else None
        items = ordered_items(quiz, rng)
        minutes = rng.uniform(0.25, 0.95) * (limit or 40)
        finish = start + timedelta(minutes=minutes)
        answered_until = len(items)
        if state == "expired":
            answered_until = int(len(items) * rng.uniform(0.5, 0.9))
            finish = deadline or finish
        elif state == "in_progress":
            answered_until = int(len(items) * rng.uniform(0.1, 0.8))
        total = maximum = 0.0
        step = (finish - start) / (len(items) + 1)
        for position, item in enumerate(items, start=1):
            skipped = position > answered_until or (state == "submitted" and rng.random() < 0.012)
            if skipped:
                response, fraction, seq, saved = None, 0.0, 0, None
            else:
                response, fraction = answer(item, ability, rng)
                seq = 1 if rng.random() < 0.8 else rng.randint(2, 4)
                saved = self.fmt(start + step * position)
            if state == "in_progress":
                score = None
            else:
                score = round(fraction * item.points, 4)
                total += score
            maximum += item.points
            answers.append((self.next_answer_id, attempt_id, item.version_id, position, response, seq, saved,
                            score, item.points))
            self.next_answer_id += 1
        if state == "in_progress":
            attempts.append((attempt_id, user_id, quiz.id, number, state, self.fmt(start), self.fmt(deadline), None,
                             rng.randrange(1, 2**31 - 1), language, None, None, None, None))
            self.counts.in_progress += 1
            return None, None
        percent = round(100 * total / maximum, 2) if maximum else 0.0
        passed = percent >= quiz.pass_mark
        attempts.append((attempt_id, user_id, quiz.id, number, state, self.fmt(start), self.fmt(deadline),
                         self.fmt(finish),
                         rng.randrange(1, 2**31 - 1), language, round(total, 4), round(maximum, 4), percent, passed))
        self.scores.add(quiz.kind, percent, passed, number == 1)
        if not passed and number == quiz.attempts_allowed and quiz.kind == "module":
            self.override_candidates.append((user_id, quiz.id, finish))
        if state == "expired":
            self.counts.expired += 1
        return percent, passed

    # ---- one officer's course
    def officer(self, user_id: int, ability: float, language: str, cohort_start: datetime,
                attempts: list, answers: list, reads: list) -> None:
        rng = self.rng
        now = self.now
        pace = rng.lognormvariate(0.0, 0.3)  # > 1: slower than the cohort's plan
        bias = self.args["retake_bias"]

        def exam(quiz: QuizInfo | None, when: datetime, boost: float) -> None:
            if quiz is None or when >= now - timedelta(hours=2):
                return
            state = "expired" if rng.random() < 0.02 else "submitted"
            self.attempt(user_id, quiz, 1, ability + boost + rng.gauss(0, 0.25), when, language, state,
                         attempts, answers)

        if rng.random() < 0.95:
            exam(self.pre, cohort_start + timedelta(hours=rng.uniform(2, 60)), 0.0)
        passed_modules = 0
        reached_all = True
        for module in self.modules:
            day = (7 * (module.position - 1) + rng.uniform(0.5, 5)) * pace
            begin = cohort_start + timedelta(days=day)
            if begin >= now or rng.random() < 0.02:  # not there yet, or dropped out
                reached_all = False
                break
            read_fraction = 0
            moment = begin
            for lesson_id in module.lesson_ids:
                moment += timedelta(minutes=rng.uniform(5, 300))
                if moment >= now:
                    break
                if rng.random() < 0.93:
                    reads.append((self.next_read_id, user_id, lesson_id, self.fmt(moment)))
                    self.next_read_id += 1
                    read_fraction += 1
            read_fraction /= max(1, len(module.lesson_ids))
            quiz = module.quiz
            if quiz is None:
                continue
            when = moment + timedelta(hours=rng.uniform(1, 48))
            best = None
            for number in range(1, quiz.attempts_allowed + 1):
                if when >= now:
                    break
                recent = now - when < timedelta(days=2)
                state = "in_progress" if recent and rng.random() < 0.4 else "submitted"
                boost = 0.7 + 0.35 * read_fraction + 0.3 * (number - 1)
                percent, passed = self.attempt(user_id, quiz, number, ability + boost + rng.gauss(0, 0.3), when,
                                               language, state, attempts, answers)
                if state == "in_progress":
                    break
                best = percent if best is None else max(best, percent)
                if passed:
                    # Graded quizzes keep the highest score: some officers retake a pass to improve it.
                    if percent >= 90 or rng.random() > bias * (0.55 if percent < 85 else 0.25):
                        break
                elif rng.random() > min(0.97, 0.8 * bias + 0.1):
                    break
                when += timedelta(hours=rng.uniform(2, 96))
            if best is not None and best >= quiz.pass_mark:
                passed_modules += 1
        if reached_all:
            when = cohort_start + timedelta(days=(44 + rng.uniform(0, 10)) * pace)
            if rng.random() < 0.92:
                exam(self.post, when, 1.0 + 0.12 * passed_modules)


def _people(rng: random.Random, officers: int, trainers: int, password_hash: str, created: datetime):
    users = []
    uid = 0

    def add(username, role, name, staff=None, station=None, language="en"):
        nonlocal uid
        uid += 1
        users.append({"id": uid, "username": username, "password_hash": password_hash, "role": role,
                      "full_name": name, "staff_number": staff, "language": language,
                      "duty_station_id": STATIONS.index(station) + 1 if station else None,
                      "is_active_account": True, "must_change_password": False,
                      "session_token": f"{rng.getrandbits(64):016x}", "created_at": created})
        return uid

    admin_id = add(benchlib.BENCH_ADMIN, "admin", "Benchmark Administrator")
    add("bench-admin-2", "admin", "Second Administrator")
    trainer_ids = [add(f"trainer{i:04d}", "trainer", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
                   for i in range(1, trainers + 1)]
    officer_rows = []
    for i in range(1, officers + 1):
        station = rng.choice(STATIONS)
        language = "ar" if rng.random() < 0.25 else "en"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        oid = add(f"officer{i:06d}", "officer", name, f"EG-{100000 + i}", station, language)
        officer_rows.append((oid, language))
    return users, admin_id, trainer_ids, officer_rows


def reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(str(path) + suffix)
            if candidate.exists():
                candidate.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _fix_sequences(connection) -> None:
    for table in ("duty_stations", "users", "cohorts", "cohort_members", "cohort_trainers", "assignments", "attempts",
                  "attempt_answers", "lesson_reads", "grade_overrides", "audit_entries"):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {table}"))


def generate(url: str, officers: int, seed: int, reset: bool, course: str, batch: int, cohorts: int,
             all_cohort: bool, retake_bias: float, now: datetime | None, analyze_sqlite: bool,
             quiet: bool = False) -> dict:
    benchlib.check_url(url)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    if reset:
        reset_database(url)
    elif url.startswith("sqlite"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    dialect = engine.dialect.name
    existing = inspect(engine).get_table_names()
    if existing:
        engine.dispose()
        raise click.ClickException(f"{url} is not empty ({len(existing)} tables): pass --reset to drop everything.")
    upgrade_engine(engine)
    timings["schema (migrations)"] = time.perf_counter() - clock

    step = time.perf_counter()
    package = read_package(course)
    if package.errors:
        raise click.ClickException("the course package has errors:\n" + "\n".join(map(str, package.errors[:20])))
    with Session(engine) as session:
        apply_package(session, package, now=utcnow())
        session.commit()
    timings["course (read_package + apply_package)"] = time.perf_counter() - step

    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(hour=NOW_HOUR, minute=0, second=0, microsecond=0)
    aware_now, now = now, now.astimezone(UTC).replace(tzinfo=None)  # naive UTC inside
    with Session(engine) as session:
        modules, pre, post = course_model(session, random.Random(seed + 1))
    n_trainers = max(2, round(cohorts * 0.6))
    args = {"seed": seed + 2, "retake_bias": retake_bias}
    institute = Institute(args, modules, pre, post, now, same_time if dialect == "postgresql" else sqlite_time)
    counts = institute.counts

    step = time.perf_counter()
    password_hash = hash_password(benchlib.BENCH_PASSWORD)  # one scrypt hash, shared by every generated account
    created = now - timedelta(days=800)
    users, admin_id, trainer_ids, officer_rows = _people(rng, officers, n_trainers, password_hash, created)
    counts.users, counts.officers, counts.trainers = len(users), officers, n_trainers

    # Cohorts: started over the last two years, newest last week.
    cohort_rows, trainer_rows, member_rows, assignment_rows = [], [], [], []
    cohort_starts: dict[int, datetime] = {}
    order = list(range(officers))
    rng.shuffle(order)
    sizes = [officers // cohorts + (1 if k < officers % cohorts else 0) for k in range(cohorts)]
    cohort_of_officer: dict[int, int] = {}
    position = 0
    span = 730
    for k in range(cohorts):
        cid = k + 1
        age_days = 7 + (span - 7) * (cohorts - 1 - k) / max(1, cohorts - 1)
        start = (now - timedelta(days=age_days)).replace(hour=8)
        cohort_starts[cid] = start
        station = STATIONS[k % len(STATIONS)]
        cohort_rows.append({"id": cid, "name": f"{station} — {start:%B %Y} (#{cid:03d})",
                            "description": f"Course intake {cid} at {station}.", "archived": age_days > 540,
                            "created_at": start - timedelta(days=7)})
        chosen = [trainer_ids[k % len(trainer_ids)]]
        if rng.random() < 0.5:
            other = rng.choice(trainer_ids)
            if other not in chosen:
                chosen.append(other)
        for tid in chosen:
            trainer_rows.append({"id": len(trainer_rows) + 1, "cohort_id": cid, "user_id": tid})
        for module in modules:
            assignment_rows.append({"id": len(assignment_rows) + 1, "cohort_id": cid, "user_id": None,
                                    "module_id": module.id, "starts_at": start,
                                    "due_at": start + timedelta(days=7 * module.position + 7),
                                    "created_by_id": admin_id, "created_at": start - timedelta(days=3)})
        for index in order[position: position + sizes[k]]:
            officer_id = officer_rows[index][0]
            cohort_of_officer[officer_id] = cid
            member_rows.append({"id": len(member_rows) + 1, "cohort_id": cid, "user_id": officer_id,
                                "added_at": start - timedelta(days=2)})
        position += sizes[k]
    if all_cohort:
        cid = cohorts + 1
        cohort_rows.append({"id": cid, "name": "All officers (institute-wide)",
                            "description": "Every officer of the institute, for institute-wide exports.",
                            "archived": False, "created_at": created})
        for officer_id, _lang in officer_rows:
            member_rows.append({"id": len(member_rows) + 1, "cohort_id": cid, "user_id": officer_id,
                                "added_at": created})
    counts.cohorts, counts.memberships, counts.assignments = len(cohort_rows), len(member_rows), len(assignment_rows)
    audit_rows = [{"id": i + 1, "actor_id": admin_id, "action": "user.create", "object_type": "user",
                   "object_id": str(u["id"]), "details": {"username": u["username"]}, "created_at": created}
                  for i, u in enumerate(users)]
    for row in cohort_rows:
        audit_rows.append({"id": len(audit_rows) + 1, "actor_id": admin_id, "action": "cohort.create",
                           "object_type": "cohort", "object_id": str(row["id"]), "details": {"name": row["name"]},
                           "created_at": row["created_at"]})

    with engine.begin() as connection:
        if dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
        for model, rows in ((DutyStation, STATION_ROWS), (User, users), (Cohort, cohort_rows), (CohortTrainer, trainer_rows),
                            (CohortMember, member_rows), (Assignment, assignment_rows)):
            for i in range(0, len(rows), 20000):
                connection.execute(insert(model.__table__), rows[i:i + 20000])
    timings["people, cohorts, assignments"] = time.perf_counter() - step

    # The big part: officer by officer. The main thread simulates; a writer thread writes the previous
    # batch meanwhile. Secondary indexes and foreign keys of the three big tables are dropped first and
    # rebuilt afterwards from their own definitions (faster than maintaining them row by row).
    step = time.perf_counter()
    with engine.begin() as connection:
        fingerprint = schema_fingerprint(connection, dialect, BIG_TABLES)
        rebuild = drop_secondary_indexes(connection, dialect, BIG_TABLES)
    timings["drop secondary indexes of the big tables"] = time.perf_counter() - step
    step = time.perf_counter()
    cohort_effect = {cid: rng.gauss(0, 0.25) for cid in cohort_starts}
    simulate_s = 0.0
    cpu = time.process_time()
    background = BackgroundWriter(engine, dialect)
    background.start()
    try:
        with click.progressbar(length=officers, label="Officers", file=sys.stderr, show_pos=True, show_eta=True,
                               hidden=quiet, item_show_func=lambda s: s) as bar:
            for start_index in range(0, officers, batch):
                attempts: list[tuple] = []
                answers: list[tuple] = []
                reads: list[tuple] = []
                chunk = officer_rows[start_index: start_index + batch]
                mark = time.perf_counter()
                for officer_id, language in chunk:
                    cid = cohort_of_officer[officer_id]
                    ability = institute.rng.gauss(-0.35, 1.0) + cohort_effect[cid]
                    institute.officer(officer_id, ability, language, cohort_starts[cid], attempts, answers, reads)
                simulate_s += time.perf_counter() - mark
                background.put((attempts, answers, reads))
                counts.attempts += len(attempts)
                counts.answers += len(answers)
                counts.lesson_reads += len(reads)
                bar.update(len(chunk), f"{counts.attempts:,} attempts, {counts.answers:,} answers, "
                                       f"{counts.lesson_reads:,} lesson reads")
    finally:
        background.close()
    timings["attempts, answers, lesson reads"] = time.perf_counter() - step
    timings["  of which simulating officers (main thread)"] = simulate_s
    timings["  of which writing rows (writer thread, overlapped)"] = background.write_s
    timings["  generator process CPU time in this phase"] = time.process_time() - cpu
    step = time.perf_counter()
    with engine.begin() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for statement in rebuild:
            connection.exec_driver_sql(statement)
        if schema_fingerprint(connection, dialect, BIG_TABLES) != fingerprint:
            raise RuntimeError("the rebuilt indexes and constraints differ from the migrated schema")
    timings["rebuild indexes, unique and foreign keys"] = time.perf_counter() - step

    # A few grade overrides (a trainer's decision after a failed last attempt), with their audit entries.
    step = time.perf_counter()
    override_rows = []
    for user_id, quiz_id, finished in institute.override_candidates:
        if rng.random() < 0.1:
            override_rows.append({"id": len(override_rows) + 1, "user_id": user_id, "quiz_id": quiz_id,
                                  "percent": 70.0, "reason": "Oral re-assessment passed (documented in file).",
                                  "created_by_id": admin_id, "created_at": finished + timedelta(days=3)})
            audit_rows.append({"id": len(audit_rows) + 1, "actor_id": admin_id, "action": "grade.override",
                               "object_type": "user", "object_id": str(user_id),
                               "details": {"quiz_id": quiz_id, "percent": 70.0},
                               "created_at": finished + timedelta(days=3)})
    counts.overrides, counts.audit = len(override_rows), len(audit_rows)
    with engine.begin() as connection:
        for model, rows in ((GradeOverride, override_rows), (AuditEntry, audit_rows)):
            for i in range(0, len(rows), 20000):
                connection.execute(insert(model.__table__), rows[i:i + 20000])
        if dialect == "postgresql":
            _fix_sequences(connection)
    if dialect == "postgresql":
        # Autovacuum would analyze the new rows within minutes in production; do it now.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            if analyze_sqlite:
                connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["overrides, audit, finish (ANALYZE on PostgreSQL)"] = time.perf_counter() - step

    with engine.connect() as connection:
        checked = {
            "attempts": connection.scalar(select(func.count()).select_from(text("attempts"))),
            "attempt_answers": connection.scalar(select(func.count()).select_from(text("attempt_answers"))),
            "users": connection.scalar(select(func.count()).select_from(text("users"))),
        }
        if dialect == "postgresql":
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
        else:
            size = None
    engine.dispose()
    if dialect == "sqlite":
        size = Path(url[len("sqlite:///"):]).stat().st_size
    total = time.perf_counter() - clock
    summary = {
        "url": url, "backend": dialect, "officers": officers, "seed": seed, "now": aware_now.isoformat(),
        "code": benchlib.code_fingerprint(),
        "counts": counts.__dict__, "checked": checked, "database_bytes": size,
        "timings_s": {k: round(v, 2) for k, v in timings.items()}, "total_s": round(total, 2),
        "answers_per_s": round(counts.answers / max(1e-9, timings["attempts, answers, lesson reads"])),
        "attempts_per_officer": round(counts.attempts / max(1, officers), 2),
        "answers_per_attempt": round(counts.answers / max(1, counts.attempts), 2),
        "scores": institute.scores.table(),
    }
    return summary


def print_summary(summary: dict) -> None:
    c = summary["counts"]
    click.echo(f"\n{summary['backend']}: {summary['officers']:,} officers in {summary['total_s']:.1f} s "
               f"({summary['answers_per_s']:,} answer rows/s in the bulk phase)")
    click.echo(f"  users {c['users']:,} (trainers {c['trainers']}), cohorts {c['cohorts']} "
               f"({c['memberships']:,} memberships), assignments {c['assignments']:,}")
    click.echo(f"  attempts {c['attempts']:,} ({summary['attempts_per_officer']} per officer; "
               f"{c['in_progress']:,} open, {c['expired']:,} expired), answers {c['answers']:,} "
               f"({summary['answers_per_attempt']} per attempt), lesson reads {c['lesson_reads']:,}, "
               f"overrides {c['overrides']}, audit entries {c['audit']:,}")
    if summary.get("database_bytes"):
        click.echo(f"  database size {summary['database_bytes'] / 1e6:,.0f} MB")
    for name, seconds in summary["timings_s"].items():
        click.echo(f"  {name:<52} {seconds:8.2f} s")
    click.echo("  scores:")
    for kind, row in summary["scores"].items():
        click.echo(f"    {kind:<32} n={row['attempts']:>8,}  mean {row['mean_percent']:5.1f} %  "
                   f"pass rate {row['pass_rate']:.0%}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", default=None, help="DATABASE_URL (default: sqlite file bench/out/marsa-bench-N.db).")
@click.option("--officers", default=10_000, show_default=True, type=click.IntRange(10))
@click.option("--cohorts", default=100, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=2026, show_default=True)
@click.option("--reset", is_flag=True, help="Drop everything in the database first.")
@click.option("--course", default=str(benchlib.REPO), show_default=True, help="Course package folder.")
@click.option("--batch", default=500, show_default=True, help="Officers per write batch.")
@click.option("--all-cohort/--no-all-cohort", default=True, show_default=True,
              help="Add an institute-wide cohort holding every officer (for the all-officer export).")
@click.option("--retake-bias", default=1.0, show_default=True,
              help="Scales how often officers retake quizzes (1.0 gives ~3M answer rows at 10,000 officers).")
@click.option("--now", "now_text", default=None, help="The generated 'now' (ISO date); default today 06:00 UTC.")
@click.option("--analyze-sqlite", is_flag=True, help="Run ANALYZE on SQLite (the app never does).")
@click.option("--json-out", default=None, help="Also write the summary as JSON to this file.")
def main(url, officers, cohorts, seed, reset, course, batch, all_cohort, retake_bias, now_text, analyze_sqlite,
         json_out):
    """Generate an institute of OFFICERS officers into an empty database."""
    url = url or benchlib.sqlite_url(benchlib.default_sqlite_path(officers))
    now = None
    if now_text:
        now = datetime.fromisoformat(now_text)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    summary = generate(url, officers, seed, reset, course, batch, cohorts, all_cohort, retake_bias, now,
                       analyze_sqlite)
    print_summary(summary)
    if json_out:
        benchlib.write_json(Path(json_out), summary)


if __name__ == "__main__":
    main()
