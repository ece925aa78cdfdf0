"""The duty stations list: kept by administrators, chosen on a person's page, matched by imports.

A station is matched by its English or Arabic name, without regard to case or repeated spaces, so
"Alexandria Seaport" in a file finds "Alexandria seaport"; anything else is not a station."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from course.models import DutyStation, StationKind, User
from course.models.stations import KIND_LABELS  # noqa: F401 (where the views and reports find them)
from course.services import audit
from course.services.errors import ServiceError


def normalised(name: str) -> str:
    return " ".join((name or "").split()).lower()


def all_stations(session: Session) -> list[DutyStation]:
    return list(session.scalars(select(DutyStation).order_by(DutyStation.name_en)))


def by_name(session: Session, name: str) -> DutyStation | None:
    """The station whose English or Arabic name is ``name`` (case and spacing aside), or None."""
    key = normalised(name)
    if not key:
        return None
    for station in all_stations(session):  # a list of dozens, not thousands
        if key in (normalised(station.name_en), normalised(station.name_ar)):
            return station
    return None


def name_index(session: Session) -> dict[str, DutyStation]:
    """Every name (English and Arabic, normalised) to its station: an import matches many rows."""
    index = {}
    for station in all_stations(session):
        for name in (station.name_en, station.name_ar):
            if normalised(name):
                index.setdefault(normalised(name), station)
    return index


def _checked(session: Session, station: DutyStation | None, name_en: str, name_ar: str, kind: str):
    name_en, name_ar = " ".join((name_en or "").split()), " ".join((name_ar or "").split())
    if not name_en:
        raise ServiceError(_l("The English name is required."), "name_en")
    if len(name_en) > 120 or len(name_ar) > 120:
        raise ServiceError(_l("Use at most 120 characters."), "name_en")
    try:
        kind = StationKind(kind)
    except ValueError:
        raise ServiceError(_l("Choose the kind of station."), "kind") from None
    for name, field in ((name_en, "name_en"), (name_ar, "name_ar")):
        other = by_name(session, name) if name else None
        if other is not None and (station is None or other.id != station.id):
            raise ServiceError(_l("'%(name)s' already names the station %(station)s.", name=name,
                                  station=other.name_en), field)
    return name_en, name_ar, kind


def create_station(session: Session, actor: User, name_en: str, name_ar: str, kind: str) -> DutyStation:
    name_en, name_ar, kind = _checked(session, None, name_en, name_ar, kind)
    station = DutyStation(name_en=name_en, name_ar=name_ar, kind=kind)
    session.add(station)
    session.flush()
    audit.record(session, actor, "station.create", "station", station.id, name_en=name_en, name_ar=name_ar,
                 kind=kind.value)
    return station


def update_station(session: Session, actor: User, station: DutyStation, name_en: str, name_ar: str,
                   kind: str) -> dict:
    name_en, name_ar, kind = _checked(session, station, name_en, name_ar, kind)
    wanted = {"name_en": name_en, "name_ar": name_ar, "kind": kind}
    changes = {k: v for k, v in wanted.items() if getattr(station, k) != v}
    for key, value in changes.items():
        setattr(station, key, value)
    if changes:
        audit.record(session, actor, "station.update", "station", station.id,
                     **{k: str(v) for k, v in changes.items()})
    session.flush()
    return changes


def in_use(session: Session) -> dict[int, int]:
    """How many people each station has."""
    return dict(session.execute(select(User.duty_station_id, func.count()).where(User.duty_station_id.is_not(None))
                                .group_by(User.duty_station_id)).all())


def delete_station(session: Session, actor: User, station: DutyStation) -> None:
    if session.scalar(select(exists().where(User.duty_station_id == station.id))):
        raise ServiceError(_l("%(station)s still has people; move them to another station first.",
                              station=station.name_en))
    audit.record(session, actor, "station.delete", "station", station.id, name_en=station.name_en)
    session.delete(station)
    session.flush()
