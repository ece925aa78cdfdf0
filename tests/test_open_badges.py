"""Open Badges 3.0 credentials, checked by an independent verifier (Digital Bazaar's npm packages,
tests/verifier/verify_open_badge.mjs): a fresh credential verifies, a tampered one fails, a revoked
one is reported revoked, old credentials survive a key rotation; the officer's and the
administrator's pages; the private key never published."""
import base64
import gzip
import json
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.extensions import db as database
from course.models import AuditEntry, BadgeCredential, Role, User
from course.services import badges
from course.services import certificates as service
from course.services.privacy import anonymise, personal_data
from tests.support.processes import run_bounded
from tests.test_certificates import OTHER_SIGNER, SIGNER, T1, complete_course

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "tests" / "verifier" / "verify_open_badge.mjs"
BASE = "https://marsa.example.org"
SEED = base64.b64encode(bytes(range(32))).decode()
OTHER_SEED = base64.b64encode(bytes(range(1, 33))).decode()


def published(client, url):
    """What the installation serves at one of its public addresses (a verifier would fetch it)."""
    assert url.startswith(BASE + "/"), url
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json(force=True)


def node_verify(tmp_path, client, *credentials, now=None):
    """Run the independent verifier on ``credentials`` with what their issuer publishes now (judged
    at ``now``, default the verifier's clock)."""
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for the independent Open Badges verifier"
    assert (ROOT / "node_modules" / "@digitalbazaar" / "vc").exists(), "run `npm ci` (package-lock.json)"
    documents = {}
    for credential in credentials:
        for url in (credential["issuer"]["id"], credential["credentialStatus"]["statusListCredential"]):
            documents[url] = published(client, url)
    source = tmp_path / "input.json"
    source.write_text(json.dumps({"credentials": credentials, "documents": documents,
                                  **({"now": now.isoformat()} if now else {})}), encoding="utf-8")
    run = run_bounded([node, str(VERIFIER), str(source)], 120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert len(results) == len(credentials)
    return results


@pytest.fixture
def badge_app(make_app):
    return make_app(PUBLIC_BASE_URL=BASE, CERTIFICATE_SIGNING_KEY=SEED)


@pytest.fixture
def officer(badge_app, make_user, mini_course):
    return make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-0001")


@pytest.fixture
def certificate(session, officer):
    return complete_course(session, officer)[0]


def issue(client, login, code, username="amal"):
    login(client, username)
    page = client.get(f"/certificates/{code}/credential")
    assert page.status_code == 200
    download = client.get(f"/certificates/{code}/credential.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    return page, download.get_json(force=True)


def test_fresh_credential_verifies_tampered_fails_revoked_is_reported(badge_app, certificate, login, make_user,
                                                                      session, tmp_path):
    client = badge_app.test_client()
    page, credential = issue(client, login, certificate.code)
    html = page.get_data(as_text=True)
    assert credential["id"] in html and "<svg" in html  # the link and its QR code
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Amal Hassan"
    assert subject["achievement"]["name"] == certificate.snapshot["course"]["title"]["en"]
    assert credential["validUntil"].startswith(certificate.expires_at.date().isoformat())
    # The public address serves the very bytes the officer downloaded, to anyone.
    anonymous = badge_app.test_client()
    assert published(anonymous, credential["id"]) == credential

    tampered = []
    for path, value in ((("credentialSubject", "identifier", 0, "identityHash"), "Amal Hassam"),
                        (("validUntil",), "2099-01-01T00:00:00Z"),
                        (("credentialSubject", "achievement", "name"), "Another course"),
                        (("credentialStatus", "statusListIndex"), "7")):
        copy = json.loads(json.dumps(credential))
        node = copy
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        tampered.append(copy)
    fresh, *refused = node_verify(tmp_path, anonymous, credential, *tampered)
    assert fresh == {"verified": True, "revoked": False, "statusChecked": True, "errors": [], "ob3Problems": []}
    for result in refused:
        assert result["verified"] is False and "Invalid signature." in result["errors"]

    make_user(Role.ADMIN, username="head")
    admin = badge_app.test_client()
    login(admin, "head")
    listing = admin.get("/admin/certificates").get_data(as_text=True)
    assert "Issued on" in listing and "Not issued" not in listing
    admin.post(f"/admin/certificates/{certificate.code}/revoke", data={"reason": "Exam fraud"})
    session.expire_all()
    assert service.find_certificate(session, certificate.code).revoked_at is not None
    [revoked] = node_verify(tmp_path, anonymous, credential)
    assert revoked["verified"] is True and revoked["revoked"] is True and revoked["statusChecked"] is True
    # A verifier whose clock is ten minutes behind reads the list signed a moment ago all the same.
    [slow_clock] = node_verify(tmp_path, anonymous, credential, now=datetime.now(UTC) - timedelta(minutes=10))
    assert slow_clock["revoked"] is True and slow_clock["errors"] == []


def test_a_credential_signed_before_a_key_rotation_still_verifies(make_app, make_user, mini_course, session,
                                                                  login, tmp_path):
    before = make_app(PUBLIC_BASE_URL=BASE, CERTIFICATE_SIGNING_KEY=SEED)
    make_user(username="amal", full_name="Amal Hassan", staff_number="ALX-0001")
    make_user(username="omar", full_name="Omar Said", staff_number="ALX-0002")
    users = {u.username: u for u in session.scalars(select(service.User))}
    first = complete_course(session, users["amal"], signer=SIGNER)[0]
    _page, old = issue(before.test_client(), login, first.code)

    after = make_app(PUBLIC_BASE_URL=BASE, CERTIFICATE_SIGNING_KEY=OTHER_SEED)  # the key is rotated
    second = complete_course(session, users["omar"], signer=OTHER_SIGNER)[0]
    _page, new = issue(after.test_client(), login, second.code, "omar")
    assert old["proof"]["verificationMethod"] != new["proof"]["verificationMethod"]
    profile = published(after.test_client(), f"{BASE}/issuer")
    assert {k["id"] for k in profile["verificationMethod"]} == {old["proof"]["verificationMethod"],
                                                                 new["proof"]["verificationMethod"]}
    client = after.test_client()
    assert [r["verified"] for r in node_verify(tmp_path, client, old, new)] == [True, True]

    # The old key leaks: withdrawn, it is no longer published, and what it signed is signed again.
    cli = after.test_cli_runner()
    listed = cli.invoke(args=["certificate", "keys"])
    old_key = old["proof"]["verificationMethod"].split("#")[1]
    assert old_key in listed.output and SIGNER.public_key in listed.output and "in use" in listed.output
    current = new["proof"]["verificationMethod"].split("#")[1]
    refused = cli.invoke(args=["certificate", "withdraw-key", current, "--yes"])
    assert refused.exit_code == 1 and "key in use" in refused.output
    assert cli.invoke(args=["certificate", "withdraw-key", old_key]).exit_code == 1  # needs --yes
    unknown = cli.invoke(args=["certificate", "withdraw-key", "z6MkNotAKeyEverUsed", "--yes"])
    assert unknown.exit_code == 1 and "No signing key with this public key" in unknown.output
    done = cli.invoke(args=["certificate", "withdraw-key", old_key, "--yes"])
    assert done.exit_code == 0, done.output
    assert "withdrawn" in cli.invoke(args=["certificate", "keys"]).output
    resigned = published(client, old["id"])
    assert resigned["proof"]["verificationMethod"] == new["proof"]["verificationMethod"]
    stale, fresh = node_verify(tmp_path, client, old, resigned)
    assert stale["verified"] is False and fresh["verified"] is True


def test_the_status_list_holds_every_revocation_and_only_those(make_app, make_user, mini_course, session, login,
                                                              tmp_path):
    app = make_app(PUBLIC_BASE_URL=BASE, CERTIFICATE_SIGNING_KEY=SEED)
    admin = make_user(Role.ADMIN, username="head")
    credentials = []
    for n in range(3):
        officer = make_user(username=f"officer{n}", staff_number=f"ALX-{n}")
        certificate = complete_course(session, officer)[0]
        credentials.append(issue(app.test_client(), login, certificate.code, f"officer{n}")[1])
        if n < 2:
            service.revoke(session, admin, certificate, "Issued in error", T1, signer=SIGNER)
            session.commit()
    results = node_verify(tmp_path, app.test_client(), *credentials)
    assert [r["revoked"] for r in results] == [True, True, False]
    assert all(r["verified"] and r["statusChecked"] for r in results)


def test_two_revocations_at_once_both_reach_the_status_list(make_app, make_user, mini_course, session, login):
    """Two administrators revoke two certificates at the same moment: the second one's list must
    not be computed before the first one's revocation is committed."""
    app = make_app(PUBLIC_BASE_URL=BASE, CERTIFICATE_SIGNING_KEY=SEED)
    if database.engine.dialect.name != "postgresql":
        pytest.skip("needs concurrent writers: SQLite serialises them whole (run with TEST_DATABASE_URL)")
    admin = make_user(Role.ADMIN, username="head")
    codes = []
    for n in range(2):
        officer = make_user(username=f"officer{n}", staff_number=f"ALX-{n}")
        certificate = complete_course(session, officer)[0]
        issue(app.test_client(), login, certificate.code, f"officer{n}")
        codes.append(certificate.code)
    first, second = Session(database.engine), Session(database.engine)
    service.revoke(first, first.get(User, admin.id), service.find_certificate(first, codes[0]), "Fraud", T1,
                   signer=SIGNER)  # flushed, not committed: its list row is locked

    def revoke_the_other():
        service.revoke(second, second.get(User, admin.id), service.find_certificate(second, codes[1]), "Fraud", T1,
                       signer=SIGNER)
        second.commit()

    other = threading.Thread(target=revoke_the_other)
    other.start()
    time.sleep(0.5)  # let the other revocation reach the list while the first is still open
    first.commit()
    other.join()
    first.close()
    second.close()
    session.expire_all()
    rows = session.scalars(select(BadgeCredential).order_by(BadgeCredential.id)).all()
    encoded = rows[0].status_list.document["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert all(bits[row.status_index // 8] & (0x80 >> row.status_index % 8) for row in rows)


def test_the_private_key_is_never_published(badge_app, certificate, login, tmp_path):
    client = badge_app.test_client()
    page, credential = issue(client, login, certificate.code)
    seed = bytes(range(32))
    secrets = {SEED, base64.urlsafe_b64encode(seed).decode().rstrip("="), seed.hex(), badges.base58btc(seed),
               badges.base58btc(b"\x80\x26" + seed)}  # the Multikey form of an Ed25519 secret key
    texts = [page.get_data(as_text=True), json.dumps(credential),
             client.get("/issuer").get_data(as_text=True),
             client.get(urlsplit(credential["credentialStatus"]["statusListCredential"]).path).get_data(as_text=True)]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    profile = client.get("/issuer").get_json(force=True)
    assert profile["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    assert "secretKeyMultibase" not in json.dumps(profile)


def test_credentials_are_issued_once_and_seen_only_by_who_may_see_the_certificate(badge_app, certificate, login,
                                                                                 make_user, session):
    client = badge_app.test_client()
    _page, credential = issue(client, login, certificate.code)
    _page, again = issue(client, login, certificate.code)
    assert again == credential
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "credential.issue")) is not None
    make_user(username="nour")
    other = badge_app.test_client()
    login(other, "nour")
    assert other.get(f"/certificates/{certificate.code}/credential").status_code == 404
    assert other.get(f"/certificates/{certificate.code}/credential.json").status_code == 404
    assert badge_app.test_client().get("/credentials/no-such-credential").status_code == 404
    assert badge_app.test_client().get("/credentials/status/99").status_code == 404


def test_a_revoked_certificate_gets_no_new_credential(badge_app, certificate, login, make_user, session):
    admin = make_user(Role.ADMIN, username="head")
    service.revoke(session, admin, certificate, "Issued in error", T1, signer=SIGNER)
    session.commit()
    client = badge_app.test_client()
    login(client, "amal")
    page = client.get(f"/certificates/{certificate.code}/credential")
    assert page.status_code == 200
    assert "no credential is issued" in page.get_data(as_text=True)
    assert session.scalar(select(BadgeCredential)) is None


def test_anonymising_withdraws_the_public_copy(badge_app, certificate, login, make_user, session):
    client = badge_app.test_client()
    _page, credential = issue(client, login, certificate.code)
    mine = personal_data(session, certificate.user)
    assert mine["certificates"][0]["credential"] == credential
    admin = make_user(Role.ADMIN, username="head")
    anonymise(session, admin, certificate.user)
    session.commit()
    response = badge_app.test_client().get(urlsplit(credential["id"]).path)
    assert response.status_code == 410
    assert "Amal" not in response.get_data(as_text=True)


def test_status_list_bits_are_left_to_right_gzip_base64url():
    encoded = badges.encoded_list(16, {0, 9})
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert encoded[0] == "u" and bits == bytes([0b10000000, 0b01000000])
