"""The trainer's side: cohorts, gradebook, transcripts, item analysis, knowledge gain, exports.

A trainer sees only the cohorts they train (admins see all): every route goes through
``_cohort_for`` or ``get_person_for``, which answer 404 for anything else.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from course.access import get_person_for, staff_only
from course.downloads import content_disposition
from course.extensions import db
from course.forms import EmptyForm, GrantAttemptForm, OverrideForm
from course.i18n import current_language
from course.models import Attempt, Cohort, GradeOverride, Question, QuestionVersion, Quiz, Role
from course.models._types import utcnow
from course.models.content import questions_of
from course.services import cohorts, exports, grants, overview, progress, releases, reports, review_policy, timezones
from course.services import overrides as override_service
from course.services import regrade as regrade_service
from course.views.params import id_arg, page_arg
from course.views.refusals import service_call

bp = Blueprint("trainer", __name__, url_prefix="/trainer")


def _cohort_for(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohorts.can_see_cohort(db.session, current_user, cohort):
        abort(404)
    return cohort


def _download(header, rows, fmt: str, kind: str, scope: str):
    if fmt == "xlsx":
        body = exports.to_xlsx(header, rows, kind)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        # Encoded and sent in pieces: the gradebook of 100,000 officers is a file of some 20 MB. Every
        # query has run before the response starts, so the pieces need neither the request nor the
        # database (rows may still be made as they are sent: see exports.gradebook_table).
        body = exports.csv_chunks(header, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        abort(404)
    name = exports.export_filename(kind, scope, fmt, timezones.today(utcnow(), timezones.institute_zone(db.session)))
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name)})


@bp.get("/")
@staff_only
def cohorts_list():
    """A trainer's home: their cohorts, each with what needs attention now."""
    cards = overview.trainer_home(db.session, cohorts.cohorts_visible_to(db.session, current_user), now=utcnow())
    return render_template("trainer/cohorts.html", cards=cards)


@bp.get("/cohorts/<int:cohort_id>")
@staff_only
def gradebook(cohort_id: int):
    cohort = _cohort_for(cohort_id)
    args = request.args
    module_id = id_arg(args, "module")
    page = reports.gradebook(db.session, cohort, search=args.get("q", ""), station=args.get("station", ""),
                             status=args.get("status", ""), module_id=module_id, sort=args.get("sort", "name"),
                             page=page_arg(args), now=utcnow(), lang=current_language())
    station_names = reports.cohort_stations(db.session, cohort, current_language())
    exams = [q for q in db.session.scalars(select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.id))
             if review_policy.releasable(q)]
    return render_template("trainer/gradebook.html", cohort=cohort, page=page, stations=station_names,
                           station_name=reports.station_name,
                           args=args, module_id=module_id, exams=exams,
                           released=releases.releases_for(db.session, cohort), release_form=EmptyForm())


@bp.get("/cohorts/<int:cohort_id>/gradebook.<fmt>")
@staff_only
def gradebook_export(cohort_id: int, fmt: str):
    cohort = _cohort_for(cohort_id)
    header, rows = exports.gradebook_table(db.session, cohort, current_language(), now=utcnow(),
                                           zone=timezones.institute_zone(db.session))
    return _download(header, rows, fmt, "gradebook", cohort.name)


@bp.get("/cohorts/<int:cohort_id>/items")
@staff_only
def items(cohort_id: int):
    cohort = _cohort_for(cohort_id)
    quizzes = db.session.scalars(select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.module_id.is_(None),
                                                                                      Quiz.module_id)).all()
    quiz = exports.quiz_for_items(db.session, request.args.get("quiz"))
    if quiz is None:
        abort(404)
    answered_in, attempts = _item_filters()
    stats = reports.item_analysis(db.session, cohort, quiz, current_language(), answered_in, attempts)
    mastery = reports.objective_mastery(db.session, stats)
    distribution = reports.score_distribution(db.session, cohort, quiz, answered_in, attempts)
    mastery_rows = [(m.objective.key, m.questions, None if m.mastery is None else round(100 * m.mastery))
                     for m in mastery]
    revised = set(db.session.scalars(  # questions corrected since first published: they can be regraded
        select(QuestionVersion.question_id).join(Question, Question.id == QuestionVersion.question_id)
        .where(questions_of(quiz)).group_by(QuestionVersion.question_id)
        .having(func.count() > 1)))
    return render_template("trainer/items.html", cohort=cohort, quiz=quiz, quizzes=quizzes, stats=stats,
                           mastery_rows=mastery_rows, distribution=distribution, answered_in=answered_in,
                           attempts=attempts, revised=revised)


def _item_filters() -> tuple[str | None, str]:
    """The item analysis's language and attempts filters; anything unknown means both languages and
    first attempts (the form offers nothing else)."""
    answered_in = request.args.get("answered_in") if request.args.get("answered_in") in ("en", "ar") else None
    attempts = request.args.get("attempts")
    return answered_in, attempts if attempts in reports.ATTEMPT_CHOICES else "first"


@bp.get("/cohorts/<int:cohort_id>/items.<fmt>")
@staff_only
def items_export(cohort_id: int, fmt: str):
    cohort = _cohort_for(cohort_id)
    quiz = exports.quiz_for_items(db.session, request.args.get("quiz")) or abort(404)
    answered_in, attempts = _item_filters()
    header, rows = exports.item_table(reports.item_analysis(db.session, cohort, quiz, answered_in=answered_in,
                                                            attempts=attempts))
    return _download(header, rows, fmt, f"items-{quiz.key}", cohort.name)


@bp.get("/cohorts/<int:cohort_id>/gain")
@staff_only
def gain(cohort_id: int):
    cohort = _cohort_for(cohort_id)
    gain = reports.knowledge_gain(db.session, cohort)
    module_rows = [(f"M{m.position}", pre, post) for m, pre, post in gain.by_module]
    return render_template("trainer/gain.html", cohort=cohort, gain=gain, module_rows=module_rows,
                           completions=reports.completions_over_time(db.session, cohort))


@bp.get("/cohorts/<int:cohort_id>/gain.<fmt>")
@staff_only
def gain_export(cohort_id: int, fmt: str):
    cohort = _cohort_for(cohort_id)
    header, rows = exports.gain_table(reports.knowledge_gain(db.session, cohort))
    return _download(header, rows, fmt, "knowledge-gain", cohort.name)


def _override_form(person) -> OverrideForm:
    form = OverrideForm(prefix="override")
    form.quiz.choices = [(q.key, q.title_in(current_language())) for q in db.session.scalars(
        select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.module_id.is_(None), Quiz.module_id))]
    return form


def _officer_for(user_id: int):
    """An officer of the viewer's cohorts (404 for anyone else, staff included)."""
    person = get_person_for(current_user, user_id)
    if person.role != Role.OFFICER:
        abort(404)
    return person


def _flash_errors(*fields) -> None:
    for field in fields:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "error")


def _grant_form(person) -> GrantAttemptForm:
    form = GrantAttemptForm(prefix="grant")
    form.quiz.choices = [(q.key, q.title_in(current_language())) for q in grants.grantable_quizzes(db.session, person)]
    return form


@bp.get("/officers/<int:user_id>")
@staff_only
def officer(user_id: int):
    person = _officer_for(user_id)
    modules = progress.active_modules(db.session)
    statuses = progress.statuses_for(db.session, [person.id], modules, now=utcnow())[person.id]
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == person.id)
                                  .options(selectinload(Attempt.quiz)).order_by(Attempt.started_at)).all()
    overrides = db.session.scalars(select(GradeOverride).where(GradeOverride.user_id == person.id)
                                   .order_by(GradeOverride.created_at.desc())).all()
    return render_template("trainer/officer.html", person=person, rows=[statuses[m.id] for m in modules],
                           attempts=attempts, overrides=overrides, override_form=_override_form(person),
                           grants=grants.grants_of(db.session, person), grant_form=_grant_form(person))


@bp.get("/officers/<int:user_id>/transcript.<fmt>")
@staff_only
def transcript_export(user_id: int, fmt: str):
    person = get_person_for(current_user, user_id)
    header, rows = exports.transcript_table(db.session, person, current_language(),
                                            zone=timezones.institute_zone(db.session))
    return _download(header, rows, fmt, "transcript", person.staff_number or person.username)


@bp.post("/officers/<int:user_id>/override")
@staff_only
def override(user_id: int):
    person = get_person_for(current_user, user_id)
    form = _override_form(person)
    if not form.validate_on_submit():
        _flash_errors(form.quiz, form.percent, form.reason)
        return redirect(url_for("trainer.officer", user_id=person.id))
    quiz = db.session.scalar(select(Quiz).where(Quiz.key == form.quiz.data)) or abort(400)
    with service_call() as call:
        override_service.override_grade(db.session, current_user, person, quiz, form.percent.data, form.reason.data,
                                        utcnow())
    if call.refused:
        return redirect(url_for("trainer.cohorts_list"))
    flash(_("Grade overridden. The change is in the audit log."), "success")
    return redirect(url_for("trainer.officer", user_id=person.id))


@bp.post("/officers/<int:user_id>/grant-attempt")
@staff_only
def grant_attempt(user_id: int):
    """One more attempt at a quiz for an officer of the trainer's cohorts, with a reason (audited)."""
    person = _officer_for(user_id)
    form = _grant_form(person)
    if not form.validate_on_submit():
        _flash_errors(form.quiz, form.reason)
        return redirect(url_for("trainer.officer", user_id=person.id))
    quiz = db.session.scalar(select(Quiz).where(Quiz.key == form.quiz.data)) or abort(400)
    with service_call() as call:
        granted = grants.grant_attempt(db.session, current_user, person, quiz, form.reason.data, utcnow())
    if call.refused:
        return redirect(url_for("trainer.officer", user_id=person.id))
    flash(_("%(name)s may take “%(quiz)s” once more. The grant is in the audit log.",
            name=person.full_name, quiz=quiz.title_in(current_language())), "success")
    if granted.answers_seen:
        flash(_("%(name)s has already been shown the correct answers of this quiz.", name=person.full_name),
              "warning")
    return redirect(url_for("trainer.officer", user_id=person.id))


@bp.route("/questions/<key>/regrade", methods=["GET", "POST"])
@staff_only
def regrade(key: str):
    """Re-score answers to earlier versions of a corrected question: a dry run first, then apply."""
    question = db.session.scalar(select(Question).where(Question.key == key)) or abort(404)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        changes = regrade_service.apply_regrade(db.session, current_user, question, utcnow())
        db.session.commit()
        flash(ngettext("%(num)s attempt regraded.", "%(num)s attempts regraded.", len(changes)), "success")
        return redirect(url_for("trainer.regrade", key=key))
    changes = regrade_service.plan_regrade(db.session, current_user, question)
    return render_template("trainer/regrade.html", question=question, changes=changes, form=form)


@bp.post("/cohorts/<int:cohort_id>/release")
@staff_only
def release(cohort_id: int):
    """Release the results of an exam-style quiz to this cohort."""
    cohort = _cohort_for(cohort_id)
    if not EmptyForm().validate_on_submit() or not request.form.get("quiz"):
        abort(400)
    quiz = db.session.scalar(select(Quiz).where(Quiz.key == request.form["quiz"], Quiz.retired.is_(False)))
    if quiz is None or not review_policy.releasable(quiz):
        abort(404)
    if releases.release(db.session, current_user, quiz, cohort, utcnow()):
        flash(_("Results released: the officers of %(cohort)s now see their results of %(quiz)s.",
                cohort=cohort.name, quiz=quiz.title_in(current_language())), "success")
    db.session.commit()
    return redirect(url_for("trainer.gradebook", cohort_id=cohort.id))
