"""The institute's time zone: every time a person reads is shown in it, and a date a person enters
("due on 15 July") means that day there. Times are stored in UTC, as everywhere.

The zone is an institute setting (``time_zone``, an IANA name; Africa/Cairo unless the administrator
chose another). Pages format times through Flask-Babel (``course.i18n.select_timezone`` hands it
the zone), which converts and localises them; services that write times for people (exports) take
the zone as a parameter, as they take ``now``.

Zones come from pytz, as Flask-Babel's do, so the two never disagree on a daylight-saving rule
(Egypt: summer time from the last Friday of April to the last Thursday of October, since 2023).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache

import pytz
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from course.models import Setting, User
from course.services import audit, stamps
from course.services.errors import ServiceError

SETTING = "time_zone"
DEFAULT = "Africa/Cairo"
#: The zones an administrator may choose, "Region/City" names only (no "EST" or "Etc/GMT+2", whose
#: signs read backwards).
CHOICES = tuple(sorted(name for name in pytz.common_timezones if "/" in name and not name.startswith("Etc/")))


def institute_zone(session: Session) -> str:
    setting = session.get(Setting, SETTING)
    name = setting.value if setting is not None else None
    return name if name in _KNOWN else DEFAULT


def set_institute_zone(session: Session, actor: User, name: str) -> None:
    if name not in _KNOWN:
        raise ServiceError(_l("Choose a time zone from the list."), "time_zone")
    before = institute_zone(session)
    if name == before and session.get(Setting, SETTING) is not None:
        return
    stamps.set_setting(session, SETTING, name)
    audit.record(session, actor, "settings.update", "setting", SETTING, value=name, before=before)


_KNOWN = frozenset(CHOICES) | {DEFAULT, "UTC"}


@lru_cache(maxsize=64)
def zone(name: str) -> pytz.BaseTzInfo:
    return pytz.timezone(name)


def start_of_day(day: date, name: str) -> datetime:
    """The first moment of ``day`` in the zone, in UTC (on a day that starts with a clock change,
    the moment of the change)."""
    return _utc(datetime.combine(day, time(0, 0)), name)


def end_of_day(day: date, name: str) -> datetime:
    """The last second of ``day`` in the zone (23:59:59 there), in UTC: a due date ends then. On
    the night the clocks go back, 23:59:59 happens twice; the day ends at the second one."""
    return _utc(datetime.combine(day, time(23, 59, 59)), name)


def _utc(local: datetime, name: str) -> datetime:
    # is_dst=False: an hour that happens twice counts as the later one, an hour that never happens
    # (clocks going forward) as the moment of the change.
    return zone(name).localize(local, is_dst=False).astimezone(UTC)


def local(moment: datetime, name: str) -> datetime:
    """``moment`` (UTC) as the zone's wall-clock time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(name))


def today(now: datetime, name: str) -> date:
    return local(now, name).date()
