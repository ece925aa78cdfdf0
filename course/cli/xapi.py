"""``flask xapi send``: deliver the xAPI outbox to a Learning Record Store (run it every few minutes)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from course.extensions import db
from course.models._types import utcnow
from course.services import lrs, site


def register(app: Flask) -> None:
    @app.cli.group("xapi")
    def xapi_group():
        """Deliver xAPI statements to a Learning Record Store."""

    @xapi_group.command("send")
    def send():
        """Deliver the outbox's waiting statements to the LRS (run it every few minutes)."""
        config = current_app.config
        waiting = lrs.status(db.session).waiting
        click.echo(f"{waiting} event(s) waiting in the outbox.")
        if not config.get("XAPI_LRS_ENDPOINT"):
            click.echo("No LRS configured (XAPI_LRS_ENDPOINT): statements stay in the outbox.")
            return
        base = site.xapi_base(db.session, config["PUBLIC_BASE_URL"])
        report = lrs.deliver(db.session, base, config["XAPI_LRS_ENDPOINT"], config.get("XAPI_LRS_USERNAME"),
                             config.get("XAPI_LRS_PASSWORD"), utcnow())
        click.echo(f"{report.sent} delivered, {report.failed} to retry later.")
        if report.error:
            click.echo(f"The LRS did not accept a batch: {report.error}", err=True)
            raise SystemExit(1)
