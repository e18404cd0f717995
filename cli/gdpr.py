"""`flask --app app gdpr export|erase --phone NUMBER`: a person's data, out or gone (both logged)."""

from __future__ import annotations

import json
import logging

import click

from core.container import current_services
from core.logs import mask_phone
from core.phones import normalize_phone
from gdpr import erase_person, export_person

log = logging.getLogger(__name__)


@click.group("gdpr", help="Datenschutz: Auskunft und Löschung / data protection: export and erasure.")
def group() -> None:
    """GDPR commands."""


def _phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        raise click.BadParameter(f"{raw!r} ist keine gültige Telefonnummer / is not a valid phone number")
    return phone


@group.command("export")
@click.option("--phone", required=True, help="The person's number, any German notation.")
def export_command(phone: str) -> None:
    """Print everything held about a person as JSON."""
    number = _phone(phone)
    services = current_services()
    with services.database.unit_of_work() as session:
        data = export_person(session, phone=number, now=services.clock.now())
    log.info("GDPR export made for %s", mask_phone(number))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@group.command("erase")
@click.option("--phone", required=True, help="The person's number, any German notation.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(phone: str, yes: bool) -> None:
    """Anonymise everything held about a person (the audit trail is kept)."""
    number = _phone(phone)
    if not yes:
        click.confirm(f"Alle Daten zu {number} unwiderruflich anonymisieren? / Erase irrevocably?", abort=True)
    services = current_services()
    with services.database.unit_of_work() as session:
        report = erase_person(session, phone=number, now=services.clock.now())
    log.info("GDPR erasure for %s: %s", mask_phone(number), report)
    click.echo(f"Anonymisiert / erased: {report.cases} Fälle, {report.caregivers} Betreuungskraft, "
               f"{report.shifts} Schichten, {report.users} Benutzer, {report.messages} SMS.")
    for note in report.notes:
        click.echo(f"Hinweis: {note}")
