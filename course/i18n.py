"""Choosing the language (the user's preference, else the session's choice, else the browser), the
time zone times are shown in (the institute's), and the few words Python code says itself (true or
false) in a language it is given."""
from flask import g, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
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


def select_timezone() -> str | None:
    """Flask-Babel's time zone for ``format_datetime`` and its filters: the institute's
    (``course.services.timezones``), read once per request that shows a time."""
    if not has_request_context():
        return None  # Flask-Babel's default (BABEL_DEFAULT_TIMEZONE)
    from course.extensions import db
    from course.services.timezones import institute_zone
    if "marsa_time_zone" not in g:
        g.marsa_time_zone = institute_zone(db.session)
    return g.marsa_time_zone


def time_zone_name() -> str:
    """The zone times are shown in, as people call it in the page's language ("Egypt Time",
    "توقيت مصر"): to label a column of times."""
    from flask_babel import format_datetime

    from course.models._types import utcnow
    return format_datetime(utcnow(), "VVVV")


def true_false(value: bool, lang: str) -> str:
    """"True" or "False" as the interface says them (the catalog's words, as the quiz page shows
    them), in ``lang``: a review or a data download speaks the attempt's or the reader's language."""
    with force_locale(lang):
        return _("True") if value else _("False")
