"""The xAPI outbox: events waiting to be delivered to a Learning Record Store.

A row is written in the same transaction as the change that causes it (a lesson read, an attempt
started, submitted, regraded or released), so an event exists exactly when its change does. Delivery
(``flask xapi send``) works from each row's own state, never from timestamps: an event committed late,
or dated long ago, is still delivered, and delivered once. Its statements are built at the first
delivery try and then kept, so a retry sends exactly what the first try sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from course.db import Base
from course.models._types import UTCDateTime, utcnow


class XapiOutboxEntry(Base):
    __tablename__ = "xapi_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What happened, e.g. ``lesson-read:12`` or ``attempt-result:7``: recording an event twice stores it once.
    event: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: The xAPI statements of the event, built at the first delivery try.
    statements: Mapped[list | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
