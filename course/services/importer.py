"""Bulk enrolment of officers from CSV or XLSX.

Reading and checking (``read_rows`` / ``plan_import``) changes nothing and reports every bad row
with its line number; ``apply_import`` refuses a file that still has any error, so a file is
imported whole or not at all.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.models import Cohort, DutyStation, Role, Sex, User
from course.services import audit, cohorts, stations, users
from course.services.errors import ServiceError

COLUMNS = ("full_name", "staff_number", "username", "duty_station", "language", "cohort", "sex", "email")
REQUIRED = ("full_name", "staff_number")
#: The template's example officers (name, staff number, username, language, sex, e-mail); their
#: duty station and cohort are filled in by ``template_rows`` from what exists.
EXAMPLE_OFFICERS = [
    ("Amal Hassan", "EXAMPLE-0001", "", "ar", "female", ""),
    ("Karim Farouk", "EXAMPLE-0002", "", "en", "", ""),
]
#: What a ``sex`` cell may hold (case aside): the stored values, their English words and the Arabic ones.
SEX_WORDS = {**{sex.value: sex for sex in Sex}, "prefer not to say": Sex.PREFER_NOT_TO_SAY,
             "أنثى": Sex.FEMALE, "ذكر": Sex.MALE, "أفضل عدم الإفصاح": Sex.PREFER_NOT_TO_SAY}
USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{2,80}$")
MAX_ROWS = 5000


@dataclass
class RowProblem:
    line: int
    field: str
    message: str  # a lazy string: in the language of the page that shows it (str() it to render or compare)

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class PlannedRow:
    line: int
    action: str  # "create" or "update"
    values: dict
    changes: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def template_rows(session: Session) -> list[tuple]:
    """The template's header and example rows, which import as downloaded. An import never creates
    cohorts (a misspelt name would silently start a new one) nor duty stations (they are the
    administrators' managed list), so the examples name the newest cohort and the first stations
    that exist, and leave those cells empty on a fresh installation. The staff numbers say they are
    examples, and importing the template twice changes nothing the second time."""
    cohort = session.scalar(select(Cohort.name).where(Cohort.archived.is_(False))
                            .order_by(Cohort.created_at.desc(), Cohort.id.desc()).limit(1)) or ""
    known = list(session.scalars(select(DutyStation.name_en).order_by(DutyStation.id).limit(2)))
    rows = [COLUMNS]
    for n, (name, staff, username, language, sex, email) in enumerate(EXAMPLE_OFFICERS):
        station = known[n] if n < len(known) else ""
        row = {"full_name": name, "staff_number": staff, "username": username, "duty_station": station,
               "language": language, "cohort": cohort if n == 0 else "", "sex": sex, "email": email}
        rows.append(tuple(row[column] for column in COLUMNS))
    return rows


def template_csv(session: Session) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(template_rows(session))
    return "\ufeff" + out.getvalue()  # a BOM lets Excel open the Arabic names correctly


def read_rows(filename: str, content: bytes) -> tuple[list[tuple[int, dict]], list[RowProblem]]:
    """(line, row) pairs with normalised column names, or the problems that stop reading."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        return [], [RowProblem(line, "file", _l("is not UTF-8 text. In Excel choose Save As › "
                                              "\"CSV UTF-8 (Comma delimited)\" and upload again."))]
    # Only the delimiter is guessed (Excel writes ";" in some locales); quoting stays Excel's own,
    # so a name with a quote in it, written as "", is read back exactly.
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    rows = []
    try:
        for record in reader:
            rows.append((reader.line_num, record))
    except csv.Error as error:
        return [], [RowProblem(reader.line_num, "file", _l("is not valid CSV (%(error)s)", error=str(error)))]
    return _with_header(rows)


def _read_xlsx(content: bytes):
    from openpyxl import load_workbook
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        # Read inside the try: a read-only sheet is parsed row by row, so a damaged sheet (or one with
        # an entity declaration, which the XML parser refuses) fails here, not when it is opened.
        rows = [(index, ["" if cell is None else str(cell) for cell in record])
                for index, record in enumerate(sheet.iter_rows(values_only=True), start=1)]
    except Exception:  # openpyxl raises many kinds of error for a file that is not a workbook
        return [], [RowProblem(1, "file", _l("could not be read as an Excel workbook (.xlsx)"))]
    return _with_header(rows)


def _with_header(rows):
    rows = [(line, record) for line, record in rows if any(cell.strip() for cell in record)]
    if not rows:
        return [], [RowProblem(1, "file", _l("is empty"))]
    header_line, header = rows[0]
    names = [h.strip().lower().replace(" ", "_") for h in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    problems = []
    if unknown:
        problems.append(RowProblem(header_line, "header",
                                   _l("unknown column(s): %(unknown)s; the columns are %(columns)s",
                                      unknown=", ".join(unknown), columns=", ".join(COLUMNS))))
    if missing:
        problems.append(RowProblem(header_line, "header",
                                   _l("missing column(s): %(missing)s", missing=", ".join(missing))))
    if problems:
        return [], problems
    if len(rows) - 1 > MAX_ROWS:
        return [], [RowProblem(header_line, "file", _l("has more than %(n)s rows; split it", n=MAX_ROWS))]
    out = []
    for line, record in rows[1:]:
        if len(record) > len(names):
            extra = [c for c in record[len(names):] if c.strip()]
            if extra:
                problems.append(RowProblem(line, "row", _l("has more cells than the header has columns")))
                continue
        values = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(names) if name}
        out.append((line, values))
    return out, problems


def plan_import(session: Session, filename: str, content: bytes) -> ImportPlan:
    plan = ImportPlan()
    rows, plan.problems = read_rows(filename, content)
    if plan.problems:
        return plan
    seen_staff: dict[str, int] = {}
    seen_usernames: dict[str, int] = {}
    known_cohorts = set(session.scalars(select(Cohort.name)))
    station_index = stations.name_index(session)
    for line, values in rows:
        problems_before = len(plan.problems)

        def problem(field_name: str, message, line=line) -> None:
            plan.problems.append(RowProblem(line, field_name, message))

        if not values.get("full_name"):
            problem("full_name", _l("is missing"))
        elif len(values["full_name"]) > 200:
            problem("full_name", _l("is longer than 200 characters"))
        staff = values.get("staff_number", "")
        if not staff:
            problem("staff_number", _l("is missing"))
        elif staff in seen_staff:
            problem("staff_number", _l("%(value)s appears twice in the file (also on line %(line)s)",
                                       value=staff, line=seen_staff[staff]))
        else:
            seen_staff[staff] = line
        language = (values.get("language") or "en").lower()
        if language not in ("en", "ar"):
            problem("language", _l("'%(language)s' is not a language Marsa offers (use en or ar)", language=language))
        cohort = values.get("cohort", "")
        if cohort and cohort not in known_cohorts:
            problem("cohort", _l("no cohort named '%(cohort)s'; create it first or leave the cell empty",
                                 cohort=cohort))
        station_name = values.get("duty_station", "")
        station = station_index.get(stations.normalised(station_name)) if station_name else None
        if station_name and station is None:
            problem("duty_station", _l("no duty station named '%(station)s' in the list; add it in "
                                       "Administration › Duty stations or correct the cell", station=station_name))
        sex_cell = " ".join(values.get("sex", "").split()).lower()
        sex = SEX_WORDS.get(sex_cell) if sex_cell else None
        if sex_cell and sex is None:
            problem("sex", _l("'%(value)s' is not one of: female, male, prefer_not_to_say (or leave it empty)",
                              value=values["sex"]))
        email = None
        try:
            email = users.parse_email(values.get("email"))
        except ServiceError as error:
            problem("email", error.message)
        existing = session.scalar(select(User).where(User.staff_number == staff)) if staff else None
        username = values.get("username") or (existing.username if existing else _username_from(staff))
        if username and not USERNAME_RE.match(username):
            problem("username", _l("'%(username)s': use 2 to 80 letters, digits, dots, hyphens or underscores",
                                   username=username))
        elif username:
            lowered = username.lower()
            if lowered in seen_usernames:
                problem("username", _l("%(value)s appears twice in the file (also on line %(line)s)",
                                       value=username, line=seen_usernames[lowered]))
            seen_usernames[lowered] = line
            holder = users.find_user(session, username)
            if holder is not None and (existing is None or holder.id != existing.id):
                problem("username", _l("%(username)s already belongs to someone else", username=username))
        if existing is not None and existing.role != Role.OFFICER:
            problem("staff_number", _l("%(number)s belongs to a trainer, not an officer", number=staff)
                    if existing.role == Role.TRAINER else
                    _l("%(number)s belongs to an administrator, not an officer", number=staff))
        if len(plan.problems) > problems_before:
            continue
        # The station by its name in the list (the preview shows it, the audit log records it); the
        # sex by its stored value. An empty cell leaves an existing officer's value as it is.
        data = {"full_name": values["full_name"], "staff_number": staff, "username": username,
                "duty_station": station.name_en if station else None, "language": language, "cohort": cohort or None,
                "sex": sex.value if sex else None, "email": email}
        if existing is None:
            plan.rows.append(PlannedRow(line, "create", data))
        else:
            current = {"full_name": existing.full_name, "language": existing.language, "username": existing.username,
                       "duty_station": existing.duty_station.name_en if existing.duty_station else None,
                       "sex": existing.sex.value if existing.sex else None, "email": existing.email}
            changes = {k: data[k] for k in UPDATED if data[k] is not None and current[k] != data[k]}
            if data["cohort"]:
                changes["cohort"] = data["cohort"]
            plan.rows.append(PlannedRow(line, "update", data, changes))
    return plan


#: What an import may change about an officer who exists already.
UPDATED = ("full_name", "duty_station", "language", "username", "sex", "email")


def _username_from(staff_number: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", staff_number.lower()).strip("-")


def apply_import(session: Session, actor: User, filename: str, content: bytes) -> list[tuple[User, str | None]]:
    """Create or update every officer of a clean file; returns (officer, one-time password or None)."""
    plan = plan_import(session, filename, content)
    if not plan.ok:
        raise ValueError("the file has problems; nothing was imported")
    results = []
    station_index = stations.name_index(session)
    for row in plan.rows:
        data = row.values
        station = station_index[stations.normalised(data["duty_station"])] if data["duty_station"] else None
        if row.action == "create":
            password = users.one_time_password()
            officer = users.create_user(session, username=data["username"], password=password, role=Role.OFFICER,
                                        full_name=data["full_name"], staff_number=data["staff_number"],
                                        duty_station=station, language=data["language"], sex=data["sex"],
                                        email=data["email"], must_change_password=True, check_policy=False)
            audit.record(session, actor, "user.create", "user", officer.id, username=officer.username,
                         source=filename)
            results.append((officer, password))
        else:
            officer = session.scalar(select(User).where(User.staff_number == data["staff_number"]))
            for key in UPDATED:
                if key in row.changes:
                    setattr(officer, key, station if key == "duty_station" else
                            users.parse_sex(row.changes[key]) if key == "sex" else row.changes[key])
            if row.changes:
                audit.record(session, actor, "user.update", "user", officer.id, source=filename,
                             **dict(row.changes.items()))
            results.append((officer, None))
        if data["cohort"]:
            cohorts.add_member(session, actor, cohorts.cohort_by_name(session, data["cohort"]), officer)
    session.flush()
    return results
