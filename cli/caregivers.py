"""`flask --app app caregivers ...`: import caregivers from CSV, list them with their checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from caregivers import CaregiverImportError, find_caregivers, import_caregivers
from caregivers.certificates import first_aid_valid, police_certificate_valid
from core.clock import BERLIN
from core.container import current_services
from core.phones import format_national
from geo import lookup_postcode
from models.caregiver import Caregiver


# AppGroup runs each command inside the app context (also under the test CLI runner).
@click.group("caregivers", cls=AppGroup, help="Betreuungskräfte (caregivers).")
def group() -> None:
    """Caregiver commands."""


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import caregivers from a CSV file: all rows or none; known numbers are updated."""
    services = current_services()
    data = file.read_bytes()
    try:
        with services.database.unit_of_work() as session:
            report = import_caregivers(session, data=data, now=services.clock.now())
    except CaregiverImportError as exc:
        click.echo(
            f"{file.name}: nichts importiert, {len(exc.errors)} Fehler "
            f"(nothing imported, {len(exc.errors)} error(s)):",
            err=True,
        )
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"{file.name}: {report.added} neu, {report.updated} aktualisiert, {report.unchanged} unverändert "
        f"({report.added} added, {report.updated} updated, {report.unchanged} unchanged)."
    )
    if report.without_certificate:
        missing = " (die Datei hat keine Spalte police_certificate_date)" if report.certificate_column_missing else ""
        click.echo(
            f"Achtung: {report.without_certificate} Betreuungskräfte ohne gültiges Führungszeugnis{missing}: "
            "sie bekommen keine Anfragen für Kinder. Datum nachtragen: Spalte police_certificate_date "
            "(JJJJ-MM-TT) oder im Dashboard unter Betreuungskräfte."
        )


@group.command("list")
def list_command() -> None:
    """Print every caregiver with area, ages, languages and the checks a dispatcher must see."""
    services = current_services()
    today = services.clock.now().astimezone(BERLIN).date()
    with services.database.unit_of_work() as session:
        rows = [_row(c, today) for c in find_caregivers(session)]
    if not rows:
        click.echo("Keine Betreuungskräfte erfasst. (No caregivers yet.)")
        return
    headers = (
        "Name",
        "Telefon (phone)",
        "Wohnort (home)",
        "Umkreis (radius)",
        "Alter (ages)",
        "Senioren (eldercare)",
        "Sprachen (languages)",
        "Prüfungen (checks)",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        click.echo("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())


def _row(caregiver: Caregiver, today: date) -> tuple[str, ...]:
    """Return one caregiver as the columns of the list."""
    info = lookup_postcode(caregiver.postcode)
    ages = f"{caregiver.min_age}–{caregiver.max_age}"
    name = caregiver.name
    if caregiver.opted_out:
        name += " [abgemeldet/opted out]"
    if not caregiver.active:
        name += " [inaktiv/inactive]"
    return (
        name,
        format_national(caregiver.phone),
        f"{caregiver.postcode} {info.municipality or '?'}",
        f"{caregiver.max_distance_km:g} km",
        ages,
        "ja/yes" if caregiver.eldercare else "nein/no",
        ", ".join(caregiver.languages or ()),
        _checks(caregiver, today),
    )


def _checks(caregiver: Caregiver, today: date) -> str:
    """Return the police certificate and first-aid dates, with a warning when one is out of date."""
    parts = []
    certificate = caregiver.police_certificate_date
    if caregiver.police_certificate_excluded:
        parts.append("FZ: AUSSCHLUSS! (police certificate: excluded)")
    elif certificate is None:
        parts.append("FZ: fehlt! (no police certificate)")
    elif police_certificate_valid(certificate, excluded=False, today=today):
        parts.append(f"FZ {certificate:%d.%m.%Y}")
    else:
        parts.append(f"FZ {certificate:%d.%m.%Y} älter als 5 Jahre! (police certificate older than 5 years)")
    first_aid = caregiver.first_aid_date
    if first_aid is None:
        parts.append("EH: fehlt (no first-aid course)")
    elif first_aid_valid(first_aid, today=today):
        parts.append(f"EH {first_aid:%d.%m.%Y}")
    else:
        parts.append(f"EH {first_aid:%d.%m.%Y} älter als 2 Jahre! (first aid older than 2 years)")
    return ", ".join(parts)
