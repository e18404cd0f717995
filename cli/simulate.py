"""`flask --app app simulate ...` (being built)."""

import click


@click.group("simulate")
def group() -> None:
    """simulate commands."""
