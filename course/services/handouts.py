"""Handing one-time passwords to officers: the list an administrator gets right after an import or a
password reset, downloadable as a CSV and as printable slips, and never stored.

A one-time password exists as plain text in one place only: the page shown to the administrator who
issued it. To let that page offer downloads without keeping the passwords on the server, the page
carries them *sealed* (Fernet: AES with an HMAC, and its issue time) under a key derived from the
application's secret, the administrator's id and their sign-in session. Only the same
administrator, in the same sign-in session, within ``LIFETIME`` of issuing, can open it: another
administrator, a later sign-in or a copy found after half an hour gets a clear refusal. The database
holds only the password hashes, as before.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.models import User
from course.services import exports
from course.services.errors import ServiceError

#: How long after issuing the passwords can still be downloaded from the page that showed them.
LIFETIME = timedelta(minutes=30)
#: The most a sealed list may hold (an import has at most 5,000 rows).
MAX_ENTRIES = 5000


def _fernet(secret_key: str, admin: User):
    # Imported here, where an administrator hands out passwords: cryptography's bindings add about
    # 8 MiB to every server process that loads them (docs/PERFORMANCE.md, "Serving").
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=f"marsa one-time password handout|{admin.id}|{admin.login_key or ''}".encode()
               ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, admin: User, issued: list[tuple[User, str | None]], now: datetime) -> str | None:
    """The passwords just issued (officers without a new one left out), sealed for ``admin``'s page;
    None when there is none to hand out."""
    entries = [[officer.id, password] for officer, password in issued if password]
    if not entries:
        return None
    payload = json.dumps(entries, separators=(",", ":")).encode()
    return _fernet(secret_key, admin).encrypt_at_time(payload, int(now.timestamp())).decode()


def unseal(session: Session, secret_key: str, admin: User, sealed: str, now: datetime) -> list[tuple[User, str]]:
    """(officer, one-time password) in the order issued; refuses anything not sealed for this admin in
    this sign-in session, or older than ``LIFETIME``."""
    refused = ServiceError(_l("These one-time passwords can no longer be downloaded: they can be downloaded "
                              "only by the administrator who issued them, from the page that showed them, "
                              "within 30 minutes. Reset the passwords again to hand out new ones."), status=410)
    from cryptography.fernet import InvalidToken  # see _fernet
    try:
        payload = _fernet(secret_key, admin).decrypt_at_time(
            (sealed or "").encode("ascii"), int(LIFETIME.total_seconds()), int(now.timestamp()))
        entries = json.loads(payload)
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise refused from None
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise refused
    officers = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_([entry[0] for entry in entries])))}
    return [(officers[user_id], password) for user_id, password in entries if user_id in officers]


def sign_in_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/login"


def handout_csv(issued: list[tuple[User, str]], base_url: str) -> bytes:
    """One row per officer, as the other exports: a BOM for Excel, cells that could start a formula
    written as text."""
    header = ["full_name", "staff_number", "username", "one_time_password", "language", "sign_in_url"]
    url = sign_in_url(base_url)
    return exports.to_csv(header, [[officer.full_name, officer.staff_number or "", officer.username, password,
                                    officer.language, url] for officer, password in issued])


def slip_texts(officer: User) -> dict[str, str]:
    """The fixed words of one officer's slip, in that officer's preferred language."""
    with force_locale(officer.language if officer.language in ("en", "ar") else "en"):
        return {"title": gettext("Your Marsa account"), "name": gettext("Name"),
                "username": gettext("Username"), "password": gettext("One-time password"),
                "address": gettext("Sign in at"),
                "note": gettext("Sign in with this one-time password, then choose your own password. "
                                "Keep this slip private and destroy it afterwards.")}
