"""The institute's referral contacts: whom an officer calls on the referral pathway (Module 6).

Lessons mark the place for them with an empty ``::: referral-contacts`` box; the lesson page fills
it with the contacts the administrator entered, in the page's language. Nothing is invented while
the list is empty: officers are told to ask their supervisor, administrators are warned.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from course.models import ReferralContact, User
from course.services import audit, stamps
from course.services.errors import ServiceError

#: The box in a lesson's Markdown, and what ``render_markdown`` makes of it.
BOX = "::: referral-contacts"
MARKER = '<div class="box box-referral-contacts" role="note">\n</div>'
MAX_CONTACTS = 30
LIMITS = {"who_en": 160, "who_ar": 160, "reach": 80, "note_en": 300, "note_ar": 300}


@dataclass(frozen=True)
class Contact:
    who_en: str
    who_ar: str
    reach: str
    note_en: str = ""
    note_ar: str = ""

    def who(self, lang: str) -> str:
        return self.who_ar if lang == "ar" else self.who_en

    def note(self, lang: str) -> str:
        return self.note_ar if lang == "ar" else self.note_en


def contacts(session: Session) -> list[Contact]:
    rows = session.scalars(select(ReferralContact).order_by(ReferralContact.position, ReferralContact.id))
    return [Contact(r.who_en, r.who_ar, r.reach, r.note_en, r.note_ar) for r in rows]


def digest(items: list[Contact]) -> str:
    """Changes whenever the contacts change: part of the key of every page that shows them."""
    return hashlib.sha256(json.dumps([vars(c) for c in items], ensure_ascii=False).encode()).hexdigest()[:16]


def _clean(row: dict, number: int) -> Contact | None:
    values = {name: " ".join(str(row.get(name) or "").split()) for name in LIMITS}
    if not any(values.values()):
        return None  # an empty row: nothing to keep (this is how a contact is removed)
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise ServiceError(_l("Contact %(n)s: a field is longer than %(limit)s characters.", n=number,
                                  limit=limit), field=f"{name}-{number}")
    missing = [name for name in ("who_en", "who_ar", "reach") if not values[name]]
    if missing:
        raise ServiceError(_l("Contact %(n)s: give who it is in English and in Arabic, and how to reach them.",
                              n=number), field=f"{missing[0]}-{number}")
    if bool(values["note_en"]) != bool(values["note_ar"]):
        raise ServiceError(_l("Contact %(n)s: write the note in both English and Arabic, or leave both empty.",
                              n=number), field=f"note_en-{number}")
    return Contact(**values)


def save_contacts(session: Session, actor: User, rows: list[dict], now: datetime) -> list[Contact]:
    """Replace the contact list with ``rows`` (in order; empty rows are dropped). A row with a
    problem raises ``ServiceError`` and changes nothing."""
    cleaned = [c for c in (_clean(row, n) for n, row in enumerate(rows, start=1)) if c is not None]
    if len(cleaned) > MAX_CONTACTS:
        raise ServiceError(_l("At most %(n)s contacts.", n=MAX_CONTACTS))
    before = contacts(session)
    if cleaned == before:
        return before
    session.execute(delete(ReferralContact))
    session.add_all(ReferralContact(position=n, updated_at=now, **vars(c)) for n, c in enumerate(cleaned))
    stamps.renew(session, stamps.SETTINGS)  # the lessons that show them change
    session.flush()
    audit.record(session, actor, "referral_contacts.update", "referral_contacts", None,
                 before=len(before), after=len(cleaned))
    return cleaned
