"""Command-line tools: ``flask --app app COMMAND``. One module per command group:

| module | commands |
|---|---|
| ``course.py`` | ``course check|load|hashes`` |
| ``database.py`` | ``db upgrade``, ``backup``, ``restore`` |
| ``users.py`` | ``user add`` |
| ``installation.py`` | ``prepare`` (each start), ``demo`` (refused in production) |
| ``quiz.py`` | ``quiz import-gift|import-moodle-xml|export-gift`` |
| ``export.py`` | ``export scorm|xapi`` |
| ``xapi.py`` | ``xapi send`` |
| ``certificate.py`` | ``certificate generate-key|public-key|keys|withdraw-key|verify-offline|issue-pending`` |

What several share (the course folder, printing problems, failing) is in ``_common.py``; a module
here imports ``_common`` or a sibling, never this package, so the imports have no cycle.
"""
from __future__ import annotations

from flask import Flask

from course.cli import certificate, course, database, export, installation, quiz, users, xapi

GROUPS = (course, database, users, installation, quiz, export, xapi, certificate)


def register(app: Flask) -> None:
    """Add every command to ``app``'s CLI."""
    for group in GROUPS:
        group.register(app)
