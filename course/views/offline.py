"""Offline reading: the service worker script, served from the site root so that its scope can
cover every page (a worker's default scope is the folder of its script, here ``/static/js/``), and
the page the worker shows for a page never opened online (it lists, from the device's own copies,
what can be read offline)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, send_from_directory
from flask_login import login_required

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
def service_worker():
    """static/js/sw.js, always revalidated so that a new version reaches every browser."""
    response = send_from_directory(Path(current_app.static_folder) / "js", "sw.js", max_age=0,
                                   mimetype="text/javascript")
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
