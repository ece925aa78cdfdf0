"""Open Badges 3.0 credentials issued for certificates, the revocation lists they point at, and the
history of the institute's signing keys.

A certificate gets at most one credential: a W3C Verifiable Credential (an Open Badges 3.0
``AchievementCredential``) signed once and kept as issued, so the officer's download, the public
link and a verifier's fetch are the same bytes. Each credential owns one bit of a Bitstring Status
List; the list is a signed credential of its own, re-signed whenever a bit changes. Every public key
that ever signed is kept in ``signing_keys`` and stays published, so rotating the key leaves what
the old one signed verifiable.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow
from course.models.certificates import Certificate


class SigningKey(Base):
    """A public key the institute has signed credentials with (the private key is never stored)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Ed25519 public key as a Multikey ``publicKeyMultibase`` ("z6Mk...").
    public_key_multibase: Mapped[str] = mapped_column(String(64), unique=True)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when the key was withdrawn (its private key leaked): no longer published, so nothing it
    #: signed verifies any more; the credentials it signed are signed again with the current key.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StatusList(Base):
    """One Bitstring Status List (revocation) and its signed credential as last published."""

    __tablename__ = "credential_status_lists"
    __table_args__ = (CheckConstraint("size > 0 AND size % 8 = 0", name="size_whole_bytes"),)

    #: The list's number, which is also the last segment of its address.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: How many entries it holds (131072 by default: 16 KB, the minimum the specification asks for).
    size: Mapped[int] = mapped_column(Integer)
    #: The public address the list was created under; its credential is re-signed under it.
    base_url: Mapped[str] = mapped_column(String(300))
    #: The signed BitstringStatusListCredential as served.
    document: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BadgeCredential(Base):
    """The Open Badges credential of one certificate, kept exactly as signed."""

    __tablename__ = "badge_credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),
                      CheckConstraint("status_index >= 0", name="status_index_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    #: The random id in the credential's address (``/credentials/<uid>``): not guessable.
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("credential_status_lists.id"))
    #: This credential's bit in the list, chosen at random (the specification's privacy advice).
    status_index: Mapped[int] = mapped_column(Integer)
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    #: The signed credential. NULL once the officer's personal data was removed (anonymisation):
    #: copies already handed out still verify, the public address answers that it was withdrawn.
    document: Mapped[dict | None] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    certificate: Mapped[Certificate] = relationship()
    status_list: Mapped[StatusList] = relationship()
    signing_key: Mapped[SigningKey] = relationship()
