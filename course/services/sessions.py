"""Sign-in sessions kept on the server: one ``LoginSession`` row per sign-in on one device.

The session cookie carries only a random key; the database keeps its SHA-256. Signing out
deletes the row, so every copy of that cookie stops working, while the person's other devices
stay signed in. A session ends after ``lifetime`` from sign-in, or after ``idle`` without a
request, whichever comes first; rotating the user's ``session_token`` (a new password, a reset,
deactivation, "sign out everywhere") ends all of them.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from course.models import LoginSession, User
from course.models.people import new_session_token
from course.services import audit, stamps

#: The last-seen time is written at most this often per session: each request would otherwise
#: cost a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    """How long a session lasts from sign-in, and without a request."""
    lifetime: timedelta
    idle: timedelta


def limits_from(config) -> Limits:
    return Limits(lifetime=timedelta(hours=config["SESSION_LIFETIME_HOURS"]),
                  idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]))


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


#: Built once: every request of a signed-in user runs it. The stamps come along (two primary-key
#: look-ups in the same statement), so the lesson page needs no query of its own for them.
_SIGNED_IN = (select(User, LoginSession.id, LoginSession.user_token, LoginSession.created_at,
                     LoginSession.last_seen_at, *stamps.both_columns())
              .join(LoginSession, LoginSession.user_id == User.id)
              .where(LoginSession.key_hash == bindparam("key_hash")))
_TOUCH = (update(LoginSession).where(LoginSession.id == bindparam("session_id"))
          .values(last_seen_at=bindparam("now")).execution_options(synchronize_session=False))


def _expired(limits: Limits, now: datetime):
    return or_(LoginSession.created_at < now - limits.lifetime, LoginSession.last_seen_at < now - limits.idle)


def start(session: Session, user: User, limits: Limits, now: datetime) -> str:
    """A new session for ``user``; returns the key for the cookie (also set as ``user.login_key``).
    The user's sessions that have run out of time are deleted at the same moment (only theirs:
    concurrent sign-ins never wait on each other's rows)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, _expired(limits, now))
                    .execution_options(synchronize_session=False))
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, key_hash=_hash(key), user_token=user.session_token, created_at=now,
                             last_seen_at=now))
    session.flush()
    user.login_key = key
    return key


def signed_in_user(session: Session, key: str, limits: Limits, now: datetime) -> User | None:
    """The user of the session the cookie's key names, or None when that session was ended, has
    run out of time, or its account was deactivated or its password changed since."""
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return None
    row = session.execute(_SIGNED_IN, {"key_hash": _hash(key)}).first()
    if row is None:
        return None
    user, session_id, user_token, created_at, last_seen_at, catalog_stamp, settings_stamp = row
    if (user_token != user.session_token or not user.is_active_account
            or created_at < now - limits.lifetime or last_seen_at < now - limits.idle):
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        # Written on a connection of its own and committed at once: the request's own transaction
        # (and whatever the view is about to change) is never committed from here.
        with session.get_bind().begin() as connection:
            connection.execute(_TOUCH, {"session_id": session_id, "now": now})
    user.login_key = key
    user.loaded_stamps = stamps.Stamps(catalog_stamp, settings_stamp)
    return user


def sweep(session: Session, limits: Limits, now: datetime) -> int:
    """Delete every session that has run out of time (``flask prepare``, at each start)."""
    return session.execute(delete(LoginSession).where(_expired(limits, now))
                           .execution_options(synchronize_session=False)).rowcount


def end(session: Session, key: str | None) -> None:
    """Sign-out: this session only."""
    if key:
        session.execute(delete(LoginSession).where(LoginSession.key_hash == _hash(key))
                        .execution_options(synchronize_session=False))


def end_all(session: Session, user: User, actor: User | None = None) -> int:
    """Every session of ``user`` (their own "sign out everywhere", or an administrator's "end all
    sessions", which is audited); returns how many were open."""
    user.session_token = new_session_token()
    ended = session.execute(delete(LoginSession).where(LoginSession.user_id == user.id)
                            .execution_options(synchronize_session=False)).rowcount
    if actor is not None and actor.id != user.id:
        audit.record(session, actor, "user.sessions_ended", "user", user.id, username=user.username, sessions=ended)
    session.flush()
    return ended


def open_count(session: Session, user: User, limits: Limits, now: datetime) -> int:
    return session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.user_id == user.id, LoginSession.user_token == user.session_token,
        ~_expired(limits, now)))
