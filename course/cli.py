"""Command-line tools: ``flask --app app course|user|db|demo ...``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from course.extensions import db
from course.models import Role
from course.models._types import utcnow
from course.package import read_package
from course.package.reader import question_source_hash, short_hash
from course.services import publishing, stations, users
from course.services.errors import ServiceError

DEMO_PASSWORD = "marsa-demo"
DEMO_COHORT = "Demo cohort — Alexandria seaport"
DEMO_ACCOUNTS = (
    ("officer", Role.OFFICER, "Demo Officer", "DEMO-001", ("Alexandria seaport", "ميناء الإسكندرية", "seaport")),
    ("trainer", Role.TRAINER, "Demo Trainer", None, None),
    ("admin", Role.ADMIN, "Demo Admin", None, None),
)


def _course_dir(path: str | None) -> Path:
    return Path(path or current_app.config["COURSE_DIR"])


def print_problems(package) -> None:
    for problem in package.problems:
        click.echo(str(problem), err=problem.level == "error")


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
            station = station and (stations.by_name(db.session, station[0]) or stations.create_station(
                db.session, None, *station))
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
    from datetime import timedelta

    from course.services import assignments, cohorts
    cohort = cohorts.cohort_by_name(db.session, DEMO_COHORT) or cohorts.create_cohort(
        db.session, accounts["admin"], DEMO_COHORT, "Created by `flask demo` for a local trial.")
    cohorts.add_member(db.session, accounts["admin"], cohort, accounts["officer"])
    cohorts.add_trainer(db.session, accounts["admin"], cohort, accounts["trainer"])
    assignments.assign(db.session, accounts["admin"], module=None, cohort=cohort,
                       due_at=utcnow() + timedelta(days=30))


def upgrade_schema() -> None:
    from course.migrate import upgrade_engine
    upgrade_engine(db.engine)


def register(app: Flask) -> None:
    @app.cli.group("course")
    def course_group():
        """Check and load the course package."""

    @course_group.command("check")
    @click.argument("path", required=False)
    @click.option("--strict", is_flag=True, help="Treat warnings (stale translations...) as errors.")
    def check(path, strict):
        """Validate a course package; print every problem as file:line: field: message."""
        package = read_package(_course_dir(path))
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
        package, summary = load_course(_course_dir(path), "command line")
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
        package = read_package(_course_dir(path))
        for module in package.modules:
            for lesson in module.lessons:
                click.echo(f"lesson {lesson.key}: {short_hash(lesson.texts['en'][0])}")
        for quiz in package.quizzes:
            for question in quiz.questions:
                click.echo(f"question {question.key}: {question_source_hash(question.definition)}")

    @app.cli.group("db")
    def db_group():
        """Database schema."""

    @db_group.command("upgrade")
    def db_upgrade():
        """Apply every pending migration."""
        upgrade_schema()
        click.echo("Database schema is up to date.")

    @app.cli.command("backup")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write the backup (default: instance/backups/marsa-DATE.sqlite|dump).")
    def backup_command(output):
        """Make a consistent copy of the database while Marsa keeps running."""
        from course.backup import BackupError, backup, default_backup_path
        target = output or default_backup_path(Path(current_app.instance_path), db.engine.url)
        try:
            backup(db.engine, target)
        except BackupError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        click.echo(f"Backup written to {target} ({target.stat().st_size:,} bytes).")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Confirm that the current data will be replaced.")
    def restore_command(source, yes):
        """Replace the database with a backup made by `flask backup`. Stop the app first."""
        from course.backup import BackupError, restore
        if not yes:
            click.confirm(f"Replace every row of the current database with {source}?", abort=True)
        try:
            restore(db.engine, source)
        except BackupError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        click.echo(f"Restored from {source}.")

    @app.cli.group("user")
    def user_group():
        """Manage accounts."""

    @user_group.command("add")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", "full_name", required=True, help="Full name as it appears on certificates.")
    @click.option("--staff-number", default=None)
    @click.option("--station", default=None, help="Duty station, as named in the duty stations list.")
    @click.option("--language", type=click.Choice(["en", "ar"]), default="en")
    @click.password_option(prompt="Password", confirmation_prompt=True)
    def user_add(username, role, full_name, staff_number, station, language, password):
        """Create an account; the password is read from a prompt (or stdin)."""
        try:
            found = stations.by_name(db.session, station) if station else None
            if station and found is None:
                raise ServiceError(f"no duty station named {station!r}; add it in Administration > Duty stations")
            user = users.create_user(db.session, username=username, password=password, role=Role(role),
                                     full_name=full_name, staff_number=staff_number, duty_station=found,
                                     language=language)
        except ServiceError as error:
            click.echo(f"Error: {error.message}", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"Created {user.role} {user.username}.")

    @app.cli.command("prepare")
    def prepare():
        """What every start runs: the schema, the course on the first start only, and, in a local
        trial (not MARSA_ENV=production), the demo accounts when there is no account yet."""
        prepare_installation(_course_dir(None))
        from course.models._types import utcnow
        from course.services import sessions
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
        prepare_installation(_course_dir(path))
        create_demo_accounts()

    from course.gift_cli import register_quiz_commands
    from course.scorm_cli import register_export_commands
    from course.xapi_cli import register_lrs_commands, register_xapi_commands
    register_quiz_commands(app)
    register_export_commands(app)
    register_xapi_commands(app)
    register_lrs_commands(app)
    from course.certificate_cli import register_certificate_commands
    register_certificate_commands(app)
