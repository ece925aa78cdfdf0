"""``flask --app app export scorm MODULE_SLUG -o FILE.zip``: a SCORM 1.2 package of one module.

``register_export_commands(app)`` adds the ``export`` group; the module is read from the course
package at ``COURSE_DIR`` (or ``--course PATH``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from course.package.reader import read_package
from course.scorm import LANGUAGES, ScormError, build_scorm_package, count_steps


def register_export_commands(app: Flask) -> None:
    @app.cli.group("export")
    def export_group():
        """Export course content for other systems."""

    @export_group.command("scorm")
    @click.argument("module_slug")
    @click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The zip file to write.")
    @click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                  help="Language of the texts (English where a translation is missing).")
    @click.option("--course", "course_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
                  help="Course package folder (default: COURSE_DIR).")
    def export_scorm(module_slug: str, output: Path, lang: str, course_dir: Path | None):
        """Write a SCORM 1.2 package (one SCO: lessons and quiz) of the module MODULE_SLUG."""
        root = course_dir or Path(current_app.config["COURSE_DIR"])
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
