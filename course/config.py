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
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

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


def _positive_number(env, name: str, default: str) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError:
        value = 0
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number.")
    return value


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
    # A sign-in lasts a working day at most, and ends after an hour without a request (a port PC
    # left signed in); answers given meanwhile wait in the quiz journal until the next sign-in.
    session_hours = _positive_number(env, "MARSA_SESSION_LIFETIME_HOURS", "12")
    session_idle = _positive_number(env, "MARSA_SESSION_IDLE_MINUTES", "60")
    https = env.get("MARSA_HTTPS", "0") == "1"
    config = {
        "MARSA_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "COURSE_DIR": env.get("COURSE_DIR", str(REPO_ROOT)),
        "SESSION_LIFETIME_HOURS": session_hours,
        "SESSION_IDLE_MINUTES": session_idle,
        # Flask refuses a signed cookie older than this, whatever the server-side session says.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=session_hours),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MARSA_HTTPS": https,
        "WTF_CSRF_TIME_LIMIT": None,  # a long quiz must not lose its token mid-attempt
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # memory:// counts per process; with several app processes set redis://... so limits are shared
        # (production refuses memory:// unless MARSA_SINGLE_PROCESS=1 declares one process).
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "MARSA_SINGLE_PROCESS": env.get("MARSA_SINGLE_PROCESS", "0") == "1",
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
        # The site's one public address (verify links, QR codes, xAPI ids); XAPI_BASE_URL is its
        # former name, still read. Required in production.
        "PUBLIC_BASE_URL": (overrides.get("PUBLIC_BASE_URL") or overrides.get("XAPI_BASE_URL")
                            or env.get("PUBLIC_BASE_URL") or env.get("XAPI_BASE_URL") or None),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (ProxyFix).
        "PROXY_HOPS": env.get("MARSA_PROXY_HOPS", "0"),
        # xAPI: an optional Learning Record Store.
        "XAPI_LRS_ENDPOINT": env.get("XAPI_LRS_ENDPOINT"),
        "XAPI_LRS_USERNAME": env.get("XAPI_LRS_USERNAME"),
        "XAPI_LRS_PASSWORD": env.get("XAPI_LRS_PASSWORD"),
        # The SMTP password for reminder e-mails (host, port, sender and TLS are settings the
        # administrator changes in the app): only ever in the environment, so no backup, export or
        # audit entry of the database can hold it.
        "SMTP_PASSWORD": env.get("MARSA_SMTP_PASSWORD"),
        # Not read from the environment: only the test configuration lowers it (see tests/conftest.py).
        "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
    }
    config.update(overrides)
    if production and not config.get("TESTING") and config["PASSWORD_HASH_METHOD"] != PASSWORD_HASH_METHOD:
        raise ConfigError("Production hashes passwords with the full scrypt cost; "
                          "PASSWORD_HASH_METHOD may only be lowered for tests.")
    config["PUBLIC_BASE_URL"] = _public_base_url(config["PUBLIC_BASE_URL"], production)
    config["PROXY_HOPS"] = _proxy_hops(config["PROXY_HOPS"])
    config.pop("XAPI_BASE_URL", None)
    if production:
        _check_shared_limits(config)
    return config


def _public_base_url(value: str | None, production: bool) -> str | None:
    if not value:
        if production:
            raise ConfigError("PUBLIC_BASE_URL must be set when MARSA_ENV=production (the address officers "
                              "open, e.g. https://marsa.example.org): certificate links and xAPI ids use it.")
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) address like https://marsa.example.org, not {value!r}.")
    return value.strip().rstrip("/")


def _proxy_hops(value) -> int:
    try:
        hops = int(value)
    except (TypeError, ValueError):
        hops = -1
    if not 0 <= hops <= 5:
        raise ConfigError("MARSA_PROXY_HOPS must be the number of reverse proxies in front of Marsa (0 to 5).")
    return hops


def _check_shared_limits(config: dict) -> None:
    """Sign-in limits counted in one process's memory hold only if there is one process: with two
    workers an account gets twice the guesses. Production needs Redis, or says it runs one process."""
    single = config["MARSA_SINGLE_PROCESS"] in (True, "1")
    if config["RATELIMIT_ENABLED"] and config["RATELIMIT_STORAGE_URI"].startswith("memory://") and not single:
        raise ConfigError("RATELIMIT_STORAGE_URI must point at shared storage (redis://host:6379) when "
                          "MARSA_ENV=production, or set MARSA_SINGLE_PROCESS=1 and run one app process "
                          "(WEB_CONCURRENCY=1): limits kept in memory are counted by each process alone.")
