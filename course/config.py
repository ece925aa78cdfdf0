"""Settings from the environment, with safe defaults for a local trial.

``MARSA_ENV`` is ``development`` or ``production``, nothing else. Production refuses to start without a
``SECRET_KEY`` of at least 32 characters; a local
trial gets a random key kept in the instance folder, so every process on the machine shares it
and sessions survive a restart.
"""
from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from course.files import create_private_file, private_folder

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Werkzeug's scrypt with N=2**15, r=8, p=1: what every stored password costs an attacker to try.
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"


class ConfigError(RuntimeError):
    """The settings cannot produce a safe running app."""


#: The values ``MARSA_ENV`` may take, exactly: a misspelt ``Production`` must not quietly run a
#: development setup (generated keys, no checks) on a production server.
ENVIRONMENTS = ("development", "production")
#: A production ``SECRET_KEY`` signs every session cookie: at least this many characters
#: (``python3 -c "import secrets; print(secrets.token_hex(32))"`` prints 64).
MIN_SECRET_LENGTH = 32


def _instance_secret(instance_path: Path) -> str:
    key_file = private_folder(instance_path) / "secret_key"
    create_private_file(key_file, secrets.token_hex(32))
    return key_file.read_text().strip()


def _instance_signing_key(instance_path: Path) -> str:
    """A development Ed25519 seed (base64, 32 bytes) kept beside the secret key."""
    key_file = private_folder(instance_path) / "certificate_signing_key"
    create_private_file(key_file, base64.b64encode(secrets.token_bytes(32)).decode())
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    env = os.environ
    overrides = overrides or {}
    environment = overrides.get("MARSA_ENV") or env.get("MARSA_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"MARSA_ENV must be one of {', '.join(ENVIRONMENTS)} (in lower case), "
                          f"not {environment!r}.")
    production = environment == "production"
    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when MARSA_ENV=production.")
        secret = _instance_secret(instance_path)
    elif production and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters when MARSA_ENV=production "
                          '(python3 -c "import secrets; print(secrets.token_hex(32))" prints one).')
    # Certificates are signed with Ed25519; production issues none without a key of its own.
    signing_key = overrides.get("CERTIFICATE_SIGNING_KEY") or env.get("CERTIFICATE_SIGNING_KEY")
    if not signing_key and not production:
        signing_key = _instance_signing_key(instance_path)
    try:
        if signing_key and len(base64.b64decode(signing_key, validate=True)) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ConfigError("CERTIFICATE_SIGNING_KEY must be 32 bytes in base64 "
                          "(`flask --app app certificate generate-key` prints one).") from None
    default_db = "sqlite:///" + str(instance_path / "marsa.db")
    database_url = env.get("DATABASE_URL", default_db)
    if overrides.get("DATABASE_URL", database_url) == default_db:
        private_folder(instance_path)  # the database goes in it: 0700 even if an older start left it 0755
    https = env.get("MARSA_HTTPS", "0") == "1"
    config = {
        "MARSA_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "COURSE_DIR": env.get("COURSE_DIR", str(REPO_ROOT)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MARSA_HTTPS": https,
        "WTF_CSRF_TIME_LIMIT": None,  # a long quiz must not lose its token mid-attempt
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # memory:// counts per process; with several app processes set redis://... so limits are shared.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "marsa"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "ar"],
        # Seconds after a quiz's time limit during which a late answer still counts
        # (covers network latency; anything later is refused).
        "QUIZ_GRACE_SECONDS": int(env.get("QUIZ_GRACE_SECONDS", "30")),
        "INSTITUTE_NAME": env.get("MARSA_INSTITUTE_NAME", "Marsa Training Institute"),
        "CERTIFICATE_SIGNING_KEY": signing_key or None,
        # xAPI: the site's public address (activity ids) and an optional Learning Record Store.
        "XAPI_BASE_URL": env.get("XAPI_BASE_URL", "http://localhost"),
        "XAPI_LRS_ENDPOINT": env.get("XAPI_LRS_ENDPOINT"),
        "XAPI_LRS_USERNAME": env.get("XAPI_LRS_USERNAME"),
        "XAPI_LRS_PASSWORD": env.get("XAPI_LRS_PASSWORD"),
        # Not read from the environment: only the test configuration lowers it (see tests/conftest.py).
        "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
    }
    config.update(overrides)
    if production and not config.get("TESTING") and config["PASSWORD_HASH_METHOD"] != PASSWORD_HASH_METHOD:
        raise ConfigError("Production hashes passwords with the full scrypt cost; "
                          "PASSWORD_HASH_METHOD may only be lowered for tests.")
    return config
