"""`flask --app app cases ...` (being built)."""

import click


@click.group("cases")
def group() -> None:
    """cases commands."""
