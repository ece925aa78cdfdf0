"""The institute's administration: people, bulk import, cohorts, assignments, settings,
course publishing and the audit log. Admins only."""
from __future__ import annotations

import math
import re
from datetime import datetime

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from course.access import admin_only
from course.downloads import content_disposition
from course.extensions import db
from course.forms import (AssignmentForm, CohortForm, EmptyForm, MembersForm, PersonForm, SettingsForm, TrainerForm,
                          UploadForm)
from course.i18n import current_language
from course.models import Assignment, AuditEntry, Cohort, CohortMember, ImportBatch, Module, Role, User
from course.models._types import utcnow
from course.package import read_package
from course.services import (assignments, audit, cohorts, handouts, importer, institute, lrs, overview, privacy,
                             publishing, referrals, sessions, timezones, users)
from course.services.errors import ServiceError
from course.views.params import id_arg, id_from, page_arg
from course.views.refusals import service_call
from course.views.stations import chosen_station, station_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50
MEMBERS_PER_PAGE = 100


def _page() -> int:
    return page_arg(request.args)


def _course_update() -> bool:
    """Whether the course folder on the server differs from the published course (shown on the
    administration's first page and on the course page, never applied without the admin)."""
    return publishing.folder_differs(db.session, current_app.config["COURSE_DIR"])


@bp.get("/")
@admin_only
def index():
    """An administrator's home: the institute at a glance, and the way to each area."""
    return render_template("admin/overview.html", overview=overview.institute_overview(db.session, now=utcnow()),
                           course_update=_course_update())


@bp.get("/people")
@admin_only
def people():
    query = select(User).order_by(User.full_name)
    search, role = request.args.get("q", "").strip(), request.args.get("role", "")
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(pattern), func.lower(User.username).like(pattern),
                                func.lower(User.staff_number).like(pattern)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = _page()
    rows = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/people.html", people=rows, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), search=search, role=role,
                           course_update=_course_update())


@bp.route("/people/new", methods=["GET", "POST"])
@admin_only
def new_person():
    form = PersonForm()
    form.duty_station.choices = station_choices()
    if form.validate_on_submit():
        with service_call(form) as call:
            password = users.one_time_password()
            person = users.create_user(db.session, username=form.username.data, password=password,
                                       role=Role(form.role.data), full_name=form.full_name.data,
                                       staff_number=form.staff_number.data or None,
                                       duty_station=chosen_station(form.duty_station.data),
                                       language=form.language.data, sex=form.sex.data, email=form.email.data,
                                       must_change_password=True, check_policy=False)
            audit.record(db.session, current_user, "user.create", "user", person.id, username=person.username,
                         role=person.role.value)
        if not call.refused:
            return _password_issued(person, password)
    return render_template("admin/person.html", form=form, person=None)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@admin_only
def person(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    form = PersonForm(obj=person)
    form.duty_station.choices = station_choices()
    if request.method == "GET":
        form.role.data, form.active.data = person.role.value, person.is_active_account
    if form.validate_on_submit():
        with service_call(form) as call:
            users.update_person(db.session, current_user, person, username=form.username.data,
                                full_name=form.full_name.data, staff_number=form.staff_number.data,
                                duty_station=chosen_station(form.duty_station.data), role=Role(form.role.data),
                                language=form.language.data, active=form.active.data, sex=form.sex.data,
                                email=form.email.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.person", user_id=person.id))
    member_of = db.session.scalars(select(Cohort).where(Cohort.members.any(user_id=person.id))
                                   .order_by(Cohort.name)).all()
    assignment_form = _assignment_form()
    own = assignments.assignments_of(db.session, officer=person) if person.role == Role.OFFICER else []
    open_sessions = sessions.open_count(db.session, person, sessions.limits_from(current_app.config), utcnow())
    return render_template("admin/person.html", form=form, person=person, cohorts=member_of,
                           assignment_form=assignment_form, assignments=own, reset_form=EmptyForm(prefix="reset"),
                           anonymise_form=EmptyForm(prefix="anonymise"), remove_form=EmptyForm(prefix="remove"),
                           sessions_form=EmptyForm(prefix="sessions"), open_sessions=open_sessions)


@bp.post("/people/<int:user_id>/sessions/end")
@admin_only
def end_sessions(user_id: int):
    """Every session of the person ends at once (a lost phone, a shared PC left signed in)."""
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="sessions").validate_on_submit():
        abort(400)
    ended = sessions.end_all(db.session, person, actor=current_user)
    db.session.commit()
    flash(ngettext("%(num)s session ended.", "%(num)s sessions ended.", ended), "success")
    if person.id == current_user.id:
        return redirect(url_for("auth.login"))
    return redirect(url_for("admin.person", user_id=person.id))


@bp.post("/people/<int:user_id>/reset-password")
@admin_only
def reset_password(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="reset").validate_on_submit():
        abort(400)
    password = users.reset_password(db.session, current_user, person)
    db.session.commit()
    return _password_issued(person, password)


def _sealed(issued: list) -> str | None:
    return handouts.seal(current_app.config["SECRET_KEY"], current_user, issued, utcnow())


def _password_issued(person: User, password: str):
    # Not cached anywhere: the page holds a password in plain text.
    response = make_response(render_template("admin/password_issued.html", person=person, password=password,
                                             sealed=_sealed([(person, password)]), handout_form=EmptyForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.url_root


@bp.post("/passwords/<any(csv, pdf):kind>")
@admin_only
def password_handout(kind: str):
    """The one-time passwords a page just showed, as a CSV or as printable slips (see
    ``course.services.handouts``: sealed in that page, for its administrator, for 30 minutes)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = handouts.unseal(db.session, current_app.config["SECRET_KEY"], current_user,
                                 request.form.get("sealed", ""), utcnow())
    except ServiceError as error:
        return render_template("errors.html", status=error.status, message=error.message), error.status
    audit.record(db.session, current_user, "user.password_handout", "user", None, format=kind, count=len(issued))
    db.session.commit()
    today = utcnow().date().isoformat()
    if kind == "csv":
        body, mimetype, name = handouts.handout_csv(issued, _base_url()), "text/csv", f"one-time-passwords-{today}.csv"
    else:
        from course.slips_pdf import render_slips_pdf  # reportlab loads only when slips are printed
        body = render_slips_pdf(issued, institute.name(db.session, current_app.config["INSTITUTE_NAME"]), _base_url())
        mimetype, name = "application/pdf", f"one-time-password-slips-{today}.pdf"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name, "attachment"),
                                                      "Cache-Control": "no-store"})


@bp.post("/people/<int:user_id>/anonymise")
@admin_only
def anonymise(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="anonymise").validate_on_submit():
        abort(400)
    with service_call() as call:
        privacy.anonymise(db.session, current_user, person)
    if call.refused:
        return redirect(url_for("admin.person", user_id=person.id))
    flash(_("The account was anonymised. Its attempts still count in the statistics, under no name."), "success")
    return redirect(url_for("admin.person", user_id=person.id))


@bp.get("/import")
@admin_only
def import_officers():
    return render_template("admin/import.html", form=UploadForm(), columns=importer.COLUMNS,
                           required=importer.REQUIRED)


@bp.get("/import/template.csv")
@admin_only
def import_template():
    return Response(importer.template_csv(db.session).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=marsa-officers-template.csv"})


@bp.post("/import")
@admin_only
def upload_officers():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, columns=importer.COLUMNS,
                               required=importer.REQUIRED), 400
    upload = form.file.data
    batch = ImportBatch(filename=(upload.filename or "upload.csv")[:255], content=upload.read(),
                        created_by_id=current_user.id)
    db.session.add(batch)
    db.session.commit()
    return redirect(url_for("admin.import_preview", batch_id=batch.id))


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.filename.endswith(".zip"):
        abort(404)
    return batch


@bp.get("/import/<int:batch_id>")
@admin_only
def import_preview(batch_id: int):
    batch = _batch(batch_id)
    plan = importer.plan_import(db.session, batch.filename, batch.content)
    return render_template("admin/import_preview.html", batch=batch, plan=plan, form=EmptyForm())


@bp.post("/import/<int:batch_id>/apply")
@admin_only
def import_apply(batch_id: int):
    batch = _batch(batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if batch.applied_at is not None:
        flash(_("This file was already imported."), "warning")
        return redirect(url_for("admin.people"))
    plan = importer.plan_import(db.session, batch.filename, batch.content)
    if not plan.ok:
        flash(_("The file still has problems; nothing was imported."), "error")
        return redirect(url_for("admin.import_preview", batch_id=batch.id))
    results = importer.apply_import(db.session, current_user, batch.filename, batch.content)
    batch.applied_at = utcnow()
    batch.content = b""  # personal data is not kept once imported
    db.session.commit()
    response = make_response(render_template("admin/import_done.html", results=results, sealed=_sealed(results),
                                              handout_form=EmptyForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cohorts", methods=["GET", "POST"])
@admin_only
def cohorts_list():
    form = CohortForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            cohort = cohorts.create_cohort(db.session, current_user, form.name.data, form.description.data or "")
        if not call.refused:
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    counts = dict(db.session.execute(select(Cohort.id, func.count()).join(Cohort.members).group_by(Cohort.id)).all())
    rows = db.session.scalars(select(Cohort).order_by(Cohort.archived, Cohort.name)).all()
    return render_template("admin/cohorts.html", cohorts=rows, counts=counts, form=form)


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm(prefix="assign")
    modules = db.session.scalars(select(Module).where(Module.retired.is_(False)).order_by(Module.position)).all()
    form.module.choices = [("all", _("The whole course"))] + [
        (m.key, f"{m.position}. {m.title_in(current_language())}") for m in modules]
    return form


def _day(value, end: bool = False) -> datetime | None:
    """A date entered by the administrator, as the moment it starts (or, for a due date, ends:
    23:59:59) in the institute's time zone."""
    if value is None:
        return None
    zone = timezones.institute_zone(db.session)
    return timezones.end_of_day(value, zone) if end else timezones.start_of_day(value, zone)


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@admin_only
def cohort(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    form = CohortForm(obj=cohort, prefix="cohort")
    if form.submit.data and form.validate_on_submit():
        with service_call(form) as call:
            cohorts.rename_cohort(db.session, current_user, cohort, form.name.data, form.description.data or "",
                                  form.archived.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    trainer_form = TrainerForm(prefix="trainer")
    trainer_form.trainer.choices = [(t.id, t.full_name) for t in db.session.scalars(
        select(User).where(User.role.in_((Role.TRAINER, Role.ADMIN)), User.is_active_account.is_(True))
        .order_by(User.full_name))]
    # Through the membership table, a page at a time: an institute-wide cohort can hold 100,000 officers.
    member_total = db.session.scalar(select(func.count()).select_from(CohortMember)
                                     .where(CohortMember.cohort_id == cohort.id)) or 0
    pages = max(1, math.ceil(member_total / MEMBERS_PER_PAGE))
    page = min(page_arg(request.args), pages)
    members = db.session.scalars(select(User).join(CohortMember, CohortMember.user_id == User.id)
                                 .where(CohortMember.cohort_id == cohort.id).order_by(User.full_name, User.id)
                                 .offset((page - 1) * MEMBERS_PER_PAGE).limit(MEMBERS_PER_PAGE)).all()
    return render_template("admin/cohort.html", cohort=cohort, form=form, members=members,
                           member_total=member_total, page=page, pages=pages,
                           members_form=MembersForm(prefix="members"), trainer_form=trainer_form,
                           trainers=[t.user for t in cohort.trainers], assignment_form=_assignment_form(),
                           assignments=assignments.assignments_of(db.session, cohort=cohort),
                           remove_form=EmptyForm(prefix="remove"))


@bp.post("/cohorts/<int:cohort_id>/members")
@admin_only
def add_members(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    form = MembersForm(prefix="members")
    if not form.validate_on_submit():
        flash(_("List at least one staff number or username."), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    wanted = [line.strip() for line in form.people.data.splitlines() if line.strip()]
    found, missing = [], []
    for key in wanted:
        person = db.session.scalar(select(User).where(or_(User.staff_number == key,
                                                          func.lower(User.username) == key.lower())))
        (found if person else missing).append(person or key)
    if missing:
        flash(_("Not found, nothing was added: %(keys)s", keys=", ".join(missing)), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    with service_call() as call:
        added = sum(cohorts.add_member(db.session, current_user, cohort, person) for person in found)
    if not call.refused:
        flash(_("%(n)s officer(s) added.", n=added), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@admin_only
def remove_member(cohort_id: int, user_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    person = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    cohorts.remove_member(db.session, current_user, cohort, person)
    db.session.commit()
    flash(_("%(name)s left the cohort. Their attempts and progress are kept.", name=person.full_name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/trainers")
@admin_only
def add_trainer(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    trainer = db.session.get(User, id_arg(request.form, "trainer-trainer") or 0)
    if trainer is None or not EmptyForm(prefix="trainer").validate_on_submit():
        flash(_("Choose a trainer."), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    with service_call():
        cohorts.add_trainer(db.session, current_user, cohort, trainer)
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/trainers/<int:user_id>/remove")
@admin_only
def remove_trainer(cohort_id: int, user_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    trainer = db.session.get(User, user_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    cohorts.remove_trainer(db.session, current_user, cohort, trainer)
    db.session.commit()
    flash(_("%(name)s no longer trains this cohort.", name=trainer.full_name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


def _assign(target_cohort: Cohort | None, officer: User | None, back: str):
    form = _assignment_form()
    if not form.validate_on_submit():
        for field in (form.module, form.starts_on, form.due_on):
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
        return redirect(back)
    module = None
    if form.module.data != "all":
        module = db.session.scalar(select(Module).where(Module.key == form.module.data)) or abort(400)
    with service_call() as call:
        assignments.assign(db.session, current_user, module=module, cohort=target_cohort, officer=officer,
                           starts_at=_day(form.starts_on.data), due_at=_day(form.due_on.data, end=True))
    if not call.refused:
        flash(_("Assigned."), "success")
    return redirect(back)


@bp.post("/cohorts/<int:cohort_id>/assignments")
@admin_only
def assign_cohort(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    return _assign(cohort, None, url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/people/<int:user_id>/assignments")
@admin_only
def assign_officer(user_id: int):
    person = db.session.get(User, user_id) or abort(404)
    if person.role != Role.OFFICER:
        abort(404)
    return _assign(None, person, url_for("admin.person", user_id=person.id))


@bp.post("/assignments/<int:assignment_id>/remove")
@admin_only
def remove_assignment(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    if not EmptyForm(prefix="remove").validate_on_submit():
        abort(400)
    back = (url_for("admin.cohort", cohort_id=assignment.cohort_id) if assignment.cohort_id
            else url_for("admin.person", user_id=assignment.user_id))
    assignments.unassign(db.session, current_user, assignment)
    db.session.commit()
    flash(_("Assignment removed. Attempts and progress are kept."), "success")
    return redirect(back)


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    form = SettingsForm()
    if request.method == "GET":
        name = institute.name(db.session, current_app.config["INSTITUTE_NAME"])
        form.institute_en.data, form.institute_ar.data = name.get("en", ""), name.get("ar", "")
        form.show_unassigned.data = assignments.show_unassigned_modules(db.session)
        form.time_zone.data = timezones.institute_zone(db.session)
    if form.validate_on_submit():
        with service_call(form) as call:
            institute.set_name(db.session, current_user, form.institute_en.data, form.institute_ar.data)
            assignments.set_show_unassigned_modules(db.session, current_user, form.show_unassigned.data)
            timezones.set_institute_zone(db.session, current_user, form.time_zone.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form), 400 if request.method == "POST" else 200


@bp.get("/xapi")
@admin_only
def xapi_outbox():
    return render_template("admin/xapi.html", status=lrs.status(db.session),
                           endpoint=current_app.config.get("XAPI_LRS_ENDPOINT"))


#: Form fields of one referral contact: ``who_en-3`` is the first field of the third row.
CONTACT_FIELD = re.compile(r"^(who_en|who_ar|reach|note_en|note_ar)-([1-9][0-9]{0,2})$")
BLANK_CONTACT_ROWS = 3


@bp.route("/referral-contacts", methods=["GET", "POST"])
@admin_only
def referral_contacts():
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        numbered: dict[int, dict] = {}
        for name, value in request.form.items():
            match = CONTACT_FIELD.match(name)
            if match:
                numbered.setdefault(int(match.group(2)), {})[match.group(1)] = value
        rows = [numbered[n] for n in sorted(numbered)]
        with service_call() as call:
            referrals.save_contacts(db.session, current_user, rows, now=utcnow())
        if not call.refused:
            flash(_("Referral contacts saved."), "success")
            return redirect(url_for("admin.referral_contacts"))
    else:
        rows = [vars(c) for c in referrals.contacts(db.session)]
    shown = rows + [{}] * BLANK_CONTACT_ROWS
    return render_template("admin/referral_contacts.html", form=form, rows=shown,
                           saved=referrals.contacts(db.session))


@bp.get("/audit")
@admin_only
def audit_log():
    page = _page()
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    entries = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/audit.html", entries=zip(entries, audit.sentences(db.session, entries)),
                           page=page, pages=max(1, -(-total // PER_PAGE)),
                           action=action)


def _course_page(form: UploadForm):
    return render_template("admin/course.html", form=form, reload_form=EmptyForm(prefix="reload"),
                           course_update=_course_update())


@bp.get("/course")
@admin_only
def course():
    return _course_page(UploadForm())


@bp.post("/course/upload")
@admin_only
def course_upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _course_page(form), 400
    upload = form.file.data
    name = (upload.filename or "course.zip")[:250]
    batch = ImportBatch(filename=name if name.endswith(".zip") else name + ".zip", content=upload.read(),
                        created_by_id=current_user.id)
    db.session.add(batch)
    db.session.commit()
    return redirect(url_for("admin.course_preview", source=f"upload-{batch.id}"))


def _package_from(source: str):
    """(package, label) for "folder" (COURSE_DIR), or (the uploaded zip's batch, label) for "upload-<id>"."""
    if source == "folder":
        return read_package(current_app.config["COURSE_DIR"]), "COURSE_DIR"
    if source.startswith("upload-") and id_from(source[7:]):
        batch = db.session.get(ImportBatch, id_from(source[7:]))
        if batch is None or not batch.filename.endswith(".zip"):
            abort(404)
        return batch, batch.filename
    abort(404)


def _with_package(source: str, action):
    found, label = _package_from(source)
    if not isinstance(found, ImportBatch):
        return action(found, label)
    with publishing.unpacked(found.content) as root:
        if not hasattr(root, "is_dir"):
            return action(None, label, root)
        return action(read_package(root), label)


@bp.get("/course/preview/<source>")
@admin_only
def course_preview(source: str):
    def show(package, label, problem=None):
        problems = [problem] if problem else package.problems
        summary = publishing.preview(db.session, package, now=utcnow()) if package is not None else None
        return render_template("admin/course_preview.html", problems=problems, summary=summary, source=source,
                               label=label, form=EmptyForm(prefix="apply"),
                               folder_differs=source == "folder" and _course_update())
    return _with_package(source, show)


@bp.post("/course/reload")
@admin_only
def course_reload():
    if not EmptyForm(prefix="reload").validate_on_submit():
        abort(400)
    return redirect(url_for("admin.course_preview", source="folder"))


@bp.post("/course/apply/<source>")
@admin_only
def course_apply(source: str):
    if not EmptyForm(prefix="apply").validate_on_submit():
        abort(400)

    def apply(package, label, problem=None):
        if package is None or package.errors:
            flash(_("The package has errors; nothing was changed."), "error")
            return redirect(url_for("admin.course_preview", source=source))
        summary = publishing.publish(db.session, current_user, package, label, now=utcnow())
        db.session.commit()
        flash(_("Published: %(summary)s", summary="; ".join(summary.lines())), "success")
        return redirect(url_for("admin.course"))
    return _with_package(source, apply)
