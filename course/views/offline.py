"""Offline reading: the service worker script, served from the site root so that its scope can
cover every page (a worker's default scope is the folder of its script, here ``/static/js/``)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
def service_worker():
    """static/js/sw.js, always revalidated so that a new version reaches every browser."""
    response = send_from_directory(Path(current_app.static_folder) / "js", "sw.js", max_age=0,
                                   mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
