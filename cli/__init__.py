"""Command-line interface (`flask --app app ...`): thin wrappers around the domain packages."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register_commands(app: Flask, *more: click.Command) -> None:
    """Register every command group of the interface contract, each run inside the app context.

    `more` are commands of other edges (the worker's), which app.py wires in: no edge imports another.
    """
    from cli import (
        billing,
        caregivers,
        cases,
        db,
        demo,
        doctor,
        gdpr,
        roster,
        simulate,
        twilio,
        twiml,
        users,
    )

    groups = (db.group, roster.group, caregivers.group, cases.group, simulate.group, twiml.group, demo.group,
              users.group, gdpr.group, billing.group, twilio.group)
    for command in (*groups, doctor.command, *more):
        _in_app_context(command)
        app.cli.add_command(command)


def _in_app_context(command: click.Command) -> None:
    """Run a command (and every subcommand) with the app context pushed, as AppGroup does."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _in_app_context(sub)
    elif command.callback is not None and not getattr(command.callback, "_fluxx_ctx", False):
        command.callback = with_appcontext(command.callback)
        command.callback._fluxx_ctx = True  # type: ignore[attr-defined]  # a mark on the wrapped function: wrap once
