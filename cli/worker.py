"""`flask --app app worker` (being built)."""

import click


@click.command("worker")
def command() -> None:
    """Run the worker."""
