"""``flask prepare`` (what every start runs) and ``flask demo`` (a local trial's accounts)."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app

from course.cli._common import course_dir, print_problems
from course.cli.course import load_course
from course.cli.database import upgrade_schema
from course.extensions import db
from course.models import Role
from course.models._types import utcnow
from course.services import assignments, cohorts, publishing, sessions, users

DEMO_PASSWORD = "marsa-demo"
DEMO_COHORT = "Demo cohort — Alexandria seaport"
DEMO_ACCOUNTS = (
    ("officer", Role.OFFICER, "Demo Officer", "DEMO-001", "Alexandria seaport"),
    ("trainer", Role.TRAINER, "Demo Trainer", None, None),
    ("admin", Role.ADMIN, "Demo Admin", None, None),
)


def production() -> bool:
    return current_app.config["MARSA_ENV"] == "production"


def prepare_installation(path: Path) -> None:
    """The schema, then the course on the first start only. Later starts never replace the
    published course (an administrator may have published another version in the browser); they
    say when the course folder differs from it, and the administrator previews and publishes."""
    upgrade_schema()
    if not publishing.course_published(db.session):
        package, summary = load_course(path, "first start")
        if summary is None:
            print_problems(package)
            click.echo("The course package has errors; fix them and run again.", err=True)
            sys.exit(1)
        click.echo(f"Course loaded: {len(package.modules)} modules, "
                   f"{sum(len(q.questions) for q in package.quizzes)} questions.")
    elif (publishing.published_fingerprint(db.session) is None
          and publishing.folder_matches_published(db.session, path, utcnow())):
        db.session.commit()  # published before fingerprints were kept, and the same: nothing to say
    elif publishing.folder_differs(db.session, path):
        click.secho(f"The course folder ({path}) differs from the published course; it was not loaded. "
                    "Preview and publish it in Administration > Course content, "
                    "or run `flask --app app course load`.", fg="yellow", err=True)


def create_demo_accounts() -> list[str]:
    """The three demo accounts of a local trial, with their cohort; returns those created."""
    created = []
    accounts = {}
    for username, role, name, staff, station in DEMO_ACCOUNTS:
        accounts[username] = users.find_user(db.session, username)
        if accounts[username] is None:
            accounts[username] = users.create_user(
                db.session, username=username, password=DEMO_PASSWORD, role=role, full_name=name,
                staff_number=staff, duty_station=station, check_policy=False)
            created.append(username)
    if created:
        _demo_cohort(accounts)
    db.session.commit()
    if created:
        click.echo(f"Demo accounts created: {', '.join(created)} (password: {DEMO_PASSWORD}).")
    click.secho("WARNING: the demo accounts share a published password. They are for a local trial only; "
                "never run them on a server others can reach.", fg="yellow", err=True)
    return created


def _demo_cohort(accounts: dict) -> None:
    """The demo trainer trains a cohort holding the demo officer, with the course assigned,
    so a trial shows the officer's scores in the trainer's gradebook at once."""
    cohort = cohorts.cohort_by_name(db.session, DEMO_COHORT) or cohorts.create_cohort(
        db.session, accounts["admin"], DEMO_COHORT, "Created by `flask demo` for a local trial.")
    cohorts.add_member(db.session, accounts["admin"], cohort, accounts["officer"])
    cohorts.add_trainer(db.session, accounts["admin"], cohort, accounts["trainer"])
    assignments.assign(db.session, accounts["admin"], module=None, cohort=cohort,
                       due_at=utcnow() + timedelta(days=30))


def register(app: Flask) -> None:
    @app.cli.command("prepare")
    def prepare():
        """What every start runs: the schema, the course on the first start only, and, in a local
        trial (not MARSA_ENV=production), the demo accounts when there is no account yet."""
        prepare_installation(course_dir())
        sessions.sweep(db.session, sessions.limits_from(current_app.config), utcnow())
        db.session.commit()
        if production():
            if users.count_active_admins(db.session) == 0:
                click.echo("No administrator yet: create one with "
                           "`flask --app app user add NAME --role admin --name \"Full Name\"`.")
        elif users.count_users(db.session) == 0:
            create_demo_accounts()

    @app.cli.command("demo")
    @click.option("--course", "path", default=None, help="Course package folder (default: COURSE_DIR).")
    def demo(path):
        """For a local trial: the schema, the course if none is published yet, the demo accounts."""
        if production():
            click.echo("Refused: demo accounts share a published password and are never created when "
                       "MARSA_ENV=production.", err=True)
            sys.exit(1)
        prepare_installation(course_dir(path))
        create_demo_accounts()
