"""``flask db upgrade``, ``flask backup``, ``flask restore``: the database's schema and copies."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from course.extensions import db


def upgrade_schema() -> None:
    from course.migrate import upgrade_engine
    upgrade_engine(db.engine)


def register(app: Flask) -> None:
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
