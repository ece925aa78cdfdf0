"""Completions and certificates: recording them once, issuing, verifying and revoking.

``record_completions(session, user, now)`` is called by every service that changes an officer's
progress, in the same transaction: submitting or expiring an attempt (``attempts``), marking a
lesson read (``reading``), a regrade (``regrade``), a grade override (``overrides``) and a release of
results (``releases``). Views never call it. It writes a ``ModuleCompletion`` the first time a
module's status is complete, as the officer may see it (a result awaiting release completes
nothing), and a ``CourseCompletion`` the first time every required module has one, each with its
date; rows are never rewritten, so a later change to the course takes nothing away. A course
completion gets a certificate (and each module completion too when course.yaml says
``per_module: true``), never two for the same completion: the completion id is unique on the
certificate.

A certificate freezes what it certifies in a snapshot and carries an Ed25519 signature (the key is
``signing.py``'s) of a compact canonical payload (code, name, staff number, course id, issue and
expiry dates). The QR code holds ``https://HOST/verify/CODE#PAYLOAD.SIGNATURE`` (both base64url): the
public page answers from the database, and anyone with the public key can check the token offline
(``tools/verify_certificate.py``, which must stay standalone and agree with ``check_token`` here).
See docs/CERTIFICATES.md.
"""
from __future__ import annotations

import base64
import binascii
import calendar
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from course.models import (
    Certificate,
    CertificateKind,
    CohortMember,
    CohortTrainer,
    CourseCompletion,
    Lesson,
    LessonRead,
    Module,
    ModuleCompletion,
    Role,
    User,
)
from course.package.sync import COURSE_SETTING
from course.services import audit, badges, institute
from course.services.errors import ServiceError
from course.services.progress import ModuleStatus, active_modules, statuses_for
from course.services.signing import Signer, b64url, signer_from_config, unb64url

log = logging.getLogger(__name__)

#: Base32 without the look-alikes 0/O and 1/I: a code read aloud or typed from paper survives.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PREFIX = "MRS"
CODE_LENGTH = 10
#: The first element of every signed payload: a verifier refuses a format it does not know.
TOKEN_VERSION = "MRS1"
DEFAULT_TITLE = {"en": "Border Governance and Protection of People on the Move"}


class CertificateError(ServiceError):
    """A certificate cannot be issued, or revoked, as asked."""


# --- course settings (course.yaml, stored by the package sync) -----------------------------------

def course_settings(session: Session, institute_name: str | None = None) -> dict:
    """The course's id, title, institute and certificate rules, with defaults for a package
    without course.yaml; the institute's name is the one setting of ``course.services.institute``
    (``institute_name`` is the app's MARSA_INSTITUTE_NAME, its last default)."""
    rows = dict(session.execute(institute.ROWS).all())  # course.yaml and the institute's name together
    value = dict(rows[COURSE_SETTING]) if isinstance(rows.get(COURSE_SETTING), dict) else {}
    certificate = {"validity_months": None, "per_module": False, **(value.get("certificate") or {})}
    return {"id": value.get("id") or "course", "title": value.get("title") or DEFAULT_TITLE,
            "institute": institute.resolve(institute.from_rows(rows), institute_name),
            "certificate": certificate}


def _app_signer() -> tuple[Signer | None, str | None]:
    from flask import current_app, has_app_context
    if not has_app_context():
        return None, None
    return signer_from_config(current_app.config), current_app.config.get("INSTITUTE_NAME")


def canonical_payload(code: str, full_name: str, staff_number: str | None, course_id: str, issued: date,
                      expires: date | None) -> bytes:
    """The signed bytes: a JSON array in a fixed order, no spaces, UTF-8."""
    return json.dumps([TOKEN_VERSION, code, full_name, staff_number or "", course_id, issued.isoformat(),
                       expires.isoformat() if expires else ""], ensure_ascii=False, separators=(",", ":")).encode()


def payload_of(certificate: Certificate) -> bytes:
    snap = certificate.snapshot
    return canonical_payload(certificate.code, snap["full_name"], snap.get("staff_number"), snap["course"]["id"],
                             certificate.issued_at.date(),
                             certificate.expires_at.date() if certificate.expires_at else None)


def certificate_token(certificate: Certificate) -> str:
    return f"{b64url(payload_of(certificate))}.{certificate.signature}"


def verify_url(base_url: str, certificate: Certificate) -> str:
    """What the QR code carries: the public page, and the signed token after the '#'. A revoked
    certificate's copies carry no token: a signature checked offline cannot know of the revocation,
    so a copy made after it must send the reader to the page that does."""
    page = f"{base_url.rstrip('/')}/verify/{certificate.code}"
    return page if certificate.revoked_at is not None else f"{page}#{certificate_token(certificate)}"


@dataclass(frozen=True)
class TokenCheck:
    #: valid, expired (genuine but past its expiry date), tampered (signature does not match:
    #: changed data or another key) or malformed (not a certificate token at all).
    status: str
    fields: dict | None = None

    @property
    def genuine(self) -> bool:
        return self.status in ("valid", "expired")


PAYLOAD_FIELDS = ("version", "code", "full_name", "staff_number", "course_id", "issued", "expires")


def check_token(token: str, public_key_b64: str, on: date) -> TokenCheck:
    """Check a token (or the whole QR URL) offline with the public key, as of the date ``on``."""
    token = token.strip().rsplit("#", 1)[-1]
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    payload_text, _dot, signature_text = token.rpartition(".")
    try:
        payload, signature = unb64url(payload_text), unb64url(signature_text)
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64.strip(), validate=True))
    except (ValueError, binascii.Error):
        return TokenCheck("malformed")
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        return TokenCheck("tampered")
    try:
        values = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return TokenCheck("malformed")
    if not isinstance(values, list) or len(values) != len(PAYLOAD_FIELDS) or values[0] != TOKEN_VERSION:
        return TokenCheck("malformed")
    fields = dict(zip(PAYLOAD_FIELDS, values))
    if fields["expires"] and on >= date.fromisoformat(fields["expires"]):
        return TokenCheck("expired", fields)
    return TokenCheck("valid", fields)


# --- codes -----------------------------------------------------------------------------------------

def format_code(raw: str) -> str:
    return f"{CODE_PREFIX}-{raw[:5]}-{raw[5:]}"


def normalize_code(text: str) -> str | None:
    """The canonical form of a typed code (any case, spaces or dashes), or None if it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if cleaned.startswith(CODE_PREFIX) and len(cleaned) == len(CODE_PREFIX) + CODE_LENGTH:
        cleaned = cleaned[len(CODE_PREFIX):]
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return format_code(cleaned)


def _new_code(session: Session) -> str:
    while True:  # 50 random bits: a collision is next to impossible, and the unique constraint stays the judge
        code = format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
        if not session.scalar(select(exists().where(Certificate.code == code))):
            return code


def find_certificate(session: Session, text: str) -> Certificate | None:
    code = normalize_code(text)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


# --- dates -----------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_for(issued_at: datetime, validity_months: int | None) -> datetime | None:
    """Midnight UTC starting the expiry date: valid through the day before, as the token's date says."""
    if not validity_months:
        return None
    return datetime.combine(add_months(issued_at.astimezone(UTC).date(), validity_months), time(0),
                            tzinfo=UTC)


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


# --- recording completions -------------------------------------------------------------------------

@dataclass
class Recorded:
    """What one ``record_completions`` call wrote."""

    modules: list[ModuleCompletion] = field(default_factory=list)
    course: CourseCompletion | None = None
    certificates: list[Certificate] = field(default_factory=list)
    #: Completions left without a certificate because no signing key is configured.
    pending: int = 0


def _module_grade(status: ModuleStatus) -> float | None:
    if status.quiz is None or status.module.completion.get("quiz") == "none" or status.best_percent is None:
        return None
    return max(0.0, min(100.0, float(status.best_percent)))


def _insert_once(session: Session, row) -> bool:
    """Add ``row``; False when a concurrent request recorded the same thing first."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


_FROM_APP = object()


def record_completions(session: Session, user: User, now: datetime, signer=_FROM_APP,
                       institute_name: str | None = None) -> Recorded:
    """Record what ``user`` has newly completed, and issue the certificates that follow.

    Idempotent and cheap: a fixed number of queries, nothing written when nothing is new. Only
    officers earn completions. Without a signing key (production not yet configured) completions
    are still recorded; their certificates wait for ``flask certificate issue-pending``."""
    recorded = Recorded()
    if user.role != Role.OFFICER:
        return recorded
    if signer is _FROM_APP:
        signer, app_institute = _app_signer()
        institute_name = institute_name or app_institute
    modules = active_modules(session)
    # As the officer may see them: a grade awaiting release completes nothing until it is released.
    statuses = statuses_for(session, [user.id], modules, now=now, withhold=True)[user.id]
    records = {row.module_id: row for row in session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == user.id))}
    for module in modules:
        status = statuses[module.id]
        if module.id in records or not status.completed:
            continue
        row = ModuleCompletion(user_id=user.id, module_id=module.id, completed_at=now, percent=_module_grade(status))
        if _insert_once(session, row):
            recorded.modules.append(row)
            records[module.id] = row
    settings = course_settings(session, institute_name)
    if settings["certificate"].get("per_module"):
        for row in recorded.modules:
            _issue_or_defer(session, recorded, signer, settings, user, now, module_completion=row)
    required = [m for m in modules if m.required]
    if required and all(m.id in records for m in required) and not session.scalar(
            select(exists().where(CourseCompletion.user_id == user.id))):
        grades = [records[m.id].percent for m in required if records[m.id].percent is not None]
        completion = CourseCompletion(user_id=user.id, completed_at=now,
                                      percent=round(sum(grades) / len(grades), 1) if grades else None)
        if _insert_once(session, completion):
            recorded.course = completion
            _issue_or_defer(session, recorded, signer, settings, user, now, course_completion=completion)
    return recorded


def record_completions_for(session: Session, users: list[User], now: datetime) -> list[Recorded]:
    """``record_completions`` for each of ``users`` (after a trainer releases results to a cohort)."""
    return [record_completions(session, user, now) for user in users]


def _issue_or_defer(session, recorded: Recorded, signer, settings, user, now, **completion) -> None:
    if signer is None:
        recorded.pending += 1
        log.warning("certificate for %s not issued: CERTIFICATE_SIGNING_KEY is not set "
                    "(run `flask certificate issue-pending` once it is)", user.username)
        return
    recorded.certificates.append(issue_certificate(session, signer, settings, user, now, **completion))


# --- issuing ---------------------------------------------------------------------------------------

def _module_entry(module: Module, row: ModuleCompletion) -> dict:
    return {"key": module.key, "position": module.position, "title": module.title, "percent": row.percent,
            "completed_on": _day(row.completed_at)}


def _snapshot(session: Session, settings: dict, user: User, kind: CertificateKind,
              course_completion: CourseCompletion | None, module_completion: ModuleCompletion | None) -> dict:
    snap = {"full_name": user.full_name, "staff_number": user.staff_number, "language": user.language,
            "course": {"id": settings["id"], "title": settings["title"]}, "institute": settings["institute"]}
    if kind == CertificateKind.COURSE:
        rows = session.execute(select(ModuleCompletion, Module).join(Module)
                               .where(ModuleCompletion.user_id == user.id, Module.retired.is_(False),
                                      Module.required.is_(True)).order_by(Module.position)).all()
        snap["modules"] = [_module_entry(module, row) for row, module in rows]
        snap["completed_on"] = _day(course_completion.completed_at)
        snap["percent"] = course_completion.percent
    else:
        module = session.get(Module, module_completion.module_id)
        snap["modules"] = [_module_entry(module, module_completion)]
        snap["module"] = {"key": module.key, "title": module.title}
        snap["completed_on"] = _day(module_completion.completed_at)
        snap["percent"] = module_completion.percent
    return snap


def issue_certificate(session: Session, signer: Signer, settings: dict, user: User, now: datetime, *,
                      course_completion: CourseCompletion | None = None,
                      module_completion: ModuleCompletion | None = None) -> Certificate:
    """The certificate of one completion: the existing one if it was already issued."""
    if (course_completion is None) == (module_completion is None):
        raise CertificateError(_l("A certificate certifies one completion: the course's or a module's."))
    if course_completion is not None:
        kind, match = CertificateKind.COURSE, Certificate.course_completion_id == course_completion.id
    else:
        kind, match = CertificateKind.MODULE, Certificate.module_completion_id == module_completion.id
    existing = session.scalar(select(Certificate).where(match))
    if existing is not None:
        return existing
    if signer is None:
        raise CertificateError(_l("Certificates cannot be issued: CERTIFICATE_SIGNING_KEY is not set."))
    snapshot = _snapshot(session, settings, user, kind, course_completion, module_completion)
    for _attempt in range(3):
        certificate = Certificate(
            code=_new_code(session), user_id=user.id, kind=kind,
            module_id=module_completion.module_id if module_completion else None,
            course_completion_id=course_completion.id if course_completion else None,
            module_completion_id=module_completion.id if module_completion else None, snapshot=snapshot,
            issued_at=now, expires_at=expiry_for(now, settings["certificate"].get("validity_months")), signature="")
        certificate.signature = signer.sign(payload_of(certificate))
        if _insert_once(session, certificate):
            break
        existing = session.scalar(select(Certificate).where(match))
        if existing is not None:  # issued by a concurrent request a moment ago
            return existing
    else:  # three codes taken at once: not chance, something is wrong
        raise CertificateError(_l("No free certificate code could be found; try again."))
    audit.record(session, None, "certificate.issue", "certificate", certificate.code, officer=user.username,
                 kind=kind.value, module=certificate.snapshot.get("module", {}).get("key"))
    return certificate


def issue_pending(session: Session, signer: Signer, now: datetime, institute_name: str | None = None) -> list:
    """Record every officer's completions and issue the certificates still missing (after a signing
    key is configured, or for progress made before certificates existed)."""
    issued = []
    for user in session.scalars(select(User).where(User.role == Role.OFFICER).order_by(User.id)):
        issued += record_completions(session, user, now, signer=signer, institute_name=institute_name).certificates
    settings = course_settings(session, institute_name)
    pending = list(session.execute(select(CourseCompletion, User).join(User, CourseCompletion.user_id == User.id)
                                   .where(~exists().where(Certificate.course_completion_id == CourseCompletion.id))))
    for completion, user in pending:
        issued.append(issue_certificate(session, signer, settings, user, now, course_completion=completion))
    if settings["certificate"].get("per_module"):
        for completion, user in session.execute(
                select(ModuleCompletion, User).join(User, ModuleCompletion.user_id == User.id)
                .where(~exists().where(Certificate.module_completion_id == ModuleCompletion.id))).all():
            issued.append(issue_certificate(session, signer, settings, user, now, module_completion=completion))
    return issued


# --- what remains ----------------------------------------------------------------------------------

@dataclass
class ModuleProgress:
    module: Module
    status: ModuleStatus
    #: The completion recorded for it, if any (it stands whatever changed in the course since).
    record: ModuleCompletion | None
    #: Lessons still to read (empty when the module does not require reading).
    unread: list[Lesson]
    #: "pass" or "attempt" while the quiz part of the module is still to do, "release" while its
    #: result waits for the trainer's release, else None.
    quiz_missing: str | None

    @property
    def done(self) -> bool:
        return self.record is not None or self.status.completed


@dataclass
class CourseProgress:
    modules: list[ModuleProgress]
    completion: CourseCompletion | None
    certificates: list[Certificate]

    @property
    def remaining(self) -> list[ModuleProgress]:
        return [m for m in self.modules if not m.done]


def _quiz_missing(status: ModuleStatus) -> str | None:
    rule = status.module.completion.get("quiz", "pass")
    if status.quiz is None or rule == "none":
        return None
    if status.awaiting_release:
        return "release"
    if rule == "attempt":
        done = status.attempts_used > 0 and not (status.in_progress and status.attempts_used == 1)
        return None if done else "attempt"
    return None if status.passed else "pass"


def progress_towards_certificate(session: Session, user: User, now: datetime) -> CourseProgress:
    """Each required module with what is still missing, the course completion and certificates."""
    modules = [m for m in active_modules(session) if m.required]
    statuses = statuses_for(session, [user.id], modules, now=now, withhold=True)[user.id] if modules else {}
    records = {row.module_id: row for row in session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == user.id))}
    read = set(session.scalars(select(LessonRead.lesson_id).where(LessonRead.user_id == user.id)))
    lessons: dict[int, list[Lesson]] = {}
    for lesson in session.scalars(select(Lesson).where(Lesson.module_id.in_([m.id for m in modules]),
                                                       Lesson.retired.is_(False)).order_by(Lesson.position)):
        lessons.setdefault(lesson.module_id, []).append(lesson)
    rows = []
    for module in modules:
        status = statuses[module.id]
        unread = [] if module.completion.get("lessons") == "none" else [
            lesson for lesson in lessons.get(module.id, []) if lesson.id not in read]
        rows.append(ModuleProgress(module=module, status=status, record=records.get(module.id), unread=unread,
                                   quiz_missing=_quiz_missing(status)))
    completion = session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == user.id))
    return CourseProgress(modules=rows, completion=completion, certificates=certificates_of(session, user))


# --- finding, listing, revoking --------------------------------------------------------------------

def certificates_of(session: Session, user: User) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                .order_by(Certificate.kind, Certificate.issued_at.desc())))


def certificates_visible_to(session: Session, viewer: User, search: str = "", limit: int = 50, offset: int = 0
                            ) -> tuple[int, list[Certificate]]:
    """(total, one page) of the certificates ``viewer`` may see: admins all, trainers their
    cohorts' officers'; searched by code, name or staff number."""
    query = select(Certificate).join(User, Certificate.user_id == User.id)
    if viewer.role != Role.ADMIN:
        if viewer.role != Role.TRAINER:
            return 0, []
        trained = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == viewer.id)
        query = query.where(Certificate.user_id.in_(
            select(CohortMember.user_id).where(CohortMember.cohort_id.in_(trained))))
    search = search.strip()
    if search:
        pattern = f"%{search.lower()}%"
        conditions = [func.lower(User.full_name).like(pattern), func.lower(User.staff_number).like(pattern),
                      func.lower(Certificate.code).like(pattern)]
        code = normalize_code(search)
        if code:
            conditions.append(Certificate.code == code)
        query = query.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.options(selectinload(Certificate.user))
                           .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
                           .limit(limit).offset(offset)).all()
    return total, list(rows)


def revoke(session: Session, actor: User, certificate: Certificate, reason: str, now: datetime,
           signer: Signer | None = None) -> None:
    """Revoke with a reason (audited); the revocation list of its Open Badges credential, if one was
    issued, is re-signed in the same transaction, so verifiers see the revocation at once."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("Give the reason for revoking this certificate."), "reason")
    if certificate.revoked_at is not None:
        raise CertificateError(_l("This certificate is already revoked."))
    certificate.revoked_at, certificate.revoked_by_id, certificate.revoke_reason = now, actor.id, reason[:2000]
    audit.record(session, actor, "certificate.revoke", "certificate", certificate.code,
                 officer=certificate.user.username, reason=certificate.revoke_reason)
    session.flush()
    if badges.find_credential(session, certificate) is not None and not badges.refresh_status_list(
            session, certificate, signer, now):
        log.error("certificate %s revoked, but its credential's status list could not be re-signed: "
                  "CERTIFICATE_SIGNING_KEY is not set", certificate.code)
