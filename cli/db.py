"""`flask --app app db ...`: create, migrate and check the schema."""

from __future__ import annotations

import click

from core import migrate
from core.container import current_services


@click.group("db", help="Create or migrate the database schema (Alembic).")
def group() -> None:
    """Database commands."""


@group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade_command(revision: str) -> None:
    """Create or migrate the schema."""
    url = current_services().settings.database_url
    migrate.upgrade(url, revision=revision)
    click.echo("Datenbank ist auf dem neuesten Stand. / Database is up to date.")


@group.command("check")
def check_command() -> None:
    """Fail when the models and the migrations have drifted apart."""
    migrate.check(current_services().settings.database_url)
    click.echo("Models and migrations agree.")


@group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def revision_command(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(current_services().settings.database_url, message)
