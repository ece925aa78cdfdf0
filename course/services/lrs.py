"""Feeding a Learning Record Store: collect statements into the outbox, then deliver them.

Collection reads what happened since the last collection (a watermark in ``settings``, with an
overlap: statement ids are deterministic, so an event collected twice is stored once). Delivery
posts batches; a failed batch stays in the outbox and is tried again later with a growing pause.
Nothing here runs inside an officer's request.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.models import Setting, XapiOutboxEntry
from course.xapi import XAPI_VERSION, statements_since

WATERMARK = "xapi_collected_until"
OVERLAP = timedelta(minutes=10)  # events whose rows were written late still get collected
MAX_PAUSE = timedelta(hours=6)


def collect(session: Session, base_url: str, now: datetime) -> int:
    """Put every statement since the last collection into the outbox; returns how many are new."""
    mark = session.get(Setting, WATERMARK)
    since = datetime.fromisoformat(mark.value) - OVERLAP if mark and mark.value else None
    added = 0
    batch: list[dict] = []

    def flush_batch():
        nonlocal added
        ids = [s["id"] for s in batch]
        known = set(session.scalars(select(XapiOutboxEntry.statement_id)
                                    .where(XapiOutboxEntry.statement_id.in_(ids))))
        for statement in batch:
            if statement["id"] not in known:
                known.add(statement["id"])
                session.add(XapiOutboxEntry(statement_id=statement["id"], statement=statement, created_at=now))
                added += 1
        batch.clear()

    for statement in statements_since(session, base_url, since):
        batch.append(statement)
        if len(batch) >= 500:
            flush_batch()
    flush_batch()
    if mark is None:
        session.add(Setting(key=WATERMARK, value=now.isoformat()))
    else:
        mark.value = now.isoformat()
    session.flush()
    return added


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
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured LRS URL
        if response.status not in (200, 204):
            raise urllib.error.HTTPError(endpoint, response.status, "unexpected status", response.headers, None)


def deliver(session: Session, endpoint: str, username: str | None, password: str | None, now: datetime,
            batch_size: int = 100, sender=post_statements) -> DeliveryReport:
    report = DeliveryReport()
    while True:
        due = session.scalars(select(XapiOutboxEntry)
                              .where(XapiOutboxEntry.sent_at.is_(None),
                                     or_(XapiOutboxEntry.next_try_at.is_(None), XapiOutboxEntry.next_try_at <= now))
                              .order_by(XapiOutboxEntry.id).limit(batch_size)).all()
        if not due:
            return report
        try:
            sender(endpoint, username, password, [entry.statement for entry in due])
        except (urllib.error.URLError, OSError, ValueError) as error:
            for entry in due:
                entry.tries += 1
                entry.last_error = str(error)[:500]
                entry.next_try_at = now + min(MAX_PAUSE, timedelta(minutes=2 ** min(entry.tries, 10)))
            report.failed += len(due)
            report.error = str(error)
            session.flush()
            return report
        for entry in due:
            entry.sent_at = now
            entry.last_error = None
        report.sent += len(due)
        session.flush()
