"""The institute report: every figure against a cohort computed by hand, small cells suppressed
(also in the exports), the period, the trainer's scope, and no officer's sex on a trainer's page."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from course.models import Attempt, AttemptState, Certificate, CertificateKind, Cohort, CourseCompletion, Quiz, Role, Sex
from course.services import institute_report
from tests.conftest import add_station, load_package, make_cohort
from tests.test_institute import PRE_POST

S = institute_report.SUPPRESSED
NOW = datetime.now(UTC)  # every date below is relative: the test passes on any day
#: Who is in the hand-computed cohort: sex, station, first pre-test %, first post-test % (None: not
#: taken), course completed, course certificate (True; "revoked": issued then revoked).
OFFICERS = {
    "f1": (Sex.FEMALE, "alx", 40, 70, True, True),
    "f2": (Sex.FEMALE, "alx", 50, 75, True, True),
    "f3": (Sex.FEMALE, "cai", 60, 80, True, "revoked"),
    "f4": (Sex.FEMALE, "cai", 20, 60, False, False),
    "f5": (Sex.FEMALE, "sal", 100, 90, False, False),   # full marks on the pre-test: no gain
    "f6": (Sex.FEMALE, "sal", 30, None, False, False),  # pre-test only: not paired
    "m1": (Sex.MALE, "alx", 50, 50, True, True),
    "m2": (Sex.MALE, "alx", 80, 90, True, True),
    "m3": (Sex.MALE, "cai", 0, 50, True, True),
    "m4": (Sex.MALE, "cai", 100, 100, True, True),      # full marks on the pre-test: no gain
    "m5": (Sex.MALE, "cai", 60, 70, False, False),      # (a second post-test attempt, 100 %, does not count)
    "u1": (None, "alx", 50, 100, True, False),          # sex not stated
    "u2": (Sex.PREFER_NOT_TO_SAY, None, None, None, False, False),  # no station, no test
}


@pytest.fixture
def world(app, course_copy, session, make_user):
    (course_copy / "quizzes/pre.yaml").write_text(PRE_POST.format(kind="pre-test", other="post-test"))
    (course_copy / "quizzes/post.yaml").write_text(PRE_POST.format(kind="post-test", other="pre-test")
                                                   .replace("pp-q", "qq-q"))
    load_package(app, course_copy)
    pre = session.scalar(select(Quiz).where(Quiz.kind == "pre-test"))
    post = session.scalar(select(Quiz).where(Quiz.kind == "post-test"))
    stations = {"alx": add_station(session, "Alexandria seaport", "ميناء الإسكندرية", "seaport"),
                "cai": add_station(session, "Cairo International Airport", "مطار القاهرة الدولي", "airport"),
                "sal": add_station(session, "Salloum land port", "ميناء السلوم البري", "land_port")}
    session.commit()
    trainer = make_user(Role.TRAINER, username="trainer-r")
    people = {}
    for key, (sex, station, *_rest) in OFFICERS.items():
        people[key] = make_user(username=key, full_name=f"Officer {key.upper()}", sex=sex,
                                duty_station=stations[station].name_en if station else None)
    people["x1"] = make_user(username="x1", sex=Sex.FEMALE, duty_station="Alexandria seaport")  # joined too early
    people["o1"] = make_user(username="o1", sex=Sex.MALE)  # another cohort
    cohort = make_cohort(session, "Report cohort", [people[k] for k in OFFICERS] + [people["x1"]], [trainer])
    other = make_cohort(session, "Other cohort", [people["o1"]])
    for member in session.scalars(select(Cohort).where(Cohort.id == cohort.id)).one().members:
        member.added_at = NOW - timedelta(days=40 if member.user_id == people["x1"].id else 10)
    for member in session.get(Cohort, other.id).members:
        member.added_at = NOW - timedelta(days=10)

    def attempt(user, quiz, number, percent, days_ago):
        session.add(Attempt(user_id=user.id, quiz_id=quiz.id, number=number, state=AttemptState.SUBMITTED,
                            started_at=NOW - timedelta(days=days_ago, minutes=30),
                            submitted_at=NOW - timedelta(days=days_ago), seed=1, score=percent, max_score=100,
                            percent=percent, passed=True))

    for key, (_sex, _station, pre_percent, post_percent, completed, certified) in OFFICERS.items():
        user = people[key]
        if pre_percent is not None:
            attempt(user, pre, 1, pre_percent, 6)
        if post_percent is not None:
            attempt(user, post, 1, post_percent, 5)
        if completed:
            completion = CourseCompletion(user_id=user.id, completed_at=NOW - timedelta(days=3), percent=80)
            session.add(completion)
            session.flush()
            if certified:
                session.add(Certificate(code=f"CERT-{key}", user_id=user.id, kind=CertificateKind.COURSE,
                                        course_completion_id=completion.id, snapshot={}, signature="-",
                                        issued_at=NOW - timedelta(days=1),
                                        revoked_at=NOW - timedelta(hours=1) if certified == "revoked" else None,
                                        revoke_reason="issued in error" if certified == "revoked" else None))
    attempt(people["m5"], post, 2, 100, 4)
    attempt(people["x1"], pre, 1, 0, 30)
    session.commit()
    return {"cohort": session.get(Cohort, cohort.id), "people": people, "trainer": trainer}


START = (NOW - timedelta(days=20)).date()


def shown(group):
    return [group.shown(name) for name in ("enrolled", "completed", "certified", "paired", "mean_pre", "mean_post",
                                           "mean_gain", "ceiling")]


def test_every_figure_matches_the_hand_computed_cohort(app, world, session):
    with app.test_request_context():
        report = institute_report.institute_report(session, [world["cohort"]], START)
    # Counted: the 13 officers above (x1 joined before the period; o1 is in another cohort).
    # Completed: f1 f2 f3 m1 m2 m3 m4 u1 = 8. Certified: f1 f2 m1 m2 m3 m4 = 6 (f3's was revoked).
    # Paired (both tests): everyone but f6 and u2 = 11; full marks on the pre-test: f5, m4 = 2 (shown "<5").
    # Mean pre  = (40+50+60+20+100+50+80+0+100+60+50) / 11 = 610 / 11 = 55.4545… → 55.45
    # Mean post = (70+75+80+60+90+50+90+50+100+70+100) / 11 = 835 / 11 = 75.909… → 75.91 (m5's 2nd attempt ignored)
    # Normalised gains, f5 and m4 left out: f1 30/60=.5, f2 25/50=.5, f3 20/40=.5, f4 40/80=.5, m1 0/50=0,
    #   m2 10/20=.5, m3 50/100=.5, m5 10/40=.25, u1 50/50=1 → 4.25 / 9 = 0.4722… → 0.472
    assert shown(report.total) == [13, 8, 6, 11, 55.45, 75.91, 0.472, S]

    # By sex (female f1-f6, male m1-m5, prefer not to say u2, not stated u1), before suppression:
    #   female: 6 enrolled, 3 completed, 2 certified, 5 paired, 1 at full marks; pre 270/5=54, post 375/5=75,
    #           gain (.5+.5+.5+.5)/4 = .5
    #   male:   5, 4, 4, 5, 1; pre 290/5=58, post 360/5=72, gain (0+.5+.5+.25)/4 = .3125 → .312
    #   prefer not to say: 1, 0, 0, 0, 0;  not stated: 1, 1, 0, 1, 0, pre 50, post 100, gain 1
    raw = [[g.enrolled, g.completed, g.certified, g.paired, g.ceiling, g.mean_pre, g.mean_post, g.mean_gain]
           for g in report.by_sex]
    assert raw == [[6, 3, 2, 5, 1, 54.0, 75.0, 0.5], [5, 4, 4, 5, 1, 58.0, 72.0, 0.312],
                   [1, 0, 0, 0, 0, None, None, None], [1, 1, 0, 1, 0, 50.0, 100.0, 1.0]]
    # Suppressed: enrolled 1 and 1 are hidden, together 2 < 5, so the smaller shown cell (male, 5) goes
    # too; completed, certified and full marks are all under 5; paired 0 and 1 hide female's 5 (the first
    # of two 5s), so female's means go with it; a gain over 4 officers is hidden (female, male).
    assert [shown(g) for g in report.by_sex] == [
        [6, S, S, S, S, S, S, S],
        [S, S, S, 5, 58.0, 72.0, S, S],
        [S] * 8, [S] * 8]

    # By station (Alexandria f1 f2 m1 m2 u1; Cairo f3 f4 m3 m4 m5; Salloum f5 f6; none u2), before suppression:
    #   Alexandria: 5, 5, 4, 5, 0; pre (40+50+50+80+50)/5 = 54, post (70+75+50+90+100)/5 = 77,
    #               gain (.5+.5+0+.5+1)/5 = .5
    #   Cairo: 5, 3, 2, 5, 1; pre (60+20+0+100+60)/5 = 48, post (80+60+50+100+70)/5 = 72,
    #          gain (.5+.5+.5+.25)/4 = .4375 → .438
    #   Salloum: 2, 0, 0, 1, 1; pre 100, post 90, no gain.   None: 1, 0, 0, 0, 0.
    raw = [[g.enrolled, g.completed, g.certified, g.paired, g.ceiling, g.mean_pre, g.mean_post, g.mean_gain]
           for g in report.by_station]
    assert raw == [[5, 5, 4, 5, 0, 54.0, 77.0, 0.5], [5, 3, 2, 5, 1, 48.0, 72.0, 0.438],
                   [2, 0, 0, 1, 1, 100.0, 90.0, None], [1, 0, 0, 0, 0, None, None, None]]
    assert [str(g.label) for g in report.by_station] == ["Alexandria seaport", "Cairo International Airport",
                                                         "Salloum land port", "No duty station"]
    # Hidden 2 + 1 enrolled (< 5) take Alexandria's 5; hidden 3 completed take Alexandria's 5; hidden 1
    # paired takes Alexandria's 5, and its means with it; Cairo's gain is over 4 officers.
    assert [shown(g) for g in report.by_station] == [
        [S] * 8, [5, S, S, 5, 48.0, 72.0, S, S], [S] * 8, [S] * 8]

    # By kind: seaport = Alexandria, airport = Cairo, land port = Salloum, inland office: nobody, no station.
    assert [g.key for g in report.by_kind] == ["kind:seaport", "kind:airport", "kind:land_port",
                                               "kind:inland_office", "kind:none"]
    assert [g.enrolled for g in report.by_kind] == [5, 5, 2, 0, 1]
    assert [shown(g) for g in report.by_kind] == [
        [S] * 8, [5, S, S, 5, 48.0, 72.0, S, S], [S] * 8, [S] * 8, [S] * 8]


def test_the_period_end_counts_what_had_happened_by_then(app, world, session):
    # Certificates were issued a day ago: a period ending two days ago has none; completions (3 days
    # ago) and tests (5 and 6 days ago) all count.
    with app.test_request_context():
        report = institute_report.institute_report(session, [world["cohort"]], START, (NOW - timedelta(days=2)).date())
        everyone = institute_report.institute_report(session, None, START)
        no_start = institute_report.institute_report(session, [world["cohort"]])
    assert shown(report.total) == [13, 8, S, 11, 55.45, 75.91, 0.472, S]
    assert everyone.total.enrolled == 14  # o1's cohort too
    assert no_start.total.enrolled == 14 and no_start.total.paired == 11  # x1 too (x1 took no post-test)


@pytest.fixture
def admin_client(app, login, make_user, world):
    make_user(Role.ADMIN, username="root-r")
    client = app.test_client()
    login(client, "root-r")
    return client


def test_page_and_exports_show_suppressed_cells_in_both_languages(admin_client, world):
    query = f"?cohort={world['cohort'].id}&start={START.isoformat()}"
    page = admin_client.get("/reports/institute" + query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "55.45" in html and "75.91" in html and "0.47" in html and "&lt;5" in html and "<svg" in html
    rows = list(csv.reader(io.StringIO(admin_client.get("/reports/institute.csv" + query).get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[0][:3] == ["Breakdown", "Group", "Enrolled"]
    assert rows[1] == ["All officers", "All officers", "13", "8", "6", "11", "55.45", "75.91", "0.472", "<5"]
    assert ["By duty station", "Cairo International Airport", "5", "<5", "<5", "5", "48.0", "72.0", "<5", "<5"] in rows
    sheet = load_workbook(io.BytesIO(admin_client.get("/reports/institute.xlsx" + query).data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1] == ["All officers", "All officers", 13, 8, 6, 11, 55.45, 75.91, 0.472, "<5"]
    pdf = admin_client.get("/reports/institute.pdf" + query)
    assert pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Institute report" in text and "55.45" in text and "<5" in text and "Cairo International Airport" in text

    admin_client.post("/language", data={"lang": "ar"})
    html = admin_client.get("/reports/institute" + query).get_data(as_text=True)
    assert 'dir="rtl"' in html and "مطار القاهرة الدولي" in html and "55.45" in html
    rows = list(csv.reader(io.StringIO(admin_client.get("/reports/institute.csv" + query).get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert "مطار القاهرة الدولي" in [row[1] for row in rows] and rows[0][2] != "Enrolled"
    arabic_pdf = PdfReader(io.BytesIO(admin_client.get("/reports/institute.pdf" + query).data))
    assert len(arabic_pdf.pages) == 1 and "55.45" in arabic_pdf.pages[0].extract_text()


def test_a_bad_period_is_refused_with_a_message(admin_client):
    page = admin_client.get("/reports/institute?start=2026-13-40")
    assert page.status_code == 400 and "is not a date" in page.get_data(as_text=True)
    page = admin_client.get("/reports/institute?start=2026-05-02&end=2026-05-01")
    assert page.status_code == 400 and "ends before it starts" in page.get_data(as_text=True)
    assert admin_client.get("/reports/institute.csv?end=x").status_code == 400
    assert admin_client.get("/reports/institute?cohort=abc").status_code == 404


def test_trainers_see_their_cohorts_only_and_never_an_officers_sex(app, login, world):
    trainer = app.test_client()
    login(trainer, "trainer-r")
    cohort, people = world["cohort"], world["people"]
    html = trainer.get(f"/reports/institute?start={START.isoformat()}").get_data(as_text=True)
    assert ">13<" in html  # their cohort's 13, not the institute's 14
    other = cohort.id + 1
    assert trainer.get(f"/reports/institute?cohort={other}").status_code == 404
    # An individual's sex is on no trainer page or export (the report shows counts only).
    for url in (f"/trainer/cohorts/{cohort.id}", f"/trainer/officers/{people['f1'].id}",
                f"/trainer/cohorts/{cohort.id}/gain", f"/trainer/cohorts/{cohort.id}/gradebook.csv",
                f"/trainer/cohorts/{cohort.id}/gain.csv", f"/trainer/officers/{people['f1'].id}/transcript.csv",
                f"/trainer/cohorts/{cohort.id}/reminders"):
        response = trainer.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True).lower()
        assert "female" not in text and "prefer" not in text, url


def test_a_trainer_without_cohorts_is_told_so(app, login, make_user, mini_course):
    make_user(Role.TRAINER, username="new-trainer")
    client = app.test_client()
    login(client, "new-trainer")
    page = client.get("/reports/institute")
    assert page.status_code == 200 and "You do not train any cohort yet." in page.get_data(as_text=True)
    assert client.get("/reports/institute.csv").status_code == 404
