"""What several parts of the administration share: paging, the course-update notice, the page
that shows one-time passwords and the assignment form."""
from __future__ import annotations

from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from course.extensions import db
from course.forms import AssignmentForm, EmptyForm
from course.i18n import current_language
from course.models import User
from course.models._types import utcnow
from course.services import handouts, progress, publishing
from course.views.params import page_arg

PER_PAGE = 50


def page() -> int:
    return page_arg(request.args)


def pages(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def course_update() -> bool:
    """Whether the course folder on the server differs from the published course (shown on the
    administration's first page and on the course page, never applied without the admin)."""
    return publishing.folder_differs(db.session, current_app.config["COURSE_DIR"])


def sealed(issued: list) -> str | None:
    return handouts.seal(current_app.config["SECRET_KEY"], current_user, issued, utcnow())


def password_issued(person: User, password: str):
    # Not cached anywhere: the page holds a password in plain text.
    response = make_response(render_template("admin/password_issued.html", person=person, password=password,
                                             sealed=sealed([(person, password)]), handout_form=EmptyForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


def assignment_form() -> AssignmentForm:
    form = AssignmentForm(prefix="assign")
    form.module.choices = [("all", _("The whole course"))] + [
        (m.key, f"{m.position}. {m.title_in(current_language())}") for m in progress.active_modules(db.session)]
    return form
