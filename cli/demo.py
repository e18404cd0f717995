"""`flask --app app demo load`: fill an empty database with demo data for a first try."""

from __future__ import annotations

import click

from core.container import current_services
from roster.demo import load_demo_roster


@click.group("demo", help="Demo-Daten für den ersten Start / demo data for a first run.")
def group() -> None:
    """Demo commands."""


@group.command("load")
def load_command() -> None:
    """Load the demo roster when the database has none (never touches real data)."""
    services = current_services()
    with services.database.unit_of_work() as session:
        added = load_demo_roster(session, now=services.clock.now())
    if added:
        click.echo(f"Demo-Dienstplan geladen: {added} Schichten diese Woche. (Demo roster loaded.)")
    else:
        click.echo("Dienstplan vorhanden, keine Demo-Daten geladen. (Roster exists; no demo data loaded.)")
