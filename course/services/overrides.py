"""Grade overrides: a trainer's recorded grade for an officer's quiz (an oral examination, say),
with a reason, in the audit log."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from course.models import GradeOverride, Quiz, Role, User
from course.services import audit
from course.services import certificates as certificate_service
from course.services.errors import ServiceError


def override_grade(session: Session, actor: User, person: User, quiz: Quiz, percent: float, reason: str,
                   now: datetime) -> GradeOverride:
    """Record ``percent`` for ``person`` on ``quiz``. Only officers take quizzes for a grade, and nobody
    grades themselves: either would put a grade no one else vouched for into the record."""
    if person.id == actor.id:
        raise ServiceError(_l("Nobody can override their own grade."))
    if person.role != Role.OFFICER:
        raise ServiceError(_l("Grades can be overridden only for officers."))
    entry = GradeOverride(user_id=person.id, quiz_id=quiz.id, percent=round(percent, 2),
                          reason=reason.strip(), created_by_id=actor.id)
    session.add(entry)
    audit.record(session, actor, "grade.override", "user", person.id, quiz=quiz.key,
                 percent=entry.percent, reason=entry.reason)
    session.flush()
    certificate_service.record_completions(session, person, now)  # an override can complete a module
    return entry
