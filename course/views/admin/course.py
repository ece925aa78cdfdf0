"""The course: publishing a content package (from the server's course folder or an uploaded zip,
previewed first) and the referral contacts the course points officers to."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.access import admin_only
from course.extensions import db
from course.forms import EmptyForm, UploadForm
from course.models import ImportBatch
from course.models._types import utcnow
from course.package import read_package
from course.services import publishing, referrals
from course.views.admin.common import course_update
from course.views.params import id_from
from course.views.refusals import service_call


def _course_page(form: UploadForm):
    return render_template("admin/course.html", form=form, reload_form=EmptyForm(prefix="reload"),
                           course_update=course_update())


@admin_only
def course():
    return _course_page(UploadForm())


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


@admin_only
def course_preview(source: str):
    def show(package, label, problem=None):
        problems = [problem] if problem else package.problems
        summary = publishing.preview(db.session, package, now=utcnow()) if package is not None else None
        return render_template("admin/course_preview.html", problems=problems, summary=summary, source=source,
                               label=label, form=EmptyForm(prefix="apply"),
                               folder_differs=source == "folder" and course_update())
    return _with_package(source, show)


@admin_only
def course_reload():
    if not EmptyForm(prefix="reload").validate_on_submit():
        abort(400)
    return redirect(url_for("admin.course_preview", source="folder"))


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


#: Form fields of one referral contact: ``who_en-3`` is the first field of the third row.
CONTACT_FIELD = re.compile(r"^(who_en|who_ar|reach|note_en|note_ar)-([1-9][0-9]{0,2})$")
BLANK_CONTACT_ROWS = 3


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


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/course", view_func=course, methods=["GET"])
    bp.add_url_rule("/course/upload", view_func=course_upload, methods=["POST"])
    bp.add_url_rule("/course/preview/<source>", view_func=course_preview, methods=["GET"])
    bp.add_url_rule("/course/reload", view_func=course_reload, methods=["POST"])
    bp.add_url_rule("/course/apply/<source>", view_func=course_apply, methods=["POST"])
    bp.add_url_rule("/referral-contacts", view_func=referral_contacts, methods=["GET", "POST"])
