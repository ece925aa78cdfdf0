"""``flask course check|load|hashes``: the course package (every load audited)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from course.cli._common import course_dir, print_problems
from course.extensions import db
from course.models._types import utcnow
from course.package import read_package
from course.package.model import question_source_hash, short_hash
from course.services import publishing


def load_course(path: Path, source: str, show_progress: bool = True):
    """Check and publish the package at ``path`` (audited, with no actor: the command line);
    returns (package, summary or None)."""
    package = read_package(path)
    if package.errors:
        return package, None
    steps = len(package.modules) + len(package.quizzes)
    with click.progressbar(length=steps, label="Loading course", file=sys.stderr,
                           show_pos=True, hidden=not show_progress) as bar:
        summary = publishing.publish(db.session, None, package, source, now=utcnow(),
                                     progress=lambda _label: bar.update(1))
    db.session.commit()
    return package, summary


def register(app: Flask) -> None:
    @app.cli.group("course")
    def course_group():
        """Check and load the course package."""

    @course_group.command("check")
    @click.argument("path", required=False)
    @click.option("--strict", is_flag=True, help="Treat warnings (stale translations...) as errors.")
    def check(path, strict):
        """Validate a course package; print every problem as file:line: field: message."""
        package = read_package(course_dir(path))
        print_problems(package)
        questions = sum(len(q.questions) for q in package.quizzes)
        lessons = sum(len(m.lessons) for m in package.modules)
        click.echo(f"{len(package.modules)} modules, {lessons} lessons, {len(package.quizzes)} quizzes, "
                   f"{questions} questions: {len(package.errors)} error(s), {len(package.warnings)} warning(s)")
        if package.errors or (strict and package.warnings):
            sys.exit(1)

    @course_group.command("load")
    @click.argument("path", required=False)
    def load(path):
        """Check, then publish a course package in one transaction."""
        package, summary = load_course(course_dir(path), "command line")
        print_problems(package)
        if summary is None:
            click.echo(f"Refused: the package has {len(package.errors)} error(s); nothing was changed.", err=True)
            sys.exit(1)
        for line in summary.lines():
            click.echo(line)

    @course_group.command("hashes")
    @click.argument("path", required=False)
    def hashes(path):
        """Print the source hash of every English lesson and question (for translations)."""
        package = read_package(course_dir(path))
        for module in package.modules:
            for lesson in module.lessons:
                click.echo(f"lesson {lesson.key}: {short_hash(lesson.texts['en'][0])}")
        for quiz in package.quizzes:
            for question in quiz.questions:
                click.echo(f"question {question.key}: {question_source_hash(question.definition)}")
        for bank in package.banks:
            for question in bank.questions:
                click.echo(f"question {question.key}: {question_source_hash(question.definition)}")
