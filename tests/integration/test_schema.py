"""The schema built by the migrations matches the models."""

from sqlalchemy import Engine

from core import migrate


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    """A model change without its migration fails here (alembic check)."""
    with engine.connect() as conn:
        migrate.check(connection=conn)
