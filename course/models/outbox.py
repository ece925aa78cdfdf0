"""The xAPI outbox: statements waiting to be delivered to a Learning Record Store.

Filled and drained by ``flask xapi send`` (run it from cron or a worker loop), never during an
officer's request; a statement leaves the outbox only when the LRS has accepted it.
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
    #: The statement's own (deterministic) id: collecting the same event twice is harmless.
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    statement: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
