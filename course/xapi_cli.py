"""``flask export xapi``: the xAPI statements of everything officers did, as JSON lines."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask import Flask, current_app

from course.extensions import db
from course.services import site
from course.xapi import statements_since


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date like 2026-12-01 or 2026-12-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def register_xapi_commands(app: Flask) -> None:
    export_group = app.cli.commands["export"]

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


def register_lrs_commands(app: Flask) -> None:
    from course.models._types import utcnow
    from course.services import lrs

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
