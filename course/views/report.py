"""The institute report (``services/institute_report.py``): on screen, as CSV, XLSX and PDF.

Administrators see any cohort or all of them; a trainer sees the cohorts they train (all of them
together, or one), so the report's small-number protection applies to trainers too and no page of
it names an officer."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from course.access import staff_only
from course.downloads import content_disposition
from course.extensions import db
from course.i18n import current_language
from course.models import Role
from course.models._types import utcnow
from course.services import cohorts, exports
from course.services import institute_report as service
from course.views.params import id_arg

bp = Blueprint("report", __name__, url_prefix="/reports")


def _date(name: str) -> tuple[date | None, str | None]:
    value = request.args.get(name, "").strip()
    if not value:
        return None, None
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, _("'%(value)s' is not a date (use YYYY-MM-DD).", value=value[:20])


def _request_report():
    """(report, choices, problems) for the query string: the viewer's cohorts only (404 for another).
    No report and problems: the query string is wrong; no report and no problems: nothing to report."""
    visible = cohorts.cohorts_visible_to(db.session, current_user)
    chosen_id = id_arg(request.args, "cohort")
    if request.args.get("cohort") and chosen_id is None:
        abort(404)
    chosen = [c for c in visible if c.id == chosen_id] if chosen_id else []
    if chosen_id and not chosen:
        abort(404)
    start, start_problem = _date("start")
    end, end_problem = _date("end")
    problems = [p for p in (start_problem, end_problem) if p]
    if start and end and end < start:
        problems.append(_("The period ends before it starts."))
    if problems:
        return None, visible, problems
    scope = chosen or (None if current_user.role == Role.ADMIN else visible)
    if scope == []:  # a trainer with no cohort: nothing to report, not the whole institute
        return None, visible, []
    return service.institute_report(db.session, scope, start, end), visible, []


@bp.get("/institute")
@staff_only
def institute():
    report, choices, problems = _request_report()
    lang = current_language()
    chart = []
    if report is not None:
        # The chart: enrolled, completed and certified, for everyone and by sex (suppressed: no bar).
        for group in [report.total, *report.by_sex]:
            chart.append((service.label_in(group, lang), [(name, group.shown(name)) for name in
                                                          ("enrolled", "completed", "certified")]))
    largest = max([report.total.enrolled if report else 0, 1])
    return render_template("report/institute.html", report=report, choices=choices, problems=problems,
                           args=request.args, chart=chart, largest=largest, labels=service.COLUMN_LABELS,
                           breakdown_labels=service.BREAKDOWN_LABELS, label_in=service.label_in,
                           scope=service.scope_text(report, lang) if report else ""), 400 if problems else 200


@bp.get("/institute.<fmt>")
@staff_only
def institute_export(fmt: str):
    if fmt not in ("csv", "xlsx", "pdf"):
        abort(404)
    report, _choices, problems = _request_report()
    if report is None:
        return Response("; ".join(problems) or _("You do not train any cohort yet."), status=400 if problems else 404,
                        mimetype="text/plain")
    lang = current_language()
    header, rows = service.report_table(report, lang)
    scope_name = report.cohorts[0].name if len(report.cohorts) == 1 else "all"
    name = exports.export_filename("institute-report", scope_name, fmt, utcnow().date())
    if fmt == "pdf":
        body = _pdf(report, header, rows, lang)
        mimetype = "application/pdf"
    elif fmt == "xlsx":
        body = exports.to_xlsx(header, rows, "institute report")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_csv(header, rows)
        mimetype = "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name)})


def _pdf(report, header, rows, lang: str) -> bytes:
    from course.pdf.report import render
    generated = _("Made on %(date)s by %(name)s. Cells of fewer than 5 officers are shown as \"<5\".",
                  date=format_date(utcnow(), "long"), name=current_user.full_name)
    return render(_("Institute report: %(institute)s", institute=current_app.config["INSTITUTE_NAME"]),
                  service.scope_text(report, lang), generated, header, rows, lang,
                  more_note=_("%(n)s more rows: the CSV and Excel files have them all."))
