"""The trainer's grading queue: answers that a trainer marks (essays), per cohort.

A trainer sees the queue of the cohorts they train (admins: every cohort) and grades only answers of
that cohort's officers: the cohort goes through ``get_cohort_for`` and the answer through
``grading.answer_in_cohort``, both 404 for anything else. The work is the grading service's.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.access import get_cohort_for, staff_only
from course.extensions import db
from course.forms import EmptyForm
from course.i18n import current_language
from course.models._types import utcnow
from course.services import grading
from course.views.refusals import service_call

bp = Blueprint("grading", __name__, url_prefix="/trainer/cohorts/<int:cohort_id>/grading")


@bp.get("")
@staff_only
def queue(cohort_id: int):
    cohort = get_cohort_for(current_user, cohort_id)
    return render_template("grading/queue.html", cohort=cohort, entries=grading.queue(db.session, cohort),
                           lang=current_language())


def _answer(cohort, answer_id: int):
    answer = grading.answer_in_cohort(db.session, cohort, answer_id)
    if answer is None:
        abort(404)
    return answer


@bp.get("/<int:answer_id>")
@staff_only
def answer(cohort_id: int, answer_id: int):
    cohort = get_cohort_for(current_user, cohort_id)
    return _form_page(cohort, _answer(cohort, answer_id), {}, "")


def _form_page(cohort, answer, errors: dict, field: str, status: int = 200):
    grading_row = answer.grading
    given = request.form if request.method == "POST" else {
        f"mark-{key}": f"{value:g}" for key, value in (grading_row.marks if grading_row else {}).items()}
    comment = request.form.get("comment", "") if request.method == "POST" else (
        grading_row.comment if grading_row else "")
    return render_template("grading/answer.html", cohort=cohort, answer=answer, attempt=answer.attempt,
                           definition=answer.question_version.definition, given=given, comment=comment,
                           error=errors.get("message"), error_field=field, form=EmptyForm(),
                           lang=current_language()), status


@bp.post("/<int:answer_id>")
@staff_only
def grade(cohort_id: int, answer_id: int):
    cohort = get_cohort_for(current_user, cohort_id)
    answer = _answer(cohort, answer_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    marks = {key[len("mark-"):]: value for key, value in request.form.items() if key.startswith("mark-")}
    with service_call(report=False) as call:
        grading.grade_answer(db.session, current_user, answer, marks, request.form.get("comment", ""), utcnow())
    if call.refused:
        return _form_page(cohort, _answer(cohort, answer_id), {"message": call.error.message},
                          call.error.field or "", status=call.error.status)
    flash(_("Marks saved for %(name)s.", name=answer.attempt.user.full_name), "success")
    return redirect(url_for("grading.queue", cohort_id=cohort.id))
