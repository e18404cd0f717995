"""`flask --app app roster ...`: import shifts from CSV, show a day's shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click
import phonenumbers
from flask.cli import AppGroup

from cli.params import DATE
from core.clock import BERLIN
from core.container import current_services
from roster import RosterImportError, find_shifts_between, import_roster
from roster.languages import find_languages

_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


# AppGroup runs each command inside the app context (also under the test CLI runner).
@click.group("roster", cls=AppGroup, help="Coordinators' shifts (Dienstplan).")
def group() -> None:
    """Roster commands."""


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import shifts from a CSV file: all rows or none."""
    data = file.read_bytes()
    try:
        with current_services().database.unit_of_work() as session:
            report = import_roster(session, data=data, now=current_services().clock.now())
    except RosterImportError as exc:
        click.echo(f"{file.name}: nichts importiert, {len(exc.errors)} Fehler "
                   f"(nothing imported, {len(exc.errors)} error(s)):", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{file.name}: {report.added} Schicht(en) neu, {report.skipped} schon vorhanden "
               f"({report.added} added, {report.skipped} already present).")
    if report.languages:
        click.echo(f"Sprachen von {report.languages} Koordinatorin(nen) gespeichert "
                   f"(languages saved for {report.languages} coordinator(s)).")


@group.command("show")
@click.option("--date", "day", type=DATE, default=None,
              help="Day to show, YYYY-MM-DD (default: today in Berlin).")
def show_command(day: date | None) -> None:
    """Print the shifts of one day in Berlin time."""
    services = current_services()
    local_day = day if day else services.clock.now().astimezone(BERLIN).date()
    start = _midnight(local_day)
    end = _midnight(local_day + timedelta(days=1))
    with services.database.unit_of_work() as session:
        shifts = find_shifts_between(session, start=start, end=end)
        spoken = find_languages(session, phones=[s.phone for s in shifts])
        rows: list[tuple[str, ...]] = [(_span(s.starts_at, s.ends_at, local_day), s.role.value, s.name, _national(s.phone),
                 ";".join(spoken.get(s.phone, ()))) for s in shifts]

    click.echo(f"Dienstplan (roster) {_WEEKDAYS[local_day.weekday()]}, {local_day:%d.%m.%Y}")
    if not rows:
        click.echo("Keine Schichten an diesem Tag. (No shifts on this day.)")
        return
    headers: tuple[str, ...] = ("Zeit (time)", "Rolle (role)", "Name (name)", "Telefon (phone)")
    if any(r[-1] for r in rows):
        headers += ("Sprachen (languages)",)
    else:  # nobody's languages recorded: the table as it always was
        rows = [r[:-1] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        click.echo("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())


def _midnight(day: date) -> datetime:
    """Return the start of a Berlin calendar day as UTC."""
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


def _span(starts_at: datetime, ends_at: datetime, day: date) -> str:
    """Return 'HH:MM–HH:MM' in Berlin time, with the date where the shift begins or ends on another day."""
    start = starts_at.astimezone(BERLIN)
    end = ends_at.astimezone(BERLIN)
    start_text = f"{start:%H:%M}" if start.date() == day else f"{start:%d.%m.} {start:%H:%M}"
    if end.date() == day:
        end_text = f"{end:%H:%M}"
    elif end.date() == day + timedelta(days=1) and end.time() == time(0):
        end_text = "24:00"
    else:
        end_text = f"{end:%d.%m.} {end:%H:%M}"
    return f"{start_text}–{end_text}"


def _national(phone: str) -> str:
    """Return a number as coordinators dial it: national format for German numbers."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 49 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
