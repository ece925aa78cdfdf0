"""The audit log reads as sentences in the reader's language: no Python or JSON values (``{}``,
``None``, ``True``), whatever an entry's details hold."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from course.models import Role
from course.services import audit, cohorts, users

REPO = Path(__file__).resolve().parent.parent
RAW = re.compile(r"\{\}|\{'|\[\]|\['|\bNone\b|\bTrue\b|\bFalse\b")


@pytest.fixture
def logged(app, make_user, session):
    """An administrator, an officer and a log with an entry of every shape the code writes, some
    written by the services themselves, plus an action the reader does not know."""
    root = make_user(Role.ADMIN, username="root")
    amal = make_user(username="amal", full_name="Amal Hassan")
    root, amal = session.get(type(root), root.id), session.get(type(amal), amal.id)
    cohort = cohorts.create_cohort(session, root, "Alexandria seaport")
    cohorts.add_member(session, root, cohort, amal)
    users.update_person(session, root, amal, username="amal", full_name="Amal Hasan", staff_number=None,
                        duty_station=None, role=Role.OFFICER, language="ar", active=False)
    audit.record(session, root, "user.update", "user", amal.id, staff_number="None", is_active_account="True")
    audit.record(session, None, "course.publish", "course", None, source="course", fingerprint="0123456789abcdef",
                 added={}, changed={"lessons": 2, "questions": 1}, retired={})
    audit.record(session, root, "assignment.create", "assignment", 7, module="whole course", cohort=None,
                 officer="amal", starts_at=None, due_at=None)
    audit.record(session, root, "grade.override", "user", amal.id, quiz="basics-quiz", percent=80.0,
                 reason="Oral examination passed")
    audit.record(session, root, "question.regrade", "question", "b-q1", version=2, attempts=1,
                 changed=[{"attempt": 3, "from": 0.0, "to": 1.0}])
    audit.record(session, root, "results.release", "quiz", "basics-quiz", cohort="everyone")
    audit.record(session, root, "settings.update", "setting", "show_unassigned_modules", value=True)
    audit.record(session, root, "something.new", "widget", None, options={}, note=None, tags=[])
    session.commit()
    return amal


@pytest.mark.parametrize("lang, sentences", [
    ("en", ["Added amal to the cohort Alexandria seaport.",
            "Set the grade of amal for basics-quiz to 80%. Reason: Oral examination passed",
            "Deactivated the account amal: Full name: Amal Hasan; Language: العربية; Account active: no.",
            "Changed the account amal: Staff number: —; Account active: yes.",
            "Published the course from course (version 0123456789abcdef). Added: nothing. "
            "Changed: Lessons: 2, Questions: 1. Retired: nothing.",
            "Assigned the whole course to the officer amal (start: —; due: —).",
            "Released the results of basics-quiz to every officer.",
            "Changed the setting “Officers also see modules not assigned to them” to yes.",
            "something.new (widget): options: nothing; note: —; tags: nothing"]),
    ("ar", ["أضاف amal إلى الدفعة Alexandria seaport.",
            "عدّل درجة amal في الاختبار basics-quiz إلى 80%. السبب: Oral examination passed",
            "أوقف الحساب amal: الاسم الكامل: Amal Hasan؛ اللغة: العربية؛ الحساب مفعّل: لا.",
            "عدّل الحساب amal: الرقم الوظيفي: —؛ الحساب مفعّل: نعم.",
            "كلّف الضابط amal بـالمقرر بالكامل (البداية: —؛ تاريخ الاستحقاق: —).",
            "أتاح نتائج الاختبار basics-quiz لكل الضباط."]),
])
def test_each_entry_reads_as_a_sentence_in_the_readers_language(app, login, logged, lang, sentences):
    admin = app.test_client()
    login(admin, "root")
    admin.post("/language", data={"lang": lang})
    page = admin.get("/admin/audit").get_data(as_text=True)
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", body, re.S)]
    assert not [cell for cell in cells if RAW.search(cell)], cells
    for sentence in sentences:
        assert sentence.replace("'", "&#39;") in cells, (sentence, cells)


def test_every_action_the_code_records_has_its_own_sentence():
    """A new action would still read (field by field), but it should have a sentence of its own."""
    written = set()
    for path in (REPO / "course").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'audit\.record\([^,]+,[^,]+,\s*"([a-z_.]+)"', text))
        written |= set(re.findall(r'action = "([a-z_]+\.[a-z_.]+)"', text))
    assert {"user.create", "cohort.member.add", "grade.override", "assignment.create"} <= written
    assert written - set(audit.MESSAGES) == set()
