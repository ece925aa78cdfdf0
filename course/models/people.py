"""People who use Marsa and their roles."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow
from course.models.stations import DutyStation


class Sex(enum.StrEnum):
    """Self-declared, optional (NULL: not stated). Seen by the person and administrators only;
    trainers and reports see counts, never one person's value."""
    FEMALE = "female"
    MALE = "male"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class Role(enum.StrEnum):
    OFFICER = "officer"
    TRAINER = "trainer"
    ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_hex(8)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e],
             validate_strings=True, create_constraint=True, name="role"))
    full_name: Mapped[str] = mapped_column(String(200))
    staff_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The port or office where the officer serves (the administrator's list of stations).
    duty_station_id: Mapped[int | None] = mapped_column(ForeignKey("duty_stations.id"), index=True)
    sex: Mapped[Sex | None] = mapped_column(
        Enum(Sex, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e],
             validate_strings=True, create_constraint=True, name="sex"))
    #: Where reminders are e-mailed (optional; only used when the institute configures SMTP).
    email: Mapped[str | None] = mapped_column(String(254))
    #: Preferred interface and content language ("en" or "ar").
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: Set for one-time passwords: the user must choose a new one at sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Copied into each sign-in session; rotating it ends every session of the user (a password
    #: change, a reset, deactivation).
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    duty_station: Mapped[DutyStation | None] = relationship()

    #: The secret of the sign-in session this object was loaded through (never stored: the
    #: database keeps only its hash). It is what the session cookie carries.
    login_key = None
    #: The stamps (``course.services.stamps``) read in the same query as this signed-in user, at the
    #: start of the request: the lesson page compares them with its caches without a query of its own.
    loaded_stamps = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str | None:
        return self.login_key

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def offline_owner(self) -> str:
        """Whose things a device keeps for sending later (lessons marked as read offline): the queue
        of one person on a shared computer is never sent under another's sign-in."""
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        """Trainers and admins: people who see other people's results."""
        return self.role in (Role.TRAINER, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginSession(Base):
    """One sign-in on one device. The cookie carries a random key whose hash names the row, so
    signing out deletes the row and every copy of that cookie stops working, while the person's
    other devices stay signed in."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the cookie's key: a copy of the database opens no session.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The user's ``session_token`` when the session began; a rotated token ends the session.
    user_token: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Last request seen, written at most once a minute (the idle timeout counts from it).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
