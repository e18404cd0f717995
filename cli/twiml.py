"""`flask --app app twiml fallback`: the static fallback TwiML, for a TwiML Bin."""

from __future__ import annotations

import click

from core.container import current_services
from routing.twiml import render_fallback


@click.group("twiml", help="Static TwiML documents.")
def group() -> None:
    """TwiML commands."""


@group.command("fallback")
def fallback_command() -> None:
    """Print the fallback TwiML (ring FALLBACK_NUMBER, then voicemail) to paste into a TwiML Bin."""
    settings = current_services().settings
    if not settings.public_base_url:
        click.echo("Hinweis: PUBLIC_BASE_URL ist nicht gesetzt; die URLs unten sind relativ und funktionieren "
                   "in einem TwiML Bin nicht. (PUBLIC_BASE_URL is not set: the URLs below are relative.)", err=True)
    if not settings.fallback_number:
        click.echo("Hinweis: FALLBACK_NUMBER ist nicht gesetzt; es wird direkt die Mailbox angeboten. "
                   "(FALLBACK_NUMBER is not set: callers go straight to voicemail.)", err=True)
    click.echo(str(render_fallback(settings)))
