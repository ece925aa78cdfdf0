"""Reports as tables (a header and rows), and tables as CSV or XLSX files."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import Attempt, Cohort, Quiz, User
from course.models.content import text_in
from course.services import progress, reports, timezones

STATUS_LABELS = {"not_started": "not started", "in_progress": "in progress", "completed": "completed",
                 "failed": "not yet passed", "overdue": "overdue"}


def _percent(value):
    return None if value is None else round(value, 1)


def gradebook_table(session: Session, cohort: Cohort, lang: str = "en", *, now: datetime, zone: str = "UTC"):
    """The cohort's gradebook; due dates as days in ``zone`` (the institute's, for people to read)."""
    modules = progress.active_modules(session)
    officers = reports.cohort_roster(session, cohort)
    statuses = progress.statuses_one_by_one(session, [o.id for o in officers], modules,
                                            now=now,
                                            scope=reports.cohort_officer_ids(cohort))
    header = ["officer", "staff_number", "duty_station"]
    for module in modules:
        prefix = f"M{module.position}"
        header += [f"{prefix} status", f"{prefix} best %", f"{prefix} attempts", f"{prefix} due"]
    module_ids = [module.id for module in modules]

    def rows():
        # Made as they are written: the queries above have run, so the rows need no database, and a
        # 100,000-officer file starts downloading without first holding every row in memory.
        for officer, (_user_id, by_module) in zip(officers, statuses, strict=True):
            row = [officer.full_name, officer.staff_number or "", officer.duty_station or ""]
            for module_id in module_ids:
                status = by_module[module_id]
                row += [STATUS_LABELS[status.status], _percent(status.best_percent), status.attempts_used,
                        timezones.local(status.due.due_at, zone).date().isoformat()
                        if status.due and status.due.due_at else ""]
            yield row
    return header, rows()


def transcript_table(session: Session, officer: User, lang: str = "en", zone: str = "UTC"):
    """An officer's attempts; times as wall-clock times in ``zone`` (the institute's)."""
    attempts = session.scalars(select(Attempt).where(Attempt.user_id == officer.id)
                               .options(selectinload(Attempt.quiz)).order_by(Attempt.started_at)).all()
    header = ["quiz", "attempt", "state", "started", "submitted", "minutes", "score %", "passed"]
    rows = []
    for attempt in attempts:
        minutes = (round((attempt.submitted_at - attempt.started_at).total_seconds() / 60, 1)
                   if attempt.submitted_at else "")
        rows.append([attempt.quiz.title_in(lang), attempt.number, str(attempt.state),
                     timezones.local(attempt.started_at, zone).strftime("%Y-%m-%d %H:%M"),
                     timezones.local(attempt.submitted_at, zone).strftime("%Y-%m-%d %H:%M")
                     if attempt.submitted_at else "",
                     minutes, _percent(attempt.percent), "" if attempt.passed is None else ("yes" if attempt.passed else "no")])
    return header, rows


def item_table(stats: list, lang: str = "en"):
    header = ["question", "type", "objectives", "answers", "facility", "discrimination", "discriminative efficiency",
              "options chosen", "flags"]
    rows = []
    for item in stats:
        chosen = "; ".join(f"{k}: {v}" for k, v in sorted(item.option_counts.items()))
        rows.append([item.question.key, item.definition["type"], " ".join(item.definition["objectives"]), item.n,
                     item.facility, item.discrimination, item.efficiency, chosen, _english(item.flags)])
    return header, rows


def _english(texts: list) -> str:
    """Lazy strings (the item-analysis flags) in English, like every export's headers and labels."""
    with force_locale("en"):
        return "; ".join(str(text) for text in texts)


def gain_table(gain: reports.KnowledgeGain):
    header = ["officer", "staff_number", "pre %", "post %", "gain", "normalised gain"]
    rows = [[o.officer.full_name, o.officer.staff_number or "", o.pre, o.post, o.gain, o.normalised]
            for o in gain.officers]
    return header, rows


#: What a spreadsheet takes for the start of a formula (or, for tab and carriage return, what it strips
#: before looking for one): a cell holding an imported name such as ``=HYPERLINK(...)`` would run as a
#: formula in the trainer's spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """A cell value a spreadsheet shows as text: a string that could start a formula gets a leading
    apostrophe (which spreadsheets read as "this is text"); numbers and other strings are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header, rows) -> bytes:
    return b"".join(csv_chunks(header, rows))


def csv_chunks(header, rows, rows_per_chunk: int = 1000) -> Iterator[bytes]:
    """The CSV file in UTF-8 pieces, for a response that sends a large export as it is encoded instead
    of holding the whole file (twice: text and bytes) in memory."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")  # BOM: Excel opens Arabic names correctly
    writer.writerow([neutralised(v) for v in header])
    for number, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else neutralised(v) for v in row])
        if number % rows_per_chunk == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def to_xlsx(header, rows, title: str) -> bytes:
    """The table as a workbook in which every string is a text cell: openpyxl stores a string starting
    with ``=`` as a formula, so a string that could start one is written as an explicit text cell,
    marked "quote prefix" so that editing it in the spreadsheet does not turn it into one either
    (any other string is a text cell already)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Marsa")

    def cells(values):
        out = []
        for value in values:
            if not (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
                out.append(value)
                continue
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # set after the value: assigning the value re-detects a formula
            cell.quotePrefix = True
            out.append(cell)
        return out

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_filename(kind: str, scope: str, extension: str, today: date) -> str:
    """A download name from the export's kind and scope (a cohort or officer name, kept in its own
    script: send it with ``content_disposition``, which adds an ASCII fallback)."""
    safe = "".join(c if c.isalnum() else "-" for c in scope.lower()).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"marsa-{kind}-{safe or 'all'}-{today.isoformat()}.{extension}"


def quiz_for_items(session: Session, key: str | None) -> Quiz | None:
    query = select(Quiz).where(Quiz.retired.is_(False))
    if key:
        return session.scalar(query.where(Quiz.key == key))
    return session.scalar(query.where(Quiz.module_id.is_not(None)).order_by(Quiz.id))


def quiz_title(quiz: Quiz, lang: str) -> str:
    return text_in(quiz.title, lang)
