"""`flask --app app twiml ...` (being built)."""

import click


@click.group("twiml")
def group() -> None:
    """twiml commands."""
