"""`flask --app app twilio configure`: point the hotline number's webhooks at this app, through Twilio's REST API."""

from __future__ import annotations

import click

from core.container import current_services
from core.errors import HotlineError
from ops.number_setup import changes_of, plan_number_setup, require_base_url
from telephony.numbers import find_number, update_number
from telephony.twilio_rest import TwilioRestGateway

LANGUAGE = click.Choice(["de", "en"])

TEXTS = {
    "de": {
        "no_credentials": "TWILIO_ACCOUNT_SID und TWILIO_AUTH_TOKEN sind nicht gesetzt (Simulatorbetrieb): "
        "ohne Zugangsdaten lässt sich keine Nummer einrichten.",
        "no_number": "HOTLINE_NUMBER ist nicht gesetzt: welche Nummer soll eingerichtet werden?",
        "number": "Twilio-Nummer {number} ({sid}):",
        "change": "ändern",
        "right": "richtig",
        "unset": "(leer)",
        "app_sid": "Achtung: Auf der Nummer ist eine TwiML-App ({sid}) eingetragen; Twilio beachtet die "
        "URLs dann nicht. Die App in der Twilio-Konsole von der Nummer entfernen.",
        "nothing": "Alles richtig eingestellt, nichts zu ändern.",
        "dry_run": "Probelauf: {n} Feld(er) würden geändert; nichts gesendet.",
        "done": "{n} Feld(er) geändert.",
        "mismatch": "Twilio hat die Änderung nicht übernommen: {fields}",
        "error": "Fehler: {message}",
    },
    "en": {
        "no_credentials": "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set (simulator mode): "
        "without credentials no number can be configured.",
        "no_number": "HOTLINE_NUMBER is not set: which number should be configured?",
        "number": "Twilio number {number} ({sid}):",
        "change": "change",
        "right": "right",
        "unset": "(empty)",
        "app_sid": "Warning: a TwiML App ({sid}) is set on the number; Twilio then ignores the URLs. "
        "Remove the App from the number in the Twilio console.",
        "nothing": "Everything is set right, nothing to change.",
        "dry_run": "Dry run: {n} field(s) would change; nothing sent.",
        "done": "{n} field(s) changed.",
        "mismatch": "Twilio did not take the change: {fields}",
        "error": "Error: {message}",
    },
}


@click.group("twilio", help="Set up the hotline number at Twilio.")
def group() -> None:
    """Twilio commands."""


@group.command("configure")
@click.option("--dry-run", is_flag=True, help="Only show what would change; send nothing.")
@click.option("--allow-http", is_flag=True, help="Accept an http PUBLIC_BASE_URL (testing only).")
@click.option("--language", type=LANGUAGE, default="de", show_default=True, help="Language of the output.")
def configure_command(dry_run: bool, allow_http: bool, language: str) -> None:
    """Set the number's voice, fallback, status and messaging URLs (all POST) from PUBLIC_BASE_URL."""
    texts = TEXTS[language]
    settings = current_services().settings

    def fail(message: str) -> None:
        click.echo(texts["error"].format(message=message), err=True)
        raise SystemExit(1)

    if settings.simulator_mode:
        fail(texts["no_credentials"])
    if not settings.hotline_number:
        fail(texts["no_number"])
    try:
        base_url = require_base_url(settings.public_base_url, allow_http=allow_http)
        gateway = TwilioRestGateway.from_settings(settings)
        number = find_number(gateway, settings.hotline_number or "")
        plan = plan_number_setup(number.fields, base_url)
        click.echo(texts["number"].format(number=number.phone_number, sid=number.sid))
        for item in plan:
            if item.needs_change:
                old = item.current or texts["unset"]
                click.echo(f"  {texts['change']:<8} {item.field:<22} {old} -> {item.wanted}")
            else:
                click.echo(f"  {texts['right']:<8} {item.field:<22} {item.wanted}")
        app_sid = number.fields.get("voice_application_sid") or number.fields.get("sms_application_sid")
        if app_sid:
            click.echo(texts["app_sid"].format(sid=app_sid), err=True)
        changes = changes_of(plan)
        if not changes:
            click.echo(texts["nothing"])
            return
        if dry_run:
            click.echo(texts["dry_run"].format(n=len(changes)))
            return
        updated = update_number(gateway, number.sid, changes)
    except HotlineError as exc:
        fail(exc.text(language))
        return
    left = changes_of(plan_number_setup(updated.fields, base_url))
    if left:
        fail(texts["mismatch"].format(fields=", ".join(sorted(left))))
    click.echo(texts["done"].format(n=len(changes)))
