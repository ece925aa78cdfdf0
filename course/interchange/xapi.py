"""xAPI (Experience API 1.0.3) statements for what officers do in Marsa.

Statements are derived from the rows Marsa already keeps (lesson reads, attempts, answers), with
deterministic statement ids (UUID v5 of the event), so building them twice gives the same
statements and an LRS never stores a duplicate. ``statements_since`` serves ``flask export xapi``;
``statements_for_event`` builds what the outbox (``course.services.xapi_events``) delivers to an LRS.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import Attempt, AttemptAnswer, Lesson, LessonRead, Module, Quiz, User, XapiOutboxEntry
from course.questions import get_type

XAPI_VERSION = "1.0.3"
NAMESPACE = uuid.UUID("6f1d8a4e-9a53-4c35-9d6b-1f0e6a3b6a51")  # Marsa's namespace for statement ids

VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "module": "http://adlnet.gov/expapi/activities/module",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "interaction": "http://adlnet.gov/expapi/activities/cmi.interaction",
}


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tag(lang: str | None) -> str:
    """The RFC 5646 tag of one of Marsa's languages ("en" is written en-US, as in the language maps)."""
    return {"en": "en-US"}.get(lang or "en", lang or "en")


def _names(value) -> dict:
    """An xAPI language map (RFC 5646 tags) from Marsa's {"en": ..., "ar": ...} texts."""
    return {_tag(lang): text for lang, text in (value or {}).items() if text}


class StatementBuilder:
    """Builds statements with activity ids under the site's base URL."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def activity(self, kind: str, key: str, name=None, **definition) -> dict:
        activity = {"objectType": "Activity", "id": f"{self.base}/xapi/activities/{kind}/{key}",
                    "definition": {"type": ACTIVITY_TYPES[kind], **definition}}
        if name:
            activity["definition"]["name"] = _names(name)
        return activity

    def actor(self, user: User) -> dict:
        # The account id, not the name or e-mail: an LRS elsewhere needs no personal data.
        return {"objectType": "Agent", "account": {"homePage": self.base, "name": str(user.id)}}

    def statement(self, event: str, verb: str, user: User, activity: dict, moment: datetime,
                  result: dict | None = None, parent: dict | None = None, registration: str | None = None,
                  language: str | None = None) -> dict:
        """One statement; ``language`` is the Marsa language the officer worked in (context.language)."""
        statement = {
            "id": str(uuid.uuid5(NAMESPACE, f"{self.base}|{event}|{verb}")),
            "actor": self.actor(user),
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": activity,
            "timestamp": _stamp(moment),
            "version": XAPI_VERSION,
            "context": {"platform": "Marsa", "language": _tag(language)},
        }
        if result:
            statement["result"] = result
        if parent:
            statement["context"]["contextActivities"] = {"parent": [{"objectType": "Activity", "id": parent["id"]}]}
        if registration:
            statement["context"]["registration"] = registration
        return statement

    def lesson_read(self, read: LessonRead, user: User, lesson: Lesson, module: Module) -> dict:
        # A read keeps no language of its own: the officer reads in their preferred language.
        return self.statement(f"lesson-read:{read.id}", "experienced", user,
                              self.activity("lesson", lesson.key, lesson.title), read.read_at,
                              result={"completion": True},
                              parent=self.activity("module", module.key, module.title), language=user.language)

    def quiz_activity(self, quiz: Quiz) -> dict:
        return self.activity("assessment", quiz.key, quiz.title)

    def _attempt_context(self, attempt: Attempt) -> tuple[dict, dict | None, str]:
        quiz = attempt.quiz
        registration = str(uuid.uuid5(NAMESPACE, f"{self.base}|attempt|{attempt.id}"))
        parent = self.activity("module", quiz.module.key, quiz.module.title) if quiz.module else None
        return self.quiz_activity(quiz), parent, registration

    def attempt_started(self, attempt: Attempt) -> list[dict]:
        activity, parent, registration = self._attempt_context(attempt)
        return [self.statement(f"attempt:{attempt.id}", "attempted", attempt.user, activity, attempt.started_at,
                               parent=parent, registration=registration, language=attempt.language)]

    def attempt_completed(self, attempt: Attempt) -> list[dict]:
        """That the officer finished the attempt, without its score (which may still be withheld)."""
        if attempt.submitted_at is None:
            return []
        activity, parent, registration = self._attempt_context(attempt)
        result = {"completion": True, "duration": _duration(attempt.started_at, attempt.submitted_at)}
        return [self.statement(f"attempt-done:{attempt.id}", "completed", attempt.user, activity,
                               attempt.submitted_at, result=result, parent=parent, registration=registration,
                               language=attempt.language)]

    def attempt_result(self, attempt: Attempt, event: str | None = None, moment: datetime | None = None) -> list[dict]:
        """The graded answers and the pass or fail, once the officer may see them.

        ``event`` names a later re-grading, which gets a result statement of its own (statements are
        immutable in an LRS; the newest result is the one that counts)."""
        if attempt.submitted_at is None:
            return []
        user = attempt.user
        activity, parent, registration = self._attempt_context(attempt)
        out = []
        if event is None:
            for answer in attempt.answers:
                if answer.response is None or answer.saved_at is None:
                    continue
                definition = answer.question_version.definition
                interaction = self.activity("interaction", definition["id"], definition.get("stem"),
                                            interactionType=get_type(definition["type"]).interaction)
                maximum = answer.max_score or 1
                score = answer.score or 0
                out.append(self.statement(
                    f"answer:{answer.id}", "answered", user, interaction, answer.saved_at, parent=activity,
                    registration=registration, language=attempt.language,
                    result={"response": _response_text(definition, answer.response),
                            "success": score >= maximum - 1e-9,
                            "score": {"raw": score, "min": 0, "max": maximum, "scaled": round(score / maximum, 4)}}))
        scaled = round((attempt.percent or 0) / 100, 4)
        result = {"score": {"scaled": scaled, "raw": attempt.score or 0, "min": 0, "max": attempt.max_score or 0},
                  "success": bool(attempt.passed), "completion": True,
                  "duration": _duration(attempt.started_at, attempt.submitted_at)}
        out.append(self.statement(event or f"attempt-result:{attempt.id}", "passed" if attempt.passed else "failed",
                                  user, activity, moment or attempt.submitted_at, result=result, parent=parent,
                                  registration=registration, language=attempt.language))
        return out

    def attempt_statements(self, attempt: Attempt) -> list[dict]:
        """Everything an attempt produced (the export's view: results included)."""
        return self.attempt_started(attempt) + self.attempt_completed(attempt) + self.attempt_result(attempt)


def _response_text(definition: dict, response) -> str:
    """The response in the xAPI interaction format, as its question type writes it."""
    return get_type(definition["type"]).xapi_response(definition, response)


def _duration(start: datetime, end: datetime) -> str:
    seconds = max(0.0, (end - start).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"PT{int(hours)}H{int(minutes)}M{seconds:.2f}S"


def statements_since(session: Session, base_url: str, since: datetime | None = None) -> Iterator[dict]:
    """Every statement for events at or after ``since`` (all when None), oldest first per kind.

    The export's view of the database. Results an officer may not see yet (withheld until a trainer
    releases them) are left out, as the outbox leaves them out until the release."""
    from course.services import review_policy

    builder = StatementBuilder(base_url)
    reads = (select(LessonRead, User, Lesson, Module).join(User, User.id == LessonRead.user_id)
             .join(Lesson, Lesson.id == LessonRead.lesson_id).join(Module, Module.id == Lesson.module_id)
             .order_by(LessonRead.read_at))
    attempts = (select(Attempt).options(selectinload(Attempt.user), selectinload(Attempt.quiz).selectinload(Quiz.module),
                                        selectinload(Attempt.answers).selectinload(AttemptAnswer.question_version))
                .order_by(Attempt.started_at))
    if since is not None:
        reads = reads.where(LessonRead.read_at >= since)
        attempts = attempts.where((Attempt.started_at >= since) | (Attempt.submitted_at >= since))
    for read, user, lesson, module in session.execute(reads):
        yield builder.lesson_read(read, user, lesson, module)
    released: dict[int, set[int]] = {}  # user id -> quizzes released to them, looked up once each
    for attempt in session.scalars(attempts):
        yield from builder.attempt_started(attempt)
        yield from builder.attempt_completed(attempt)
        if attempt.percent is None:
            continue  # awaiting a trainer's grading
        if review_policy.holds_until_release(attempt.quiz):
            if attempt.user_id not in released:
                released[attempt.user_id] = review_policy.released_quiz_ids(session, attempt.user_id)
            if attempt.quiz_id not in released[attempt.user_id]:
                continue
        if attempt.submitted_at is not None:
            yield from builder.attempt_result(attempt)


def statements_for_event(session: Session, builder: StatementBuilder, event: str) -> list[dict]:
    """The statements of one outbox event (see ``course.services.xapi_events``); [] when its row is gone."""
    kind, _, rest = event.partition(":")
    if kind == "lesson-read":
        row = session.execute(select(LessonRead, User, Lesson, Module).join(User, User.id == LessonRead.user_id)
                              .join(Lesson, Lesson.id == LessonRead.lesson_id)
                              .join(Module, Module.id == Lesson.module_id)
                              .where(LessonRead.id == int(rest))).first()
        return [builder.lesson_read(*row)] if row else []
    attempt_id, _, detail = rest.partition(":")
    attempt = session.get(Attempt, int(attempt_id)) if attempt_id.isdigit() else None
    if attempt is None:
        return []
    if kind == "attempt-started":
        return builder.attempt_started(attempt)
    if kind == "attempt-completed":
        return builder.attempt_completed(attempt)
    if kind == "attempt-result":
        return builder.attempt_result(attempt)
    if kind == "attempt-regrade":
        entry_time = session.scalar(select(XapiOutboxEntry.created_at).where(XapiOutboxEntry.event == event))
        return builder.attempt_result(attempt, event=event, moment=entry_time)
    raise ValueError(f"unknown xAPI event {event!r}")
