"""The institute's tools: bulk import, cohorts, assignments, trainer scope, reports, exports, audit."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from course.models import AuditEntry, Cohort, GradeOverride, Quiz, Role, User
from course.services.attempts import start_attempt, submit_attempt
from course.services.importer import plan_import
from tests.conftest import add_station, make_cohort


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="root")


@pytest.fixture
def admin_client(app, admin, login, mini_course, session):
    # The stations the files below name (by their English or Arabic name).
    add_station(session, "Alexandria seaport", "ميناء الإسكندرية", "seaport")
    add_station(session, "Salloum land port", "ميناء السلوم البري", "land_port")
    add_station(session, "Port Said", "بورسعيد", "seaport")
    session.commit()
    client = app.test_client()
    login(client, "root")
    return client


def upload(client, text: str | bytes, name="officers.csv"):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    response = client.post("/admin/import", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response.headers["Location"]


GOOD_CSV = ("full_name,staff_number,duty_station,language,cohort\n"
            "أمل حسن,ALX-0001,ميناء الإسكندرية,ar,Alexandria — December\n"
            "Karim Farouk,SAL-0107,Salloum land port,en,\n")


def test_import_with_a_bad_row_names_the_line_and_imports_nothing(admin_client, session):
    make_cohort(session, "Alexandria — December")
    bad = GOOD_CSV + ",SAL-0108,Salloum,en,\nNour Adel,ALX-0001,Alexandria,en,\nSara Ali,PS-1,Port Said,fr,Nowhere\n"
    preview = admin_client.get(upload(admin_client, bad)).get_data(as_text=True)
    assert "Line 4" in preview and "full_name" in preview and "is missing" in preview
    assert "Line 5" in preview and "ALX-0001 appears twice in the file (also on line 2)" in preview
    assert "Line 6" in preview and "&#39;fr&#39; is not a language" in preview
    assert "no cohort named &#39;Nowhere&#39;" in preview
    assert "Import these officers" not in preview
    assert session.scalar(select(func.count()).select_from(User).where(User.role == Role.OFFICER)) == 0


def test_import_apply_refuses_a_file_with_problems(admin_client, session):
    location = upload(admin_client, "full_name,staff_number\n,X1\n")
    response = admin_client.post(location + "/apply")
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(User).where(User.role == Role.OFFICER)) == 0


def test_import_creates_officers_with_arabic_names_and_one_time_passwords(admin_client, session, app):
    make_cohort(session, "Alexandria — December")
    location = upload(admin_client, "\ufeff" + GOOD_CSV)  # Excel's BOM is accepted
    preview = admin_client.get(location).get_data(as_text=True)
    assert "2 new officer(s), 0 update(s)." in preview and "أمل حسن" in preview
    done = admin_client.post(location + "/apply").get_data(as_text=True)
    passwords = re.findall(r"<td>([0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6})</td>", done)
    assert len(passwords) == 2
    amal = session.scalar(select(User).where(User.staff_number == "ALX-0001"))
    assert amal.full_name == "أمل حسن" and amal.username == "alx-0001" and amal.language == "ar"
    assert amal.must_change_password
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Alexandria — December"))
    assert [m.user_id for m in cohort.members] == [amal.id]
    # The officer signs in with the one-time password and must choose a new one.
    officer = app.test_client()
    officer.post("/login", data={"username": "alx-0001", "password": passwords[0]})
    assert officer.get("/").headers["Location"].endswith("/password")
    # Applying the same file again is refused: it was already imported.
    again = admin_client.post(location + "/apply", follow_redirects=True).get_data(as_text=True)
    assert "already imported" in again


def test_reimport_updates_by_staff_number(admin_client, session, make_user):
    make_user(username="karim", staff_number="SAL-0107", full_name="Karim F.")
    location = upload(admin_client, "full_name,staff_number,duty_station\nKarim Farouk,SAL-0107,Salloum land port\n")
    preview = admin_client.get(location).get_data(as_text=True)
    assert "0 new officer(s), 1 update(s)." in preview and "full_name, duty_station" in preview
    admin_client.post(location + "/apply")
    karim = session.scalar(select(User).where(User.staff_number == "SAL-0107"))
    session.refresh(karim)
    assert karim.full_name == "Karim Farouk" and karim.username == "karim"


def test_import_reads_xlsx(admin_client, session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["full_name", "staff_number", "duty_station"])
    sheet.append(["سارة علي", "PS-0001", "Port Said"])
    out = io.BytesIO()
    workbook.save(out)
    location = upload(admin_client, out.getvalue(), "officers.xlsx")
    admin_client.post(location + "/apply")
    assert session.scalar(select(User.full_name).where(User.staff_number == "PS-0001")) == "سارة علي"


def test_import_reports_bad_encoding_with_its_line(session, app):
    content = b"full_name,staff_number\nAmal,1\n" + "Nour,2\n".encode("cp1256") + "منى,3\n".encode("cp1256")
    plan = plan_import(session, "officers.csv", content)
    assert [str(p) for p in plan.problems] == [
        'line 4: file: is not UTF-8 text. In Excel choose Save As › "CSV UTF-8 (Comma delimited)" and upload again.']


def test_import_template_downloads(admin_client):
    response = admin_client.get("/admin/import/template.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["full_name", "staff_number", "username", "duty_station", "language", "cohort", "sex", "email"]


@pytest.fixture
def two_cohorts(session, make_user):
    """Cohort A (trainer ta, officers a1 a2) and cohort B (trainer tb, officer b1)."""
    people = {name: make_user(role, username=name, full_name=f"Officer {name.upper()}")
              for name, role in (("a1", Role.OFFICER), ("a2", Role.OFFICER), ("b1", Role.OFFICER),
                                 ("ta", Role.TRAINER), ("tb", Role.TRAINER))}
    a = make_cohort(session, "Cohort A", [people["a1"], people["a2"]], [people["ta"]])
    b = make_cohort(session, "Cohort B", [people["b1"]], [people["tb"]])
    return a, b, people


def test_admin_removes_a_trainer_from_a_cohort(app, admin_client, login, two_cohorts, session):
    a, _b, people = two_cohorts
    page = admin_client.post(f"/admin/cohorts/{a.id}/trainers/{people['ta'].id}/remove",
                             follow_redirects=True).get_data(as_text=True)
    assert "Officer TA no longer trains this cohort." in page
    trainer = app.test_client()
    login(trainer, "ta")
    assert trainer.get(f"/trainer/cohorts/{a.id}").status_code == 404
    assert "Cohort A" not in trainer.get("/trainer/").get_data(as_text=True)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "cohort.trainer.remove")) is not None


def test_trainer_sees_only_their_cohorts(app, login, mini_course, two_cohorts, session):
    a, b, people = two_cohorts
    quiz = session.scalar(select(Quiz))
    attempt = start_attempt(session, people["b1"], quiz, datetime.now(UTC))
    submit_attempt(session, attempt, datetime.now(UTC), 30)
    session.commit()
    client = app.test_client()
    login(client, "ta")
    listing = client.get("/trainer/").get_data(as_text=True)
    assert "Cohort A" in listing and "Cohort B" not in listing
    assert client.get(f"/trainer/cohorts/{a.id}").status_code == 200
    for url in (f"/trainer/cohorts/{b.id}", f"/trainer/cohorts/{b.id}/items", f"/trainer/cohorts/{b.id}/gain",
                f"/trainer/cohorts/{b.id}/gradebook.csv", f"/trainer/officers/{people['b1'].id}",
                f"/trainer/officers/{people['b1'].id}/transcript.csv", f"/attempts/{attempt.id}/result"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/trainer/officers/{people['b1'].id}/override",
                       data={"override-quiz": "basics-quiz", "override-percent": "100",
                             "override-reason": "no reason"}).status_code == 404
    assert client.get("/admin/people").status_code == 403


def answer_all(session, officer, quiz, choices: dict):
    """Take ``quiz`` as ``officer`` answering by question key, and submit."""
    now = datetime.now(UTC)
    attempt = start_attempt(session, officer, quiz, now)
    for answer in attempt.answers:
        key = answer.question_version.definition["id"]
        if key in choices:
            answer.response = choices[key]
            answer.seq = 1
    submit_attempt(session, attempt, now, 30)
    session.commit()
    return attempt


def test_gradebook_item_analysis_and_exports(app, login, mini_course, two_cohorts, session):
    a, _b, people = two_cohorts
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    answer_all(session, people["a1"], quiz, {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False})   # 100%
    answer_all(session, people["a2"], quiz, {"b-q1": "b", "b-q2": ["a"], "b-q3": False})        # 50%
    client = app.test_client()
    login(client, "ta")
    page = client.get(f"/trainer/cohorts/{a.id}").get_data(as_text=True)
    assert "Officer A1" in page and "100%" in page and "50%" in page
    filtered = client.get(f"/trainer/cohorts/{a.id}?status=failed").get_data(as_text=True)
    assert "Officer A2" in filtered and "Officer A1" not in filtered

    items = client.get(f"/trainer/cohorts/{a.id}/items?quiz=basics-quiz").get_data(as_text=True)
    assert "b-q1" in items and "50%" in items  # facility of b-q1: one of two officers right
    assert 'data-chart=' in items and "score-distribution" in items
    exported = client.get(f"/trainer/cohorts/{a.id}/items.csv?quiz=basics-quiz")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key["b-q1"][3] == "2" and by_key["b-q1"][4] == "0.5"
    assert by_key["b-q3"][4] == "1.0" and "too few answers" in by_key["b-q3"][8]
    assert "b: 1" in by_key["b-q1"][7] and "a: 1" in by_key["b-q1"][7]

    csv_response = client.get(f"/trainer/cohorts/{a.id}/gradebook.csv")
    assert re.search(r"filename=\"marsa-gradebook-cohort-a-\d{4}-\d{2}-\d{2}\.csv\"", csv_response.headers["Content-Disposition"])
    grade_rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert grade_rows[0][:4] == ["officer", "staff_number", "duty_station", "M1 status"]
    assert ["Officer A1", "100.0"] == [grade_rows[1][0], grade_rows[1][4]]
    xlsx = client.get(f"/trainer/cohorts/{a.id}/gradebook.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(row=3, column=1).value == "Officer A2" and sheet.cell(row=3, column=5).value == 50.0


def test_grade_override_is_used_and_audited(app, login, mini_course, two_cohorts, session):
    a, _b, people = two_cohorts
    client = app.test_client()
    login(client, "ta")
    response = client.post(f"/trainer/officers/{people['a2'].id}/override",
                           data={"override-quiz": "basics-quiz", "override-percent": "85",
                                 "override-reason": "Oral examination passed on 3 December"})
    assert response.status_code == 302
    transcript = client.get(f"/trainer/officers/{people['a2'].id}").get_data(as_text=True)
    assert "85%" in transcript and "Oral examination passed" in transcript
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "grade.override"))
    assert entry.details["percent"] == 85 and entry.actor_id == people["ta"].id
    # A missing reason is refused and changes nothing.
    client.post(f"/trainer/officers/{people['a2'].id}/override",
                data={"override-quiz": "basics-quiz", "override-percent": "10", "override-reason": ""})
    assert session.scalar(select(func.count()).select_from(GradeOverride)) == 1


def test_assignments_with_due_dates_show_first_and_overdue(admin_client, app, login, two_cohorts, session):
    a, _b, people = two_cohorts
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    response = admin_client.post(f"/admin/cohorts/{a.id}/assignments",
                                 data={"assign-module": "basics", "assign-due_on": yesterday})
    assert response.status_code == 302
    officer = app.test_client()
    login(officer, "a1")
    page = officer.get("/").get_data(as_text=True)
    assert "Assigned to you" in page and "Overdue" in page
    trainer = app.test_client()
    login(trainer, "ta")
    assert "Overdue" in trainer.get(f"/trainer/cohorts/{a.id}").get_data(as_text=True)
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "assignment.create"))


def test_due_date_before_start_is_refused(admin_client, two_cohorts, session):
    a, _b, _people = two_cohorts
    admin_client.post(f"/admin/cohorts/{a.id}/assignments",
                      data={"assign-module": "basics", "assign-starts_on": str(date.today() + timedelta(days=10)),
                            "assign-due_on": str(date.today() + timedelta(days=1))})
    from course.models import Assignment
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_knowledge_gain_pairs_pre_and_post(app, login, course_copy, two_cohorts, session):
    (course_copy / "quizzes/pre.yaml").write_text(PRE_POST.format(kind="pre-test", other="post-test"))
    (course_copy / "quizzes/post.yaml").write_text(PRE_POST.format(kind="post-test", other="pre-test")
                                                   .replace("pp-q", "qq-q"))
    from tests.conftest import load_package
    load_package(app, course_copy)
    a, _b, people = two_cohorts
    pre = session.scalar(select(Quiz).where(Quiz.kind == "pre-test"))
    post = session.scalar(select(Quiz).where(Quiz.kind == "post-test"))
    answer_all(session, people["a1"], pre, {"pp-q1": "b", "pp-q2": "b"})  # 0%
    answer_all(session, people["a1"], post, {"qq-q1": "a", "qq-q2": "a"})  # 100%
    answer_all(session, people["a2"], pre, {"pp-q1": "a", "pp-q2": "b"})  # 50%
    answer_all(session, people["a2"], post, {"qq-q1": "a", "qq-q2": "b"})  # 50%
    client = app.test_client()
    login(client, "ta")
    page = client.get(f"/trainer/cohorts/{a.id}/gain").get_data(as_text=True)
    assert "25.0%" in page and "75.0%" in page  # mean pre and mean post
    assert "+50.0" in page and "0.67" in page and ">50%<" in page  # mean gain, normalised gain, improved share
    # Each paired officer is listed by name, linked to their own page, with their two scores.
    assert f'/trainer/officers/{people["a1"].id}">Officer A1</a>' in page
    assert f'/trainer/officers/{people["a2"].id}">Officer A2</a>' in page
    rows = list(csv.reader(io.StringIO(client.get(f"/trainer/cohorts/{a.id}/gain.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[1] == ["Officer A1", "", "0.0", "100.0", "100.0", "1.0"]


PRE_POST = """id: {kind}
scope: course
kind: {kind}
pairs_with: {other}
title: The {kind}
preset: practice
questions:
  - id: pp-q1
    type: single
    objectives: [B1.1]
    stem: Which one {kind} a?
    options: [{{id: a, text: A, correct: true}}, {{id: b, text: B, feedback: no}}]
    explanation: Because.
  - id: pp-q2
    type: single
    objectives: [B1.2]
    stem: Which one {kind} b?
    options: [{{id: a, text: A, correct: true}}, {{id: b, text: B, feedback: no}}]
    explanation: Because.
"""


def test_report_pages_run_a_fixed_number_of_queries(app, login, mini_course, session, make_user, count_queries):
    trainer = make_user(Role.TRAINER, username="counting")
    quiz = session.scalar(select(Quiz))

    def cohort_of(size, name):
        officers = [make_user(username=f"{name}{i}") for i in range(size)]
        for officer in officers:
            answer_all(session, officer, quiz, {"b-q1": "a"})
        return make_cohort(session, name, officers, [trainer])

    small, large = cohort_of(2, "small"), cohort_of(12, "large")
    client = app.test_client()
    login(client, "counting")
    for url in ("/trainer/cohorts/{id}", "/trainer/cohorts/{id}/items?quiz=basics-quiz",
                "/trainer/cohorts/{id}/gain", "/trainer/cohorts/{id}/gradebook.csv"):
        counts = []
        for cohort in (small, large):
            with count_queries() as counter:
                assert client.get(url.format(id=cohort.id)).status_code == 200
            counts.append(counter.count)
        assert counts[0] == counts[1], f"{url}: {counts} queries for 2 and 12 officers (N+1)"


def test_course_upload_preview_then_apply_and_broken_changes_nothing(admin_client, session, course_copy):
    import shutil
    archive = shutil.make_archive(str(course_copy.parent / "pkg"), "zip", course_copy)
    text = (course_copy / "quizzes/basics.yaml").read_text()
    (course_copy / "quizzes/basics.yaml").write_text(text.replace("Who has a legal definition in a treaty?",
                                                                  "Who is defined by a treaty?"))
    changed = shutil.make_archive(str(course_copy.parent / "pkg2"), "zip", course_copy)
    (course_copy / "quizzes/basics.yaml").write_text(text.replace("type: truefalse", "type: calculated"))
    broken = shutil.make_archive(str(course_copy.parent / "pkg3"), "zip", course_copy)

    def send(path):
        with open(path, "rb") as handle:
            response = admin_client.post("/admin/course/upload", data={"file": (handle, "course.zip")},
                                         content_type="multipart/form-data")
        return response.headers["Location"]

    same = admin_client.get(send(archive)).get_data(as_text=True)
    assert "same as what is published" in same
    preview_url = send(changed)
    preview = admin_client.get(preview_url).get_data(as_text=True)
    assert "changed 1 questions: b-q1" in preview
    admin_client.post(preview_url.replace("/preview/", "/apply/"))
    from course.models import Question
    stem = session.scalar(select(Question).where(Question.key == "b-q1")).current_version.definition["stem"]["en"]
    assert stem == "Who is defined by a treaty?"
    broken_url = send(broken)
    page = admin_client.get(broken_url).get_data(as_text=True)
    assert "quizzes/basics.yaml:32" in page and "unknown question type" in page
    admin_client.post(broken_url.replace("/preview/", "/apply/"))
    session.expire_all()
    assert session.scalar(select(Question).where(Question.key == "b-q3")).current_version.type == "truefalse"
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "course.publish"))


def test_admin_pages_are_for_admins(app, login, two_cohorts, admin_client):
    trainer = app.test_client()
    login(trainer, "ta")
    for url in ("/admin/people", "/admin/import", "/admin/cohorts", "/admin/audit", "/admin/course",
                "/admin/settings"):
        assert trainer.get(url).status_code == 403
        assert admin_client.get(url).status_code == 200


def test_deactivating_keeps_history_and_blocks_sign_in(admin_client, app, two_cohorts, session, login):
    _a, _b, people = two_cohorts
    officer = app.test_client()
    login(officer, "a1")
    person = people["a1"]
    admin_client.post(f"/admin/people/{person.id}", data={
        "username": "a1", "full_name": person.full_name, "staff_number": "", "duty_station": "",
        "role": "officer", "language": "en"})  # "active" unticked
    assert officer.get("/").status_code == 302  # signed out everywhere
    assert session.get(User, person.id) is not None
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "user.deactivate"))


def test_people_list_pages(admin_client, make_user):
    for index in range(55):
        make_user(username=f"many{index:02d}")
    first = admin_client.get("/admin/people").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'href="/admin/people?page=2"' in first
    second = admin_client.get("/admin/people?page=2")
    assert second.status_code == 200 and "Page 2 of 2" in second.get_data(as_text=True)


def item_csv(client, cohort_id: int, query: str) -> list[list[str]]:
    """The rows of the basics quiz's item analysis CSV, with ``query`` (the filters)."""
    response = client.get(f"/trainer/cohorts/{cohort_id}/items.csv?quiz=basics-quiz&{query}")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_item_analysis_splits_by_the_language_answered_in(app, login, mini_course, two_cohorts, session):
    a, _b, people = two_cohorts
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    english = answer_all(session, people["a1"], quiz, {"b-q1": "a"})
    arabic = answer_all(session, people["a2"], quiz, {"b-q1": "b"})
    arabic.language = "ar"
    english.language = "en"
    session.commit()
    client = app.test_client()
    login(client, "ta")

    def facility(language):
        rows = item_csv(client, a.id, f"answered_in={language}")
        return {r[0]: (r[3], r[4]) for r in rows[1:]}["b-q1"]

    assert facility("en") == ("1", "1.0") and facility("ar") == ("1", "0.0") and facility("") == ("2", "0.5")
    assert "Answered in" in client.get(f"/trainer/cohorts/{a.id}/items?answered_in=ar").get_data(as_text=True)


def test_item_analysis_matches_moodles_formulas_worked_by_hand(app, login, mini_course, make_user, session):
    """Moodle's statistics report (Discrimination index, Discriminative efficiency): with x the item's
    mark and r the rest of the attempt (total minus x), index = 100 * cov(x, r) / sqrt(var x * var r)
    and efficiency = 100 * cov(x, r) / covmax, covmax being cov(x, r) with both lists sorted and paired
    in order. The n or n-1 divisors cancel, so with S(u, v) = sum(u * v) - sum(u) * sum(v) / n:

    first attempts, (b-q1, b-q2, b-q3) marks and totals per officer:
      o1 (1, 1, 1) 3   o2 (1, .5, 0) 1.5   o3 (0, 1, 1) 2   o4 (0, .5, 1) 1.5   o5 (1, 0, 0) 1
    b-q1: x = 1 1 0 0 1, r = 2 .5 2 1.5 0; S(x,r) = 2.5 - 3*6/5 = -1.1; sorted x 0 0 1 1 1 with sorted
      r 0 .5 1.5 2 2: 5.5 - 3.6 = 1.9; efficiency -1.1/1.9 = -0.579; S(x,x) = 3 - 9/5 = 1.2,
      S(r,r) = 10.5 - 36/5 = 3.3; index -1.1/sqrt(1.2*3.3) = -0.553.
    b-q2: x = 1 .5 1 .5 0, r = 2 1 1 1 1; S(x,r) = 4 - 3.6 = .4; sorted: 4 - 3.6 = .4, efficiency 1.0;
      S(x,x) = 2.5 - 1.8 = .7, S(r,r) = 8 - 7.2 = .8, index .4/sqrt(.56) = 0.535.
    b-q3: x = 1 0 1 1 0, r = 2 1.5 1 .5 1; S(x,r) = 3.5 - 3.6 = -.1; sorted r .5 1 1 1.5 2: 4.5 - 3.6 = .9,
      efficiency -0.111; S(r,r) = 8.5 - 7.2 = 1.3, index -.1/sqrt(1.2*1.3) = -0.080.
    o5 tries again and gets all three right (total 3).
    last attempts, b-q1: r = 2 .5 2 1.5 2; S(x,r) = 4.5 - 3*8/5 = -.3; sorted r .5 1.5 2 2 2: 6 - 4.8 = 1.2,
      efficiency -0.25; S(r,r) = 14.5 - 12.8 = 1.7, index -.3/sqrt(1.2*1.7) = -0.210.
    all attempts (n = 6), b-q1: x = 1 1 0 0 1 1, r = 2 .5 2 1.5 0 2; S(x,r) = 4.5 - 4*8/6 = -.8333;
      sorted x 0 0 1 1 1 1, r 0 .5 1.5 2 2 2: 7.5 - 5.3333 = 2.1667, efficiency -0.385; facility 4/6;
      S(x,x) = 4 - 16/6 = 1.3333, S(r,r) = 14.5 - 64/6 = 3.8333, index -.8333/sqrt(5.1111) = -0.369.
    """
    from course.services.attempts import save_answer
    trainer = make_user(Role.TRAINER, username="trainer")
    officers = [make_user(username=f"o{n}", full_name=f"Officer {n}") for n in range(1, 6)]
    cohort = make_cohort(session, "Safaga — January", officers, [trainer])
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    now = datetime.now(UTC).replace(microsecond=0)
    answers = [("a", ["a", "b"], False), ("a", ["a"], True), ("b", ["a", "b"], False), ("b", ["a"], False),
               ("a", None, True)]

    def take(officer, responses, minutes):
        attempt = start_attempt(session, officer, quiz, now + timedelta(minutes=minutes))
        for answer, response in zip(attempt.answers, responses):
            if response is not None:
                save_answer(session, attempt, answer.question_version_id, response, 1,
                            now + timedelta(minutes=minutes + 1), 30)
        submit_attempt(session, attempt, now + timedelta(minutes=minutes + 2), 30)
        session.commit()
        return attempt

    totals = [take(officer, responses, 0).score for officer, responses in zip(officers, answers)]
    assert totals == [3, 1.5, 2, 1.5, 1]  # the marks the hand computation starts from
    take(officers[4], ("a", ["a", "b"], False), 10)
    client = app.test_client()
    login(client, "trainer")

    def table(attempts):
        rows = item_csv(client, cohort.id, f"attempts={attempts}")
        assert rows[0][3:7] == ["answers", "facility", "discrimination", "discriminative efficiency"]
        return {row[0]: tuple(float(v) for v in row[3:7]) for row in rows[1:]}

    first = table("first")
    assert first["b-q1"] == (5, 0.6, -0.553, -0.579)
    assert first["b-q2"] == (5, 0.6, 0.535, 1.0)
    assert first["b-q3"] == (5, 0.6, -0.08, -0.111)
    assert table("") == first and table("best-of-three") == first  # anything else means first attempts
    assert table("last")["b-q1"] == (5, 0.6, -0.21, -0.25)
    assert table("all")["b-q1"] == (6, 0.667, -0.369, -0.385)

    page = client.get(f"/trainer/cohorts/{cohort.id}/items?quiz=basics-quiz&attempts=all").get_data(as_text=True)
    flat = re.sub(r">\s+<", "><", page)
    assert "Efficiency" in page and "<td>6</td><td>67%</td><td>-0.37</td><td>-0.39</td>" in flat
    assert '<option value="all" selected>' in page
    assert "From every finished attempt" in page and "attempts=all" in page  # the exports keep the choice
    client.post("/language", data={"lang": "ar", "next": "/"})
    arabic = client.get(f"/trainer/cohorts/{cohort.id}/items?quiz=basics-quiz&attempts=last").get_data(as_text=True)
    assert "الكفاءة التمييزية" in arabic and "آخر محاولة لكل ضابط" in arabic
    assert "<td>5</td><td>60%</td><td>-0.21</td><td>-0.25</td>" in re.sub(r">\s+<", "><", arabic)


def test_cohort_page_lists_members_a_page_at_a_time(admin_client, session, make_user):
    """An institute-wide cohort can hold every officer: the page counts them all and shows 100 at a
    time, whatever the size, without binding their ids into a query."""
    officers = [make_user(username=f"member{index:03d}", full_name=f"Member {index:03d}") for index in range(130)]
    cohort = make_cohort(session, "Everyone", officers)
    first = admin_client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "(130)" in first and "Page 1 of 2" in first
    assert "Member 000" in first and "Member 099" in first and "Member 100" not in first
    second = admin_client.get(f"/admin/cohorts/{cohort.id}?page=2").get_data(as_text=True)
    assert "Member 100" in second and "Member 129" in second and "Member 099" not in second
