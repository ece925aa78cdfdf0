"""The institute's organisation: cohorts, who trains them, what they must do by when, and the
audit trail of every change to people, assignments and grades."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow
from course.models.content import Module, Quiz
from course.models.people import User


class Cohort(Base):
    """A group of officers trained together, e.g. "Alexandria seaport — December 2026"."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[CohortMember]] = relationship(back_populates="cohort", cascade="all, delete-orphan")
    trainers: Mapped[list[CohortTrainer]] = relationship(back_populates="cohort", cascade="all, delete-orphan")


class CohortMember(Base):
    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CohortTrainer(Base):
    __tablename__ = "cohort_trainers"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="trainers")
    user: Mapped[User] = relationship()


class Assignment(Base):
    """A module (or, with no module, the whole course) that a cohort or one officer must do."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("(cohort_id IS NULL) <> (user_id IS NULL)", name="cohort_or_officer"),
        CheckConstraint("due_at IS NULL OR starts_at IS NULL OR due_at >= starts_at", name="due_after_start"),
        Index("ix_assignments_cohort_module", "cohort_id", "module_id"),
        Index("ix_assignments_user_module", "user_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: NULL assigns every required module of the course.
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    module: Mapped[Module | None] = relationship()


class GradeOverride(Base):
    """A trainer's decision that replaces an officer's quiz grade; the latest one counts."""

    __tablename__ = "grade_overrides"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    percent: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    quiz: Mapped[Quiz] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class AttemptGrant(Base):
    """A trainer allowed an officer one attempt more than the quiz allows (after a power cut, a
    mistaken submit), with the reason; each grant adds one attempt."""

    __tablename__ = "attempt_grants"
    #: One grant per attempt count: a double click or two trainers at once cannot grant twice for
    #: the same lost attempt.
    __table_args__ = (UniqueConstraint("user_id", "quiz_id", "after_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    #: How many attempts the officer had used when the grant was made.
    after_attempts: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    quiz: Mapped[Quiz] = relationship()
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])


class AuditEntry(Base):
    """Who did what to whom, and when. Written by services, never edited."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: e.g. "user.create", "cohort.member.add", "assignment.create", "grade.override", "course.publish"
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class ImportBatch(Base):
    """An uploaded officer list between its preview and its confirmation (kept in the database so
    any app process can confirm what another one previewed)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Setting(Base):
    """Institute-wide settings an admin can change without a deployment."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(JSON)


class ResultRelease(Base):
    """A trainer released the results of an exam-style quiz, for one cohort (or, with no cohort,
    for everyone): officers then see their score, feedback and answers as the quiz allows."""

    __tablename__ = "result_releases"
    __table_args__ = (UniqueConstraint("quiz_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    released_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferralContact(Base):
    """Whom an officer calls on the referral pathway (Module 6), as the institute's administrator
    entered it: shown in the lessons wherever they refer to the contacts, in both languages."""

    __tablename__ = "referral_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Who or which service, e.g. "Passport police duty officer, Safaga port".
    who_en: Mapped[str] = mapped_column(String(160))
    who_ar: Mapped[str] = mapped_column(String(160))
    #: How to reach them: a telephone number, an extension, a radio channel.
    reach: Mapped[str] = mapped_column(String(80))
    #: When to call them, or anything else an officer should know (optional).
    note_en: Mapped[str] = mapped_column(String(300), default="")
    note_ar: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
