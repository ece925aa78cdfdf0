"""Completion records and the certificates issued for them.

A completion is written once, when an officer's status first becomes complete, and is never
rewritten: a later change to the course (a new lesson, a harder quiz) does not take it away. A
certificate certifies one completion (the course's, or a module's when the course declares
``per_module``); it keeps a snapshot of what it certifies, so the page, the PDF and the public
verification show the same facts for ever, and it is revoked, never deleted.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow
from course.models.content import Module
from course.models.people import User


class ModuleCompletion(Base):
    """An officer completed a module (by its completion rules), recorded once with its date."""

    __tablename__ = "module_completions"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),
                      CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The module quiz grade when the module was completed (NULL: the module has no graded quiz).
    percent: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()
    module: Mapped[Module] = relationship()


class CourseCompletion(Base):
    """An officer completed every required module of the course, recorded once with its date."""

    __tablename__ = "course_completions"
    __table_args__ = (CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The mean of the required modules' quiz grades at completion (NULL: no module had a grade).
    percent: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()


class CertificateKind(enum.StrEnum):
    COURSE = "course"
    MODULE = "module"


class Certificate(Base):
    """A certificate with its public verification code; one per completion at most."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("(kind = 'course' AND course_completion_id IS NOT NULL AND module_completion_id IS NULL "
                        "AND module_id IS NULL) OR (kind = 'module' AND module_completion_id IS NOT NULL "
                        "AND course_completion_id IS NULL AND module_id IS NOT NULL)", name="kind_matches_completion"),
        CheckConstraint("expires_at IS NULL OR expires_at > issued_at", name="expires_after_issue"),
        CheckConstraint("(revoked_at IS NULL) = (revoke_reason IS NULL)", name="revocation_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The code printed on the certificate and typed into /verify, e.g. MRS-7K2QD-XH9PA.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(
        Enum(CertificateKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e],
             create_constraint=True, name="certificate_kind"))
    #: The module a module certificate certifies (NULL for the course certificate).
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    #: The completion certified: unique, so a completion is never certified twice.
    course_completion_id: Mapped[int | None] = mapped_column(ForeignKey("course_completions.id"), unique=True)
    module_completion_id: Mapped[int | None] = mapped_column(ForeignKey("module_completions.id"), unique=True)
    #: What the certificate says, frozen at issue: full name, staff number, course, modules with
    #: their scores, completion date, score, institute (see ``course.services.certificates``).
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: The Ed25519 signature (base64url) of the certificate's canonical payload, carried in its QR code.
    signature: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: NULL when the course declares no validity period.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    module: Mapped[Module | None] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def state(self, now: datetime) -> str:
        """valid, expired or revoked, at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "valid"
