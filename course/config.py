"""Settings from the environment, with safe defaults for a local trial.

Production (``MARSA_ENV=production``) refuses to start without a real ``SECRET_KEY``; a local
trial gets a random key kept in the instance folder, so every process on the machine shares it
and sessions survive a restart.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The settings cannot produce a safe running app."""


def _instance_secret(instance_path: Path) -> str:
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    env = os.environ
    overrides = overrides or {}
    production = (overrides.get("MARSA_ENV") or env.get("MARSA_ENV", "development")) == "production"
    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when MARSA_ENV=production.")
        secret = _instance_secret(instance_path)
    default_db = "sqlite:///" + str(instance_path / "marsa.db")
    https = env.get("MARSA_HTTPS", "0") == "1"
    config = {
        "MARSA_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
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
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "ar"],
        # Seconds after a quiz's time limit during which a late answer still counts
        # (covers network latency; anything later is refused).
        "QUIZ_GRACE_SECONDS": int(env.get("QUIZ_GRACE_SECONDS", "30")),
        "INSTITUTE_NAME": env.get("MARSA_INSTITUTE_NAME", "Marsa Training Institute"),
    }
    config.update(overrides)
    return config
