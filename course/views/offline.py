"""Offline reading: the service worker script, served from the site root so that its scope can
cover every page (a worker's default scope is the folder of its script, here ``/static/js/``), and
the page the worker shows for a page never opened online (it lists, from the device's own copies,
what can be read offline)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, request
from flask_login import login_required

from course import release

bp = Blueprint("offline", __name__)
#: The line of static/js/sw.js that names the worker's caches; served with the release identity.
VERSION_LINE = 'var VERSION = "dev";'


def _script() -> str:
    """sw.js with its cache version set to the release's files: a new release is a new worker,
    which drops the caches of the old one (kept per app: the files do not change while it runs)."""
    known = current_app.extensions.get("marsa.service_worker")
    if known is None:
        text = (Path(current_app.static_folder) / "js" / "sw.js").read_text(encoding="utf-8")
        if VERSION_LINE not in text:
            raise RuntimeError(f"static/js/sw.js must contain {VERSION_LINE!r}")
        known = text.replace(VERSION_LINE, f'var VERSION = "{release.files_of(current_app)}";', 1)
        current_app.extensions["marsa.service_worker"] = known
    return known


@bp.get("/sw.js")
def service_worker():
    """The worker script, always revalidated so that a new version reaches every browser."""
    response = current_app.response_class(_script(), mimetype="text/javascript")
    response.set_etag(release.files_of(current_app))
    response.make_conditional(request)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
@login_required
def page():
    """Kept by the worker in the officer's language; the list is filled in on the device."""
    response = make_response(render_template("offline/page.html"))
    response.headers["Cache-Control"] = "no-store"  # the worker keeps its own copy
    return response
