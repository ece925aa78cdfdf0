"""The institute's name is one setting, in English and Arabic: the footer, the sign-in page, the
shared lesson page and the certificates issued from then on all say the same, in the reader's
language."""
import re

from sqlalchemy import select

from course.models import AuditEntry, Role
from tests.test_certificates import SIGNER, complete_course

LESSON = "/modules/basics/lessons/basics-first"


def footer(page: str) -> str:
    return re.search(r'<footer class="site-footer wrap">\s*<p>(.*?) ·', page, re.S).group(1)


def set_name(client, en: str, ar: str, show_unassigned: bool = True):
    data = {"institute_en": en, "institute_ar": ar, "time_zone": "Africa/Cairo"}
    if show_unassigned:
        data["show_unassigned"] = "y"
    return client.post("/admin/settings", data=data)


def test_without_a_setting_the_course_packages_institute_is_used_everywhere(client, make_user, login, mini_course):
    assert footer(client.get("/login").get_data(as_text=True)) == "Test Training Institute"
    make_user(username="amal")
    login(client, "amal")
    assert footer(client.get(LESSON).get_data(as_text=True)) == "Test Training Institute"
    client.post("/language", data={"lang": "ar", "next": "/"})
    assert footer(client.get(LESSON).get_data(as_text=True)) == "معهد التدريب التجريبي"


def test_the_administrator_renames_the_institute_in_both_languages(app, client, make_user, login, mini_course,
                                                                   session):
    make_user(Role.ADMIN, username="root")
    amal = make_user(username="amal", language="ar")
    officer = app.test_client()
    login(officer, "amal")
    before = complete_course(session, amal, signer=SIGNER)[0]
    officer.get(LESSON)  # the shared lesson page is now rendered and kept with the old name

    login(client, "root")
    form = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="Test Training Institute"' in form and 'value="معهد التدريب التجريبي"' in form
    assert set_name(client, "National Customs Training Institute", "المعهد القومي للتدريب الجمركي").status_code == 302
    assert footer(client.get("/admin/settings").get_data(as_text=True)) == "National Customs Training Institute"

    officer.post("/language", data={"lang": "ar", "next": "/"})
    assert footer(officer.get(LESSON).get_data(as_text=True)) == "المعهد القومي للتدريب الجمركي"
    officer.post("/language", data={"lang": "en", "next": "/"})
    page = officer.get(LESSON).get_data(as_text=True)
    assert footer(page) == "National Customs Training Institute"
    assert "National Customs Training Institute" in client.get("/issuer").get_data(as_text=True)
    # A certificate keeps the name it was issued under (it is signed); the next ones take the new one.
    session.refresh(before)
    assert before.snapshot["institute"]["en"] == "Test Training Institute"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.institute_name"))
    assert entry.details["after"] == {"en": "National Customs Training Institute",
                                      "ar": "المعهد القومي للتدريب الجمركي"}


def test_a_new_certificate_carries_the_new_name(client, make_user, login, mini_course, session):
    make_user(Role.ADMIN, username="root")
    login(client, "root")
    set_name(client, "Border Academy", "أكاديمية الحدود")
    amal = make_user(username="amal")
    certificate = complete_course(session, amal, signer=SIGNER)[0]
    assert certificate.snapshot["institute"] == {"en": "Border Academy", "ar": "أكاديمية الحدود"}
    login(client, "amal")
    assert "Border Academy" in client.get(f"/certificates/{certificate.code}").get_data(as_text=True)


def test_both_languages_are_required_and_a_refused_name_changes_nothing(client, make_user, login, mini_course,
                                                                         session):
    make_user(Role.ADMIN, username="root")
    login(client, "root")
    refused = set_name(client, "Border Academy", "   ")
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert set_name(client, "x" * 201, "أكاديمية").status_code == 400
    assert footer(client.get("/admin/settings").get_data(as_text=True)) == "Test Training Institute"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.institute_name")) is None


def test_only_administrators_rename_the_institute(app, make_user, login, mini_course):
    make_user(Role.TRAINER, username="tamer")
    trainer = app.test_client()
    login(trainer, "tamer")
    assert set_name(trainer, "Mine", "لي").status_code == 403
    assert footer(trainer.get("/").get_data(as_text=True)) == "Test Training Institute"
