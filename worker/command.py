"""`flask --app app worker [--once] [--interval SECONDS]`: run the worker in the foreground (wired in app.py)."""

from __future__ import annotations

import click
from flask import current_app


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@click.option(
    "--interval",
    "interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between ticks.",
)
def command(once: bool, interval: float) -> None:
    """Run the worker (timers, outbox) in the foreground until Ctrl-C or SIGTERM."""
    from worker.runner import run_worker

    # current_app is typed as the Flask app; the worker's threads need the app behind the proxy.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy at run time
    report = run_worker(app, interval_seconds=interval, once=once)
    if report is not None:
        click.echo(report.summary())
        if report.errors:
            raise SystemExit(1)
