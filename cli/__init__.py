"""Command-line interface (`flask --app app ...`): thin wrappers around the domain packages."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Register every command group of the interface contract."""
    from cli import cases, db, roster, simulate, twiml, worker

    for group in (db.group, roster.group, cases.group, simulate.group, twiml.group):
        app.cli.add_command(group)
    app.cli.add_command(worker.command)
