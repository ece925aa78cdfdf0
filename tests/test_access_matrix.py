"""Every route, for every kind of visitor: who gets in, who is refused, who is told it does not exist.

A route added without a row here fails ``test_every_route_is_in_the_matrix``: access rules are
decided when a route is written, not discovered later.
"""
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from course.models import (
    Assignment,
    Cohort,
    CohortMember,
    CohortTrainer,
    DutyStation,
    ImportBatch,
    Quiz,
    Reminder,
    Role,
    StationKind,
)
from course.models.certificates import CourseCompletion
from course.services import certificates as certificate_service
from course.services import signing
from course.services.attempts import start_attempt, submit_attempt

ROLES = ("anon", "officer", "other_officer", "trainer_a", "trainer_b", "admin")
L = 302  # sent to sign in (anonymous) or redirected onwards
OK, FORBIDDEN, HIDDEN = 200, 403, 404

# endpoint: (method, url, expected status per role in ROLES order)
STAFF_A = (L, FORBIDDEN, FORBIDDEN, OK, HIDDEN, OK)
ADMIN = (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
EVERYONE = (L, OK, OK, OK, OK, OK)
MATRIX = {
    "learn.dashboard": ("GET", "/", EVERYONE),
    "learn.module": ("GET", "/modules/basics", EVERYONE),
    "learn.lesson": ("GET", "/modules/basics/lessons/basics-first", EVERYONE),
    "learn.quiz": ("GET", "/quizzes/basics-quiz", EVERYONE),
    "learn.my_attempts": ("GET", "/attempts", EVERYONE),
    "learn.my_data": ("GET", "/me/data.json", EVERYONE),
    "learn.attempt": ("GET", "/attempts/{attempt}", (L, L, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.result": ("GET", "/attempts/{attempt}/result", (L, OK, HIDDEN, OK, HIDDEN, OK)),
    # The quiz's script gets a 401 it understands (its journal keeps the answers), not a sign-in page.
    "learn.save_answer": ("POST", "/attempts/{open_attempt}/answer", (401, 400, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.save_all": ("POST", "/attempts/{open_attempt}/save", (L, L, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.submit": ("POST", "/attempts/{open_attempt}/submit", (L, L, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.confirm_submit": ("GET", "/attempts/{open_attempt}/submit", (L, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.extend": ("POST", "/attempts/{open_attempt}/extend", (L, L, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "learn.start": ("POST", "/quizzes/basics-quiz/start", (L, L, L, L, L, L)),
    "learn.mark_read": ("POST", "/modules/basics/lessons/basics-first/read", (L, L, L, L, L, L)),
    "auth.login": ("GET", "/login", (OK, L, L, L, L, L)),
    "auth.sign_in": ("POST", "/login", (OK, L, L, L, L, L)),
    "offline.service_worker": ("GET", "/sw.js", (OK, OK, OK, OK, OK, OK)),  # public: the offline-reading worker
    "offline.page": ("GET", "/offline", EVERYONE),  # kept by the worker for pages never opened online
    "auth.logout": ("POST", "/logout", (L, L, L, L, L, L)),
    "auth.logout_everywhere": ("POST", "/logout/everywhere", (L, L, L, L, L, L)),
    "auth.change_password": ("GET", "/password", EVERYONE),
    "auth.set_language": ("POST", "/language", (L, L, L, L, L, L)),
    "trainer.cohorts_list": ("GET", "/trainer/", (L, FORBIDDEN, FORBIDDEN, OK, OK, OK)),
    "trainer.gradebook": ("GET", "/trainer/cohorts/{cohort_a}", STAFF_A),
    "trainer.gradebook_export": ("GET", "/trainer/cohorts/{cohort_a}/gradebook.csv", STAFF_A),
    "trainer.items": ("GET", "/trainer/cohorts/{cohort_a}/items", STAFF_A),
    "trainer.items_export": ("GET", "/trainer/cohorts/{cohort_a}/items.xlsx", STAFF_A),
    "trainer.gain": ("GET", "/trainer/cohorts/{cohort_a}/gain", STAFF_A),
    "trainer.gain_export": ("GET", "/trainer/cohorts/{cohort_a}/gain.csv", STAFF_A),
    "trainer.officer": ("GET", "/trainer/officers/{officer}", STAFF_A),
    "trainer.transcript_export": ("GET", "/trainer/officers/{officer}/transcript.csv", STAFF_A),
    "trainer.override": ("POST", "/trainer/officers/{officer}/override", (L, FORBIDDEN, FORBIDDEN, L, HIDDEN, L)),
    "trainer.grant_attempt": ("POST", "/trainer/officers/{officer}/grant-attempt",
                              (L, FORBIDDEN, FORBIDDEN, L, HIDDEN, L)),
    "trainer.release": ("POST", "/trainer/cohorts/{cohort_a}/release", (L, FORBIDDEN, FORBIDDEN, 400, HIDDEN, 400)),
    "grading.queue": ("GET", "/trainer/cohorts/{cohort_a}/grading", STAFF_A),
    # No essay in the mini course: the answer routes are tested with one in tests/test_grading.py.
    "grading.answer": ("GET", "/trainer/cohorts/{cohort_a}/grading/999999",
                       (L, FORBIDDEN, FORBIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "grading.grade": ("POST", "/trainer/cohorts/{cohort_a}/grading/999999",
                      (L, FORBIDDEN, FORBIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "trainer.regrade": ("GET", "/trainer/questions/b-q1/regrade", (L, FORBIDDEN, FORBIDDEN, OK, OK, OK)),
    "admin.index": ("GET", "/admin/", ADMIN),
    "admin.people": ("GET", "/admin/people", ADMIN),
    "admin.new_person": ("GET", "/admin/people/new", ADMIN),
    "admin.person": ("GET", "/admin/people/{officer}", ADMIN),
    "admin.end_sessions": ("POST", "/admin/people/{spare}/sessions/end", ADMIN[:5] + (L,)),
    "admin.reset_password": ("POST", "/admin/people/{spare}/reset-password",
                             (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)),
    "admin.anonymise": ("POST", "/admin/people/{spare}/anonymise", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.assign_officer": ("POST", "/admin/people/{officer}/assignments",
                             (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.import_officers": ("GET", "/admin/import", ADMIN),
    "admin.upload_officers": ("POST", "/admin/import", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, 400)),
    "admin.import_template": ("GET", "/admin/import/template.csv", ADMIN),
    # With nothing sealed for this administrator, the admin is told the passwords are gone (410).
    "admin.password_handout": ("POST", "/admin/passwords/csv", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, 410)),
    "admin.import_preview": ("GET", "/admin/import/{batch}", ADMIN),
    "admin.import_apply": ("POST", "/admin/import/{batch}/apply", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.cohorts_list": ("GET", "/admin/cohorts", ADMIN),
    "admin.cohort": ("GET", "/admin/cohorts/{cohort_a}", ADMIN),
    "admin.add_members": ("POST", "/admin/cohorts/{cohort_b}/members", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.remove_member": ("POST", "/admin/cohorts/{cohort_b}/members/{other_officer}/remove",
                            (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.add_trainer": ("POST", "/admin/cohorts/{cohort_b}/trainers", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.remove_trainer": ("POST", "/admin/cohorts/{cohort_b}/trainers/{trainer_b}/remove",
                             (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.assign_cohort": ("POST", "/admin/cohorts/{cohort_b}/assignments", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.remove_assignment": ("POST", "/admin/assignments/{assignment}/remove",
                                (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.settings": ("GET", "/admin/settings", ADMIN),
    "admin.referral_contacts": ("GET", "/admin/referral-contacts", ADMIN),
    "admin.audit_log": ("GET", "/admin/audit", ADMIN),
    "admin.xapi_outbox": ("GET", "/admin/xapi", ADMIN),
    "admin.course": ("GET", "/admin/course", ADMIN),
    "admin.course_reload": ("POST", "/admin/course/reload", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "admin.course_upload": ("POST", "/admin/course/upload", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, 400)),
    "admin.course_preview": ("GET", "/admin/course/preview/folder", ADMIN),
    "admin.course_apply": ("POST", "/admin/course/apply/folder", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    "stations.index": ("GET", "/admin/stations", ADMIN),
    "stations.edit": ("GET", "/admin/stations/{station}", ADMIN),
    "stations.delete": ("POST", "/admin/stations/{station}/delete", (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
    # Trainers see the institute report of their own cohorts only (B's is hidden from trainer A).
    "report.institute": ("GET", "/reports/institute", (L, FORBIDDEN, FORBIDDEN, OK, OK, OK)),
    "report.institute_export": ("GET", "/reports/institute.csv?cohort={cohort_a}", STAFF_A),
    "profile.me": ("GET", "/me", EVERYONE),
    "reminders.cohort_reminders": ("GET", "/trainer/cohorts/{cohort_a}/reminders", STAFF_A),
    "reminders.dismiss": ("POST", "/reminders/{reminder}/dismiss", (L, L, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    "reminders.mail_settings": ("GET", "/admin/mail", ADMIN),
    "certificates.mine": ("GET", "/certificate", EVERYONE),
    "certificates.show": ("GET", "/certificates/{certificate}", (L, OK, HIDDEN, OK, HIDDEN, OK)),
    "certificates.pdf": ("GET", "/certificates/{certificate}.pdf", (L, OK, HIDDEN, OK, HIDDEN, OK)),
    "certificates.credential": ("GET", "/certificates/{certificate}/credential", (L, OK, HIDDEN, OK, HIDDEN, OK)),
    "certificates.credential_download": ("GET", "/certificates/{certificate}/credential.json",
                                         (L, OK, HIDDEN, OK, HIDDEN, OK)),
    "certificates.issuer": ("GET", "/issuer", (OK, OK, OK, OK, OK, OK)),
    "certificates.status_list": ("GET", "/credentials/status/999", (HIDDEN,) * 6),  # public; no such list
    "certificates.public_credential": ("GET", "/credentials/no-such-credential", (HIDDEN,) * 6),
    "certificates.verify_form": ("GET", "/verify", (OK, OK, OK, OK, OK, OK)),
    "certificates.verify": ("GET", "/verify/{certificate}", (OK, OK, OK, OK, OK, OK)),
    "certificates.staff_list": ("GET", "/trainer/certificates", (L, FORBIDDEN, FORBIDDEN, OK, OK, OK)),
    "certificates.admin_list": ("GET", "/admin/certificates", ADMIN),
    "certificates.revoke": ("POST", "/admin/certificates/{certificate}/revoke",
                            (L, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, L)),
}
NOT_ROUTES = {"static"}  # files, public by design


@pytest.fixture
def world(app, mini_course, make_user, session, login):
    people = {
        "officer": make_user(username="officer-a"), "other_officer": make_user(username="officer-b"),
        "spare": make_user(username="spare"),
        "trainer_a": make_user(Role.TRAINER, username="trainer-a"),
        "trainer_b": make_user(Role.TRAINER, username="trainer-b"), "admin": make_user(Role.ADMIN, username="root"),
    }
    cohort_a, cohort_b = Cohort(name="A"), Cohort(name="B")
    session.add_all([cohort_a, cohort_b])
    session.flush()
    session.add_all([CohortMember(cohort_id=cohort_a.id, user_id=people["officer"].id),
                     CohortMember(cohort_id=cohort_b.id, user_id=people["other_officer"].id),
                     CohortTrainer(cohort_id=cohort_a.id, user_id=people["trainer_a"].id),
                     CohortTrainer(cohort_id=cohort_b.id, user_id=people["trainer_b"].id)])
    quiz = session.scalar(select(Quiz))
    now = datetime.now(UTC)
    done = start_attempt(session, people["officer"], quiz, now)
    submit_attempt(session, done, now, 30)
    session.commit()
    still_open = start_attempt(session, people["officer"], quiz, now)
    assignment = Assignment(cohort_id=cohort_b.id, module_id=None)
    batch = ImportBatch(filename="x.csv", content=b"full_name,staff_number\nA,1\n", created_by_id=people["admin"].id)
    session.add_all([assignment, batch])
    completion = CourseCompletion(user_id=people["officer"].id, completed_at=now)
    session.add(completion)
    session.flush()
    certificate = certificate_service.issue_certificate(
        session, signing.Signer.from_seed(signing.generate_seed()),
        certificate_service.course_settings(session), people["officer"], now, course_completion=completion)
    station = DutyStation(name_en="Safaga port", name_ar="ميناء سفاجا", kind=StationKind.SEAPORT)
    reminder = Reminder(officer_id=people["officer"].id, cohort_id=cohort_a.id, sent_by_id=people["trainer_a"].id,
                        modules="1|Basics|الأساسيات", created_at=now)
    session.add_all([station, reminder])
    session.commit()
    ids = {"station": station.id, "reminder": reminder.id, "attempt": done.id, "open_attempt": still_open.id, "cohort_a": cohort_a.id, "cohort_b": cohort_b.id,
           "officer": people["officer"].id, "other_officer": people["other_officer"].id,
           "spare": people["spare"].id, "trainer_b": people["trainer_b"].id, "assignment": assignment.id,
           "batch": batch.id, "certificate": certificate.code}
    clients = {"anon": app.test_client()}
    for role in ROLES[1:]:
        clients[role] = app.test_client()
        login(clients[role], people[role].username)
    return ids, clients


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    assert sorted(endpoints - set(MATRIX)) == [], "new routes need a row in the access matrix"
    assert sorted(set(MATRIX) - endpoints) == [], "the matrix names routes that no longer exist"


def test_access_matrix(world):
    ids, clients = world
    failures = []
    # Reads first, then writes (which may change what later writes find).
    ordered = sorted(MATRIX.items(), key=lambda item: (item[1][0] != "GET", item[0].startswith("auth.logout")))
    for endpoint, (method, url, expected) in ordered:
        for role, status in zip(ROLES, expected):
            response = clients[role].open(url.format(**ids), method=method)
            if response.status_code != status:
                failures.append(f"{endpoint} {method} {role}: {response.status_code}, expected {status}")
            if response.status_code == OK and response.mimetype == "text/html":
                # Every page type carries the security headers (checked here, where every page is visited).
                headers = response.headers
                if ("script-src 'self'" not in headers.get("Content-Security-Policy", "")
                        or "unsafe-inline" in headers.get("Content-Security-Policy", "")
                        or headers.get("X-Content-Type-Options") != "nosniff"
                        or headers.get("X-Frame-Options") != "DENY"
                        or headers.get("Referrer-Policy") != "same-origin"):
                    failures.append(f"{endpoint} {role}: security headers missing")
            if response.status_code == OK and endpoint != "offline.service_worker":
                # Only lesson pages may be kept by the browser (revalidated: ETag, 304); every other
                # page shows scores, personal data or staff information, or answers for one person.
                wanted = "private, no-cache" if endpoint == "learn.lesson" else "no-store"
                if response.headers.get("Cache-Control") != wanted:
                    failures.append(f"{endpoint} {role}: Cache-Control {response.headers.get('Cache-Control')}")
            if role == "anon" and status == L and endpoint not in ("auth.set_language",):
                if "/login" not in response.headers.get("Location", ""):
                    failures.append(f"{endpoint}: anonymous not sent to sign in")
    assert not failures, "\n".join(failures)
