"""Open Badges 3.0: a certificate as a Verifiable Credential anyone can check without Marsa.

``credential_for(session, certificate, signer, base_url, now)`` returns the certificate's
``AchievementCredential`` (issuing it the first time): a W3C Verifiable Credential 2.0 whose subject
is the officer and whose achievement is the course (or the module), with an ``eddsa-rdfc-2022`` Data
Integrity proof made with the institute's Ed25519 key (the one that signs certificate tokens) and a
``BitstringStatusListEntry`` for revocation.

What a verifier fetches is published under the installation's public address:

- ``/issuer``: the institute's Open Badges ``Profile``, which is also the controller document of its
  keys: every public key it has signed with (``verificationMethod``, ``Multikey``), all listed under
  ``assertionMethod``, so credentials signed before a key rotation still verify;
- ``/credentials/<uid>``: the credential as issued;
- ``/credentials/status/<n>``: the revocation list, itself a signed ``BitstringStatusListCredential``.

Signing follows the eddsa-rdfc-2022 cryptosuite: the document without its proof and the proof
options are each canonicalised with RDFC-1.0 (pyld's URDNA2015, the same algorithm) and hashed with
SHA-256; the Ed25519 signature of ``hash(proof options) + hash(document)`` is the ``proofValue``
(multibase base58btc). JSON-LD contexts are read from copies kept in ``course/contexts/``, never
fetched. The private key never leaves the server: nothing here returns or stores it.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.models import BadgeCredential, Certificate, CertificateKind, SigningKey, StatusList
from course.services import audit
from course.services.errors import ServiceError
from course.services.signing import Signer, b64url

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
#: The terms of a controller document that neither context above defines at the top level.
CONTROLLER_TERMS = {
    "verificationMethod": {"@id": "https://w3id.org/security#verificationMethod", "@type": "@id",
                           "@container": "@set"},
    "assertionMethod": {"@id": "https://w3id.org/security#assertionMethod", "@type": "@id", "@container": "@set"},
}
CONTEXT_FILES = {VC_V2: "credentials-v2.jsonld", OB_V3: "ob-v3p0-3.0.3.jsonld", MULTIKEY_V1: "multikey-v1.jsonld"}
CONTEXT_DIR = Path(__file__).resolve().parent.parent / "contexts"
#: 131,072 entries (16 KB): the smallest list the Bitstring Status List specification allows, so a
#: credential's bit does not single out its holder.
STATUS_LIST_SIZE = 131072
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: The multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
ED25519_PUB_PREFIX = b"\xed\x01"


class BadgeError(ServiceError):
    """A credential cannot be issued as asked."""


# --- encodings -------------------------------------------------------------------------------------

def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = BASE58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def public_key_multibase(signer: Signer) -> str:
    """The signer's public key as a Multikey value: ``z`` + base58btc(0xed01 + 32 bytes)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    raw = signer.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58btc(ED25519_PUB_PREFIX + raw)


def public_key_base64(multibase: str) -> str:
    """A Multikey value back to the base64 of the 32 raw bytes, the form the offline token checker takes."""
    number = 0
    for char in multibase[1:]:
        number = number * 58 + BASE58.index(char)
    raw = number.to_bytes(34, "big")
    if raw[:2] != ED25519_PUB_PREFIX:
        raise ValueError("not an Ed25519 Multikey")
    return base64.b64encode(raw[2:]).decode()


def xsd_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- canonicalisation and proofs -------------------------------------------------------------------

@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXT_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def _document_loader(url: str, options=None) -> dict:
    if url not in CONTEXT_FILES:
        # Never fetched: a document naming a context Marsa does not ship cannot be signed.
        raise ValueError(f"JSON-LD context not available offline: {url}")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": _context(url)}


def canonical_nquads(document: dict) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (pyld's URDNA2015 is the same algorithm)."""
    from pyld import jsonld  # loaded on the first credential, not at start-up
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": _document_loader})


def sign(document: dict, signer: Signer, verification_method: str, created: datetime) -> dict:
    """``document`` with an eddsa-rdfc-2022 DataIntegrityProof for the assertionMethod purpose."""
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": xsd_datetime(created),
             "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    options_hash = hashlib.sha256(canonical_nquads({"@context": unsigned["@context"], **proof}).encode()).digest()
    document_hash = hashlib.sha256(canonical_nquads(unsigned).encode()).digest()
    proof["proofValue"] = "z" + base58btc(signer.key.sign(options_hash + document_hash))
    return {**unsigned, "proof": proof}


# --- addresses -------------------------------------------------------------------------------------

def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def issuer_id(base_url: str) -> str:
    return f"{_base(base_url)}/issuer"


def key_id(base_url: str, multibase: str) -> str:
    return f"{issuer_id(base_url)}#{multibase}"


def status_list_url(base_url: str, number: int) -> str:
    return f"{_base(base_url)}/credentials/status/{number}"


def credential_url(base_url: str, uid: str) -> str:
    return f"{_base(base_url)}/credentials/{uid}"


# --- the signing key history -----------------------------------------------------------------------

def signing_key(session: Session, signer: Signer, now: datetime) -> SigningKey:
    """The row of the signer's public key, added the first time it signs (key history)."""
    multibase = public_key_multibase(signer)
    row = session.scalar(select(SigningKey).where(SigningKey.public_key_multibase == multibase))
    if row is None:
        row = SigningKey(public_key_multibase=multibase, first_used_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # recorded by a concurrent request a moment ago
            row = session.scalar(select(SigningKey).where(SigningKey.public_key_multibase == multibase))
    return row


def key_history(session: Session, published_only: bool = False) -> list[SigningKey]:
    """Every key the institute signed with, oldest first (only those still published, if asked)."""
    query = select(SigningKey).order_by(SigningKey.first_used_at, SigningKey.id)
    if published_only:
        query = query.where(SigningKey.withdrawn_at.is_(None))
    return list(session.scalars(query))


def withdraw_key(session: Session, multibase: str, signer: Signer | None, now: datetime) -> SigningKey:
    """Stop publishing a key whose private key leaked: whatever it signed stops verifying. The
    current key cannot be withdrawn (rotate first); each credential it signed is signed again with
    the current key, and so is every status list, in the same transaction."""
    row = session.scalar(select(SigningKey).where(SigningKey.public_key_multibase == multibase.strip()))
    if row is None:
        raise BadgeError(_l("No signing key with this public key was ever used."))
    if signer is None:
        raise BadgeError(_l("Credentials cannot be issued: CERTIFICATE_SIGNING_KEY is not set."))
    if public_key_multibase(signer) == row.public_key_multibase:
        raise BadgeError(_l("This is the key in use: set a new CERTIFICATE_SIGNING_KEY first, then withdraw it."))
    if row.withdrawn_at is not None:
        raise BadgeError(_l("This key is already withdrawn."))
    row.withdrawn_at = now
    audit.record(session, None, "signing_key.withdraw", "signing_key", row.public_key_multibase)
    for credential in session.scalars(select(BadgeCredential).where(BadgeCredential.signing_key_id == row.id)).all():
        if credential.document is not None:  # a withdrawn public copy (anonymisation) stays withdrawn
            _resign(session, credential, credential.certificate, signer, now)
    for status_list in session.scalars(select(StatusList)).all():
        _sign_status_list(session, status_list, signer, now)
    session.flush()
    return row


def _text(value, language: str = "en") -> str:
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value or ""


def issuer_profile(session: Session, base_url: str, institute: dict | str, signer: Signer | None,
                   now: datetime) -> dict:
    """The institute's Open Badges Profile and the controller document of every key it signed with."""
    if signer is not None:
        signing_key(session, signer, now)
    keys = key_history(session, published_only=True)
    me = issuer_id(base_url)
    profile = {"@context": [VC_V2, OB_V3, MULTIKEY_V1, CONTROLLER_TERMS], "id": me, "type": "Profile",
               "name": _text(institute), "url": f"{_base(base_url)}/",
               "verificationMethod": [{"id": key_id(base_url, k.public_key_multibase), "type": "Multikey",
                                       "controller": me, "publicKeyMultibase": k.public_key_multibase}
                                      for k in keys],
               "assertionMethod": [key_id(base_url, k.public_key_multibase) for k in keys]}
    return profile


# --- the revocation list ---------------------------------------------------------------------------

def encoded_list(size: int, revoked: set[int]) -> str:
    """Multibase base64url (``u``) of the GZIP-compressed bitstring; index 0 is the left-most bit."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


def _revoked_indexes(session: Session, status_list: StatusList) -> set[int]:
    return set(session.scalars(
        select(BadgeCredential.status_index).join(Certificate, BadgeCredential.certificate_id == Certificate.id)
        .where(BadgeCredential.status_list_id == status_list.id, Certificate.revoked_at.is_not(None))))


def _sign_status_list(session: Session, status_list: StatusList, signer: Signer, now: datetime) -> None:
    base, url = status_list.base_url, status_list_url(status_list.base_url, status_list.id)
    key = signing_key(session, signer, now)
    document = {"@context": [VC_V2], "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                # No validFrom: a list re-signed a moment ago must not look "not yet valid" to a
                # verifier whose clock runs a few minutes behind.
                "issuer": issuer_id(base),
                "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                                      "statusPurpose": "revocation",
                                      "encodedList": encoded_list(status_list.size,
                                                                  _revoked_indexes(session, status_list))}}
    status_list.document = sign(document, signer, key_id(base, key.public_key_multibase), now)
    status_list.updated_at = now


def _open_status_list(session: Session, signer: Signer, base_url: str, now: datetime) -> StatusList:
    """The list new credentials take a bit of: the newest one under this address with room left."""
    newest = session.scalar(select(StatusList).where(StatusList.base_url == _base(base_url))
                            .order_by(StatusList.id.desc()).limit(1))
    if newest is not None:
        used = session.scalar(select(func.count()).select_from(BadgeCredential)
                              .where(BadgeCredential.status_list_id == newest.id))
        if used < newest.size // 2:  # half full at most, so a random free bit is found at once
            return newest
    number = (session.scalar(select(func.max(StatusList.id))) or 0) + 1
    status_list = StatusList(id=number, size=STATUS_LIST_SIZE, base_url=_base(base_url), document={},
                             updated_at=now)
    _sign_status_list(session, status_list, signer, now)
    try:
        with session.begin_nested():
            session.add(status_list)
    except IntegrityError:  # a concurrent request opened list ``number`` a moment ago: take it
        return session.get(StatusList, number) or _open_status_list(session, signer, base_url, now)
    return status_list


def refresh_status_list(session: Session, certificate: Certificate, signer: Signer | None, now: datetime) -> bool:
    """Re-sign the revocation list holding ``certificate``'s credential after its revocation.
    False when the certificate has no credential (nothing to publish) or no key is configured."""
    credential = session.scalar(select(BadgeCredential).where(BadgeCredential.certificate_id == certificate.id))
    if credential is None or signer is None:
        return False
    session.flush()
    # Two revocations at once must not each publish a list without the other's bit: the row lock
    # (PostgreSQL) makes the second wait, then read the first one's committed revocation; SQLite
    # lets one writer at a time anyway.
    status_list = session.scalar(select(StatusList).where(StatusList.id == credential.status_list_id)
                                 .with_for_update().execution_options(populate_existing=True))
    _sign_status_list(session, status_list, signer, now)
    session.flush()
    return True


def status_list_document(session: Session, number: int) -> dict | None:
    status_list = session.get(StatusList, number)
    return status_list.document if status_list is not None else None


# --- the credential --------------------------------------------------------------------------------

def _achievement(certificate: Certificate, base_url: str) -> dict:
    snap = certificate.snapshot
    course_title = _text(snap["course"]["title"])
    institute = _text(snap.get("institute"))
    if certificate.kind == CertificateKind.MODULE:
        module = snap["module"]
        name = f"{course_title}: {_text(module['title'])}"
        achievement_id = f"{_base(base_url)}/achievements/{snap['course']['id']}/{module['key']}"
        narrative = (f"Completed the module \"{_text(module['title'])}\" of the course \"{course_title}\" "
                     f"by its completion rules: its lessons read and its quiz passed.")
        description = f"Completion of the module \"{_text(module['title'])}\" of the course \"{course_title}\"."
    else:
        name = course_title
        achievement_id = f"{_base(base_url)}/achievements/{snap['course']['id']}"
        modules = "; ".join(_text(m["title"]) for m in snap.get("modules", []))
        narrative = (f"Completed every required module of the course by its completion rules (lessons read, "
                     f"module quiz passed): {modules}.")
        description = f"Completion of the course \"{course_title}\", taught by {institute}."
    achievement = {"id": achievement_id, "type": ["Achievement"], "achievementType": "CertificateOfCompletion",
                   "name": name, "description": description, "criteria": {"narrative": narrative},
                   "inLanguage": "en"}
    if snap.get("percent") is not None:
        achievement["resultDescription"] = [{"id": f"{achievement_id}#score", "type": ["ResultDescription"],
                                             "name": "Overall score (mean of the module quiz grades)",
                                             "resultType": "Percent"}]
    return achievement


def build_credential(certificate: Certificate, base_url: str, uid: str, status_list_number: int,
                     status_index: int) -> dict:
    """The unsigned AchievementCredential of ``certificate`` (Open Badges 3.0, VC Data Model 2.0)."""
    snap = certificate.snapshot
    achievement = _achievement(certificate, base_url)
    identifiers = [{"type": "IdentityObject", "identityHash": snap["full_name"], "identityType": "name",
                    "hashed": False}]
    if snap.get("staff_number"):
        identifiers.append({"type": "IdentityObject", "identityHash": snap["staff_number"],
                            "identityType": "identifier", "hashed": False})
    subject = {"type": ["AchievementSubject"], "identifier": identifiers, "achievement": achievement,
               "activityEndDate": f"{snap['completed_on']}T00:00:00Z"}
    if "resultDescription" in achievement:
        subject["result"] = [{"type": ["Result"], "resultDescription": achievement["resultDescription"][0]["id"],
                              "value": f"{snap['percent']:g}"}]
    list_url = status_list_url(base_url, status_list_number)
    credential = {
        "@context": [VC_V2, OB_V3],
        "id": credential_url(base_url, uid),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "description": f"Certificate {certificate.code}: {achievement['description']}",
        "issuer": {"id": issuer_id(base_url), "type": ["Profile"], "name": _text(snap.get("institute")),
                   "url": f"{_base(base_url)}/"},
        "validFrom": xsd_datetime(certificate.issued_at),
        "awardedDate": xsd_datetime(certificate.issued_at),
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{list_url}#{status_index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(status_index),
                             "statusListCredential": list_url},
    }
    if certificate.expires_at is not None:
        credential["validUntil"] = xsd_datetime(certificate.expires_at)
    return credential


def find_credential(session: Session, certificate: Certificate) -> BadgeCredential | None:
    return session.scalar(select(BadgeCredential).where(BadgeCredential.certificate_id == certificate.id))


def credential_for(session: Session, certificate: Certificate, signer: Signer | None, base_url: str,
                   now: datetime) -> BadgeCredential:
    """The certificate's credential, issued (signed, given a bit of a status list, recorded in the
    audit log) the first time it is asked for. A revoked certificate gets no new credential."""
    existing = find_credential(session, certificate)
    if existing is not None:
        return existing
    if certificate.revoked_at is not None:
        raise BadgeError(_l("This certificate is revoked: no credential is issued for it."))
    if signer is None:
        raise BadgeError(_l("Credentials cannot be issued: CERTIFICATE_SIGNING_KEY is not set."))
    key = signing_key(session, signer, now)
    for _attempt in range(5):
        status_list = _open_status_list(session, signer, base_url, now)
        row = BadgeCredential(certificate_id=certificate.id, uid=str(uuid.uuid4()), status_list_id=status_list.id,
                              status_index=secrets.randbelow(status_list.size), signing_key_id=key.id, issued_at=now)
        row.document = sign(build_credential(certificate, status_list.base_url, row.uid, status_list.id,
                                             row.status_index),
                            signer, key_id(status_list.base_url, key.public_key_multibase), now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            existing = find_credential(session, certificate)
            if existing is not None:  # issued by a concurrent request a moment ago
                return existing
            continue  # the random bit was taken: draw another
        audit.record(session, None, "credential.issue", "certificate", certificate.code, credential=row.uid,
                     status_list=status_list.id, status_index=row.status_index)
        return row
    raise BadgeError(_l("No free place in the revocation list could be found; try again."))


def _resign(session: Session, row: BadgeCredential, certificate: Certificate, signer: Signer, now: datetime) -> None:
    """Sign a credential again with the current key (its key was withdrawn): same id, same bit."""
    key = signing_key(session, signer, now)
    base = row.status_list.base_url
    row.document = sign(build_credential(certificate, base, row.uid, row.status_list_id, row.status_index),
                        signer, key_id(base, key.public_key_multibase), now)
    row.signing_key_id = key.id
    audit.record(session, None, "credential.resign", "certificate", certificate.code, credential=row.uid)
    session.flush()


def find_by_uid(session: Session, uid: str) -> BadgeCredential | None:
    if len(uid) > 40:
        return None
    return session.scalar(select(BadgeCredential).where(BadgeCredential.uid == uid))


def credentials_issued(session: Session, certificates: list[Certificate]) -> dict[int, BadgeCredential]:
    """The credentials of these certificates, by certificate id (one query, for the staff list)."""
    ids = [c.id for c in certificates]
    if not ids:
        return {}
    return {row.certificate_id: row for row in session.scalars(
        select(BadgeCredential).where(BadgeCredential.certificate_id.in_(ids)))}
