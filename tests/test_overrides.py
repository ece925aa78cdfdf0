"""Grade overrides are for officers only, and never for oneself."""
import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import AuditEntry, GradeOverride, Quiz, Role
from course.models._types import utcnow
from course.services.errors import ServiceError
from course.services.overrides import override_grade
from tests.conftest import make_cohort

OVERRIDE = {"override-quiz": "basics-quiz", "override-percent": "95", "override-reason": "self override"}


@pytest.fixture
def staff(session, make_user, mini_course):
    """Trainer ``ta`` and trainer ``tb`` both train the cohort of officer ``a1``; ``boss`` is an admin."""
    people = {name: make_user(role, username=name) for name, role in
              (("a1", Role.OFFICER), ("ta", Role.TRAINER), ("tb", Role.TRAINER), ("boss", Role.ADMIN))}
    make_cohort(session, "Cohort A", [people["a1"]], [people["ta"], people["tb"]])
    return people


def _overrides(session) -> int:
    return session.scalar(select(func.count()).select_from(GradeOverride))


@pytest.mark.parametrize("actor, target, says", [("ta", "ta", "Nobody can override their own grade."),
                                                 ("boss", "boss", "Nobody can override their own grade."),
                                                 ("boss", "ta", "Grades can be overridden only for officers."),
                                                 ("ta", "tb", None)])  # a fellow trainer is out of scope: 404
def test_overrides_for_oneself_or_for_staff_are_refused_and_change_nothing(app, login, session, staff,
                                                                          actor, target, says):
    client = app.test_client()
    login(client, actor)
    response = client.post(f"/trainer/officers/{staff[target].id}/override", data=OVERRIDE, follow_redirects=True)
    if says is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200 and says in response.get_data(as_text=True)
    assert _overrides(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "grade.override")) == 0


def test_the_service_refuses_a_self_override_whatever_the_role(app, session, staff):
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
        officer = db.session.merge(staff["a1"])
        with pytest.raises(ServiceError, match="own grade"):
            override_grade(db.session, officer, officer, quiz, 100, "why not", utcnow())
        override_grade(db.session, db.session.merge(staff["ta"]), officer, quiz, 80, "oral examination", utcnow())
        db.session.commit()
    assert _overrides(session) == 1


def test_a_trainer_still_overrides_an_officers_grade(app, login, session, staff):
    client = app.test_client()
    login(client, "ta")
    response = client.post(f"/trainer/officers/{staff['a1'].id}/override",
                           data={**OVERRIDE, "override-reason": "oral examination"})
    assert response.status_code == 302 and _overrides(session) == 1
