"""`flask --app app users create`: make dashboard users (the first lead, too)."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from accounts import (
    AccountError,
    create_user,
    find_lockouts,
    find_users,
    generate_password,
    get_user_by_username,
    set_password,
    set_phone,
    unlock,
)
from core.container import current_services
from models import User


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
        password = generate_password()
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
        _require_user(session, username)
        forgiven = unlock(session, username=username)
    click.echo(f"Sperre für {username.strip().lower()} aufgehoben ({forgiven} Fehlversuche gelöscht). "
               f"/ Lockout cleared ({forgiven} failed attempts deleted).")


@group.command("list")
def list_command() -> None:
    """List the dashboard's users: user name, role, state, phone, name."""
    services = current_services()
    with services.database.unit_of_work() as session:
        locked = find_lockouts(session, now=services.clock.now())
        rows = [(u.username, u.role.value, ("aktiv" if u.active else "deaktiviert")
                 + (" gesperrt" if u.username in locked else ""), u.phone or "-", u.name)
                for u in find_users(session)]
    header = ("Benutzername", "Rolle", "Status", "Telefon", "Name")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row[:4], widths, strict=True))
                   + "  " + row[4])


@group.command("set-phone")
@click.argument("username")
@click.argument("phone")
def set_phone_command(username: str, phone: str) -> None:
    """Set USERNAME's own phone (any German notation; "" clears it), which *Zurückrufen* rings first."""
    try:
        with current_services().database.unit_of_work() as session:
            user = _require_user(session, username)
            set_phone(user, phone)
            shown = user.phone or "-"
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Telefon von {username.strip().lower()}: {shown} / phone set.")


@group.command("reset-password")
@click.argument("username")
def reset_password_command(username: str) -> None:
    """Give USERNAME a new generated password, printed once; ends her sessions and lifts a lockout."""
    password = generate_password()
    with current_services().database.unit_of_work() as session:
        user = _require_user(session, username)
        set_password(user, password)
        unlock(session, username=user.username)
        name = user.username
    click.echo(f"Neues Passwort für {name} / new password: {password}")
    click.echo("Es wird nur jetzt angezeigt. / It is shown only now.")


def _require_user(session: Session, username: str) -> User:
    """Return the user or stop with a plain message."""
    user = get_user_by_username(session, username)
    if user is None:
        raise click.ClickException(f"Benutzer {username!r} gibt es nicht. / No such user.")
    return user
