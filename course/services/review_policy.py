"""What an officer may see of an attempt: one decision, used by every page, document and export.

``review(quiz, attempt, released=..., attempts_left=...)`` reads the quiz's review settings
(``show_feedback``, ``show_answers``, the pass mark and kind), whether a trainer has released the
quiz's results to the officer and how many attempts the officer has left, and answers with a
``Review``: the attempt's state as the officer may know it, and which parts of the marking they may
see (score, pass or fail, per-question verdicts and points, feedback, correct answers).

The rules:

- An open attempt shows nothing of its marking; a closed attempt not yet graded (``percent`` is
  NULL: answers waiting for a trainer) is "awaiting grading" and shows nothing either.
- ``show_feedback: when_released`` holds *everything* back (score, pass or fail, verdicts, feedback
  and answers) until a trainer releases the quiz's results to the officer's cohort: "awaiting
  release". Nothing issued on the score (a completion, a certificate) is recorded before that.
- ``show_feedback`` governs the marking: ``after_submission`` (or ``when_released`` once released)
  shows the score, the verdict and points of each question and the feedback texts; ``never`` shows
  none of them, and the officer sees only that the attempt was submitted, with their own answers.
- ``show_answers`` governs the correct answers alone: ``after_submission``, ``after_last_attempt``
  (when the officer has no attempt left, extra attempts granted by a trainer included),
  ``when_released``, or ``never``.
- A diagnostic test (a ``pre-test``, or a pass mark of 0) never says "passed" or "not passed".

Staff reviewing an officer's attempt see everything (``STAFF``). Callers outside a request (the xAPI
outbox, say) use ``review_of(session, attempt)``, which looks the release and the attempt count up.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from course.models import Attempt, AttemptGrant, CohortMember, Quiz, ResultRelease, User

IN_PROGRESS = "in_progress"
AWAITING_GRADING = "awaiting_grading"
AWAITING_RELEASE = "awaiting_release"
#: Closed and graded, but the quiz shows no score (``show_feedback: never``).
SUBMITTED = "submitted"
#: Closed, graded and its score may be shown.
GRADED = "graded"
#: States whose review page lists no questions (nothing of them may be shown yet).
NOTHING_TO_SHOW = (IN_PROGRESS, AWAITING_GRADING, AWAITING_RELEASE)


@dataclass(frozen=True, slots=True)
class Review:
    """What the officer may see of one attempt."""

    #: in_progress, awaiting_grading, awaiting_release, submitted or graded (see the constants above).
    state: str
    #: The attempt's percent and points.
    score: bool = False
    #: "Passed" or "Not passed" (never for a diagnostic test).
    outcome: bool = False
    #: Each question's verdict (correct, partly, incorrect) and points.
    verdicts: bool = False
    #: The authored feedback and explanations.
    feedback: bool = False
    #: The correct answers.
    answers: bool = False
    #: When the correct answers will be shown, if they are not yet and will be:
    #: "after_last_attempt", "when_released", or None.
    answers_later: str | None = None

    @property
    def withheld(self) -> bool:
        """The quiz's results wait for a trainer's release."""
        return self.state == AWAITING_RELEASE


def diagnostic(quiz: Quiz) -> bool:
    """A test that measures what the officer knows without a pass mark that means anything."""
    return quiz.kind == "pre-test" or float(quiz.settings.get("pass_mark", 70)) <= 0


def holds_until_release(quiz: Quiz) -> bool:
    """The quiz keeps its results (score and all) back until a trainer releases them."""
    return quiz.settings.get("show_feedback") == "when_released"


def releasable(quiz: Quiz) -> bool:
    """A trainer's release shows the officer something more (the results, or the correct answers)."""
    return "when_released" in (quiz.settings.get("show_feedback"), quiz.settings.get("show_answers"))


def review(quiz: Quiz, attempt: Attempt, *, released: bool, attempts_left: int | None) -> Review:
    """What the officer may see of ``attempt`` at ``quiz``.

    ``released``: a trainer has released the quiz's results to the officer (for their cohort or for
    everyone). ``attempts_left``: how many more attempts the officer may start (None: unlimited),
    extra attempts granted included. Pure: no database, no clock."""
    if attempt.is_open:
        return Review(IN_PROGRESS)
    if attempt.percent is None:
        return Review(AWAITING_GRADING)
    settings = quiz.settings
    if holds_until_release(quiz) and not released:
        return Review(AWAITING_RELEASE)
    marked = settings.get("show_feedback") in ("after_submission", "when_released")
    answers_rule = settings.get("show_answers")
    if answers_rule == "after_submission":
        answers = True
    elif answers_rule == "after_last_attempt":
        answers = attempts_left == 0
    else:
        answers = answers_rule == "when_released" and released
    later = None
    if not answers and (answers_rule == "when_released"
                        or answers_rule == "after_last_attempt" and attempts_left is not None):
        later = answers_rule  # (with unlimited attempts there is no last one to promise)
    return Review(GRADED if marked else SUBMITTED, score=marked, outcome=marked and not diagnostic(quiz),
                  verdicts=marked, feedback=marked, answers=answers, answers_later=later)


def staff_review(quiz: Quiz, attempt: Attempt) -> Review:
    """Trainers and administrators see all of a closed attempt (a diagnostic test still has no pass mark)."""
    if attempt.is_open:
        return Review(IN_PROGRESS)
    if attempt.percent is None:
        return Review(AWAITING_GRADING, answers=True, feedback=True)
    return Review(GRADED, score=True, outcome=not diagnostic(quiz), verdicts=True, feedback=True, answers=True)


# --- looking up the release and the attempt count ------------------------------------------------

def released_quiz_ids(session: Session, user_id: int) -> set[int]:
    """Quizzes whose results are released to the officer (for everyone, or for one of their cohorts)."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == user_id)
    return set(session.scalars(select(ResultRelease.quiz_id).where(
        or_(ResultRelease.cohort_id.is_(None), ResultRelease.cohort_id.in_(cohorts)))))


def released_pairs(session: Session, officers, quiz_ids: list[int]) -> set[tuple[int, int]]:
    """(user id, quiz id) for each of ``quiz_ids`` released to each officer (``officers``: a list of
    user ids or a select of them), in one query."""
    if not quiz_ids:
        return set()
    rows = session.execute(
        select(CohortMember.user_id, ResultRelease.quiz_id)
        .join(ResultRelease, or_(ResultRelease.cohort_id.is_(None), ResultRelease.cohort_id == CohortMember.cohort_id))
        .where(CohortMember.user_id.in_(officers), ResultRelease.quiz_id.in_(quiz_ids)).distinct()).all()
    pairs = {(user_id, quiz_id) for user_id, quiz_id in rows}
    # A release for everyone reaches officers who are in no cohort too.
    for_everyone = set(session.scalars(select(ResultRelease.quiz_id).where(
        ResultRelease.cohort_id.is_(None), ResultRelease.quiz_id.in_(quiz_ids))))
    if for_everyone:
        ids = officers if isinstance(officers, list) else list(session.scalars(officers))
        pairs |= {(user_id, quiz_id) for user_id in ids for quiz_id in for_everyone}
    return pairs


def granted_attempts(session: Session, user_id: int, quiz_ids: Iterable[int]) -> dict[int, int]:
    """quiz id -> extra attempts trainers granted the officer."""
    quiz_ids = list(quiz_ids)
    if not quiz_ids:
        return {}
    return dict(session.execute(select(AttemptGrant.quiz_id, func.count())
                                .where(AttemptGrant.user_id == user_id, AttemptGrant.quiz_id.in_(quiz_ids))
                                .group_by(AttemptGrant.quiz_id)).all())


def attempts_left(quiz: Quiz, used: int, granted: int = 0) -> int | None:
    """How many more attempts an officer may start (None: unlimited)."""
    allowed = quiz.settings.get("attempts")
    return None if allowed is None else max(0, allowed + granted - used)


def attempts_left_for(session: Session, user_id: int, quiz: Quiz, used: int) -> int | None:
    """``attempts_left`` for one officer and quiz, with the attempts trainers granted them."""
    if quiz.settings.get("attempts") is None:
        return None
    return attempts_left(quiz, used, granted_attempts(session, user_id, [quiz.id]).get(quiz.id, 0))


def reviews_for(session: Session, user: User, attempts: list[Attempt], viewer: User | None = None
                ) -> dict[int, Review]:
    """attempt id -> ``Review`` for attempts of ``user`` (at any quizzes), in at most three queries.
    ``viewer``: who looks, when not ``user`` (staff see everything; so do staff at their own attempts)."""
    if not attempts:
        return {}
    if user.is_staff or (viewer is not None and viewer.is_staff):
        return {a.id: staff_review(a.quiz, a) for a in attempts}
    quizzes = {a.quiz_id: a.quiz for a in attempts}
    released = released_quiz_ids(session, user.id) if any(map(releasable, quizzes.values())) else set()
    limited = [quiz_id for quiz_id, quiz in quizzes.items() if quiz.settings.get("attempts") is not None]
    granted = granted_attempts(session, user.id, limited)
    used = dict(session.execute(select(Attempt.quiz_id, func.count())
                                .where(Attempt.user_id == user.id, Attempt.quiz_id.in_(limited))
                                .group_by(Attempt.quiz_id)).all()) if limited else {}
    return {a.id: review(a.quiz, a, released=a.quiz_id in released,
                         attempts_left=attempts_left(a.quiz, used.get(a.quiz_id, 0), granted.get(a.quiz_id, 0)))
            for a in attempts}


def review_of(session: Session, attempt: Attempt) -> Review:
    """What the attempt's officer may see of it now: the one call for code outside a page (the xAPI
    outbox sends an attempt's scored statements once ``review_of(...).score`` is true, so a withheld
    result produces them when it is released)."""
    return reviews_for(session, attempt.user, [attempt])[attempt.id]


def hidden_grade_pairs(session: Session, officers, quizzes: list[Quiz]) -> tuple[set[tuple[int, int]], set[int]]:
    """For module statuses: ((user id, quiz id) still awaiting release, quiz ids whose score officers
    never see). ``officers``: user ids or a select of them."""
    held = [q.id for q in quizzes if holds_until_release(q)]
    unscored = {q.id for q in quizzes if q.settings.get("show_feedback") == "never"}
    if not held:
        return set(), unscored
    released = released_pairs(session, officers, held)
    ids = officers if isinstance(officers, list) else list(session.scalars(officers))
    return {(user_id, quiz_id) for user_id in ids for quiz_id in held} - released, unscored

