"""`flask --app app demo load | remove`: the demo data, loaded and renewed on every `make run`, removable."""

from __future__ import annotations

import secrets

import click

from core.container import current_services
from demo import DEMO_LEAD_USERNAME, DemoRefused, find_lead_usernames, load_demo, remove_demo
from roster.demo import DEMO_ROSTER_DAYS

FLASK = ".venv/bin/flask --app app"


@click.group("demo", help="Demo-Daten für den ersten Start / demo data for a first run.")
def group() -> None:
    """Demo commands."""


@group.command("load")
@click.option("--sign-in-url", default=None, help="Where the dashboard's sign-in page is, for the message.")
@click.option(
    "--skip-if-real", is_flag=True,
    help="On a database in real use say so and exit 0 (make run), instead of failing.",
)
@click.option("--no-history", is_flag=True, help="Without the year of invented cases, invoices and statements.")
def load_command(sign_in_url: str | None, skip_if_real: bool, no_history: bool) -> None:
    """Load the demo, or renew it (roster through today + 14 days, history up to yesterday); never on real data."""
    services = current_services()
    where = sign_in_url or "/login"
    try:
        with services.database.unit_of_work() as session:
            result = load_demo(
                session,
                now=services.clock.now(),
                lead_password=secrets.token_urlsafe(12),
                simulator_mode=services.settings.simulator_mode,
                history=not no_history,
                retention_months=services.settings.case_retention_months,
                unit_minutes=services.settings.billing_unit_minutes,
            )
            leads = find_lead_usernames(session)
    except DemoRefused as refused:
        if not skip_if_real:
            raise click.ClickException(f"{refused} / {refused.english}") from refused
        click.echo(f"{refused} ({refused.english})")
        return
    if result.shifts:
        click.echo(
            f"Demo-Dienstplan: {result.shifts} Schichten ergänzt, besetzt bis in {DEMO_ROSTER_DAYS} Tagen. "
            f"(Demo roster renewed through {DEMO_ROSTER_DAYS} days from today.)"
        )
    else:
        click.echo(f"Demo-Dienstplan besetzt bis in {DEMO_ROSTER_DAYS} Tagen. (Demo roster up to date.)")
    if result.caregivers:
        click.echo(f"Demo-Betreuungskräfte geladen: {result.caregivers}. (Demo caregivers loaded.)")
    billing = result.billing
    if any(billing.values()):
        click.echo(
            f"Demo-Abrechnungsdaten geladen: {billing['tariffs']} Tarife, {billing['memberships']} "
            f"Mitgliedszeiträume, {billing['employers']} Partnerunternehmen, {billing['families']} Familie. "
            "(Demo billing data loaded.)"
        )
    history = result.history
    if history.get("cases") or history.get("invoices"):
        click.echo(
            f"Demo-Verlauf ergänzt: {history['cases']} Fälle, {history['offers']} Angebote, "
            f"{history['care_sessions']} Einsätze, {history['invoices']} Rechnungen, "
            f"{history['anonymised']} Fälle nach Aufbewahrungsfrist anonymisiert. (Demo history loaded.)"
        )
    click.echo("")
    click.echo("  Anmeldung im Dashboard / sign in to the dashboard:")
    click.echo(f"    Adresse / address:      {where}")
    if result.lead_password:
        click.echo(f"    Benutzername / user:    {DEMO_LEAD_USERNAME}")
        click.echo(f"    Passwort / password:    {result.lead_password}")
        click.echo("  Das Passwort wird nur dieses eine Mal angezeigt. / The password is shown only this once.")
    else:
        click.echo(f"    Leitung / lead:         {', '.join(leads) or '—'}")
        click.echo("  Anmeldung verloren? / lost the login?")
        click.echo(f"    {_new_login_hint(leads)}")
    click.echo("")


def _new_login_hint(leads: list[str]) -> str:
    """Return the command that gets a lead a new password (or a new lead, where that command is missing)."""
    users = click.get_current_context().find_root().command
    group = users.get_command(click.get_current_context(), "users") if isinstance(users, click.Group) else None
    if leads and isinstance(group, click.Group) and "reset-password" in group.list_commands(click.Context(group)):
        return f"{FLASK} users reset-password {leads[0]}"
    return f"{FLASK} users create --username NAME --role lead --generate"


@group.command("remove")
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
def remove_command(yes: bool) -> None:
    """Delete every demo row (roster, caregivers, cases, billing, the demo lead); real rows stay."""
    if not yes:
        click.confirm("Alle Demo-Daten löschen? / Delete all demo data?", abort=True)
    services = current_services()
    with services.database.unit_of_work() as session:
        removed = remove_demo(session)
    total = sum(removed.values())
    detail = ", ".join(f"{table} {count}" for table, count in removed.items() if count)
    click.echo(f"Demo-Daten gelöscht: {total} Zeilen ({detail or 'keine'}). (Demo data removed.)")
