"""The Arabic interface: the catalog is complete and compiled, the app loads it, placeholders survive."""
from __future__ import annotations

import gettext
import io
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select

from course.i18n_catalog import check_catalog
from course.models import Cohort, CohortMember, CohortTrainer, Quiz, Role
from course.services.attempts import start_attempt, submit_attempt

ROOT = Path(__file__).resolve().parent.parent
AR_PO = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
# A printf conversion: %(name)s, %s, %d, %.1f ... and the escaped percent sign %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def ar_catalog():
    with open(AR_PO, "rb") as po:
        return read_po(po, locale="ar")


def arabic(msgid: str) -> str:
    """The Arabic catalog's translation, checked to be real Arabic (an empty one would match any page)."""
    entry = ar_catalog().get(msgid)
    assert entry is not None and entry.string, f"{msgid!r} is not translated"
    assert ARABIC_LETTER.search(entry.string), f"{msgid!r} -> {entry.string!r} is not Arabic"
    return entry.string


# (a) every interface string is translated and compiled ------------------------------------------

def test_arabic_catalog_is_complete_and_compiled():
    problems = check_catalog(ROOT)
    assert problems == [], ("The Arabic catalog is behind the code; see docs/ARCHITECTURE.md, "
                            "'Translations':\n" + "\n".join(problems))


def _copy_project(target: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__")
    for name in ("course", "templates", "translations"):
        shutil.copytree(ROOT / name, target / name, ignore=skip)
    for name in ("babel.cfg", "app.py"):
        shutil.copy2(ROOT / name, target / name)
    return target


def test_check_catalog_reports_a_new_string_a_fuzzy_entry_and_a_stale_mo(tmp_path):
    root = _copy_project(tmp_path / "project")
    po_path = root / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    with open(po_path, "rb") as po:
        catalog = read_po(po, locale="ar")
    catalog.get("My course").string = "مقرري"  # a known state, whatever the real catalog holds
    catalog.get("My course").flags.discard("fuzzy")
    with open(po_path, "wb") as po:
        write_po(po, catalog)
    with open(mo_path, "wb") as mo:
        write_mo(mo, catalog)
    before = "\n".join(check_catalog(root))
    assert "fuzzy" not in before and "messages.mo" not in before, before

    (root / "templates" / "_macros" / "new.html").write_text('{{ _("A string nobody translated yet") }}\n')
    (root / "course" / "new_view.py").write_text(
        'from flask_babel import lazy_gettext as _l\nLABEL = _l("Another new label")\n')
    problems = check_catalog(root)
    assert any("A string nobody translated yet" in p and "_macros/new.html" in p for p in problems), problems
    assert any("Another new label" in p and "new_view.py" in p for p in problems), problems

    catalog.get("My course").flags.add("fuzzy")
    catalog.get("Sign in").string = ""
    with open(po_path, "wb") as po:
        write_po(po, catalog)
    problems = "\n".join(check_catalog(root))
    assert "fuzzy: 'My course'" in problems
    assert "untranslated in the ar catalog: 'Sign in'" in problems
    assert "messages.mo is out of date" in problems

    mo_path.unlink()
    assert any("messages.mo does not exist" in p for p in check_catalog(root))


# (b) the app really serves the Arabic catalog --------------------------------------------------

def test_officer_who_switches_to_arabic_gets_an_arabic_dashboard(client, make_user, login, mini_course):
    make_user(username="amal")
    login(client, "amal")
    switched = client.post("/language", data={"lang": "ar", "next": "/"})
    assert switched.status_code == 302

    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert f"<title>{arabic('My course')} · {arabic('Marsa')}</title>" in page
    assert arabic("Sign out") in page
    assert arabic("Lessons read") in page  # inside the module cards: the mini course is listed
    for english in ("My course", "Sign out", "Lessons read", "Best score", "Study time"):
        assert english not in page


def test_visitor_who_switches_to_arabic_gets_an_arabic_sign_in_page(client):
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "Sign in" in english

    switched = client.post("/language", data={"lang": "ar", "next": "/login"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/login")

    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert f"<h1>{arabic('Sign in')}</h1>" in page
    assert arabic("Username") in page and arabic("Password") in page  # form labels: lazy_gettext
    assert "Sign in" not in page and "Username" not in page


def test_import_preview_shows_the_problems_of_a_bad_row_in_arabic(client, make_user, login, mini_course):
    """The importer's messages are lazy strings: the preview shows them in the admin's language."""
    make_user(Role.ADMIN, username="root")
    login(client, "root")
    client.post("/language", data={"lang": "ar", "next": "/"})
    csv_file = "full_name,staff_number,language,cohort\nAmal Hassan,ALX-0001,en,\n,ALX-0002,fr,Nowhere\n"
    uploaded = client.post("/admin/import", data={"file": (io.BytesIO(csv_file.encode()), "officers.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302

    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert arabic("Line %(line)s") % {"line": 3} in page
    assert f"<code>full_name</code>: {arabic('is missing')}" in page
    assert arabic("'%(language)s' is not a language Marsa offers (use en or ar)") % {"language": "fr"} in page
    assert (arabic("no cohort named '%(cohort)s'; create it first or leave the cell empty")
            % {"cohort": "Nowhere"}) in page
    for english in ("is missing", "is not a language", "no cohort named"):
        assert english not in page


def test_item_analysis_flags_are_in_arabic(app, client, make_user, login, mini_course, session):
    """Five officers give the same right answers: each question is too easy and its wrong options unchosen."""
    trainer = make_user(Role.TRAINER, username="trainer")
    officers = [make_user(username=f"officer{n}") for n in range(5)]
    cohort = Cohort(name="Alexandria seaport — December")
    session.add(cohort)
    session.flush()
    session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    session.add_all([CohortMember(cohort_id=cohort.id, user_id=officer.id) for officer in officers])
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    right = {"b-q1": "a", "b-q2": ["a", "b"], "b-q3": False}
    now = datetime.now(UTC)
    for officer in officers:
        attempt = start_attempt(session, officer, quiz, now)
        for answer in attempt.answers:
            answer.response, answer.seq = right[answer.question_version.definition["id"]], 1
        submit_attempt(session, attempt, now, 30)
    session.commit()

    login(client, "trainer")
    client.post("/language", data={"lang": "ar", "next": "/"})
    page = client.get(f"/trainer/cohorts/{cohort.id}/items?quiz=basics-quiz").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert page.count(arabic("too easy: almost everyone gets it right")) == 3
    for option in ("b", "c"):  # b-q1's wrong option b, b-q2's wrong option c
        assert arabic("distractor %(option)s never chosen") % {"option": option} in page
    assert "too easy" not in page and "never chosen" not in page

    exported = client.get(f"/trainer/cohorts/{cohort.id}/items.csv?quiz=basics-quiz").get_data(as_text=True)
    assert "too easy: almost everyone gets it right" in exported  # exports stay English, like their headers


# (c) placeholders survive translation ----------------------------------------------------------

def test_every_translation_keeps_the_placeholders_of_its_msgid():
    catalog = ar_catalog()
    checked, wrong = 0, []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):  # every plural form, as msgfmt -c: against msgid_plural
            pairs = [(message.id[1], text) for text in message.string]
        else:
            pairs = [(message.id, message.string)]
        for source, text in pairs:
            checked += 1
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text)):
                wrong.append(f"{source!r} -> {text!r}")
    assert checked > 300
    assert wrong == [], "\n".join(wrong)


def test_arabic_plural_forms_follow_the_standard_rule():
    catalog = ar_catalog()
    assert catalog.num_plurals == 6
    plurals = [m for m in catalog if isinstance(m.id, (tuple, list))]
    assert plurals and all(len(m.string) == 6 and all(m.string) for m in plurals)
    with open(AR_PO.with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    forms = catalog.get("%(num)s person").string
    # zero, one, two, few (3-10), many (11-99), other (100-102 ...), per the rule in the header
    for n, form in [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (11, 4), (99, 4), (100, 5), (102, 5), (103, 3)]:
        assert compiled.ngettext("%(num)s person", "%(num)s people", n) == forms[form], n
