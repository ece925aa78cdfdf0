"""The server's Ed25519 signing key and the base64url text signatures travel in.

Certificates (``certificates.py``: the token in the QR code) and Open Badges credentials
(``badges.py``: the proofs and status lists) both sign with it; it lives here, below both, so neither
has to import the other for it.
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    # cryptography is imported on the first signature, not at start-up: most requests of a worker
    # never sign anything, and the library weighs several MB in every worker.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed)


@dataclass(frozen=True)
class Signer:
    """The server's Ed25519 key, from the base64 32-byte seed in CERTIFICATE_SIGNING_KEY."""

    seed: bytes

    @classmethod
    def from_seed(cls, seed_b64: str) -> Signer:
        seed = base64.b64decode(seed_b64, validate=True)
        if len(seed) != 32:
            raise ValueError("An Ed25519 private key is 32 bytes long.")
        return cls(seed)

    @property
    def key(self) -> Ed25519PrivateKey:
        return _private_key(self.seed)

    @property
    def public_key(self) -> str:
        """The public key as base64 of its 32 raw bytes: what offline verifiers are given."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
        return base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def sign(self, payload: bytes) -> str:
        return b64url(self.key.sign(payload))


def generate_seed() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def signer_from_config(config) -> Signer | None:
    seed = config.get("CERTIFICATE_SIGNING_KEY")
    return Signer.from_seed(seed) if seed else None
