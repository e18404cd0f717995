"""Alembic, configured from code: `flask --app app db upgrade` and the drift check use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic config for a database URL or an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None, revision: str = "head") -> None:
    """Create or migrate the schema to the given revision."""
    command.upgrade(alembic_config(url, connection), revision)


def check(url: str | None = None, connection: Connection | None = None) -> None:
    """Raise when the models and the migrations have drifted apart."""
    command.check(alembic_config(url, connection))


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
