"""Delivering the xAPI outbox to a Learning Record Store.

Events enter the outbox with the change that causes them (``course.services.xapi_events``); this
module only delivers. It picks undelivered events by their own state, oldest first, builds their
statements at the first try (and keeps them, so a retry sends the same statements), posts them in
batches and marks them sent only after the LRS accepted them. A failed batch is tried again later
with a growing pause. Statement ids are deterministic, so a batch sent twice (a crash after the LRS
accepted it, two senders at once) is stored once by the LRS. Nothing here runs inside an officer's
request.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from course.interchange.xapi import XAPI_VERSION, StatementBuilder, statements_for_event
from course.models import Setting, XapiOutboxEntry

MAX_PAUSE = timedelta(hours=6)
#: Delivered events are kept this long (for the administrator's page), then removed.
KEEP_SENT = timedelta(days=30)
LAST_DELIVERY = "xapi_last_delivery"
LAST_ERROR = "xapi_last_error"
LAST_ERROR_AT = "xapi_last_error_at"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    error: str | None = None


def post_statements(endpoint: str, username: str | None, password: str | None, statements: list[dict],
                    timeout: float = 20) -> None:
    """POST a batch to the LRS's statements resource; raises on anything but success."""
    request = urllib.request.Request(endpoint.rstrip("/") + "/statements", method="POST",
                                     data=json.dumps(statements).encode(),
                                     headers={"Content-Type": "application/json",
                                              "X-Experience-API-Version": XAPI_VERSION})
    if username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status not in (200, 204):
            raise urllib.error.HTTPError(endpoint, response.status, "unexpected status", response.headers, None)


def _due(now: datetime):
    return (XapiOutboxEntry.sent_at.is_(None),
            or_(XapiOutboxEntry.next_try_at.is_(None), XapiOutboxEntry.next_try_at <= now))


def deliver(session: Session, base_url: str, endpoint: str, username: str | None, password: str | None,
            now: datetime, batch_size: int = 100, sender=post_statements) -> DeliveryReport:
    """Send every due event; commits after each batch so that what the LRS accepted stays sent."""
    report = DeliveryReport()
    builder = StatementBuilder(base_url)
    while True:
        # SKIP LOCKED (PostgreSQL): two senders at once take different batches.
        due = session.scalars(select(XapiOutboxEntry).where(*_due(now)).order_by(XapiOutboxEntry.id)
                              .limit(batch_size).with_for_update(skip_locked=True)).all()
        if not due:
            _sweep(session, now)
            session.commit()
            return report
        for entry in due:
            if entry.statements is None:
                entry.statements = statements_for_event(session, builder, entry.event)
        statements = [statement for entry in due for statement in entry.statements]
        try:
            if statements:
                sender(endpoint, username, password, statements)
        except (urllib.error.URLError, OSError, ValueError) as error:
            for entry in due:
                entry.tries += 1
                entry.last_error = str(error)[:500]
                entry.next_try_at = now + min(MAX_PAUSE, timedelta(minutes=2 ** min(entry.tries, 10)))
            report.failed += len(due)
            report.error = str(error)
            _remember(session, LAST_ERROR, str(error)[:500])
            _remember(session, LAST_ERROR_AT, now.isoformat())
            session.commit()
            return report
        for entry in due:
            entry.sent_at = now
            entry.last_error = None
        report.sent += len(due)
        _remember(session, LAST_DELIVERY, now.isoformat())
        session.commit()


def _remember(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=value))
    else:
        setting.value = value


def _sweep(session: Session, now: datetime) -> None:
    session.execute(delete(XapiOutboxEntry).where(XapiOutboxEntry.sent_at < now - KEEP_SENT))


@dataclass
class OutboxStatus:
    waiting: int
    failing: int
    oldest_waiting: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_delivery: datetime | None


def status(session: Session) -> OutboxStatus:
    """What the administrator needs to know: the backlog and the LRS's last complaint."""
    waiting, oldest, failing = session.execute(
        select(func.count(), func.min(XapiOutboxEntry.created_at),
               func.count(XapiOutboxEntry.last_error)).where(XapiOutboxEntry.sent_at.is_(None))).one()

    def moment(key: str) -> datetime | None:
        setting = session.get(Setting, key)
        return datetime.fromisoformat(setting.value) if setting and setting.value else None

    error = session.get(Setting, LAST_ERROR)
    return OutboxStatus(waiting=waiting, failing=failing, oldest_waiting=oldest,
                        last_error=error.value if error else None, last_error_at=moment(LAST_ERROR_AT),
                        last_delivery=moment(LAST_DELIVERY))
