"""`flask --app app demo load`: fill an empty database with demo data for a first try."""

from __future__ import annotations

import secrets
from datetime import datetime

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import create_user
from billing import load_demo_billing
from billing.demo import DEMO_FAMILY_PHONE
from billing.families import find_family_by_phone
from caregivers.demo import load_demo_caregivers
from core.container import current_services
from models import Employer, Family, Tariff, User
from roster.demo import load_demo_roster

#: The demo lead's sign-in name (created only when the database has no users at all).
DEMO_LEAD_USERNAME = "leitung"
DEMO_LEAD_NAME = "Demo-Leitung"


@click.group("demo", help="Demo-Daten für den ersten Start / demo data for a first run.")
def group() -> None:
    """Demo commands."""


@group.command("load")
@click.option("--sign-in-url", default=None, help="Where the dashboard's sign-in page is, for the message.")
def load_command(sign_in_url: str | None) -> None:
    """Load the demo roster, caregivers, billing data and a lead user into an empty database (never real data)."""
    services = current_services()
    password = secrets.token_urlsafe(12)
    with services.database.unit_of_work() as session:
        now = services.clock.now()
        shifts = load_demo_roster(session, now=now)
        caregivers = load_demo_caregivers(session, now=now)
        billing = _load_billing(session, now=now)
        lead_created = not session.scalar(select(func.count()).select_from(User))
        if lead_created:
            create_user(
                session,
                username=DEMO_LEAD_USERNAME,
                name=DEMO_LEAD_NAME,
                role="lead",
                password=password,
                now=now,
            )
    if shifts:
        click.echo(f"Demo-Dienstplan geladen: {shifts} Schichten diese Woche. (Demo roster loaded.)")
    else:
        click.echo("Dienstplan vorhanden, keine Demo-Daten geladen. (Roster exists; no demo data loaded.)")
    if caregivers:
        click.echo(f"Demo-Betreuungskräfte geladen: {caregivers}. (Demo caregivers loaded.)")
    if any(billing.values()):
        click.echo(
            f"Demo-Abrechnungsdaten geladen: {billing['tariffs']} Tarife, {billing['memberships']} "
            f"Mitgliedszeiträume, {billing['employers']} Partnerunternehmen, {billing['families']} Familie. "
            "(Demo billing data loaded.)"
        )
    if lead_created:
        where = sign_in_url or "/login"
        click.echo("")
        click.echo("  Anmeldung im Dashboard / sign in to the dashboard:")
        click.echo(f"    Adresse / address:      {where}")
        click.echo(f"    Benutzername / user:    {DEMO_LEAD_USERNAME}")
        click.echo(f"    Passwort / password:    {password}")
        click.echo(
            "  Das Passwort wird nur dieses eine Mal angezeigt. / The password is shown only this once."
        )
        click.echo("")


def _load_billing(session: Session, *, now: datetime) -> dict[str, int]:
    """Load the billing demo into a database without billing data, or complete an earlier demo; else nothing."""
    empty = not any(session.scalar(select(func.count()).select_from(m)) for m in (Tariff, Employer, Family))
    if empty or find_family_by_phone(session, DEMO_FAMILY_PHONE) is not None:
        return load_demo_billing(session, now=now)
    return {}
