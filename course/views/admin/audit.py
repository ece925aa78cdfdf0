"""The audit log, newest first, filtered by the start of an action's name."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from course.access import admin_only
from course.extensions import db
from course.services import audit
from course.views.admin.common import PER_PAGE, page, pages


@admin_only
def audit_log():
    current = page()
    action = request.args.get("action", "").strip()
    entries, total = audit.entries_page(db.session, action, current, PER_PAGE)
    return render_template("admin/audit.html", entries=zip(entries, audit.sentences(db.session, entries)),
                           page=current, pages=pages(total), action=action)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/audit", view_func=audit_log, methods=["GET"])
