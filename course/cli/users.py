"""``flask user add``: accounts from the command line (the first administrator, say)."""
from __future__ import annotations

import sys

import click
from flask import Flask

from course.extensions import db
from course.models import Role
from course.services import users
from course.services.errors import ServiceError


def register(app: Flask) -> None:
    @app.cli.group("user")
    def user_group():
        """Manage accounts."""

    @user_group.command("add")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", "full_name", required=True, help="Full name as it appears on certificates.")
    @click.option("--staff-number", default=None)
    @click.option("--station", default=None, help="Duty station (port).")
    @click.option("--language", type=click.Choice(["en", "ar"]), default="en")
    @click.password_option(prompt="Password", confirmation_prompt=True)
    def user_add(username, role, full_name, staff_number, station, language, password):
        """Create an account; the password is read from a prompt (or stdin)."""
        try:
            user = users.create_user(db.session, username=username, password=password, role=Role(role),
                                     full_name=full_name, staff_number=staff_number, duty_station=station,
                                     language=language)
        except ServiceError as error:
            click.echo(f"Error: {error.message}", err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(f"Created {user.role} {user.username}.")
