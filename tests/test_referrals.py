"""The referral pathway's contacts: entered by the administrator, shown where the lessons refer to them."""
import pytest
from sqlalchemy import func, select

from course.models import AuditEntry, ReferralContact, Role
from tests.conftest import load_package

LESSON = "/modules/basics/lessons/basics-second"
OFFICER_NOTE = "Ask your supervisor whom to call at your post"
ADMIN_WARNING = "referral contacts have not been entered"
CONTACT = {"who_en-1": "Passport police duty officer, Safaga port", "who_ar-1": "ضابط شرطة الجوازات المناوب، ميناء سفاجا",
           "reach-1": "+20 65 000 0000 ext. 12", "note_en-1": "At once, any hour", "note_ar-1": "فورًا، في أي ساعة"}


@pytest.fixture
def course_with_pathway(app, course_copy):
    lesson = course_copy / "modules" / "01-basics" / "02-second.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8")
                      + "\nWhom to call:\n\n::: referral-contacts\n:::\n\nThen write your note.\n", encoding="utf-8")
    load_package(app, course_copy)


@pytest.fixture
def people(make_user, course_with_pathway):
    make_user(username="amal")
    make_user(username="huda", language="ar")
    make_user(Role.ADMIN, username="root")


def lesson_page(app, login, username):
    client = app.test_client()  # a browser of the officer's own
    login(client, username)
    response = client.get(LESSON)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_while_empty_officers_are_told_to_ask_and_admins_are_warned(app, login, people):
    officer = lesson_page(app, login, "amal")
    assert OFFICER_NOTE in officer and ADMIN_WARNING not in officer
    assert "referral-contacts" in officer and ":::" not in officer  # the box, never its Markdown
    admin = lesson_page(app, login, "root")
    assert ADMIN_WARNING in admin and "/admin/referral-contacts" in admin and OFFICER_NOTE not in admin


def test_saved_contacts_appear_in_each_officers_language(app, client, login, session, people):
    lesson_page(app, login, "amal")  # the empty version is cached first: saving must replace it
    login(client, "root")
    response = client.post("/admin/referral-contacts", data=CONTACT)
    assert response.status_code == 302
    english = lesson_page(app, login, "amal")
    assert "Passport police duty officer, Safaga port" in english and "+20 65 000 0000 ext. 12" in english
    assert OFFICER_NOTE not in english and "ميناء سفاجا" not in english
    arabic = lesson_page(app, login, "huda")
    assert "ضابط شرطة الجوازات المناوب، ميناء سفاجا" in arabic and "فورًا، في أي ساعة" in arabic
    assert "Safaga port" not in arabic
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "referral_contacts.update")).one()
    assert entry.details == {"before": 0, "after": 1}


@pytest.mark.parametrize("change, message", [
    ({"who_ar-1": ""}, "give who it is in English and in Arabic"),
    ({"reach-1": " "}, "how to reach them"),
    ({"note_ar-1": ""}, "write the note in both English and Arabic"),
    ({"who_en-1": "x" * 161}, "longer than 160 characters"),
])
def test_an_incomplete_contact_is_refused_and_changes_nothing(client, login, session, people, change, message):
    login(client, "root")
    client.post("/admin/referral-contacts", data=CONTACT)
    bad = {**{k.replace("-1", "-2"): v for k, v in CONTACT.items()}, "who_en-1": "Customs shift supervisor",
           "who_ar-1": "رئيس النوبة في الجمارك", "reach-1": "ext. 100"}
    bad.update({k.replace("-1", "-2"): v for k, v in change.items()})
    response = client.post("/admin/referral-contacts", data=bad)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Contact 2: " in page and message in page
    assert 'value="Customs shift supervisor"' in page  # what was typed is kept for correction
    rows = session.scalars(select(ReferralContact)).all()
    assert [r.who_en for r in rows] == ["Passport police duty officer, Safaga port"]


def test_emptying_a_row_removes_the_contact(app, client, login, session, people):
    login(client, "root")
    client.post("/admin/referral-contacts", data=CONTACT)
    client.post("/admin/referral-contacts", data=dict.fromkeys(CONTACT, ""))
    assert session.scalar(select(func.count()).select_from(ReferralContact)) == 0
    assert OFFICER_NOTE in lesson_page(app, login, "amal")


def test_only_administrators_edit_the_contacts(client, login, session, people):
    login(client, "amal")
    assert client.get("/admin/referral-contacts").status_code in (403, 404)
    assert client.post("/admin/referral-contacts", data=CONTACT).status_code in (403, 404)
    assert session.scalar(select(func.count()).select_from(ReferralContact)) == 0


def test_the_real_course_shows_the_box_where_it_refers_to_the_contacts():
    from course.config import REPO_ROOT
    from course.package import read_package
    package = read_package(REPO_ROOT)
    modules = {m.key: m for m in package.modules}
    for key, lesson_key in [("nrm", "nrm-frontline-role"), ("ibm", None), ("trafficking-smuggling", None)]:
        lessons = [lesson for lesson in modules[key].lessons if lesson_key in (None, lesson.key)]
        for lang in ("en", "ar"):
            assert any("::: referral-contacts" in lesson.texts[lang][0] for lesson in lessons), (key, lang)


@pytest.mark.parametrize("lang, note", [("en", "Ask your supervisor whom to call at your post."),
                                        ("ar", "اسأل رئيسك المباشر عمّن تتصل به في موقع عملك.")])
def test_a_scorm_package_tells_the_learner_to_ask_instead_of_showing_an_empty_box(app, tmp_path, lang, note):
    import zipfile

    from course.config import REPO_ROOT
    from course.package import read_package
    from course.scorm import build_scorm_package
    out = tmp_path / "nrm.zip"
    with app.app_context():
        build_scorm_package(read_package(REPO_ROOT), "nrm", out, lang=lang)
    page = zipfile.ZipFile(out).read("index.html").decode()
    assert note in page and "box-referral-contacts" not in page
