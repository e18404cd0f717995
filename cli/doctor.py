"""`flask --app app doctor`: check the whole set-up, one line per check; exit status 1 on an error."""

from __future__ import annotations

import click
from flask import current_app

from core.container import current_services
from ops.checkup import run_doctor
from ops.doctor import Status, exit_status

#: How each status is printed (fixed width, so the lines align).
LABELS = {Status.OK: "ok     ", Status.WARNING: "warning", Status.ERROR: "error  "}


@click.command("doctor")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of the output.")
def command(language: str) -> None:
    """Check database, worker, Twilio, roster, users, caregivers, outbox and secrets; exit 1 on an error."""
    results = run_doctor(current_services(), secret_key=current_app.config.get("SECRET_KEY"),
                         instance_path=current_app.instance_path)
    for result in results:
        line = f"{LABELS[result.status]}  {result.message(language)}"
        todo = result.todo(language)
        click.echo(line + (f"  → {todo}" if todo and result.status is not Status.OK else ""))
    raise SystemExit(exit_status(results))
