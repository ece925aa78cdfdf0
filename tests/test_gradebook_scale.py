"""The gradebook and its export for large cohorts: the same statuses and rows as for a small one, and
no statement that binds one parameter per officer (PostgreSQL refuses more than 65,535)."""
import csv
import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from course.extensions import db as database
from course.models import Assignment, Cohort, CohortMember, GradeOverride, Lesson, Module, Quiz, Role, User
from course.services import exports, progress, reading, reports
from course.services.attempts import start_attempt, submit_attempt
from tests.conftest import add_station, load_package, make_cohort

EXTRA_MODULE = """id: extra
order: 2
title: {en: Extra, ar: إضافي}
summary: A module whose quiz counts the latest attempt.
minutes: 10
objectives:
  - id: E1.1
    text: Answer the extra questions.
"""

EXTRA_LESSON = """---
id: extra-first
title: Extra lesson
minutes: 5
---

Extra reading.
"""

EXTRA_QUIZ = """id: extra-quiz
module: extra
title: Extra quiz
preset: graded
grading: latest
pass_mark: 60
shuffle_questions: false
questions:
  - id: e-q1
    type: single
    objectives: [E1.1]
    stem: Pick a.
    options: [{id: a, text: A, correct: true}, {id: b, text: B}]
    explanation: Because.
  - id: e-q2
    type: single
    objectives: [E1.1]
    stem: Pick a again.
    options: [{id: a, text: A, correct: true}, {id: b, text: B}]
    explanation: Because.
"""


@pytest.fixture
def two_module_course(app, course_copy):
    """The mini course (basics: two lessons, quiz graded "highest", pass mark 60) plus a module whose
    quiz is graded by the latest attempt."""
    module_dir = course_copy / "modules" / "02-extra"
    module_dir.mkdir()
    (module_dir / "module.yaml").write_text(EXTRA_MODULE)
    (module_dir / "01-first.en.md").write_text(EXTRA_LESSON)
    (course_copy / "quizzes" / "extra.yaml").write_text(EXTRA_QUIZ)
    return load_package(app, course_copy)


def add_officer(session, name: str, station: str | None = None) -> User:
    # Officers who never sign in in these tests: no password hashing, which would dominate the run time.
    username = name.lower().replace(" ", "-")
    officer = User(username=username, password_hash="!", role=Role.OFFICER, full_name=name,
                   staff_number=username.upper(), duty_station=add_station(session, station) if station else None)
    session.add(officer)
    session.flush()
    return officer


def take(session, officer, quiz, choices: dict, submit: bool = True):
    """An attempt at ``quiz`` answered by question key; left open unless ``submit``."""
    now = datetime.now(UTC)
    attempt = start_attempt(session, officer, quiz, now)
    for answer in attempt.answers:
        key = answer.question_version.definition["id"]
        if key in choices:
            answer.response = choices[key]
            answer.seq = 1
    if submit:
        submit_attempt(session, attempt, now, 30)
    session.flush()
    return attempt


def read_lessons(session, officer, module_key: str, count: int | None = None):
    lessons = session.scalars(select(Lesson).join(Module).where(Module.key == module_key)
                              .order_by(Lesson.position)).all()
    for lesson in lessons[:count]:
        reading.mark_read(session, officer, lesson, datetime.now(UTC))


BASICS_100 = {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False}
BASICS_50 = {"b-q1": "b", "b-q2": ["a"], "b-q3": False}
EXTRA_100 = {"e-q1": "a", "e-q2": "a"}
EXTRA_50 = {"e-q1": "a", "e-q2": "b"}


@pytest.fixture
def mixed_cohort(app, two_module_course, session, make_user):
    """A cohort whose officers are in every state the gradebook shows; returns (cohort, trainer, expected
    CSV rows by officer name)."""
    trainer = make_user(Role.TRAINER, username="gradebook-trainer")
    basics = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    extra = session.scalar(select(Quiz).where(Quiz.key == "extra-quiz"))
    basics_module = session.scalar(select(Module).where(Module.key == "basics"))
    extra_module = session.scalar(select(Module).where(Module.key == "extra"))
    now = datetime.now(UTC)
    in_30, in_60 = now + timedelta(days=30), now + timedelta(days=60)
    yesterday, two_days_ago = now - timedelta(days=1), now - timedelta(days=2)

    names = ["Amal Nobody", "Basma Reader", "Camil Failed", "Dina Done", "Emad Late", "Fadi Early",
             "Ghada Direct", "Hani Later", "Iman Override", "Jamal Retry"]
    people = {name.split()[0]: add_officer(session, name, "Salloum" if name[0] in "ACEG" else "Alexandria")
              for name in names}
    outsider = add_officer(session, "Zed Outsider")
    cohort = make_cohort(session, "Gradebook cohort", people.values(), [trainer])
    port_team = make_cohort(session, "Port team", [people["Emad"], people["Fadi"], outsider])

    # The whole course for the cohort in 30 days; basics for the port team yesterday (the earliest counts);
    # the extra module for Ghada two days ago, basics for Hani in 60 days (later: the cohort's date counts).
    session.add_all([
        Assignment(cohort_id=cohort.id, module_id=None, due_at=in_30),
        Assignment(cohort_id=port_team.id, module_id=basics_module.id, starts_at=now - timedelta(days=9),
                   due_at=yesterday),
        Assignment(user_id=people["Ghada"].id, module_id=extra_module.id, due_at=two_days_ago),
        Assignment(user_id=people["Hani"].id, module_id=basics_module.id, due_at=in_60),
    ])
    read_lessons(session, people["Basma"], "basics", 1)
    take(session, people["Camil"], basics, BASICS_50)
    read_lessons(session, people["Dina"], "basics")
    take(session, people["Dina"], basics, BASICS_100)
    read_lessons(session, people["Dina"], "extra")
    take(session, people["Dina"], extra, EXTRA_100)
    take(session, people["Dina"], extra, EXTRA_50)  # "latest": 50, failed (by "highest" it would be 100)
    take(session, people["Emad"], basics, BASICS_50)
    read_lessons(session, people["Fadi"], "basics")
    take(session, people["Fadi"], basics, BASICS_100)
    take(session, people["Hani"], basics, BASICS_100, submit=False)
    read_lessons(session, people["Iman"], "basics")
    take(session, people["Iman"], basics, {})
    session.add_all([GradeOverride(user_id=people["Iman"].id, quiz_id=basics.id, percent=30, reason="first",
                                   created_by_id=trainer.id, created_at=now - timedelta(hours=2)),
                     GradeOverride(user_id=people["Iman"].id, quiz_id=basics.id, percent=90, reason="oral exam",
                                   created_by_id=trainer.id, created_at=now - timedelta(hours=1))])
    take(session, people["Jamal"], basics, BASICS_50)
    take(session, people["Jamal"], basics, {}, submit=False)
    take(session, outsider, basics, BASICS_100)
    session.commit()

    def day(moment):  # due dates are exported as days in the institute's time zone
        return moment.astimezone(ZoneInfo("Africa/Cairo")).date().isoformat()
    not_started_extra = ["not started", "", "0", day(in_30)]
    expected = {
        "Amal Nobody": ["not started", "", "0", day(in_30)] + not_started_extra,
        "Basma Reader": ["in progress", "", "0", day(in_30)] + not_started_extra,
        "Camil Failed": ["not yet passed", "50.0", "1", day(in_30)] + not_started_extra,
        "Dina Done": ["completed", "100.0", "1", day(in_30), "not yet passed", "50.0", "2", day(in_30)],
        "Emad Late": ["overdue", "50.0", "1", day(yesterday)] + not_started_extra,
        "Fadi Early": ["completed", "100.0", "1", day(yesterday)] + not_started_extra,
        "Ghada Direct": ["not started", "", "0", day(in_30), "overdue", "", "0", day(two_days_ago)],
        "Hani Later": ["in progress", "", "1", day(in_30)] + not_started_extra,
        "Iman Override": ["completed", "90.0", "1", day(in_30)] + not_started_extra,
        "Jamal Retry": ["in progress", "50.0", "2", day(in_30)] + not_started_extra,
    }
    rows = {}
    for name, cells in expected.items():
        officer = people[name.split()[0]]
        rows[name] = [name, officer.staff_number, officer.duty_station.name_en] + cells
    return cohort, trainer, rows


HEADER = ["officer", "staff_number", "duty_station",
          "M1 status", "M1 best %", "M1 attempts", "M1 due", "M2 status", "M2 best %", "M2 attempts", "M2 due"]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def test_gradebook_export_rows_for_every_state(app, login, mixed_cohort):
    cohort, trainer, expected = mixed_cohort
    client = app.test_client()
    login(client, trainer.username)
    response = client.get(f"/trainer/cohorts/{cohort.id}/gradebook.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "Content-Length" not in response.headers  # streamed
    assert response.headers["Content-Disposition"].startswith(
        "attachment; filename=\"marsa-gradebook-gradebook-cohort-")
    rows = csv_rows(response.get_data())
    assert rows[0] == HEADER
    assert rows[1:] == list(expected.values())  # sorted by name, the outsider left out


def test_gradebook_export_service_and_xlsx_agree_with_the_csv(app, login, mixed_cohort):
    cohort, trainer, expected = mixed_cohort
    with app.app_context():
        header, rows = exports.gradebook_table(database.session, database.session.get(Cohort, cohort.id),
                                               now=datetime.now(UTC), zone="Africa/Cairo")
        assert csv_rows(exports.to_csv(header, rows))[1:] == list(expected.values())
    client = app.test_client()
    login(client, trainer.username)
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(client.get(f"/trainer/cohorts/{cohort.id}/gradebook.xlsx").data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    assert [[comparable(v) for v in row] for row in values[1:]] == [
        [comparable(v) for v in row] for row in expected.values()]


def comparable(value):
    """A cell as CSV text or as an XLSX number alike: "50.0", 50 and 50.0 are the same grade."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def test_statuses_with_a_scope_match_statuses_for_an_id_list(app, mixed_cohort):
    cohort, _trainer, _expected = mixed_cohort
    now = datetime.now(UTC)
    with app.app_context():
        session = database.session
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
        user_ids = list(session.scalars(members))
        by_list = progress.statuses_for(session, user_ids, now=now)
        by_scope = progress.statuses_for(session, user_ids, now=now, scope=members)
        assert by_scope == by_list
        assert {s.status for row in by_scope.values() for s in row.values()} == {
            "not_started", "in_progress", "failed", "overdue", "completed"}


def test_gradebook_page_filters_and_statuses(app, login, mixed_cohort):
    cohort, trainer, expected = mixed_cohort
    with app.app_context():
        session = database.session
        cohort = session.get(Cohort, cohort.id)
        now = datetime.now(UTC)
        page = reports.gradebook(session, cohort, station="Salloum", now=now)
        assert [o.full_name for o in page.officers] == ["Amal Nobody", "Camil Failed", "Emad Late", "Ghada Direct"]
        assert page.total == 4
        page = reports.gradebook(session, cohort, search="ret", now=now)
        assert [o.full_name for o in page.officers] == ["Jamal Retry"]
        basics = session.scalar(select(Module.id).where(Module.key == "basics"))
        page = reports.gradebook(session, cohort, status="overdue", module_id=basics, now=now)
        assert [o.full_name for o in page.officers] == ["Emad Late"]
        page = reports.gradebook(session, cohort, sort="score", module_id=basics, per_page=3, page=3, now=now)
        assert [o.full_name for o in page.officers] == ["Jamal Retry", "Iman Override", "Dina Done"]
        assert page.pages == 4 and set(page.statuses) == {o.id for o in page.officers}
        assert [page.statuses[o.id][basics].overridden for o in page.officers] == [False, True, False]
    client = app.test_client()
    login(client, trainer.username)
    html = client.get(f"/trainer/cohorts/{cohort.id}?station=Alexandria").get_data(as_text=True)
    assert "Dina Done" in html and "Amal Nobody" not in html
    assert ('<option value="Alexandria" selected>Alexandria</option><option value="Salloum" >Salloum</option>'
            in html)  # every station offered


def test_the_gradebook_names_stations_in_the_readers_language(app, login, mini_course, session, make_user):
    """An Arabic reader sees each station's Arabic name (the English one where the list has none) in
    the rows and the filter, sorted as shown; the filter still sends the English name."""
    trainer = make_user(Role.TRAINER, username="station-trainer")
    add_station(session, "Port Said", "بورسعيد", "seaport")
    add_station(session, "Cairo International Airport", "مطار القاهرة الدولي", "airport")
    add_station(session, "Borg El Arab Airport", "", "airport")  # no Arabic name in the list yet
    officers = [add_officer(session, "Aya Port", "Port Said"), add_officer(session, "Badr Air", "Cairo International Airport"),
                add_officer(session, "Chadi Borg", "Borg El Arab Airport"), add_officer(session, "Doha None")]
    cohort = make_cohort(session, "Stations", officers, [trainer])
    client = app.test_client()
    login(client, trainer.username)
    english = client.get(f"/trainer/cohorts/{cohort.id}").get_data(as_text=True)
    assert "BADR-AIR · Cairo International Airport" in english and "بورسعيد" not in english
    client.post("/language", data={"lang": "ar"})
    arabic = client.get(f"/trainer/cohorts/{cohort.id}?sort=station").get_data(as_text=True)
    assert 'lang="ar"' in arabic
    rows = [arabic.index(f"{staff} · {name}") for staff, name in (
        ("AYA-PORT", "بورسعيد"), ("BADR-AIR", "مطار القاهرة الدولي"), ("CHADI-BORG", "Borg El Arab Airport"))]
    assert "Cairo International Airport" not in arabic.split("<tbody>")[1]
    # Sorted by the names shown: Latin letters before Arabic ones, no station first.
    assert arabic.index("DOHA-NONE") < rows[2] < rows[0] < rows[1]
    assert ('<option value="Borg El Arab Airport" >Borg El Arab Airport</option>'
            '<option value="Port Said" >بورسعيد</option>'
            '<option value="Cairo International Airport" >مطار القاهرة الدولي</option>') in arabic
    filtered = client.get(f"/trainer/cohorts/{cohort.id}?station=Port+Said").get_data(as_text=True)
    assert "Aya Port" in filtered and "Badr Air" not in filtered
    assert '<option value="Port Said" selected>بورسعيد</option>' in filtered


@contextmanager
def parameter_counts(engine):
    """The number of bound parameters of each statement run inside the block."""
    sizes: list[int] = []

    def before(_conn, _cursor, _statement, parameters, _context, executemany):
        sizes.append(max((len(p) for p in parameters), default=0) if executemany else len(parameters or ()))
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sizes
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_gradebook_binds_no_parameter_per_officer(app, login, two_module_course, session, make_user):
    trainer = make_user(Role.TRAINER, username="binding")
    basics = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))

    def cohort_of(size: int, name: str) -> Cohort:
        officers = [add_officer(session, f"{name} {i:02d}", "Salloum") for i in range(size)]
        for officer in officers[:3]:
            read_lessons(session, officer, "basics", 1)
            take(session, officer, basics, BASICS_50)
        session.add(GradeOverride(user_id=officers[0].id, quiz_id=basics.id, percent=80, reason="oral",
                                  created_by_id=trainer.id))
        session.add(Assignment(user_id=officers[1].id, module_id=None,
                               due_at=datetime.now(UTC) + timedelta(days=3)))
        cohort = make_cohort(session, name, officers, [trainer])
        session.add(Assignment(cohort_id=cohort.id, module_id=None,
                               due_at=datetime.now(UTC) + timedelta(days=9)))
        session.commit()
        return cohort

    small, large = cohort_of(5, "Small"), cohort_of(60, "Large")
    client = app.test_client()
    login(client, "binding")
    for url in ("/trainer/cohorts/{id}/gradebook.csv", "/trainer/cohorts/{id}/gradebook.xlsx",
                "/trainer/cohorts/{id}", "/trainer/cohorts/{id}?station=Salloum&status=failed",
                "/trainer/cohorts/{id}?q=0&sort=progress"):
        largest = []
        for cohort in (small, large):
            with parameter_counts(database.engine) as sizes:
                response = client.get(url.format(id=cohort.id))
                assert response.status_code == 200
                response.get_data()  # a streamed body runs to its end inside the recording
            largest.append(max(sizes))
        assert largest[0] == largest[1], f"{url}: at most {largest} parameters for 5 and 60 officers"
