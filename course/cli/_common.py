"""What several command groups share: the course folder, printing a package's problems, failing."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app


def course_dir(path: str | Path | None = None) -> Path:
    """The course package folder: ``path`` when given, else ``COURSE_DIR``."""
    return Path(path or current_app.config["COURSE_DIR"])


def print_problems(package) -> None:
    """Every problem of a package (or an import), errors to standard error."""
    for problem in package.problems:
        click.echo(str(problem), err=problem.level == "error")


def fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
