"""Choosing the language: the user's preference, else the session's choice, else the browser."""
from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

LANGUAGES = ("en", "ar")
RTL_LANGUAGES = ("ar",)


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the CLI and other work outside a request: English, the source language
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or "en"


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def text_direction() -> str:
    return "rtl" if current_language() in RTL_LANGUAGES else "ltr"
