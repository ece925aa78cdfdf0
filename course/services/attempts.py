"""The life of a quiz attempt: start (or resume), save answers, submit, grade.

Grading happens only here, on the server. Saving is idempotent and ordered by the browser's
sequence number, so answers replayed after a dropped connection never overwrite newer ones.
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, attributes, joinedload, object_session, selectinload

from course.caches import StampedLRU, cache_for
from course.models import Attempt, AttemptAnswer, AttemptState, Question, QuestionVersion, Quiz, User
from course.models.content import questions_of
from course.questions import get_type, score_response
from course.quizsettings import combine_grades
from course.services import certificates, stamps, xapi_events
from course.services.errors import ServiceError
from course.services.review_policy import attempts_left_for

logger = logging.getLogger(__name__)

#: The largest sequence number an answer row holds (an integer column).
MAX_SEQ = 2**31 - 1


def attempts_of(session: Session, user: User, quiz: Quiz) -> list[Attempt]:
    return list(session.scalars(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
                                .order_by(Attempt.number)))


def open_attempt(session: Session, user: User, quiz: Quiz) -> Attempt | None:
    return session.scalar(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id,
                                                Attempt.state == AttemptState.IN_PROGRESS))


def question_count(session: Session, quiz: Quiz) -> int:
    """How many questions an attempt at ``quiz`` has (counted, not loaded: the quiz page shows only this)."""
    if not quiz.settings.get("draw"):
        return session.scalar(select(func.count()).select_from(Question)
                              .where(questions_of(quiz), Question.retired.is_(False))) or 0
    versions, stamp = _current_versions(session, quiz)
    definitions = _definitions_for(session, [(v.version_id, v.content_hash) for v in versions], stamp)
    return len(draw_questions([(v.version_id, definitions[v.version_id]) for v in versions], quiz.settings["draw"],
                              random.Random(0)))


class _Current(NamedTuple):
    version_id: int
    content_hash: str
    question_id: int


def _current_versions(session: Session, quiz: Quiz) -> tuple[list[_Current], str | None]:
    """The current version of each question an attempt at ``quiz`` may hold: the quiz's own in
    authored order, then its bank's; and the catalog stamp (read in the same query)."""
    rows = session.execute(
        select(QuestionVersion.id, QuestionVersion.content_hash, Question.id, _CATALOG_STAMP)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(questions_of(quiz), Question.retired.is_(False))
        .order_by(Question.bank.is_not(None), Question.position)).all()
    return [_Current(*row[:3]) for row in rows], (rows[0][3] if rows else None)


def bank_items_given(session: Session, user: User, bank: str) -> dict[int, int]:
    """question id -> the id of the latest of the officer's attempts (at any quiz) that held this
    question of ``bank``: what they have been given, and how recently (attempt ids grow in order)."""
    return dict(session.execute(
        select(QuestionVersion.question_id, func.max(Attempt.id))
        .select_from(AttemptAnswer)
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(Attempt.user_id == user.id, Question.bank == bank)
        .group_by(QuestionVersion.question_id)).all())


def draw_questions(questions: list[tuple[int, dict]], draw: dict | None, rng: random.Random,
                   given: dict[int, int] | None = None) -> list[tuple[int, dict]]:
    """One officer's paper: every question outside a pool, and from each pool as many questions as
    ``draw`` says, at random (all of them if the pool shrank below that); authored order is kept.

    ``given`` (version id -> how recently the officer was given it, larger is later) keeps a bank's
    items from coming back: a pool's draw is made among the items not given yet while enough remain;
    otherwise it takes them all and adds the least recently given. A pool missing from ``draw`` is
    not drawn (a quiz takes only the pools of its bank it names)."""
    if not draw:
        return questions
    given = given or {}
    pools: dict[str, list[int]] = {}
    for version_id, definition in questions:
        if definition.get("pool"):
            pools.setdefault(definition["pool"], []).append(version_id)
    drawn: set[int] = set()
    for name, members in sorted(pools.items()):
        wanted = min(draw.get(name, 0), len(members))
        fresh = [v for v in members if v not in given]
        if len(fresh) >= wanted:
            drawn.update(rng.sample(fresh, wanted))
        else:
            again = sorted((v for v in members if v in given), key=lambda v: (given[v], members.index(v)))
            drawn.update(fresh + again[:wanted - len(fresh)])
    return [(v, d) for v, d in questions if not d.get("pool") or v in drawn]


def _ordered_questions(questions: list[tuple[int, dict]], shuffle: bool,
                       rng: random.Random) -> list[tuple[int, dict]]:
    """(version id, definition) in the order this attempt shows them; a scenario group stays together."""
    blocks: list[list[tuple[int, dict]]] = []
    for question in questions:
        group = question[1].get("group")
        if group and blocks and blocks[-1][0][1].get("group") == group:
            blocks[-1].append(question)
        else:
            blocks.append([question])
    if shuffle:
        rng.shuffle(blocks)
    return [q for block in blocks for q in block]


def start_attempt(session: Session, user: User, quiz: Quiz, now: datetime, language: str = "en",
                  seed: int | None = None) -> Attempt:
    """The officer's open attempt at ``quiz``, or a new one if attempts remain."""
    current = open_attempt(session, user, quiz)
    if current is not None:
        return current
    if quiz.retired:
        raise ServiceError(_l("This quiz is no longer offered."), status=404)
    used = session.scalar(select(func.count()).select_from(Attempt)
                          .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)) or 0
    if attempts_left_for(session, user.id, quiz, used) == 0:
        raise ServiceError(_l("You have used all the attempts this quiz allows."), status=409)
    versions, stamp = _current_versions(session, quiz)
    if not versions:
        raise ServiceError(_l("This quiz has no questions yet."), status=409)
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31 - 1)
    limit = quiz.settings.get("time_limit_minutes")
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, number=used + 1, state=AttemptState.IN_PROGRESS,
                      started_at=now, seed=seed, language=language,
                      deadline_at=now + timedelta(minutes=limit) if limit else None)
    rng = random.Random(seed)
    definitions = _definitions_for(session, [(v.version_id, v.content_hash) for v in versions], stamp)
    given: dict[int, int] = {}
    if quiz.bank:
        # The bank items this officer was given on any earlier attempt (a pre-test, say) stay out of
        # this paper while their pools have others: read once here, the paper is then stored, so a
        # resumed or reloaded attempt keeps it.
        by_question = bank_items_given(session, user, quiz.bank)
        given = {v.version_id: by_question[v.question_id] for v in versions if v.question_id in by_question}
    paper = draw_questions([(v.version_id, definitions[v.version_id]) for v in versions],
                           quiz.settings.get("draw"), rng, given)
    repeated = [definitions[version_id]["id"] for version_id, _definition in paper if version_id in given]
    if repeated:
        logger.warning("bank %s is too small for officer %s's attempt at %s: given again %s",
                       quiz.bank, user.id, quiz.key, ", ".join(repeated))
    ordered = _ordered_questions(paper, bool(quiz.settings.get("shuffle_questions")), rng)
    try:
        # The attempt is added inside the savepoint: added before it, it would be flushed by the
        # savepoint's own start, outside the protection, and a lost race would poison the session.
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            # One multi-row INSERT: a class starts a quiz together, and the unit of work spent more on
            # two dozen answer objects than on everything else the request does.
            session.execute(insert(AttemptAnswer), [
                {"attempt_id": attempt.id, "question_version_id": version_id, "position": position,
                 "max_score": float(definition.get("points", 1)), "seq": 0}
                for position, (version_id, definition) in enumerate(ordered, start=1)])
            xapi_events.attempt_started(session, attempt.id, now)
    except IntegrityError:
        # Another request (a double click, a second tab) opened the attempt first: use that one.
        existing = open_attempt(session, user, quiz)
        if existing is None:
            raise
        return existing
    return attempt


def option_order(attempt: Attempt, definition: dict, items: list[dict]) -> list[dict]:
    """The order of a question's options in this attempt: stable for the attempt's life. Some types
    (ordering's items, matching's matches) are shuffled whatever the quiz says: in authoring order
    they would be the key itself."""
    shuffled = list(items)
    if attempt.quiz.settings.get("shuffle_options", True) or get_type(definition["type"]).shuffle_always:
        random.Random(f"{attempt.seed}:{definition['id']}").shuffle(shuffled)
    return shuffled


def extensions_left(attempt: Attempt) -> int:
    settings = attempt.quiz.settings
    if attempt.deadline_at is None or not settings.get("time_extension_minutes"):
        return 0
    return max(0, settings.get("time_extensions", 0) - (attempt.extensions_used or 0))


def extend_time(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> Attempt:
    """Give the officer more time, as many times as the quiz allows."""
    if close_if_overdue(session, attempt, now, grace_seconds) or not attempt.is_open:
        raise ServiceError(_l("This attempt is already closed."), status=409)
    if extensions_left(attempt) == 0:
        raise ServiceError(_l("This quiz allows no more extra time."), status=409)
    attempt.deadline_at = attempt.deadline_at + timedelta(minutes=attempt.quiz.settings["time_extension_minutes"])
    attempt.extensions_used = (attempt.extensions_used or 0) + 1
    session.flush()
    return attempt


def is_overdue(attempt: Attempt, now: datetime, grace_seconds: int) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + timedelta(seconds=grace_seconds)


def close_if_overdue(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> bool:
    """Expire and grade an attempt whose time ran out; True if it did."""
    if attempt.is_open and is_overdue(attempt, now, grace_seconds):
        attempt.expire(now)
        _graded_and_closed(session, attempt, now)
        return True
    return False


def _graded_and_closed(session: Session, attempt: Attempt, now: datetime) -> None:
    """What follows every close of an attempt, submitted or expired: its grade, its xAPI statement,
    and the completions (and certificates) it may bring. Recorded here, not by the callers: a path
    that closed an attempt and forgot would silently lose the officer's certificate."""
    grade(attempt)
    xapi_events.attempt_closed(session, attempt, now)
    session.flush()
    certificates.record_completions(session, attempt.user, now)


def find_answer(session: Session, attempt: Attempt, question_version_id: int) -> AttemptAnswer | None:
    """One question of an attempt, with its version, in one query (autosave is the hot path)."""
    return session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id,
                                                      AttemptAnswer.question_version_id == question_version_id)
                          .options(joinedload(AttemptAnswer.question_version)))


#: How many question versions each process keeps per database: a whole course is a few hundred.
MAX_DEFINITIONS = 4096
#: The catalog stamp, as a column of the queries that list an attempt's or a quiz's questions.
_CATALOG_STAMP = stamps.catalog_column()


def remembered_definitions(session: Session) -> StampedLRU:
    """This process's copy of the question definitions of ``session``'s database: version id ->
    (definition, content hash).

    Question versions never change once published (a corrected question gets a new version), so
    the copy saves reading them on every page. It is bounded (least recently used first out) and
    emptied whenever the catalog stamp changes, i.e. after any publication by any process; and each
    entry is also checked against the version's content hash where it is used, so a database
    restored or emptied under a running process only sends a write the long way."""
    return cache_for(session, "question_definitions", lambda: StampedLRU(MAX_DEFINITIONS))


def question_definition(session: Session, question_version_id: int) -> tuple[dict, str] | None:
    """(definition, content hash) of a question version, from this process's copy if it has it.
    The one caller, the one-statement autosave, checks the hash in its own SQL, so no stamp is read."""
    kept = remembered_definitions(session)
    known = kept.peek(question_version_id)
    if known is None:
        known = _read_definitions(session, [question_version_id]).get(question_version_id)
        if known is not None:
            kept.keep(question_version_id, known)
    return known


def _read_definitions(session: Session, version_ids: list[int]) -> dict[int, tuple[dict, str]]:
    """(definition, content hash) of these versions, read in one query."""
    return {version_id: (definition, content_hash) for version_id, definition, content_hash in session.execute(
        select(QuestionVersion.id, QuestionVersion.definition, QuestionVersion.content_hash)
        .where(QuestionVersion.id.in_(version_ids)))}


def _definitions_for(session: Session, versions: list[tuple[int, str]], stamp: str | None) -> dict[int, dict]:
    """version id -> definition for (version id, content hash) pairs: from this process's copy where
    it was kept under the catalog stamp ``stamp`` and the hash still matches, the rest read in one
    query (and kept)."""
    kept = remembered_definitions(session)
    found: dict[int, dict] = {}
    for version_id, content_hash in versions:
        definition, known_hash = kept.get(stamp, version_id, (None, None))
        if known_hash == content_hash:
            found[version_id] = definition
    missing = [version_id for version_id, _hash in versions if version_id not in found]
    if missing:
        for version_id, known in _read_definitions(session, missing).items():
            kept.put(stamp, version_id, known)
            found[version_id] = known[0]
    return found


class PageAnswer(NamedTuple):
    """What the attempt page shows of one question: read-only, no ORM rows."""
    question_version_id: int
    position: int
    max_score: float
    response: Any
    seq: int
    definition: dict


def answers_for_page(session: Session, attempt: Attempt) -> list[PageAnswer]:
    """The attempt's questions for its page, in one query: the definitions come from this process's
    copy, checked against each version's content hash (a page must never show a stale question)."""
    rows = session.execute(
        select(AttemptAnswer.question_version_id, AttemptAnswer.position, AttemptAnswer.max_score,
               AttemptAnswer.response, AttemptAnswer.seq, QuestionVersion.content_hash, _CATALOG_STAMP)
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .where(AttemptAnswer.attempt_id == attempt.id).order_by(AttemptAnswer.position)).all()
    definitions = _definitions_for(session, [(row.question_version_id, row.content_hash) for row in rows],
                                   rows[0].stamp if rows else None)
    return [PageAnswer(row.question_version_id, row.position, row.max_score, row.response, row.seq or 0,
                       definitions[row.question_version_id]) for row in rows]


#: The autosave statement, built once: building it cost as much as running it. It stores the answer
#: only if the attempt is this officer's, open and within its time (grace included), the question is
#: that version of the attempt's, unchanged since this process read it, and the sequence is newer.
_SAVE_AT_ONCE = (
    update(AttemptAnswer)
    .where(AttemptAnswer.attempt_id == bindparam("p_attempt"),
           AttemptAnswer.question_version_id == bindparam("p_version"),
           AttemptAnswer.seq < bindparam("p_seq"),
           AttemptAnswer.attempt_id.in_(
               select(Attempt.id).where(Attempt.id == bindparam("p_attempt"), Attempt.user_id == bindparam("p_user"),
                                        Attempt.state == AttemptState.IN_PROGRESS,
                                        or_(Attempt.deadline_at.is_(None), Attempt.deadline_at >= bindparam("p_cutoff")))),
           AttemptAnswer.question_version_id.in_(
               select(QuestionVersion.id).where(QuestionVersion.id == bindparam("p_version"),
                                                QuestionVersion.content_hash == bindparam("p_hash"))))
    .values(response=bindparam("p_response"), seq=bindparam("p_seq"), saved_at=bindparam("p_now"))
    .returning(AttemptAnswer.seq))


def save_answer_at_once(session: Session, user_id: int, attempt_id: int, question_version_id: int,
                        known: tuple[dict, str], response: Any, seq: int, now: datetime,
                        grace_seconds: int) -> int | None:
    """The usual autosave in one statement: store the answer if the attempt is this officer's, open and
    within its time, the question is part of it (as ``known`` describes it) and ``seq`` is newer than
    what is stored.

    Returns the stored sequence number, or None when any of that does not hold; the caller then
    takes ``save_answer``, which finds out which one and answers accordingly (an older sequence, a
    closed or expired attempt, a question from elsewhere, a malformed answer)."""
    definition, content_hash = known
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        return None
    if response is not None and get_type(definition["type"]).check_response(definition, response):
        return None
    stored = session.execute(_SAVE_AT_ONCE, {
        "p_attempt": attempt_id, "p_user": user_id, "p_version": question_version_id, "p_hash": content_hash,
        "p_seq": seq, "p_response": response, "p_now": now, "p_cutoff": now - timedelta(seconds=grace_seconds),
    }, execution_options={"synchronize_session": False}).scalar()
    if stored is None:
        remembered_definitions(session).discard(question_version_id)  # read afresh next time, in case it was stale
    return stored


def _require_open(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> None:
    """Refuse to change the answers of an attempt that is closed, or whose time ran out just now."""
    if close_if_overdue(session, attempt, now, grace_seconds):
        raise ServiceError(_l("Time is up: this attempt was closed and graded on the answers saved in time."),
                           status=409)
    if not attempt.is_open:
        raise ServiceError(_l("This attempt has already been submitted; its answers can no longer change."),
                           status=409)


def save_answer(session: Session, attempt: Attempt, question_version_id: int, response: Any, seq: int | None,
                now: datetime, grace_seconds: int, answer: AttemptAnswer | None = None) -> AttemptAnswer:
    """Store one answer. Later sequence numbers win; an older or repeated one changes nothing.
    ``answer``: the row, when the caller has already loaded it."""
    _require_open(session, attempt, now, grace_seconds)
    if answer is None or answer.question_version_id != question_version_id:
        answer = find_answer(session, attempt, question_version_id)
    if answer is None:
        raise ServiceError(_l("That question is not part of this attempt."), status=400)
    if _store(answer, response, seq, now):
        session.flush()
    return answer


def _store(answer: AttemptAnswer, response: Any, seq: int | None, now: datetime) -> bool:
    """Check ``response`` and keep it if ``seq`` is newer than what the row holds; True if kept."""
    if response is not None:
        problem = get_type(answer.question_version.type).check_response(answer.question_version.definition, response)
        if problem:
            raise ServiceError(_l("That answer cannot be accepted: %(problem)s.", problem=problem), status=400)
    if seq is None:
        # A whole-form post (no JavaScript, or "Submit"): what the officer sees now is the newest
        # answer, whatever the script numbered before, even at the column's largest number.
        seq = min(answer.seq + 1, MAX_SEQ)
    elif not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or seq > MAX_SEQ:
        raise ServiceError(_l("Bad sequence number."), status=400)
    elif seq <= answer.seq:
        return False
    answer.response = response
    answer.seq = seq
    answer.saved_at = now
    return True


def load_answers(session: Session, attempt: Attempt) -> list[AttemptAnswer]:
    """The attempt's answers with their question versions, in one query, kept on ``attempt.answers``
    so that grading and the page that follows do not load them again row by row."""
    if "answers" not in inspect(attempt).unloaded:
        return attempt.answers
    answers = list(session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                   .options(selectinload(AttemptAnswer.question_version))
                                   .order_by(AttemptAnswer.position)))
    attributes.set_committed_value(attempt, "answers", answers)
    return answers


def grade(attempt: Attempt) -> None:
    """Score every answer: automatically, or (a type graded by trainers) from a trainer's marks; an
    answer still waiting for them keeps the attempt without a score (``total_up``)."""
    session = object_session(attempt)
    for answer in load_answers(session, attempt) if session is not None else attempt.answers:
        definition = answer.question_version.definition
        answer.max_score = float(definition.get("points", 1))
        if get_type(definition["type"]).graded_by_trainer and answer.response is not None:
            answer.score = answer.grading.score if answer.grading is not None else None
        else:
            answer.score = round(score_response(definition, answer.response) * answer.max_score, 4)
    total_up(attempt)


def total_up(attempt: Attempt) -> None:
    """The attempt's score, percent and pass from its answers' scores (loaded on ``attempt.answers``).
    While an answer waits for a trainer's marks they are all None: the attempt is awaiting grading."""
    total = maximum = 0.0
    for answer in attempt.answers:
        total += answer.score or 0.0
        maximum += answer.max_score
    attempt.max_score = round(maximum, 4)
    if any(answer.score is None for answer in attempt.answers):
        attempt.score = attempt.percent = attempt.passed = None
        return
    attempt.score = round(total, 4)
    attempt.percent = round(100 * total / maximum, 2) if maximum else 0.0
    attempt.passed = attempt.percent >= attempt.quiz.settings.get("pass_mark", 70)


def save_answers(session: Session, attempt: Attempt, responses: dict[int, Any], now: datetime,
                 grace_seconds: int) -> None:
    """Keep the answers of a whole posted form (version id -> response) without submitting."""
    _require_open(session, attempt, now, grace_seconds)
    _store_form(session, attempt, responses, now)
    session.flush()


def _store_form(session: Session, attempt: Attempt, responses: dict[int, Any], now: datetime) -> None:
    """Store a whole posted form's answers (version id -> response), newest by definition. One read
    of the answers and one flush by the caller: a submit is the busiest moment of a class sitting a
    quiz together, so it must not cost a query per question."""
    answers = {answer.question_version_id: answer for answer in load_answers(session, attempt)}
    for version_id, response in responses.items():
        answer = answers.get(version_id)
        if answer is None:
            raise ServiceError(_l("That question is not part of this attempt."), status=400)
        _store(answer, response, None, now)


class SubmitCheck(NamedTuple):
    """What the officer is told before an attempt is submitted."""
    #: positions (the numbers the page shows) of the questions without an answer
    unanswered: list[int]
    #: how many attempts the quiz allows (None: no limit)
    allowed: int | None
    #: no attempt is left after this one
    last: bool

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.unanswered) or self.last


def before_submit(session: Session, attempt: Attempt) -> SubmitCheck:
    used = session.scalar(select(func.count()).select_from(Attempt)
                          .where(Attempt.user_id == attempt.user_id, Attempt.quiz_id == attempt.quiz_id)) or 0
    return SubmitCheck(unanswered=[a.position for a in load_answers(session, attempt) if a.response is None],
                       allowed=attempt.quiz.settings.get("attempts"),
                       last=attempts_left_for(session, attempt.user_id, attempt.quiz, used) == 0)


def submit_attempt(session: Session, attempt: Attempt, now: datetime, grace_seconds: int,
                   final_answers: dict[int, Any] | None = None) -> Attempt:
    """Close and grade the attempt. Submitting again returns the same result."""
    if not attempt.is_open:
        return attempt
    if close_if_overdue(session, attempt, now, grace_seconds):
        return attempt
    _store_form(session, attempt, final_answers or {}, now)
    attempt.submit(now)
    _graded_and_closed(session, attempt, now)
    return attempt


def overall_grade(attempts: list[Attempt], rule: str) -> float | None:
    done = sorted((a for a in attempts if not a.is_open and a.percent is not None), key=lambda a: a.number)
    return combine_grades([a.percent for a in done], rule)
