"""The institute report: what training partners and donors ask for, per cohort (or all cohorts) and
period, in aggregate only.

Who is counted: the officers who joined the chosen cohorts within the period (all of them without a
period; an officer in two chosen cohorts counts once). For them, as at the end of the period:
*completed* the course (a course completion recorded), *certified* (a course certificate issued and
not revoked), and their pre-test and post-test scores: each officer's first finished attempt at each,
paired as the knowledge-gain report pairs them (``reports.pre_post_percents``, ``reports.OfficerGain``
and ``reports.KnowledgeGain``: one definition of the scores and of the normalised gain). The mean
normalised gain is the mean of the officers' own gains (post − pre) / (100 − pre); officers who
scored 100 % on the pre-test have no such gain and are counted apart.

Results that the review policy withholds from officers (an exam waiting for its release, a quiz that
never shows a score) count in these aggregates: the policy decides what an officer sees of their own
attempt, while the report is read only by administrators and by trainers, who see each officer's
scores in the gradebook anyway, and it never names an officer.

Small numbers: any cell counting fewer than 5 officers is shown as "<5" (``SUPPRESSED``), on screen
and in every export, and a mean is shown only over 5 officers or more. So that a suppressed cell
cannot be found by subtracting the others from the total, a breakdown hides further cells of a column,
smallest first, until its hidden cells together count no officer or at least 5 (complementary
suppression); means are treated alike by the number of officers behind each, and a
group whose count of paired officers is hidden has its means hidden too. What this does not prevent:
differencing two reports whose populations differ by a few officers (two periods a day apart, a
cohort and all cohorts); the report says so on screen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from course.models import (
    Certificate,
    CertificateKind,
    Cohort,
    CohortMember,
    CourseCompletion,
    DutyStation,
    Role,
    Sex,
    StationKind,
    User,
)
from course.services import reports
from course.services.stations import KIND_LABELS

#: Fewer officers than this in a cell, and the cell is suppressed.
THRESHOLD = 5
SUPPRESSED = "<5"
#: The columns that count officers (each suppressed on its own; see the module's docstring).
COUNTS = ("enrolled", "completed", "certified", "paired", "ceiling")
MEANS = ("mean_pre", "mean_post", "mean_gain")

SEX_LABELS = {Sex.FEMALE: _l("Female"), Sex.MALE: _l("Male"), Sex.PREFER_NOT_TO_SAY: _l("Prefer not to say"),
              None: _l("Not stated")}
NO_STATION = _l("No duty station")
COLUMN_LABELS = {
    "group": _l("Group"), "enrolled": _l("Enrolled"), "completed": _l("Completed"), "certified": _l("Certified"),
    "paired": _l("Took both tests"), "mean_pre": _l("Mean pre-test score (of 100)"),
    "mean_post": _l("Mean post-test score (of 100)"), "mean_gain": _l("Mean normalised gain"),
    "ceiling": _l("Full marks on the pre-test (gain undefined)"),
}
BREAKDOWN_LABELS = {"total": _l("All officers"), "sex": _l("By sex"), "kind": _l("By kind of station"),
                    "station": _l("By duty station")}


@dataclass
class Group:
    """One row of the report: the officers sharing a sex, a station or a kind of station."""

    key: str
    label: object  # a lazy string or a station's name
    gain: reports.KnowledgeGain
    enrolled: int = 0
    completed: int = 0
    certified: int = 0
    #: Names of the cells shown as "<5" (counts and means).
    hidden: set[str] = field(default_factory=set)

    @property
    def paired(self) -> int:
        return self.gain.paired

    @property
    def ceiling(self) -> int:
        return self.gain.ceiling

    @property
    def mean_pre(self) -> float | None:
        return self.gain.mean_pre

    @property
    def mean_post(self) -> float | None:
        return self.gain.mean_post

    @property
    def mean_gain(self) -> float | None:
        return self.gain.mean_normalised

    def shown(self, name: str):
        """The cell as every output shows it: its value, or ``SUPPRESSED``."""
        return SUPPRESSED if name in self.hidden else getattr(self, name)


@dataclass
class InstituteReport:
    cohorts: list[Cohort]  # empty: all cohorts
    start: date | None
    end: date | None
    total: Group
    by_sex: list[Group]
    by_kind: list[Group]
    by_station: list[Group]

    @property
    def breakdowns(self) -> list[tuple[str, list[Group]]]:
        return [("total", [self.total]), ("sex", self.by_sex), ("kind", self.by_kind), ("station", self.by_station)]


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


def population(cohort_ids: list[int] | None, start: date | None, end: date | None) -> Select:
    """The ids of the officers counted: members of the cohorts (None: any cohort) who joined them
    within the period (dates inclusive, UTC)."""
    query = (select(CohortMember.user_id).distinct().join(User, User.id == CohortMember.user_id)
             .where(User.role == Role.OFFICER))
    if cohort_ids is not None:
        query = query.where(CohortMember.cohort_id.in_(cohort_ids))
    if start is not None:
        query = query.where(CohortMember.added_at >= _day_start(start))
    if end is not None:
        query = query.where(CohortMember.added_at < _day_start(end + timedelta(days=1)))
    return query


def institute_report(session: Session, cohorts: list[Cohort] | None, start: date | None = None,
                     end: date | None = None) -> InstituteReport:
    """The report for ``cohorts`` (None or empty: every cohort) and the period ``start``..``end``."""
    cohort_ids = [c.id for c in cohorts] if cohorts else None
    officers = population(cohort_ids, start, end)
    until = _day_start(end + timedelta(days=1)) if end is not None else None
    people = session.execute(
        select(User.id, User.sex, DutyStation.id, DutyStation.name_en, DutyStation.name_ar, DutyStation.kind)
        .outerjoin(DutyStation, DutyStation.id == User.duty_station_id)
        .where(User.id.in_(officers))).all()
    completion = select(CourseCompletion.user_id).where(CourseCompletion.user_id.in_(officers))
    certificate = select(Certificate.user_id).where(Certificate.user_id.in_(officers),
                                                    Certificate.kind == CertificateKind.COURSE)
    if until is not None:
        completion = completion.where(CourseCompletion.completed_at < until)
        certificate = certificate.where(Certificate.issued_at < until,
                                        or_(Certificate.revoked_at.is_(None), Certificate.revoked_at >= until))
    else:
        certificate = certificate.where(Certificate.revoked_at.is_(None))
    completed = set(session.scalars(completion))
    certified = set(session.scalars(certificate))
    scores = reports.pre_post_percents(session, officers, until)
    pre_quiz, post_quiz = reports.course_tests(session)

    def group(key: str, label, ids: list[int]) -> Group:
        pairs = [reports.OfficerGain(reports.OfficerName(i, "", None), *scores[i])
                 for i in ids if i in scores and scores[i][1] is not None]
        gain = reports.KnowledgeGain(pre_quiz, post_quiz, pairs,
                                     sum(1 for i in ids if i in scores and scores[i][1] is None), [])
        return Group(key, label, gain, len(ids), sum(i in completed for i in ids), sum(i in certified for i in ids))

    every = [row[0] for row in people]
    by_sex: dict = {}
    by_station: dict = {}
    by_kind: dict = {}
    names: dict = {}
    for user_id, sex, station_id, name_en, name_ar, kind in people:
        by_sex.setdefault(sex, []).append(user_id)
        by_station.setdefault(station_id, []).append(user_id)
        by_kind.setdefault(kind, []).append(user_id)
        names[station_id] = (name_en, name_ar)
    total = group("total", BREAKDOWN_LABELS["total"], every)
    sexes = [group(f"sex:{s.value if s else 'not_stated'}", SEX_LABELS[s], by_sex.get(s, []))
             for s in (Sex.FEMALE, Sex.MALE, Sex.PREFER_NOT_TO_SAY, None)]
    # Every real kind is listed even with no officer (a donor asks "how many from airports?");
    # "kind not set" and "no station" only when someone is in them.
    kinds = [group(f"kind:{k.value}", KIND_LABELS[k], by_kind.get(k, []))
             for k in StationKind if k != StationKind.NOT_SET or k in by_kind]
    if None in by_kind:
        kinds.append(group("kind:none", NO_STATION, by_kind[None]))
    stations = [group(f"station:{sid}", StationName(*names[sid]), by_station[sid])
                for sid in sorted((s for s in by_station if s is not None), key=lambda s: names[s][0].lower())]
    if None in by_station:
        stations.append(group("station:none", NO_STATION, by_station[None]))
    for rows in ([total], sexes, kinds, stations):
        suppress(rows, total)
    return InstituteReport(list(cohorts or []), start, end, total, sexes, kinds, stations)


@dataclass(frozen=True)
class StationName:
    """A station's name in the reader's language (``str()`` gives the English one)."""

    en: str
    ar: str

    def in_language(self, lang: str) -> str:
        return (self.ar if lang == "ar" else "") or self.en

    def __str__(self) -> str:
        return self.en


def suppress(rows: list[Group], total: Group) -> None:
    """Mark the cells of one breakdown that must be shown as "<5" (see the module's docstring).
    ``total`` is the report's total row (already marked when ``rows`` is a breakdown)."""
    for row in rows:
        row.hidden |= {name for name in COUNTS if getattr(row, name) < THRESHOLD}
    _complement(rows, total, COUNTS, lambda row, name: getattr(row, name))
    for row in rows:
        if "paired" in row.hidden:
            row.hidden |= {"mean_pre", "mean_post", "mean_gain"}
        if row.paired - row.ceiling < THRESHOLD:
            row.hidden.add("mean_gain")
    # A mean times its group's size is a sum: hidden means could be backed out of the total's mean
    # as well, so they are complemented the same way, by the number of officers behind each.
    _complement(rows, total, MEANS, lambda row, name: row.paired - (row.ceiling if name == "mean_gain" else 0))


def _complement(rows: list[Group], total: Group, names, size) -> None:
    """Hide more cells of a column until the hidden ones together hold no officer or at least
    ``THRESHOLD`` of them: the total minus the shown cells gives their sum, which must not be
    a figure about one to four people. The smallest shown cell goes first."""
    if len(rows) < 2:
        return
    for name in names:
        if name in total.hidden:
            continue
        while True:
            hidden = sum(size(row, name) for row in rows if name in row.hidden)
            shown = [row for row in rows if name not in row.hidden]
            if not shown or not 0 < hidden < THRESHOLD:
                break
            min(shown, key=lambda row: size(row, name)).hidden.add(name)


def label_in(group: Group, lang: str) -> str:
    label = group.label
    if isinstance(label, StationName):
        return label.in_language(lang)
    with force_locale(lang):
        return str(label)


def report_table(report: InstituteReport, lang: str):
    """The report as one table (a header and rows), in ``lang``, suppressed cells as "<5"."""
    with force_locale(lang):
        header = [str(_l("Breakdown"))] + [str(COLUMN_LABELS[name]) for name in
                                         ("group", "enrolled", "completed", "certified", "paired", "mean_pre",
                                          "mean_post", "mean_gain", "ceiling")]
        rows = []
        for key, groups in report.breakdowns:
            for group in groups:
                rows.append([str(BREAKDOWN_LABELS[key]), label_in(group, lang)]
                            + [group.shown(name) for name in ("enrolled", "completed", "certified", "paired",
                                                              "mean_pre", "mean_post", "mean_gain", "ceiling")])
    return header, rows


def scope_text(report: InstituteReport, lang: str) -> str:
    """"Cohort: …; period: …" in ``lang``, for titles, exports and the PDF."""
    with force_locale(lang):
        who = (", ".join(c.name for c in report.cohorts) if report.cohorts else str(_l("All cohorts")))
        if report.start and report.end:
            period = str(_l("%(start)s to %(end)s", start=report.start.isoformat(), end=report.end.isoformat()))
        elif report.start:
            period = str(_l("from %(start)s", start=report.start.isoformat()))
        elif report.end:
            period = str(_l("until %(end)s", end=report.end.isoformat()))
        else:
            period = str(_l("all time"))
        return str(_l("Cohorts: %(cohorts)s · Officers who joined: %(period)s", cohorts=who, period=period))
