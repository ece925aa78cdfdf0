"""The audit trail: one call per change that an admin may later have to explain."""
from __future__ import annotations

from sqlalchemy.orm import Session

from course.models import AuditEntry, User


def record(session: Session, actor: User | None, action: str, object_type: str, object_id=None,
           **details) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), details=details)
    session.add(entry)
    return entry
