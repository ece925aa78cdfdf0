"""Reminders a trainer sends to overdue officers: shown on the officer's dashboard until dismissed,
and e-mailed where the institute has configured an SMTP server."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime
from course.models.institute import Cohort
from course.models.people import User


class Reminder(Base):
    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The modules overdue when the reminder was sent, as the officer's dashboard lists them.
    modules: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: "sent", "failed", "no_address" or "off" (no SMTP server configured).
    email_status: Mapped[str] = mapped_column(String(16), default="off")

    officer: Mapped[User] = relationship(foreign_keys=[officer_id])
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
    cohort: Mapped[Cohort | None] = relationship()
