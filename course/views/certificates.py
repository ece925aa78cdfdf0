"""Certificates: the officer's "My certificate" page, the printable page and PDF, the public
verification page, and the staff lists (trainers: their cohorts' officers; admins: everyone, and
revoking). The digital credential page issues and offers the certificate's Open Badges 3.0
credential; ``/issuer``, ``/credentials/<uid>`` and ``/credentials/status/<n>`` publish what any
verifier fetches (see ``course.services.badges``).

A certificate is fetched through ``_certificate_for``, which answers 404 for anyone who may not see
it. ``/verify/<code>`` needs no sign-in, shows only what is printed on the certificate, and is
rate-limited against guessing codes.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from course.access import admin_only, staff_only
from course.downloads import content_disposition
from course.extensions import db, limiter
from course.models import Certificate
from course.models._types import utcnow
from course.services import badges, cohorts
from course.services import certificates as service
from course.services.signing import signer_from_config
from course.views.params import page_arg
from course.views.refusals import service_call

bp = Blueprint("certificates", __name__)
PER_PAGE = 50


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Revoke certificate"))


def _certificate_for(code: str) -> Certificate:
    certificate = service.find_certificate(db.session, code)
    if certificate is None or not cohorts.can_see_user(db.session, current_user, certificate.user):
        abort(404)
    return certificate


def _verify_url(certificate: Certificate) -> str:
    # The configured public address, never the request's Host header (which the client chooses);
    # a local trial without PUBLIC_BASE_URL (production requires it) uses the address it was opened at.
    return service.verify_url(current_app.config["PUBLIC_BASE_URL"] or request.url_root, certificate)


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.url_root


def _json_ld(document: dict, status: int = 200, filename: str | None = None) -> Response:
    headers = {"Access-Control-Allow-Origin": "*"}  # public documents, fetched by verifiers' pages too
    if filename:
        headers["Content-Disposition"] = content_disposition(filename, "attachment")
    return Response(json.dumps(document, ensure_ascii=False, indent=2), status=status,
                    mimetype="application/ld+json", headers=headers)


def _page() -> int:
    return page_arg(request.args)


@bp.get("/certificate")
@login_required
def mine():
    progress = service.progress_towards_certificate(db.session, current_user, utcnow())
    return render_template("certificates/mine.html", progress=progress, now=utcnow())


@bp.get("/certificates/<code>")
@login_required
def show(code: str):
    certificate = _certificate_for(code)
    url = _verify_url(certificate)
    from course.pdf.certificate import labels, qr_svg_path  # reportlab loads only when a certificate is shown
    qr_size, qr_path = qr_svg_path(url)
    first = "ar" if certificate.snapshot.get("language") == "ar" else "en"
    return render_template("certificates/certificate.html", certificate=certificate, snap=certificate.snapshot,
                           labels=labels(), first=first, second="en" if first == "ar" else "ar",
                           qr_size=qr_size, qr_path=qr_path, url=url, state=certificate.state(utcnow()))


@bp.get("/certificates/<code>.pdf")
@login_required
def pdf(code: str):
    certificate = _certificate_for(code)
    from course.pdf.certificate import render_certificate_pdf
    body = render_certificate_pdf(certificate, _verify_url(certificate))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(f"certificate-{certificate.code}.pdf", "inline")})


def _credential_of(certificate: Certificate):
    """(the certificate's credential, issued now if it was not yet, or None; the reason it cannot be)."""
    row = badges.find_credential(db.session, certificate)
    if row is not None:
        return row, None
    with service_call(report=False) as call:
        row = badges.credential_for(db.session, certificate, signer_from_config(current_app.config), _base_url(),
                                    utcnow())
    if call.refused:
        return None, call.error.message
    return row, None


@bp.get("/certificates/<code>/credential")
@login_required
def credential(code: str):
    """The certificate as an Open Badges 3.0 credential: issued on the first visit, then shown with
    its download, its public address and a QR code of that address."""
    certificate = _certificate_for(code)
    row, error = _credential_of(certificate)
    qr_size = qr_path = url = None
    if row is not None:
        from course.pdf.certificate import qr_svg_path
        url = badges.credential_url(row.status_list.base_url, row.uid)
        qr_size, qr_path = qr_svg_path(url)
    return render_template("certificates/credential.html", certificate=certificate, credential=row, url=url,
                           qr_size=qr_size, qr_path=qr_path, error=error, state=certificate.state(utcnow()))


@bp.get("/certificates/<code>/credential.json")
@login_required
def credential_download(code: str):
    certificate = _certificate_for(code)
    row, error = _credential_of(certificate)
    if row is None:
        flash(error, "error")
        return redirect(url_for("certificates.credential", code=certificate.code))
    if row.document is None:
        abort(410)
    return _json_ld(row.document, filename=f"credential-{certificate.code}.json")


@bp.get("/issuer")
def issuer():
    """The institute's Open Badges profile and the controller document of its keys (all of them)."""
    settings = service.course_settings(db.session, current_app.config.get("INSTITUTE_NAME"))
    profile = badges.issuer_profile(db.session, _base_url(), settings["institute"],
                                    signer_from_config(current_app.config), utcnow())
    db.session.commit()  # the current key joins the published history on its first publication
    return _json_ld(profile)


@bp.get("/credentials/status/<int:number>")
def status_list(number: int):
    document = badges.status_list_document(db.session, number)
    if document is None:
        abort(404)
    return _json_ld(document)


@bp.get("/credentials/<uid>")
@limiter.limit("30/minute")
def public_credential(uid: str):
    row = badges.find_by_uid(db.session, uid)
    if row is None:
        abort(404)
    if row.document is None:
        return _json_ld({"error": "This credential was withdrawn: its holder's personal data was removed."}, 410)
    return _json_ld(row.document)


@bp.get("/verify")
@limiter.limit("30/minute")
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        normalized = service.normalize_code(code)
        return redirect(url_for("certificates.verify", code=normalized or code))
    return render_template("certificates/verify.html", certificate=None, searched=None)


@bp.get("/verify/<code>")
@limiter.limit("30/minute")
def verify(code: str):
    certificate = service.find_certificate(db.session, code)
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None, searched=code[:40]), 404
    return render_template("certificates/verify.html", certificate=certificate, snap=certificate.snapshot,
                           state=certificate.state(utcnow()), searched=code)


def _listing(template_endpoint: str, can_revoke: bool):
    search = request.args.get("q", "").strip()
    page = _page()
    total, rows = service.certificates_visible_to(db.session, current_user, search, PER_PAGE, (page - 1) * PER_PAGE)
    return render_template("certificates/list.html", certificates=rows, total=total, page=page,
                           credentials=badges.credentials_issued(db.session, rows),
                           pages=max(1, -(-total // PER_PAGE)), search=search, endpoint=template_endpoint,
                           can_revoke=can_revoke, now=utcnow())


@bp.get("/trainer/certificates")
@staff_only
def staff_list():
    return _listing("certificates.staff_list", can_revoke=False)


@bp.get("/admin/certificates")
@admin_only
def admin_list():
    return _listing("certificates.admin_list", can_revoke=True)


@bp.post("/admin/certificates/<code>/revoke")
@admin_only
def revoke(code: str):
    certificate = service.find_certificate(db.session, code) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking this certificate."), "error")
        return redirect(url_for("certificates.admin_list", q=certificate.code))
    with service_call() as call:
        service.revoke(db.session, current_user, certificate, form.reason.data, utcnow(),
                       signer=signer_from_config(current_app.config))
    if not call.refused:
        flash(_("Certificate %(code)s is revoked.", code=certificate.code), "success")
    return redirect(url_for("certificates.admin_list", q=certificate.code))
