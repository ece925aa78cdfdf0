"""``flask --app app certificate ...``: signing keys, offline verification, issuing what is pending.

``verify-offline`` needs no database: only the token (or the whole URL read from the QR code) and
the public key that ``public-key`` prints. ``tools/verify_certificate.py`` does the same with nothing
but Python and ``cryptography``, for people who do not run Marsa. See docs/CERTIFICATES.md.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app

from course.extensions import db
from course.models._types import utcnow
from course.services import badges, signing
from course.services import certificates as service
from course.services.errors import ServiceError

#: Exit codes of ``verify-offline`` (and of tools/verify_certificate.py).
EXIT_VALID, EXIT_TAMPERED, EXIT_EXPIRED, EXIT_MALFORMED = 0, 1, 2, 3


def _signer_or_exit() -> signing.Signer:
    signer = signing.signer_from_config(current_app.config)
    if signer is None:
        click.echo("Error: CERTIFICATE_SIGNING_KEY is not set (`flask --app app certificate generate-key` "
                   "prints one to put in the environment).", err=True)
        sys.exit(1)
    return signer


def _read_key(value: str) -> str:
    """A key given inline, or the path of a file holding it."""
    path = Path(value)
    if len(value) < 200 and path.is_file():
        return path.read_text().strip()
    return value.strip()


def register(app: Flask) -> None:

    @app.cli.group("certificate")
    def certificate_group():
        """Certificates: keys, offline verification, issuing."""

    @certificate_group.command("generate-key")
    def generate_key():
        """Print a new signing key (base64 Ed25519 seed) for CERTIFICATE_SIGNING_KEY."""
        click.echo(signing.generate_seed())

    @certificate_group.command("public-key")
    def public_key():
        """Print the public key that verifies this server's certificates (base64, 32 bytes)."""
        click.echo(_signer_or_exit().public_key)

    @certificate_group.command("verify-offline")
    @click.argument("token")
    @click.option("--public-key", "key", required=True,
                  help="The issuer's public key (base64), or a file holding it.")
    @click.option("--at", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Judge expiry on this date (YYYY-MM-DD; default: today).")
    def verify_offline(token, key, on):
        """Check TOKEN (or the whole URL of a certificate's QR code) without the database."""
        day = on.date() if on else date.today()
        check = service.check_token(token, _read_key(key), day)
        if check.status == "malformed":
            click.echo("MALFORMED: this is not a Marsa certificate token (or the public key is not one).")
            sys.exit(EXIT_MALFORMED)
        if check.status == "tampered":
            click.echo("TAMPERED: the signature does not match: the data was changed, or another key signed it.")
            sys.exit(EXIT_TAMPERED)
        fields = check.fields
        click.echo(f"code: {fields['code']}\nname: {fields['full_name']}\nstaff number: {fields['staff_number']}\n"
                   f"course: {fields['course_id']}\nissued: {fields['issued']}\n"
                   f"expires: {fields['expires'] or 'never'}")
        if check.status == "expired":
            click.echo(f"EXPIRED at {day.isoformat()}: genuine, but it expired on {fields['expires']}.")
            sys.exit(EXIT_EXPIRED)
        click.echo(f"VALID at {day.isoformat()}: signed by this key. Revocation can only be checked online, "
                   f"at /verify/{fields['code']}.")

    @certificate_group.command("keys")
    def keys():
        """List every key that signed credentials (the published history), oldest first."""
        signer = signing.signer_from_config(current_app.config)
        current = badges.public_key_multibase(signer) if signer else None
        if signer is not None:  # the key in use is published before it first signs
            badges.signing_key(db.session, signer, utcnow())
            db.session.commit()
        for row in badges.key_history(db.session):
            state = ("withdrawn " + row.withdrawn_at.date().isoformat() if row.withdrawn_at
                     else "in use" if row.public_key_multibase == current else "published")
            click.echo(f"{row.public_key_multibase}  {badges.public_key_base64(row.public_key_multibase)}  "
                       f"since {row.first_used_at.date().isoformat()}  {state}")

    @certificate_group.command("withdraw-key")
    @click.argument("public_key")
    @click.option("--yes", is_flag=True, help="Confirm: whatever this key signed stops verifying.")
    def withdraw_key(public_key, yes):
        """Stop publishing a leaked key (PUBLIC_KEY as `keys` prints it, z6Mk...) and sign its credentials again."""
        if not yes:
            click.echo("Error: withdrawing a key makes everything it signed unverifiable; add --yes to confirm.",
                       err=True)
            sys.exit(1)
        try:
            row = badges.withdraw_key(db.session, public_key, signing.signer_from_config(current_app.config), utcnow())
        except ServiceError as error:
            db.session.rollback()
            click.echo(f"Error: {error.message}", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"Withdrawn: {row.public_key_multibase}. Its credentials and the status lists are signed again "
                   "with the current key.")

    @certificate_group.command("issue-pending")
    def issue_pending():
        """Record every officer's completions and issue the certificates still missing."""
        signer = _signer_or_exit()
        issued = service.issue_pending(db.session, signer, utcnow(), current_app.config.get("INSTITUTE_NAME"))
        db.session.commit()
        click.echo(f"Issued {len(issued)} certificate(s).")
        for certificate in issued:
            click.echo(f"{certificate.code} {certificate.kind.value} {certificate.snapshot['full_name']}")
