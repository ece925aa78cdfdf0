"""``flask --app app export scorm|xapi``: course content and learning records for other systems.

``export scorm MODULE_SLUG -o FILE.zip`` writes a SCORM 1.2 package of one module, read from the
course package at ``COURSE_DIR`` (or ``--course PATH``); ``export xapi`` writes the xAPI statements
of everything officers did, as JSON lines.
"""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app

from course.cli._common import course_dir
from course.extensions import db
from course.interchange.xapi import statements_since
from course.package.reader import read_package
from course.scorm import LANGUAGES, ScormError, build_scorm_package, count_steps
from course.services import site


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date like 2026-12-01 or 2026-12-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(app: Flask) -> None:
    @app.cli.group("export")
    def export_group():
        """Export course content for other systems."""

    @export_group.command("scorm")
    @click.argument("module_slug")
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The zip file to write.")
    @click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                  help="Language of the texts (English where a translation is missing).")
    @click.option("--course", "course_path", default=None, type=click.Path(file_okay=False, path_type=Path),
                  help="Course package folder (default: COURSE_DIR).")
    def export_scorm(module_slug: str, output: Path, lang: str, course_path: Path | None):
        """Write a SCORM 1.2 package (one SCO: lessons and quiz) of the module MODULE_SLUG."""
        root = course_dir(course_path)
        package = read_package(root)
        if package.errors:
            for problem in package.errors:
                click.echo(str(problem), err=True)
            click.echo(f"Error: the course package at {root} has errors; fix them first.", err=True)
            sys.exit(1)
        module = next((m for m in package.modules if m.slug == module_slug), None)
        if module is None:
            known = ", ".join(m.slug for m in package.modules) or "none"
            click.echo(f"Error: no module with slug {module_slug!r} in {root} (known: {known}).", err=True)
            sys.exit(1)
        with click.progressbar(length=count_steps(package, module.key), label=f"Exporting {module_slug}",
                               file=sys.stderr, show_pos=True) as bar:
            try:
                path = build_scorm_package(package, module.key, output, lang=lang,
                                           progress=lambda _label: bar.update(1))
            except (ScormError, OSError) as error:
                click.echo(f"\nError: {error}", err=True)
                sys.exit(1)
        click.echo(f"Wrote {path} (SCORM 1.2, module {module.key}, {lang}).")

    @export_group.command("xapi")
    @click.option("--since", help="Only events at or after this date (UTC), e.g. 2026-12-01.")
    @click.option("-o", "--output", type=click.File("w", encoding="utf-8", lazy=False), default="-",
                  help="Where to write the JSON lines (default: standard output).")
    @click.option("--base-url", default=None, help="The site's address, used in activity ids "
                  "(default: PUBLIC_BASE_URL, else an address made from this installation's id).")
    def export_xapi(since, output, base_url):
        """Write xAPI 1.0.3 statements (one JSON object per line)."""
        base = base_url or site.xapi_base(db.session, current_app.config["PUBLIC_BASE_URL"])
        db.session.commit()  # the installation id, made on first use
        count = 0
        for statement in statements_since(db.session, base, _parse_since(since)):
            output.write(json.dumps(statement, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
        click.echo(f"{count} statements written.", err=True)
