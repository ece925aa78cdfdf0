"""Completion records and certificates: recorded once, what remains, issuing, PDF, signatures,
offline and public verification, who may see a certificate, revoking."""
import base64
import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from arabic_reshaper import reshape
from bidi import get_display
from pypdf import PdfReader
from sqlalchemy import func, select

from course.extensions import db
from course.models import (
    AuditEntry,
    Certificate,
    Cohort,
    CohortMember,
    CohortTrainer,
    CourseCompletion,
    Lesson,
    ModuleCompletion,
    Quiz,
    Role,
    Setting,
)
from course.package import read_package
from course.services import certificates as service
from course.services.attempts import start_attempt, submit_attempt
from course.services.reading import mark_read
from tests.conftest import MINI_COURSE, PASSWORD, load_package
from tests.support.processes import run_bounded

ROOT = Path(__file__).resolve().parent.parent
SIGNER = service.Signer.from_seed(base64.b64encode(bytes(range(32))).decode())
OTHER_SIGNER = service.Signer.from_seed(base64.b64encode(bytes(range(1, 33))).decode())
# Dated relative to the run, so the certificates are as valid (or as expired) on any day the suite runs.
T1 = (datetime.now(UTC) - timedelta(days=9)).replace(hour=9, minute=30, second=0, microsecond=0)
ISSUED = T1.date().isoformat()
EXPIRES = service.add_months(T1.date(), 24)  # course.yaml: 24 months
SOON = T1.date() + timedelta(days=34)  # a day within the validity
REVOKED_ON = (T1 + timedelta(days=2)).date().isoformat()


def read_lessons(session, user, now=T1, keys=None):
    for lesson in session.scalars(select(Lesson).where(Lesson.retired.is_(False))):
        if keys is None or lesson.key in keys:
            mark_read(session, user, lesson, now)
    session.flush()


def take_quiz(session, user, now=T1, right=True):
    """Submit the basics quiz: all right (100%) or all wrong (0%)."""
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    attempt = start_attempt(session, user, quiz, now)
    ids = {a.question_version.definition["id"]: a.question_version_id for a in attempt.answers}
    answers = ({ids["b-q1"]: "a", ids["b-q2"]: ["a", "b"], ids["b-q3"]: False} if right else
               {ids["b-q1"]: "b", ids["b-q2"]: ["c"], ids["b-q3"]: True})
    submit_attempt(session, attempt, now, 30, answers)
    return attempt


def complete_course(session, user, now=T1, signer=SIGNER):
    """Read every lesson and pass the quiz; the certificates issued for it. Outside a request the
    services know no signing key: they record the completions, and ``issue_pending`` issues the
    certificates with ``signer`` (as `flask certificate issue-pending` does)."""
    read_lessons(session, user, now)
    take_quiz(session, user, now)
    certificates = [c for c in service.issue_pending(session, signer, now) if c.user_id == user.id]
    session.commit()
    return certificates


@pytest.fixture
def officer(make_user, mini_course):
    return make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-0001",
                     duty_station="Salloum land port")


@pytest.fixture
def certificate(session, officer):
    return complete_course(session, officer)[0]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# --- recorded once -------------------------------------------------------------------------------

def test_completion_is_recorded_once_with_its_date_and_survives_a_content_change(app, course_copy, make_user,
                                                                                  session):
    load_package(app, course_copy)
    amal = make_user(username="amal", full_name="Amal Hassan")
    read_lessons(session, amal)
    assert count(session, ModuleCompletion) == 0  # the quiz is still to pass
    take_quiz(session, amal)  # passing it completes the module, and so the course
    session.commit()
    assert [row.completed_at for row in session.scalars(select(ModuleCompletion))] == [T1]
    assert session.scalar(select(CourseCompletion.completed_at)) == T1

    later = T1 + timedelta(days=3)
    again = service.record_completions(session, amal, later, signer=SIGNER)
    assert again.modules == [] and again.course is None and again.certificates == []

    # The course changes: the module gets a third lesson, so Amal's live status is no longer complete.
    (course_copy / "modules/01-basics/03-third.en.md").write_text(
        "---\nid: basics-third\ntitle: Third lesson\nminutes: 5\n---\n\nA new lesson.\n", encoding="utf-8")
    load_package(app, course_copy)
    service.record_completions(session, amal, later, signer=SIGNER)
    session.commit()
    session.expire_all()
    module_rows = session.scalars(select(ModuleCompletion)).all()
    assert [(row.user_id, row.completed_at, row.percent) for row in module_rows] == [(amal.id, T1, 100.0)]
    course_row = session.scalar(select(CourseCompletion))
    assert (course_row.user_id, course_row.completed_at) == (amal.id, T1)
    progress = service.progress_towards_certificate(session, amal, later)
    assert progress.modules[0].record is not None and progress.modules[0].done
    assert [lesson.key for lesson in progress.modules[0].unread] == ["basics-third"]


def test_staff_earn_no_completions(session, make_user, mini_course):
    trainer = make_user(Role.TRAINER, username="tamer")
    assert complete_course(session, trainer) == []
    assert count(session, ModuleCompletion) == count(session, CourseCompletion) == 0


# --- what remains ----------------------------------------------------------------------------------

def test_my_certificate_page_lists_the_unread_lessons_and_the_quiz_to_pass(client, officer, login, session):
    read_lessons(session, officer, keys={"basics-first"})
    take_quiz(session, officer, right=False)
    session.commit()
    login(client, "amal")
    page = client.get("/certificate").get_data(as_text=True)
    remaining = page[page.index("Still to do"):]
    assert "Second lesson" in remaining and "First lesson" not in remaining
    assert "/modules/basics/lessons/basics-second" in remaining
    assert "Pass the quiz “Basics quiz” (pass mark 60%; your best score so far: 0%)" in remaining
    assert "0 of 1 required modules completed" in page

    read_lessons(session, officer)
    session.commit()
    page = client.get("/certificate").get_data(as_text=True)
    assert "Second lesson" not in page[page.index("Still to do"):] and "Pass the quiz" in page


def test_my_certificate_page_shows_the_certificate_once_complete(client, officer, login, certificate):
    login(client, "amal")
    page = client.get("/certificate").get_data(as_text=True)
    assert "Still to do" not in page and certificate.code in page
    assert f'href="/certificates/{certificate.code}.pdf"' in page
    assert "My certificate" in client.get("/").get_data(as_text=True)  # the officer's menu links here


# --- issuing ---------------------------------------------------------------------------------------

def test_certificate_is_issued_once_on_course_completion(session, officer):
    [certificate] = complete_course(session, officer)
    assert re.fullmatch(r"MRS-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", certificate.code)
    assert certificate.kind.value == "course" and certificate.issued_at == T1
    assert certificate.expires_at == datetime.combine(EXPIRES, datetime.min.time(), UTC)
    snap = certificate.snapshot
    assert (snap["full_name"], snap["staff_number"], snap["completed_on"], snap["percent"]) == (
        "Amal Hassan", "ALX-0001", ISSUED, 100.0)
    assert snap["course"] == {"id": "mini-course", "title": {"en": "Mini course", "ar": "دورة مصغرة"}}
    assert snap["institute"]["en"] == "Test Training Institute"
    assert [(m["key"], m["percent"]) for m in snap["modules"]] == [("basics", 100.0)]

    for later in (T1 + timedelta(hours=1), T1 + timedelta(days=40)):
        take_quiz(session, officer, later)
        assert service.record_completions(session, officer, later, signer=SIGNER).certificates == []
    session.commit()
    assert count(session, Certificate) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "certificate.issue")) == 1
    # Asking to issue for the same completion again hands back the same certificate.
    completion = session.scalar(select(CourseCompletion))
    settings = service.course_settings(session)
    same = service.issue_certificate(session, SIGNER, settings, officer, T1, course_completion=completion)
    assert same.id == certificate.id


def test_per_module_certificates_when_the_course_asks(app, course_copy, make_user, session):
    (course_copy / "course.yaml").write_text(
        "id: mini-course\ntitle: Mini course\ninstitute: Test Training Institute\n"
        "certificate: {validity_months: null, per_module: true}\n", encoding="utf-8")
    load_package(app, course_copy)
    amal = make_user(username="amal")
    certificates = complete_course(session, amal)
    assert sorted(c.kind.value for c in certificates) == ["course", "module"]
    assert all(c.expires_at is None for c in certificates)  # validity_months: null
    module_certificate = next(c for c in certificates if c.kind.value == "module")
    assert module_certificate.snapshot["module"]["key"] == "basics"


def test_production_without_a_signing_key_records_but_does_not_issue(make_app, make_user, session):
    app = make_app(MARSA_ENV="production", SECRET_KEY="s" * 32, CERTIFICATE_SIGNING_KEY=None,
                   PUBLIC_BASE_URL="https://marsa.example.org")
    load_package(app, MINI_COURSE)
    amal = make_user(username="amal")
    with app.app_context():  # as the app runs the services: with the app's (missing) key
        from course.models import User
        read_lessons(db.session, db.session.get(User, amal.id))
        take_quiz(db.session, db.session.get(User, amal.id))
        db.session.commit()
    assert count(session, CourseCompletion) == 1 and count(session, Certificate) == 0
    result = app.test_cli_runner().invoke(args=["certificate", "issue-pending"])
    assert result.exit_code == 1 and "CERTIFICATE_SIGNING_KEY is not set" in result.output
    assert count(session, Certificate) == 0
    # Once a key is configured, the pending certificate is issued (once).
    keyed = make_app(CERTIFICATE_SIGNING_KEY=base64.b64encode(bytes(32)).decode())
    assert "Issued 1 certificate(s)." in keyed.test_cli_runner().invoke(args=["certificate", "issue-pending"]).output
    assert "Issued 0 certificate(s)." in keyed.test_cli_runner().invoke(args=["certificate", "issue-pending"]).output
    assert count(session, Certificate) == 1


def test_a_bad_signing_key_stops_the_app_at_start(make_app):
    from course.config import ConfigError
    with pytest.raises(ConfigError, match="CERTIFICATE_SIGNING_KEY must be 32 bytes"):
        make_app(CERTIFICATE_SIGNING_KEY="c2hvcnQ=")


# --- course.yaml -----------------------------------------------------------------------------------

def test_course_yaml_problems_name_file_line_and_field(course_copy):
    (course_copy / "course.yaml").write_text(
        "id: Mini Course\ntitle: Mini\ncertificate:\n  validity_months: -3\n  per_module: maybe\n  expiry: 2\n",
        encoding="utf-8")
    problems = [str(p) for p in read_package(course_copy).problems]
    assert "course.yaml:1: id: 'Mini Course' is not a valid id (lowercase letters, digits, hyphens)" in problems
    assert "course.yaml:1: institute: is required" in problems
    assert any(p.startswith("course.yaml:4: certificate.validity_months: must be a whole number") for p in problems)
    assert "course.yaml:5: certificate.per_module: must be true or false" in problems
    assert any(p.startswith("course.yaml:6: certificate.expiry: unknown field") for p in problems)


def test_course_yaml_is_published_into_settings(app, course_copy, session):
    load_package(app, course_copy)
    stored = session.get(Setting, "course").value
    assert stored == {"id": "mini-course", "title": {"en": "Mini course", "ar": "دورة مصغرة"},
                      "institute": {"en": "Test Training Institute", "ar": "معهد التدريب التجريبي"},
                      "certificate": {"validity_months": 24, "per_module": False}}
    (course_copy / "course.yaml").write_text((course_copy / "course.yaml").read_text().replace("24", "12"))
    assert load_package(app, course_copy).changed == {"course": ["mini-course"]}
    session.expire_all()
    assert session.get(Setting, "course").value["certificate"]["validity_months"] == 12
    # A package without course.yaml keeps the published settings (an uploaded zip carries none).
    (course_copy / "course.yaml").unlink()
    assert not load_package(app, course_copy).has_changes


def test_the_real_course_yaml_is_valid(real_package):
    package = real_package
    assert not [p for p in package.problems if p.file == "course.yaml"]
    assert package.course.certificate == {"validity_months": 24, "per_module": False}
    assert package.course.institute["ar"]


# --- PDF and printable page ------------------------------------------------------------------------

def test_pdf_is_a_real_pdf_with_the_certificate_facts(client, officer, login, certificate):
    login(client, "amal")
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = PdfReader(BytesIO(response.data)).pages[0].extract_text()
    for expected in (certificate.code, "Amal Hassan", "ALX-0001", "Mini course", "Test Training Institute",
                     ISSUED, EXPIRES.isoformat(), "100%", "Certificate of Completion", "/verify/" + certificate.code):
        assert expected in text, expected


def test_pdf_with_an_arabic_name_is_shaped_and_embeds_the_arabic_font(client, make_user, mini_course, login,
                                                                       session):
    amal = make_user(username="amal", full_name="أمل حسن", staff_number="ALX-0002", language="ar")
    certificate = complete_course(session, amal)[0]
    login(client, "amal")
    response = client.get(f"/certificates/{certificate.code}.pdf")
    reader = PdfReader(BytesIO(response.data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [fonts[name].get_object().get("/FontDescriptor") for name in fonts]
    assert descriptors and all(d is not None for d in descriptors)  # every font embedded, none a bare Helvetica
    assert all("NotoNaskhArabic" in d.get_object()["/FontName"] and "/FontFile2" in d.get_object()
               for d in descriptors)
    text = reader.pages[0].extract_text()
    # Drawn as joined contextual forms (ﺃﻣﻞ ﺣﺴﻦ), which pypdf reads back in logical order; unshaped
    # letters (أمل حسن) would show as isolated forms in a viewer.
    assert reshape("أمل حسن") in text and "أمل حسن" not in text
    assert reshape("شهادة إتمام") in text
    assert get_display(reshape("أمل حسن")) != reshape("أمل حسن")  # the drawn string was put in visual order


def test_printable_page_is_bilingual_with_the_officers_language_first(client, make_user, mini_course, login,
                                                                      session):
    amal = make_user(username="amal", full_name="أمل حسن", language="ar")
    certificate = complete_course(session, amal)[0]
    login(client, "amal")
    page = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    article = page[page.index('<article class="certificate"'):]
    assert article.startswith('<article class="certificate" lang="ar" dir="rtl"')
    assert article.index("شهادة إتمام") < article.index("Certificate of Completion")
    assert "css/certificate.css" in page and '<svg class="qr"' in page and certificate.code in article


# --- signatures ------------------------------------------------------------------------------------

def test_signature_round_trip_tampering_and_wrong_key(certificate):
    token = service.certificate_token(certificate)
    check = service.check_token(token, SIGNER.public_key, SOON)
    assert check.status == "valid" and check.fields["full_name"] == "Amal Hassan"
    assert check.fields["code"] == certificate.code and check.fields["expires"] == EXPIRES.isoformat()
    assert service.check_token(f"https://x.example/verify/{certificate.code}#{token}", SIGNER.public_key,
                               SOON).status == "valid"
    payload, signature = token.split(".")
    forged = service.unb64url(payload).replace(b"Amal Hassan", b"Amal Hussein")
    assert service.check_token(f"{service.b64url(forged)}.{signature}", SIGNER.public_key,
                               SOON).status == "tampered"
    assert service.check_token(token, OTHER_SIGNER.public_key, SOON).status == "tampered"
    assert service.check_token(token, SIGNER.public_key, EXPIRES).status == "expired"
    assert service.check_token("not a token", SIGNER.public_key, SOON).status == "malformed"


def test_offline_verification_script_and_command(app, certificate, tmp_path):
    token = service.certificate_token(certificate)
    # The script is copied alone into an empty folder: it must need nothing from Marsa.
    script = tmp_path / "verify_certificate.py"
    shutil.copy(ROOT / "tools" / "verify_certificate.py", script)

    def run(*args):
        return run_bounded([sys.executable, str(script), *args], 60, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})

    valid = run(token, "--public-key", SIGNER.public_key, "--at", SOON.isoformat())
    assert valid.returncode == 0 and f"VALID at {SOON}" in valid.stdout and "Amal Hassan" in valid.stdout
    wrong_key = run(token, "--public-key", OTHER_SIGNER.public_key)
    assert wrong_key.returncode == 1 and "TAMPERED" in wrong_key.stdout
    tampered = run(token[:10] + ("A" if token[10] != "A" else "B") + token[11:], "--public-key", SIGNER.public_key)
    assert tampered.returncode in (1, 3) and "VALID" not in tampered.stdout
    (tmp_path / "key.txt").write_text(SIGNER.public_key + "\n")
    after = EXPIRES + timedelta(days=34)
    expired = run(token, "--public-key", str(tmp_path / "key.txt"), "--at", after.isoformat())
    assert expired.returncode == 2 and f"EXPIRED at {after}" in expired.stdout

    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificate", "verify-offline", f"https://h/verify/x#{token}",
                                 "--public-key", SIGNER.public_key, "--at", SOON.isoformat()])
    assert result.exit_code == 0 and f"VALID at {SOON}" in result.output
    result = runner.invoke(args=["certificate", "verify-offline", token, "--public-key", OTHER_SIGNER.public_key])
    assert result.exit_code == 1 and "TAMPERED" in result.output
    printed = runner.invoke(args=["certificate", "public-key"]).output.strip()
    assert printed == service.signer_from_config(app.config).public_key


def test_app_signs_with_its_configured_key(make_app, make_user, mini_course, session):
    seed = base64.b64encode(bytes(range(32))).decode()
    app = make_app(CERTIFICATE_SIGNING_KEY=seed)
    amal = make_user(username="amal")
    with app.app_context():  # the quiz submitted in the app issues the certificate with the app's key
        from course.models import User
        read_lessons(db.session, db.session.get(User, amal.id))
        take_quiz(db.session, db.session.get(User, amal.id))
        db.session.commit()
        token = service.certificate_token(db.session.scalar(select(Certificate)))
    assert service.check_token(token, SIGNER.public_key, SOON).status == "valid"
    output = app.test_cli_runner().invoke(args=["certificate", "public-key"]).output.strip()
    assert output == SIGNER.public_key


# --- the public verification page ------------------------------------------------------------------

def test_verify_page_valid_expired_revoked_and_unknown(client, make_user, mini_course, session):
    amal = make_user(username="amal", full_name="Amal Hassan")
    valid = complete_course(session, amal)[0]
    page = client.get(f"/verify/{valid.code}")
    assert page.status_code == 200 and "Valid certificate." in page.get_data(as_text=True)
    loose = valid.code.replace("-", "").lower()  # typed without dashes, in lower case
    assert "Valid certificate." in client.get(f"/verify/{loose}").get_data(as_text=True)
    assert client.get(f"/verify?code={loose}").headers["Location"].endswith(f"/verify/{valid.code}")

    old = datetime.now(UTC) - timedelta(days=3 * 365)  # issued three years ago, valid for two
    nour = make_user(username="nour", full_name="Nour Adel")
    expired = complete_course(session, nour, now=old)[0]
    text = client.get(f"/verify/{expired.code}").get_data(as_text=True)
    assert f"expired on {expired.expires_at.date().isoformat()}" in text and "Valid certificate." not in text

    admin = make_user(Role.ADMIN, username="root")
    service.revoke(session, admin, valid, "Issued to the wrong person after a data entry error", T1)
    session.commit()
    text = client.get(f"/verify/{valid.code}").get_data(as_text=True)
    assert f"This certificate was revoked on {ISSUED}." in text and "Valid certificate." not in text
    assert "data entry error" not in text

    for unknown in ("MRS-22222-22222", "hello"):
        response = client.get(f"/verify/{unknown}")
        assert response.status_code == 404 and "No certificate with this code." in response.get_data(as_text=True)


def test_public_page_shows_only_what_is_on_the_certificate(client, officer, certificate, session):
    take_quiz(session, officer, T1 + timedelta(days=1), right=False)  # progress after the certificate
    session.commit()
    text = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    for printed in ("Amal Hassan", "ALX-0001", "Mini course", "Test Training Institute", ISSUED, "100%"):
        assert printed in text
    for private in ("Salloum land port", 'amal"', "amal<", "Attempt"):
        assert private not in text
    assert not re.search(r"(?<!\d)0%", text)  # the later failed attempt is not the certificate's business


def test_verify_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [client.get(f"/verify/MRS-22222-2222{n % 8 + 2}").status_code for n in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


# --- who sees a certificate ------------------------------------------------------------------------

@pytest.fixture
def cohorts_with_trainers(session, make_user, officer):
    """Amal in cohort A (trainer ta); Nour in cohort B (trainer tb)."""
    people = {"nour": make_user(username="nour"), "ta": make_user(Role.TRAINER, username="ta"),
              "tb": make_user(Role.TRAINER, username="tb"), "root": make_user(Role.ADMIN, username="root")}
    a, b = Cohort(name="A"), Cohort(name="B")
    session.add_all([a, b])
    session.flush()
    session.add_all([CohortMember(cohort_id=a.id, user_id=officer.id),
                     CohortTrainer(cohort_id=a.id, user_id=people["ta"].id),
                     CohortMember(cohort_id=b.id, user_id=people["nour"].id),
                     CohortTrainer(cohort_id=b.id, user_id=people["tb"].id)])
    session.commit()
    return people


@pytest.mark.parametrize("who, page, pdf", [
    ("amal", 200, 200), ("nour", 404, 404), ("ta", 200, 200), ("tb", 404, 404), ("root", 200, 200)])
def test_who_may_see_a_certificate(app, login, certificate, cohorts_with_trainers, who, page, pdf):
    client = app.test_client()
    login(client, who)
    assert client.get(f"/certificates/{certificate.code}").status_code == page
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == pdf


def test_anonymous_visitors_are_sent_to_sign_in(client, certificate):
    for url in (f"/certificates/{certificate.code}", f"/certificates/{certificate.code}.pdf", "/certificate"):
        assert "/login" in client.get(url).headers["Location"]


def test_trainers_list_only_their_cohorts_certificates(app, login, certificate, cohorts_with_trainers, session):
    nour_certificate = complete_course(session, cohorts_with_trainers["nour"])[0]
    lists = {}
    for who in ("ta", "tb", "root"):
        client = app.test_client()
        login(client, who)
        lists[who] = client.get("/trainer/certificates").get_data(as_text=True)
    lists["admin"] = client.get("/admin/certificates").get_data(as_text=True)
    assert certificate.code in lists["admin"] and "Revoke certificate" in lists["admin"]
    assert certificate.code in lists["ta"] and nour_certificate.code not in lists["ta"]
    assert nour_certificate.code in lists["tb"] and certificate.code not in lists["tb"]
    assert certificate.code in lists["root"] and nour_certificate.code in lists["root"]
    assert "Revoke" not in lists["ta"]
    officer_client = app.test_client()
    login(officer_client, "amal")
    assert officer_client.get("/trainer/certificates").status_code == 403


# --- revoking --------------------------------------------------------------------------------------

def csrf_login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302


def test_revoking_needs_an_admin_a_csrf_token_and_a_reason_and_is_audited(make_app, certificate,
                                                                          cohorts_with_trainers, session):
    app = make_app(WTF_CSRF_ENABLED=True)
    url = f"/admin/certificates/{certificate.code}/revoke"
    trainer = app.test_client()
    csrf_login(trainer, "ta")
    assert trainer.post(url, data={"reason": "no"}).status_code in (400, 403)
    assert trainer.get("/admin/certificates").status_code == 403

    admin = app.test_client()
    csrf_login(admin, "root")
    listing = admin.get(f"/admin/certificates?q={certificate.code[-5:].lower()}").get_data(as_text=True)
    assert certificate.code in listing and "Amal Hassan" in listing
    assert admin.post(url, data={"reason": "Name misspelt"}).status_code == 400  # no CSRF token
    session.expire_all()
    assert session.get(Certificate, certificate.id).revoked_at is None

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing).group(1)
    admin.post(url, data={"reason": "  ", "csrf_token": token})  # a reason is required
    session.expire_all()
    assert session.get(Certificate, certificate.id).revoked_at is None

    response = admin.post(url, data={"reason": "Name misspelt", "csrf_token": token}, follow_redirects=True)
    assert "is revoked" in response.get_data(as_text=True)
    session.expire_all()
    revoked = session.get(Certificate, certificate.id)
    assert revoked.revoked_at is not None and revoked.revoke_reason == "Name misspelt"
    assert revoked.revoked_by_id == cohorts_with_trainers["root"].id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    assert entry.object_id == certificate.code and entry.actor_id == cohorts_with_trainers["root"].id
    assert entry.details["reason"] == "Name misspelt"
    # The officer's own page now says so.
    officer = app.test_client()
    csrf_login(officer, "amal")
    assert "Revoked on" in officer.get(f"/certificates/{certificate.code}").get_data(as_text=True)


def test_a_revoked_certificate_is_marked_revoked_wherever_it_is_shown_or_downloaded(
        app, login, officer, certificate, cohorts_with_trainers, session):
    admin = session.get(type(officer), cohorts_with_trainers["root"].id)
    service.revoke(session, admin, session.get(Certificate, certificate.id), "Name misspelt", T1 + timedelta(days=2))
    session.commit()
    for who in ("amal", "ta", "root"):  # the officer, their trainer, the administrator
        client = app.test_client()
        login(client, who)
        pdf = client.get(f"/certificates/{certificate.code}.pdf")
        assert pdf.status_code == 200
        reader = PdfReader(BytesIO(pdf.data))
        text = reader.pages[0].extract_text()
        assert "REVOKED" in text and "Revoked on" in text and REVOKED_ON in text, who
        assert reader.metadata.title.startswith("REVOKED: ")
        printable = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
        assert 'class="revoked-stamp"' in printable and "REVOKED" in printable
    own = app.test_client()
    login(own, "amal")
    assert "Revoked on" in own.get("/certificate").get_data(as_text=True)
    assert own.get("/me/data.json").json["certificates"][0]["revoked_at"].startswith(REVOKED_ON)
    staff = app.test_client()
    login(staff, "ta")
    assert "Revoked on" in staff.get("/trainer/certificates").get_data(as_text=True)
    assert f"revoked on {REVOKED_ON}" in app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    # The QR code of a copy made after the revocation carries no token to check offline: only the
    # verification page knows of the revocation.
    session.expire_all()
    assert service.verify_url("https://marsa.example", session.get(Certificate, certificate.id)) == \
        f"https://marsa.example/verify/{certificate.code}"


def test_a_valid_certificates_copies_carry_the_offline_token(app, login, certificate):
    url = service.verify_url("https://marsa.example", certificate)
    assert url.startswith(f"https://marsa.example/verify/{certificate.code}#")
    assert service.check_token(url.split("#", 1)[1], SIGNER.public_key, T1.date()).status == "valid"
    client = app.test_client()
    login(client, "amal")
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    assert "REVOKED" not in PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert 'class="revoked-stamp"' not in client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
# --- one public address, whatever the request says ----------------------------------------------------

def test_verify_links_and_qr_codes_use_the_public_address_not_the_host_header(make_app, officer, certificate,
                                                                              login):
    app = make_app(PUBLIC_BASE_URL="https://marsa.example.org/")
    client = app.test_client()
    login(client, "amal")
    # The officer's own request, sent with a Host header of their choosing.
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    forged = "http://evil.example"
    page = client.get(f"/certificates/{certificate.code}", base_url=forged).get_data(as_text=True)
    assert f"https://marsa.example.org/verify/{certificate.code}<" in page and "evil.example" not in page
    pdf = client.get(f"/certificates/{certificate.code}.pdf", base_url=forged)
    text = PdfReader(BytesIO(pdf.data)).pages[0].extract_text()
    assert "marsa.example.org/verify/" + certificate.code in text and "evil.example" not in text


@pytest.mark.parametrize("hops, separate", [(1, True), (0, False)])
def test_per_address_limits_count_each_client_behind_the_trusted_proxy(make_app, monkeypatch, hops, separate):
    """Behind one reverse proxy every request comes from the proxy's address: with MARSA_PROXY_HOPS=1
    the client's own address (X-Forwarded-For) is counted; without it the header is not believed."""
    monkeypatch.setenv("MARSA_PROXY_HOPS", str(hops))
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def verify(client_address: str) -> int:
        return client.get("/verify/MRS-22222-22222", environ_base=proxy,
                          headers={"X-Forwarded-For": client_address}).status_code
    assert [verify("198.51.100.1") for _ in range(31)][-1] == 429
    assert (verify("198.51.100.2") != 429) is separate


@pytest.mark.parametrize("hops", ["two", "-1", "9"])
def test_a_bad_proxy_hop_count_is_refused_at_start(make_app, monkeypatch, hops):
    from course.config import ConfigError
    monkeypatch.setenv("MARSA_PROXY_HOPS", hops)
    with pytest.raises(ConfigError, match="MARSA_PROXY_HOPS"):
        make_app()


def test_production_requires_a_valid_public_address_and_reads_the_former_name(make_app, monkeypatch):
    from course.config import ConfigError
    for name in ("PUBLIC_BASE_URL", "XAPI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be set"):
        make_app(MARSA_ENV="production", SECRET_KEY="s" * 40)
    with pytest.raises(ConfigError, match="http"):
        make_app(PUBLIC_BASE_URL="marsa.example.org")
    monkeypatch.setenv("XAPI_BASE_URL", "https://old-name.example.org/")
    assert make_app(MARSA_ENV="production", SECRET_KEY="s" * 40,
                    MARSA_SINGLE_PROCESS=True).config["PUBLIC_BASE_URL"] == "https://old-name.example.org"
