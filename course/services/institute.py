"""The institute's name, in English and Arabic: one setting read by the page footer, the pages that
name the institute, the certificates it issues and its Open Badges issuer profile.

Where the name comes from, first match wins:

1. the administrator's setting (``institute_name``, changed on the settings page);
2. the course package's ``institute`` (course.yaml), so a fresh installation names the issuer its
   course was written for;
3. the deployment's ``MARSA_INSTITUTE_NAME`` (English only), for an installation without course.yaml.

Pages read it with one small query. The lesson page, the busiest, reads it without one: each
process keeps the value tagged with the catalog stamp (``course.services.catalog``) that page
already fetched; changing the name rewrites that stamp, so every process (and every shared lesson
page) takes the new name on its next request. A certificate keeps the name it was issued under (its snapshot
is signed), so renaming the institute changes only certificates issued afterwards.
"""
from __future__ import annotations

import threading

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from course.models import Setting, User
from course.models.content import text_in
from course.package.sync import COURSE_SETTING
from course.services import audit, catalog
from course.services.errors import ServiceError

#: The ``settings`` row an administrator writes.
INSTITUTE_NAME = "institute_name"
MAX_LENGTH = 200
FALLBACK = "Marsa Training Institute"


#: The ``settings`` rows the name is read from (one query, also used by the certificates' settings).
ROWS = select(Setting.key, Setting.value).where(or_(Setting.key == INSTITUTE_NAME, Setting.key == COURSE_SETTING))


def from_rows(rows: dict) -> dict | None:
    """The name as stored (the administrator's, else course.yaml's), from ``{key: value}`` of ROWS."""
    setting = rows.get(INSTITUTE_NAME)
    if isinstance(setting, dict) and setting.get("en"):
        return dict(setting)
    course = rows.get(COURSE_SETTING)
    if isinstance(course, dict) and course.get("institute"):
        value = course["institute"]
        return dict(value) if isinstance(value, dict) else {"en": str(value)}
    return None


def stored_name(session: Session) -> dict | None:
    """The name as stored, without the deployment default: one query."""
    return from_rows(dict(session.execute(ROWS).all()))


def resolve(stored: dict | None, default: str | None) -> dict:
    """``{"en": ..., "ar"?: ...}``: the stored name, else the deployment's default."""
    return stored or {"en": default or FALLBACK}


_lock = threading.Lock()
_cached: tuple[str, dict | None] | None = None


def name_for(current: catalog.Catalog, session: Session, default: str | None = None) -> dict:
    """The name, given the catalog copy the request already holds (the lesson page's)."""
    global _cached
    cached = _cached
    if cached is not None and current.stamp is not None and cached[0] == current.stamp:
        return resolve(cached[1], default)
    stored = stored_name(session)
    if current.stamp is not None:
        with _lock:
            _cached = (current.stamp, stored)
    return resolve(stored, default)


def name(session: Session, default: str | None = None) -> dict:
    """The institute's name in both languages as of now (``default`` is MARSA_INSTITUTE_NAME): one
    small query, the same on every page (the lesson page, which holds the catalog, uses ``name_for``)."""
    return resolve(stored_name(session), default)


def name_in(session: Session, lang: str, default: str | None = None) -> str:
    return text_in(name(session, default), lang)


class DisplayName:
    """The name in the page's language, read only when a template prints it: an error page
    rendered while the database is unreachable still gets a footer (the deployment's default)."""

    def __init__(self, session: Session, lang: str, default: str | None) -> None:
        self._session, self._lang, self._default = session, lang, default
        self._text: str | None = None

    def __str__(self) -> str:
        # Read once per page: the sign-in page prints it twice (its heading and the footer).
        if self._text is None:
            try:
                self._text = name_in(self._session, self._lang, self._default)
            except SQLAlchemyError:
                return self._default or FALLBACK
        return self._text


def set_name(session: Session, actor: User, english: str, arabic: str) -> dict:
    """Store the name an administrator entered (both languages required), audited."""
    english, arabic = (english or "").strip(), (arabic or "").strip()
    if not english or not arabic:
        raise ServiceError(_l("Enter the institute's name in English and in Arabic."), field="institute_en")
    if len(english) > MAX_LENGTH or len(arabic) > MAX_LENGTH:
        raise ServiceError(_l("The institute's name is at most %(num)s characters in each language.",
                              num=MAX_LENGTH), field="institute_en")
    value = {"en": english, "ar": arabic}
    before = stored_name(session)
    if before == value:  # unchanged (the settings page saves every field): course.yaml still applies
        return value
    setting = session.get(Setting, INSTITUTE_NAME)
    if setting is None:
        session.add(Setting(key=INSTITUTE_NAME, value=value))
    else:
        setting.value = value
    catalog.stamp_changed(session)  # every process's copy (and every shared page) takes the new name
    audit.record(session, actor, "settings.institute_name", "setting", INSTITUTE_NAME,
                 before=before, after=value)
    session.flush()
    return value
