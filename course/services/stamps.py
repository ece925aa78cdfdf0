"""Stamps: ``settings`` rows rewritten with a fresh random value, in the same transaction, whenever
what they stand for changes. Every process compares the stamp it last saw with the database's and
rebuilds what it keeps in memory when they differ (``course.caches``), and pages carry the stamps
in their ETags, so no process and no browser keeps something older than the database.

* ``catalog_stamp``: the published course (``course.package.sync.apply_package`` renews it).
* ``settings_stamp``: the institute's settings that pages show (the time zone, the referral
  contacts, whether unassigned modules are listed); renewed by :func:`set_setting` and by every
  service that changes such a setting.
"""
from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.models import Setting

CATALOG = "catalog_stamp"
SETTINGS = "settings_stamp"
#: Built once and run as Core on the session's connection: every lesson page asks it. ``OR`` rather
#: than ``IN (...)``: SQLAlchemy expands an IN list on every execution, which cost more than the query.
_BOTH = select(Setting.key, Setting.value).where(or_(Setting.key == CATALOG, Setting.key == SETTINGS))
_ONE = select(Setting.value).where(Setting.key == CATALOG)


class Stamps(NamedTuple):
    catalog: str | None
    settings: str | None


def read(session: Session) -> Stamps:
    """Both stamps in one small query (None for a stamp never written)."""
    found = dict(session.connection().execute(_BOTH).all())
    return Stamps(found.get(CATALOG), found.get(SETTINGS))


def catalog(session: Session) -> str | None:
    return session.connection().scalar(_ONE)


def both_columns():
    """Both stamps as two columns to add to another query (the signed-in user's, which every page
    runs): ``Stamps(*row[-2:])``."""
    return (_ONE.scalar_subquery().label("catalog_stamp"),
            select(Setting.value).where(Setting.key == SETTINGS).scalar_subquery().label("settings_stamp"))


def catalog_column():
    """The catalog stamp as a column to add to another query (a scalar subquery labelled ``stamp``):
    a page that must check a cache reads the stamp without a query of its own."""
    return _ONE.scalar_subquery().label("stamp")


def renew(session: Session, name: str) -> None:
    """Mark what stamp ``name`` stands for as changed (in the caller's transaction)."""
    setting = session.get(Setting, name)
    value = uuid.uuid4().hex
    if setting is None:
        session.add(Setting(key=name, value=value))
    else:
        setting.value = value


def set_setting(session: Session, key: str, value) -> None:
    """Store an institute setting that pages show, and renew the settings stamp with it."""
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=value))
    else:
        setting.value = value
    renew(session, SETTINGS)
