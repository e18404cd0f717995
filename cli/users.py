"""`flask --app app users create`: make dashboard users (the first lead, too)."""

from __future__ import annotations

import secrets

import click

from accounts import AccountError, create_user, get_user_by_username, unlock
from core.container import current_services


@click.group("users", help="Benutzer des Dashboards / dashboard users.")
def group() -> None:
    """User commands."""


@group.command("create")
@click.option("--username", prompt="Benutzername / username", help="Sign-in name.")
@click.option("--name", default="", help="Full name shown in the dashboard.")
@click.option("--role", type=click.Choice(["lead", "coordinator"]), default="coordinator", show_default=True)
@click.option("--phone", default=None, help="Her own phone, for 'call back' (any German notation).")
@click.option("--password", default=None, help="Leave out to be asked (or use --generate).")
@click.option("--generate", is_flag=True, help="Generate a strong password and print it once.")
def create_command(username: str, name: str, role: str, phone: str | None, password: str | None,
                   generate: bool) -> None:
    """Create a dashboard user."""
    if generate:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = click.prompt("Passwort / password", hide_input=True, confirmation_prompt=True)
    services = current_services()
    try:
        with services.database.unit_of_work() as session:
            create_user(session, username=username, name=name or username, role=role, password=password,
                        phone=phone, now=services.clock.now())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Benutzer {username} ({role}) angelegt. / User created.")
    if generate:
        click.echo(f"Passwort / password: {password}")


@group.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Clear a sign-in lockout of USERNAME (its failed attempts from every address are forgiven)."""
    with current_services().database.unit_of_work() as session:
        if get_user_by_username(session, username) is None:
            raise click.ClickException(f"Benutzer {username!r} gibt es nicht. / No such user.")
        forgiven = unlock(session, username=username)
    click.echo(f"Sperre für {username.strip().lower()} aufgehoben ({forgiven} Fehlversuche gelöscht). "
               f"/ Lockout cleared ({forgiven} failed attempts deleted).")
