"""The installation's identity: its public address, and an id of its own.

``PUBLIC_BASE_URL`` (required in production) is the one address used wherever Marsa names itself
outside a page: certificate verify links and their QR codes, xAPI activity ids and actors. It never
comes from the request, whose ``Host`` header the client chooses. Without it (a local trial), xAPI
ids are built under an address made from the installation id, a random id kept in the database,
so two installations never describe different events with the same statement ids.
"""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from course.models import Setting

INSTALLATION_ID = "installation_id"


def installation_id(session: Session) -> str:
    """This installation's random id, made (and flushed) on first use."""
    setting = session.get(Setting, INSTALLATION_ID)
    if setting is None:
        setting = Setting(key=INSTALLATION_ID, value=uuid.uuid4().hex)
        session.add(setting)
        session.flush()
    return setting.value


def xapi_base(session: Session, public_base_url: str | None) -> str:
    """The base of activity ids and actors' home page: the public address, or, where none is set,
    an address that is unique to this installation and can never resolve (``.invalid``)."""
    return public_base_url or f"http://{installation_id(session)}.marsa.invalid"
