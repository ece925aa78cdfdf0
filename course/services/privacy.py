"""Personal data: what an officer can download about themselves, and anonymising a departed
officer while keeping the aggregate statistics their attempts feed."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import (Attempt, AttemptAnswer, Certificate, Cohort, CohortMember, GradeOverride, LessonRead,
                           ModuleCompletion, Role, User)
from course.models.people import new_session_token
from course.quizview import describe_response
from course.services import audit
from course.services.errors import ServiceError
from course.services.users import hash_password


def personal_data(session: Session, user: User) -> dict:
    reads = session.scalars(select(LessonRead).where(LessonRead.user_id == user.id)
                            .options(selectinload(LessonRead.lesson))).all()
    attempts = session.scalars(select(Attempt).where(Attempt.user_id == user.id)
                               .options(selectinload(Attempt.quiz),
                                        selectinload(Attempt.answers).selectinload(AttemptAnswer.question_version))
                               .order_by(Attempt.started_at)).all()
    cohorts = session.scalars(select(Cohort.name).join(CohortMember).where(CohortMember.user_id == user.id)).all()
    overrides = session.scalars(select(GradeOverride).where(GradeOverride.user_id == user.id)).all()
    certificates = session.scalars(select(Certificate).where(Certificate.user_id == user.id)).all()
    completions = session.scalars(select(ModuleCompletion).where(ModuleCompletion.user_id == user.id)).all()
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "profile": {"username": user.username, "full_name": user.full_name, "staff_number": user.staff_number,
                    "duty_station": user.duty_station, "role": user.role.value, "language": user.language,
                    "created_at": stamp(user.created_at)},
        "cohorts": list(cohorts),
        "lessons_read": [{"lesson": r.lesson.key, "read_at": stamp(r.read_at)} for r in reads],
        "attempts": [{
            "quiz": a.quiz.key, "number": a.number, "state": a.state.value, "language": a.language,
            "started_at": stamp(a.started_at), "submitted_at": stamp(a.submitted_at), "score": a.score,
            "max_score": a.max_score, "percent": a.percent, "passed": a.passed,
            # The answer as the officer read it, never by the options' authoring ids: those would
            # tell which option is "a", the one authors tend to make right (course/answertokens.py).
            "answers": [{"question": ans.question_version.definition["id"], "version": ans.question_version.number,
                         "response": describe_response(ans.question_version.definition, ans.response, a.language),
                         "score": ans.score, "saved_at": stamp(ans.saved_at)}
                        for ans in a.answers]} for a in attempts],
        "grade_overrides": [{"quiz_id": o.quiz_id, "percent": o.percent, "reason": o.reason,
                             "at": stamp(o.created_at)} for o in overrides],
        "module_completions": [{"module_id": c.module_id, "completed_at": stamp(c.completed_at)} for c in completions],
        "certificates": [{"code": c.code, "issued_at": stamp(c.issued_at), "expires_at": stamp(c.expires_at),
                          "revoked_at": stamp(c.revoked_at), "certifies": c.snapshot} for c in certificates],
    }


def anonymise(session: Session, actor: User, person: User) -> None:
    """Remove what identifies the person; keep their attempts (unlinkable) for the statistics."""
    if person.role != Role.OFFICER:
        raise ServiceError(_l("Only officers' accounts are anonymised; deactivate staff accounts instead."))
    if person.username.startswith("former-"):
        return
    person.username = f"former-{person.id}"
    person.full_name = f"Former officer {person.id}"
    person.staff_number = None
    person.password_hash = hash_password(secrets.token_urlsafe(32))
    person.is_active_account = False
    person.must_change_password = False
    person.session_token = new_session_token()
    for override in session.scalars(select(GradeOverride).where(GradeOverride.user_id == person.id)):
        override.reason = "(removed when the officer was anonymised)"
    audit.record(session, actor, "user.anonymise", "user", person.id)
    session.flush()
