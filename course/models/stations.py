"""Duty stations: the ports and offices officers serve at, as a list the administrator keeps, so
reports can count officers by station and by kind of station (a free-text station spelt three
ways would count as three)."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from course.db import Base
from course.models._types import UTCDateTime, utcnow


class StationKind(enum.StrEnum):
    SEAPORT = "seaport"
    AIRPORT = "airport"
    LAND_PORT = "land_port"
    INLAND_OFFICE = "inland_office"
    #: Not known yet: stations converted from the earlier free-text field whose name did not say
    #: their kind. Kept apart from "inland office" so that a report never counts a port it could
    #: not classify as an inland office; the administrator sets the real kind.
    NOT_SET = "not_set"



#: Each kind as people read it (the station pages, the institute report, the audit log).
KIND_LABELS = {
    StationKind.SEAPORT: _l("Seaport"),
    StationKind.AIRPORT: _l("Airport"),
    StationKind.LAND_PORT: _l("Land port"),
    StationKind.INLAND_OFFICE: _l("Inland office"),
    StationKind.NOT_SET: _l("Kind not set"),
}

class DutyStation(Base):
    __tablename__ = "duty_stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name imports and the gradebook use, e.g. "Alexandria seaport" (unique).
    name_en: Mapped[str] = mapped_column(String(120), unique=True)
    name_ar: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[StationKind] = mapped_column(
        Enum(StationKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e],
             validate_strings=True, create_constraint=True, name="station_kind"),
        default=StationKind.NOT_SET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def name_in(self, lang: str) -> str:
        return (self.name_ar if lang == "ar" else "") or self.name_en

    def __repr__(self) -> str:
        return f"<DutyStation {self.name_en} {self.kind}>"
