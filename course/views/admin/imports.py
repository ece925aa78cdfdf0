"""The officer list imported from a CSV or XLSX file: the template, the upload, its preview and
applying it (which issues one-time passwords)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.access import admin_only
from course.extensions import db
from course.forms import EmptyForm, UploadForm
from course.models import ImportBatch
from course.models._types import utcnow
from course.services import importer
from course.views.admin.common import sealed


@admin_only
def import_officers():
    return render_template("admin/import.html", form=UploadForm(), columns=importer.COLUMNS,
                           required=importer.REQUIRED)


@admin_only
def import_template():
    return Response(importer.template_csv(db.session).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=marsa-officers-template.csv"})


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


@admin_only
def import_preview(batch_id: int):
    batch = _batch(batch_id)
    plan = importer.plan_import(db.session, batch.filename, batch.content)
    return render_template("admin/import_preview.html", batch=batch, plan=plan, form=EmptyForm())


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
    response = make_response(render_template("admin/import_done.html", results=results, sealed=sealed(results),
                                              handout_form=EmptyForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/import", view_func=import_officers, methods=["GET"])
    bp.add_url_rule("/import/template.csv", view_func=import_template, methods=["GET"])
    bp.add_url_rule("/import", view_func=upload_officers, methods=["POST"])
    bp.add_url_rule("/import/<int:batch_id>", view_func=import_preview, methods=["GET"])
    bp.add_url_rule("/import/<int:batch_id>/apply", view_func=import_apply, methods=["POST"])
