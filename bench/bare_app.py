"""The ceiling: a bare Flask app that returns the bytes of a rendered lesson page, and nothing else.

Served by the same gunicorn command as the real app (``bench/ceiling.py`` starts both), it shows
what Flask plus gunicorn cost on this machine without sign-in, database, templates or headers.

    BARE_BODY_FILE=bench/out/lesson.html gunicorn --pythonpath bench 'bare_app:create_app()'
"""
from __future__ import annotations

import os

from flask import Flask, Response


def create_app() -> Flask:
    body = open(os.environ["BARE_BODY_FILE"], "rb").read()
    content_type = os.environ.get("BARE_CONTENT_TYPE", "text/html; charset=utf-8")
    app = Flask(__name__)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str):
        return Response(body, content_type=content_type)

    return app
