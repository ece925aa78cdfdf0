"""The one-statement autosave (``save_answer_at_once``, the usual case in one UPDATE) restates the
save rules of the long path (``save_answer``) in SQL. Hypothesis drives the same random sequence of
saves through both and requires the same outcome at every step: the response code, the sequence
number answered, and in the end the stored answers and the attempt's state.

Each request runs in a fresh session, as in the app; the one-statement side falls back to the long
path exactly as ``views/learn.py:save_answer`` does when the statement stores nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.extensions import db
from course.models import Attempt, AttemptAnswer, Quiz, User
from course.models._types import utcnow
from course.services import attempts as attempt_service
from course.services.errors import ServiceError

GRACE = 30
LIMIT_MINUTES = 10
MAX_SEQ = 2**31 - 1

#: Responses of every shape, valid or not for one question type or another.
RESPONSES = st.sampled_from(["a", "b", "zz", None, ["a"], ["a", "b"], ["b", "a"], [], ["zz"], True, False,
                             {"x": "a"}, 3, 2.5, "مرحبا", ""])
#: Valid responses to the mini quiz's questions, in its order (single, multiple, true/false).
VALID = [["a", "b"], [["a"], ["a", "b"], []], [True, False]]
SEQS = st.one_of(st.integers(0, 8), st.sampled_from([0, MAX_SEQ - 1, MAX_SEQ, MAX_SEQ + 1, -1]))
#: When a request arrives, in seconds after the start: mostly in time, up to the deadline (600) and
#: the end of the grace period (630); sometimes just after it, or long after.
MOMENTS = st.sampled_from([630, 631, 600, 601, 629, 599, 60, 0] * 2 + [629.999999, 630.5, 632, 3600])


@st.composite
def saves(draw):
    which = draw(st.sampled_from([0, 1, 2] * 3 + ["missing"]))
    valid = st.sampled_from(VALID[which] if which != "missing" else ["a"])
    return ("save", draw(st.sampled_from(["owner"] * 6 + ["intruder"])), which,
            draw(st.one_of(valid, valid, RESPONSES)), draw(SEQS), draw(MOMENTS))


ACTIONS = st.lists(st.one_of(*[saves()] * 7, st.tuples(st.just("submit"), MOMENTS)), min_size=1, max_size=12)


@pytest.fixture
def world(app, quiz_with, make_user):
    quiz_with(f"preset: practice\ntime_limit_minutes: {LIMIT_MINUTES}\npass_mark: 60\n")
    people = {name: make_user(username=name) for name in ("fast", "slow", "intruder")}
    with app.app_context():
        engine = db.engine
    return engine, people


def _long(session: Session, actor_id: int, attempt_id: int, version: int, response, seq, now) -> tuple:
    """The long path, as the view takes it: the officer's own attempt (else 404), a question of it
    (else 400), then ``save_answer``."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != actor_id:
        return (404,)
    answer = attempt_service.find_answer(session, attempt, version)
    if answer is None:
        return (400,)
    try:
        saved = attempt_service.save_answer(session, attempt, version, response, seq, now, GRACE, answer=answer)
    except ServiceError as error:
        session.commit()  # an expiry found while saving is kept
        return (error.status,)
    session.commit()
    return (200, saved.seq)


def _one_statement_first(session: Session, actor_id: int, attempt_id: int, version: int, response, seq, now) -> tuple:
    known = attempt_service.question_definition(session, version)
    if known is not None:
        stored = attempt_service.save_answer_at_once(session, actor_id, attempt_id, version, known, response, seq,
                                                     now, GRACE)
        if stored is not None:
            session.commit()
            return (200, stored)
    return _long(session, actor_id, attempt_id, version, response, seq, now)


def _state(engine, attempt_id: int) -> tuple:
    with Session(engine) as session:
        attempt = session.get(Attempt, attempt_id)
        answers = session.execute(select(AttemptAnswer.position, AttemptAnswer.response, AttemptAnswer.seq,
                                         AttemptAnswer.saved_at, AttemptAnswer.score)
                                  .where(AttemptAnswer.attempt_id == attempt_id).order_by(AttemptAnswer.position))
        return attempt.state, attempt.score, attempt.submitted_at, [tuple(row) for row in answers]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, timed=st.sampled_from([True, True, True, False]))
# The edges, always tried: the last second of grace and the first after it, a repeated and an older
# sequence number, the largest one twice, a save after submitting, another officer's save.
@example(actions=[("save", "owner", 0, "a", 1, 630), ("save", "owner", 0, "b", 2, 631)], timed=True)
@example(actions=[("save", "owner", 1, ["a"], 3, 0), ("save", "owner", 1, ["a", "b"], 3, 1),
                  ("save", "owner", 1, [], 2, 2)], timed=False)
@example(actions=[("save", "owner", 2, True, MAX_SEQ, 0), ("save", "owner", 2, False, MAX_SEQ, 1),
                  ("save", "owner", 2, False, MAX_SEQ + 1, 1)], timed=True)
@example(actions=[("submit", 60), ("save", "owner", 0, "a", 5, 61)], timed=True)
@example(actions=[("save", "intruder", 0, "a", 1, 0), ("save", "owner", 0, "zz", 1, 1)], timed=False)
def test_the_one_statement_autosave_and_the_long_path_agree(world, actions, timed):
    engine, people = world
    start = utcnow().replace(microsecond=0)
    attempts = {}
    with Session(engine, expire_on_commit=False) as session:
        quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
        for name in ("fast", "slow"):
            user = session.get(User, people[name].id)
            attempt = attempt_service.start_attempt(session, user, quiz, start, seed=7)
            if not timed:
                attempt.deadline_at = None
            session.commit()
            attempts[name] = attempt.id
        versions = session.scalars(select(AttemptAnswer.question_version_id)
                                   .where(AttemptAnswer.attempt_id == attempts["fast"])
                                   .order_by(AttemptAnswer.position)).all()
    paths = {"fast": _one_statement_first, "slow": _long}
    for action in actions:
        now = start + timedelta(seconds=action[-1])
        outcomes = {}
        for name, path in paths.items():
            with Session(engine, expire_on_commit=False) as session:
                if action[0] == "submit":
                    attempt = session.get(Attempt, attempts[name])
                    attempt_service.submit_attempt(session, attempt, now, GRACE)
                    session.commit()
                    outcomes[name] = (attempt.state,)
                    continue
                _, actor, which, response, seq = action[:5]
                actor_id = people[name if actor == "owner" else "intruder"].id
                version = versions[which] if which != "missing" else MAX_SEQ
                outcomes[name] = path(session, actor_id, attempts[name], version, response, seq, now)
        assert outcomes["fast"] == outcomes["slow"], action
    assert _state(engine, attempts["fast"]) == _state(engine, attempts["slow"])
    with Session(engine) as session:  # leave no attempt open for the next example
        for name in ("fast", "slow"):
            attempt_service.submit_attempt(session, session.get(Attempt, attempts[name]), now, GRACE)
        session.commit()
