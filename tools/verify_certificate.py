#!/usr/bin/env python3
"""Check a Marsa certificate offline, with nothing but Python 3 and the ``cryptography`` package.

    python3 verify_certificate.py TOKEN --public-key KEY [--at YYYY-MM-DD]

TOKEN is what follows the '#' in the URL of the certificate's QR code (the whole URL is accepted
too). KEY is the issuing server's public key, base64 (``flask --app app certificate public-key``
prints it), or the path of a file holding it. The answer is one of:

    VALID     exit 0: signed by this key and not expired at the date
    TAMPERED  exit 1: the signature does not match (data changed, or signed by another key)
    EXPIRED   exit 2: genuine, but past its expiry date at the date
    MALFORMED exit 3: not a Marsa certificate token, or not a public key

Revocation cannot be known offline: the certificate's page at /verify/CODE on the issuing server
tells it. This file is deliberately standalone (copy it anywhere); it must keep agreeing with
``course.services.certificates.check_token``, which the test suite checks.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TOKEN_VERSION = "MRS1"
FIELDS = ("version", "code", "full_name", "staff_number", "course_id", "issued", "expires")
EXIT_VALID, EXIT_TAMPERED, EXIT_EXPIRED, EXIT_MALFORMED = 0, 1, 2, 3


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check(token: str, public_key_b64: str, on: date) -> tuple[str, dict | None]:
    """("valid" | "expired" | "tampered" | "malformed", the signed fields or None)."""
    token = token.strip().rsplit("#", 1)[-1]
    payload_text, _dot, signature_text = token.rpartition(".")
    try:
        payload, signature = _unb64url(payload_text), _unb64url(signature_text)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64.strip(), validate=True))
    except (ValueError, binascii.Error):
        return "malformed", None
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        return "tampered", None
    try:
        values = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "malformed", None
    if not isinstance(values, list) or len(values) != len(FIELDS) or values[0] != TOKEN_VERSION:
        return "malformed", None
    fields = dict(zip(FIELDS, values))
    if fields["expires"] and on >= date.fromisoformat(fields["expires"]):
        return "expired", fields
    return "valid", fields


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Marsa certificate offline.")
    parser.add_argument("token", help="the token after '#' in the QR code's URL, or the whole URL")
    parser.add_argument("--public-key", required=True, help="the issuer's public key (base64), or a file holding it")
    parser.add_argument("--at", type=date.fromisoformat, default=None, help="judge expiry on this date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    key = args.public_key
    if len(key) < 200 and Path(key).is_file():
        key = Path(key).read_text().strip()
    day = args.at or date.today()
    status, fields = check(args.token, key, day)
    if status == "malformed":
        print("MALFORMED: this is not a Marsa certificate token (or the public key is not one).")
        return EXIT_MALFORMED
    if status == "tampered":
        print("TAMPERED: the signature does not match: the data was changed, or another key signed it.")
        return EXIT_TAMPERED
    print(f"code: {fields['code']}\nname: {fields['full_name']}\nstaff number: {fields['staff_number']}\n"
          f"course: {fields['course_id']}\nissued: {fields['issued']}\nexpires: {fields['expires'] or 'never'}")
    if status == "expired":
        print(f"EXPIRED at {day.isoformat()}: genuine, but it expired on {fields['expires']}.")
        return EXIT_EXPIRED
    print(f"VALID at {day.isoformat()}: signed by this key. Revocation can only be checked online, "
          f"at /verify/{fields['code']}.")
    return EXIT_VALID


if __name__ == "__main__":
    sys.exit(main())
