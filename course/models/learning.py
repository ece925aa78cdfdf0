"""What happens: lessons read, quiz attempts and the answers inside them.

An attempt is an explicit state machine (in progress -> submitted | expired). The database
holds the invariants: one open attempt per officer and quiz, one answer row per question of
an attempt, scores never negative.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow
from course.models.content import Lesson, QuestionVersion, Quiz
from course.models.people import User


class IllegalTransition(Exception):
    """An attempt was asked to move to a state it cannot reach from where it is."""


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"


class LessonRead(Base):
    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lesson: Mapped[Lesson] = relationship()


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index("uq_attempts_one_open", "user_id", "quiz_id", unique=True,
              sqlite_where=text("state = 'in_progress'"),
              postgresql_where=text("state = 'in_progress'")),
        CheckConstraint("score >= 0", name="score_not_negative"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    #: 1 for the officer's first attempt at this quiz, 2 for the second...
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(
        Enum(AttemptState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e],
             create_constraint=True, name="attempt_state"),
        default=AttemptState.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the time limit runs out (NULL: no limit).
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How many times the officer asked for more time.
    extensions_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Seeds the shuffling of questions and options, so a resumed attempt looks the same.
    seed: Mapped[int] = mapped_column(Integer)
    #: The language the officer answered in.
    language: Mapped[str] = mapped_column(String(8), default="en")
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()

    user: Mapped[User] = relationship()
    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", order_by="AttemptAnswer.position", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    def _close(self, state: AttemptState, now: datetime) -> None:
        if self.state != AttemptState.IN_PROGRESS:
            raise IllegalTransition(f"attempt {self.id} is {self.state}, not in progress")
        self.state = state
        self.submitted_at = now

    def submit(self, now: datetime) -> None:
        self._close(AttemptState.SUBMITTED, now)

    def expire(self, now: datetime) -> None:
        self._close(AttemptState.EXPIRED, now)


class AttemptAnswer(Base):
    """One question of an attempt: the version shown, where, and the officer's latest answer."""

    __tablename__ = "attempt_answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_version_id"),
        UniqueConstraint("attempt_id", "position"),
        CheckConstraint("score >= 0", name="score_not_negative"),
        CheckConstraint("seq >= 0", name="seq_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: The officer's answer in the type's own JSON shape; NULL until answered.
    response: Mapped[dict | list | str | None] = mapped_column(JSON)
    #: The browser's sequence number of the saved answer: a save with a lower number than the
    #: stored one arrived late (replayed from an offline journal) and is ignored.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=1.0)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question_version: Mapped[QuestionVersion] = relationship()
    #: A trainer's marks, for a question that a trainer grades (an essay).
    grading: Mapped[AnswerGrading | None] = relationship(back_populates="answer", uselist=False)


class AnswerGrading(Base):
    """A trainer's marks for one answer of a type graded by trainers (``course.services.grading``).
    Grading again replaces the marks and counts the revision; the audit log keeps every grading."""

    __tablename__ = "answer_gradings"
    __table_args__ = (
        CheckConstraint("score >= 0", name="score_not_negative"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("attempt_answers.id"), unique=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: criterion id -> marks given
    marks: Mapped[dict] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: The answer's points from these marks (its share of the question's points).
    score: Mapped[float] = mapped_column(Float)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    answer: Mapped[AttemptAnswer] = relationship(back_populates="grading")
