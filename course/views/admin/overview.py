"""The administration's first page: the institute at a glance, and the way to each area."""
from __future__ import annotations

from flask import Blueprint, render_template

from course.access import admin_only
from course.extensions import db
from course.models._types import utcnow
from course.services import audit, overview
from course.views.admin.common import course_update


@admin_only
def index():
    """An administrator's home: the institute at a glance, and the way to each area."""
    figures = overview.institute_overview(db.session, now=utcnow())
    # The recent activity as the audit log tells it: a sentence each, in the reader's language.
    activity = list(zip(figures.activity, audit.sentences(db.session, figures.activity), strict=True))
    return render_template("admin/overview.html", overview=figures, activity=activity,
                           course_update=course_update())


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=index, methods=["GET"])
