"""Officers who completed a module before a material correction see what changed, and keep their completion."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from course.extensions import db
from course.models import Module, ModuleChange, ModuleCompletion
from course.models._types import utcnow
from course.package import read_package
from course.package.sync import apply_package

NOTE_EN = "Lesson 2 now gives the penalties of Law No. 22 of 2022."
NOTE_AR = "يذكر الدرس 2 الآن عقوبات القانون رقم 22 لسنة 2022."
CHANGES = f"""changes:
  - id: law-22-2022
    note: {{en: "{NOTE_EN}", ar: "{NOTE_AR}"}}
"""


def publish(app, path, now):
    with app.app_context():
        summary = apply_package(db.session, read_package(path), now=now)
        db.session.commit()
        return summary


def add_changes(course_copy, text=CHANGES):
    meta = course_copy / "modules" / "01-basics" / "module.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def completed(app, session, make_user, course_copy, now):
    """The module is published, then completed by two officers (English and Arabic) ten days ago."""
    publish(app, course_copy, now - timedelta(days=30))
    module_id = session.scalar(select(Module.id).where(Module.key == "basics"))
    officers = [make_user(username="amal"), make_user(username="huda", language="ar")]
    session.add_all(ModuleCompletion(user_id=o.id, module_id=module_id, completed_at=now - timedelta(days=10),
                                     percent=90.0) for o in officers)
    session.commit()
    return module_id


def dashboard(app, login, username):
    client = app.test_client()
    login(client, username)
    return client.get("/").get_data(as_text=True)


def test_a_correction_is_shown_to_officers_who_completed_before_it(app, session, login, course_copy, now,
                                                                    completed):
    add_changes(course_copy)
    summary = publish(app, course_copy, now - timedelta(days=2))
    assert summary.added["changes"] == ["basics/law-22-2022"]

    english = dashboard(app, login, "amal")
    assert "Updated since you completed it." in english and NOTE_EN in english and NOTE_AR not in english
    arabic = dashboard(app, login, "huda")
    assert NOTE_AR in arabic and NOTE_EN not in arabic
    completions = session.scalars(select(ModuleCompletion).where(ModuleCompletion.module_id == completed)).all()
    assert [(c.completed_at, c.percent) for c in completions] == [(now - timedelta(days=10), 90.0)] * 2


def test_no_note_for_officers_who_completed_after_it_or_not_at_all(app, session, make_user, login, course_copy,
                                                                  now, completed):
    add_changes(course_copy)
    publish(app, course_copy, now - timedelta(days=20))  # published before the two completions
    assert NOTE_EN not in dashboard(app, login, "amal")
    make_user(username="nour")
    assert NOTE_EN not in dashboard(app, login, "nour")


def test_republishing_keeps_the_date_and_a_withdrawn_note_disappears(app, session, login, course_copy, now,
                                                                      completed):
    add_changes(course_copy)
    publish(app, course_copy, now - timedelta(days=2))
    summary = publish(app, course_copy, now)  # the same package again
    assert "changes" not in summary.added and "changes" not in summary.changed
    session.expire_all()
    assert session.scalar(select(ModuleChange.published_at)) == now - timedelta(days=2)

    meta = course_copy / "modules" / "01-basics" / "module.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(NOTE_EN, "Lesson 2: penalties updated."),
                    encoding="utf-8")
    assert publish(app, course_copy, now).changed["changes"] == ["basics/law-22-2022"]
    session.expire_all()
    assert session.scalar(select(ModuleChange.published_at)) == now - timedelta(days=2)
    assert "Lesson 2: penalties updated." in dashboard(app, login, "amal")

    meta.write_text(meta.read_text(encoding="utf-8").split("changes:")[0], encoding="utf-8")
    assert publish(app, course_copy, now).retired["changes"] == ["basics/law-22-2022"]
    assert "Updated since you completed it." not in dashboard(app, login, "amal")


@pytest.mark.parametrize("text, field, level", [
    ("changes: a note\n", "changes", "error"),
    ("changes:\n  - note: {en: Fixed.}\n", "id", "error"),
    ("changes:\n  - id: Bad Id\n    note: {en: Fixed.}\n", "id", "error"),
    ("changes:\n  - id: fix\n", "note", "error"),
    ("changes:\n  - id: fix\n    note: {en: One., ar: واحد.}\n  - id: fix\n    note: {en: Two., ar: اثنان.}\n",
     "id", "error"),
    ("changes:\n  - id: fix\n    note: {en: Fixed., ar: صُحّح.}\n    when: last week\n", "changes[1].when", "error"),
    ("changes:\n  - id: fix\n    note: {en: Fixed.}\n", "changes[1].note", "warning"),
])
def test_a_bad_change_note_is_reported_with_its_line(course_copy, text, field, level):
    add_changes(course_copy, text)
    problems = [p for p in read_package(course_copy).problems if p.file.endswith("module.yaml")]
    assert [(p.field, p.level) for p in problems] == [(field, level)]
    assert problems[0].line > 10  # the line of the changes block, after the module's own fields
