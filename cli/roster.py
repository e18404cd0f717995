"""`flask --app app roster ...` (being built)."""

import click


@click.group("roster")
def group() -> None:
    """roster commands."""
