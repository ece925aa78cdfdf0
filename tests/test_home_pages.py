"""Where each role starts (a trainer's cohorts and what needs attention there, the institute's overview),
and where a result page leads on."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from course.models import Module, Quiz, Role
from course.models._types import utcnow
from course.questions import get_type
from course.services import assignments, attempts, releases
from tests.conftest import PASSWORD, make_cohort


def sign_in(client, username: str, next_url: str | None = None) -> str:
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def test_each_role_lands_on_its_home_and_a_safe_next_still_wins(app, make_user):
    make_user(Role.OFFICER, username="amal")
    make_user(Role.TRAINER, username="tamer")
    make_user(Role.ADMIN, username="hoda")
    assert sign_in(app.test_client(), "amal") == "/"
    assert sign_in(app.test_client(), "tamer") == "/trainer/"
    assert sign_in(app.test_client(), "hoda") == "/admin/"
    # A page asked for wins; the bare root (where everyone arrives) and another site do not.
    assert sign_in(app.test_client(), "tamer", "/attempts") == "/attempts"
    assert sign_in(app.test_client(), "hoda", "/admin/cohorts") == "/admin/cohorts"
    assert sign_in(app.test_client(), "tamer", "/") == "/trainer/"
    assert sign_in(app.test_client(), "hoda", "https://evil.example/admin/") == "/admin/"
    assert sign_in(app.test_client(), "amal", "//evil.example/") == "/"


def test_staff_still_open_the_learner_view_and_the_brand_leads_home(app, make_user, login):
    make_user(Role.TRAINER, username="tamer")
    client = app.test_client()
    login(client, "tamer")
    home = client.get("/trainer/").get_data(as_text=True)
    assert re.search(r'<a class="brand" href="/trainer/"', home)
    assert '<a href="/">My course</a>' in home
    assert client.get("/").status_code == 200  # the learner's dashboard, for their own progress
    assert client.get("/login").headers["Location"] == "/trainer/"  # already signed in: home


def _submit_all_correct(session, officer, quiz, when):
    attempt = attempts.start_attempt(session, officer, quiz, when, "en", seed=7)
    right = {a.question_version_id: get_type(a.question_version.definition["type"]).correct_response(
        a.question_version.definition) for a in attempt.answers}
    attempts.submit_attempt(session, attempt, when + timedelta(minutes=5), 30, right)


def test_a_trainers_home_names_overdue_officers_held_results_and_flagged_questions(app, session, make_user,
                                                                                    quiz_with):
    quiz_with("preset: exam\npass_mark: 60\n")  # its results wait for a trainer's release
    trainer, other = make_user(Role.TRAINER, username="tamer"), make_user(Role.TRAINER, username="other")
    admin = make_user(Role.ADMIN, username="hoda")
    names = ["Amal Hassan", "Badr Nour", "Dalia Fouad", "Essam Magdy", "Farah Gamal", "Gamal Said", "Hala Adel"]
    officers = [make_user(Role.OFFICER, username=f"o{n}", full_name=name) for n, name in enumerate(names)]
    busy = make_cohort(session, "Port Said — March", officers, [trainer])
    make_cohort(session, "Quiet cohort", [make_user(Role.OFFICER, username="calm")], [trainer])
    make_cohort(session, "Someone else's", [officers[0]], [other])
    module = session.scalar(select(Module))
    quiz = session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    now = utcnow()
    assignments.assign(session, session.get(type(admin), admin.id), module=module, cohort=busy,
                       due_at=now - timedelta(days=2))
    # Five officers finish the exam, all correctly (every question "too easy" to the item analysis),
    # without reading the lessons: the module is not completed, and past its due date.
    for officer in officers[:5]:
        _submit_all_correct(session, session.get(type(officer), officer.id), quiz, now - timedelta(days=1))
    session.commit()

    client = app.test_client()
    assert sign_in(client, "tamer") == "/trainer/"
    page = client.get("/trainer/").get_data(as_text=True)
    assert "Someone else" not in page
    cards = {name: card for card in page.split('class="card cohort-card')[1:]
             for name in ("Port Said — March", "Quiet cohort") if name in card}
    busy_card, quiet_card = cards["Port Said — March"], cards["Quiet cohort"]
    assert "7 officers are overdue" in busy_card
    for name in names[:5]:  # the first five by name, and a count of the rest
        assert name in busy_card
    assert "Hala Adel" not in busy_card and "and 2 more" in busy_card
    assert f'href="/trainer/cohorts/{busy.id}?status=overdue"' in busy_card
    assert "wait for your release" in busy_card and "5 officers have finished it" in busy_card
    flagged = re.search(r"(\d+) questions? to check in the item analysis", busy_card)
    assert flagged and int(flagged.group(1)) == 3, busy_card  # the mini quiz's three questions
    assert f"/trainer/cohorts/{busy.id}/items?quiz={quiz.key}" in busy_card
    assert "Nothing needs your attention" in quiet_card

    # Released: nothing waits any more.
    releases.release(session, session.get(type(trainer), trainer.id), session.get(Quiz, quiz.id),
                     session.get(type(busy), busy.id), utcnow())
    session.commit()
    assert "wait for your release" not in client.get("/trainer/").get_data(as_text=True)


def test_the_institute_overview_counts_people_and_shows_recent_activity(app, session, make_user, mini_course):
    make_user(Role.ADMIN, username="hoda")
    for n in range(3):
        make_user(Role.OFFICER, username=f"o{n}")
    gone = make_user(Role.OFFICER, username="gone")
    session.get(type(gone), gone.id).is_active_account = False
    session.commit()
    make_user(Role.TRAINER, username="tamer")
    client = app.test_client()
    sign_in(client, "hoda")
    client.post("/admin/cohorts", data={"name": "Port Said — March", "description": ""})
    page = client.get("/admin/").get_data(as_text=True)
    counts = dict(re.findall(r'role=(\w+)">(\d+)</a>', page))
    assert counts == {"officer": "3", "trainer": "1", "admin": "1"}
    assert "1 deactivated officer account(s)" in page
    # The cohort just created, in the recent activity as the audit log tells it, not as its code.
    activity = page.split("activity-caption", 1)[1]
    assert "Created the cohort Port Said — March." in activity and "cohort.create" not in activity
    for area in ("/admin/people", "/admin/import", "/admin/cohorts", "/admin/course", "/admin/audit",
                 "/admin/settings", "/trainer/"):
        assert f'href="{area}' in page, area
    client.post("/language", data={"lang": "ar"})
    arabic = client.get("/admin/").get_data(as_text=True).split("activity-caption", 1)[1]
    assert "أنشأ الدفعة Port Said — March." in arabic and "cohort.create" not in arabic


@pytest.fixture
def amal(make_user, mini_course):
    return make_user(username="amal", full_name="Amal Hassan")


def test_a_result_page_leads_on_at_its_top_and_its_end(app, session, amal):
    from tests.test_learn import start, value, versions
    client = app.test_client()
    sign_in(client, "amal")
    attempt_id = start(client)
    by_key = versions(session, attempt_id)
    multiple = f"q{by_key['b-q2'].question_version_id}"
    client.post(f"/attempts/{attempt_id}/submit",
                data={multiple: [value(client, by_key["b-q2"], "a"), value(client, by_key["b-q2"], "b")],
                      "confirmed": "1"})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed" in page
    top, end = page.index('aria-label="What next"'), page.index('aria-label="Next steps"')
    assert top < page.index('class="review"') < end
    for nav in (page[top:top + 600], page[end:end + 600]):
        links = re.findall(r'<a class="button( primary)?" href="([^"]+)">([^<]+)</a>', nav)
        assert [(primary, href) for primary, href, _label in links] == [
            (" primary", "/quizzes/basics-quiz"), ("", "/modules/basics")], links
        assert links[1][2].startswith("Back to the module: ")
    # Two options chosen: two lines, not one run-on line.
    lines = re.search(r'<ul class="answer-lines">(.*?)</ul>', page, re.S)
    assert lines and lines.group(1).count("<li") == 2
