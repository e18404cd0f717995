"""Roster CSV import: a pure parser, and an import that adds what is new (all rows or none).

The file format is part of the interface contract: `name,phone,start,end,role`, and optionally
`languages` (`de;tr`): the languages the coordinator speaks, which belong to her number, not to the
shift (roster.languages). An empty cell, or no such column, leaves her languages as they are; two
lines of one number naming different languages are refused. German Excel exports work too: `;` as
separator, a UTF-8 BOM or Windows-1252 text, and `23.11.2026 08:00`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import BERLIN
from core.csvfile import CsvImportError, CsvRecord, RowError, read_csv_table
from core.inputs import InputError, local_to_utc
from core.languages import LANGUAGES, parse_language_list
from models.roster import Shift, ShiftRole
from roster.languages import store_languages

REQUIRED_COLUMNS = ("name", "phone", "start", "end", "role")
#: The optional column of the coordinator's languages.
LANGUAGES_COLUMN = "languages"
#: Longer shifts are almost always a typo in a date.
MAX_SHIFT = timedelta(days=7)
#: The `name` column's size in the database.
MAX_NAME_LENGTH = 100

_ISO = re.compile(
    r"^(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})[T ](?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
    r"\s*(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?$",
    re.IGNORECASE,
)
_GERMAN = re.compile(
    r"^(?P<d>[0-9]{1,2})\.(?P<mo>[0-9]{1,2})\.(?P<y>[0-9]{4}),?\s+(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
    r"(?:\s*(?:Uhr)?)?$",
    re.IGNORECASE,
)
_ROLES = {"primary": ShiftRole.PRIMARY, "backup": ShiftRole.BACKUP}


@dataclass(frozen=True)
class ShiftRow:
    """One valid line of a roster file; times are aware UTC datetimes, the phone is E.164."""

    line: int
    name: str
    phone: str
    starts_at: datetime
    ends_at: datetime
    role: ShiftRole
    #: The languages the line names for her number; None: the cell is empty or the column missing.
    languages: tuple[str, ...] | None = None

    @property
    def key(self) -> tuple[str, datetime, datetime, ShiftRole]:
        """Return what makes two shifts the same: phone, start, end and role."""
        return (self.phone, self.starts_at, self.ends_at, self.role)


class RosterImportError(CsvImportError):
    """A roster file was refused; `errors` names every bad line, nothing was imported."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did: shifts added, rows skipped because they were already present, people whose languages changed."""

    added: int
    skipped: int
    languages: int = 0


class _TimeError(ValueError):
    """A start or end value that cannot be used; carries an English and a German reason."""

    def __init__(self, english: str, german: str) -> None:
        super().__init__(english)
        self.english = english
        self.german = german


def parse_roster_csv(data: bytes) -> list[ShiftRow]:
    """Parse a roster file; raise RosterImportError naming every bad line when any line is bad."""
    try:
        table = read_csv_table(data, required=REQUIRED_COLUMNS)
    except CsvImportError as exc:
        raise RosterImportError(exc.errors) from None

    shifts: list[ShiftRow] = []
    errors: list[RowError] = []
    for row in table.records:
        shift, row_errors = _parse_row(row)
        errors.extend(row_errors)
        if shift is not None:
            shifts.append(shift)
    errors.extend(_conflicting_languages(shifts))
    if errors:
        raise RosterImportError(errors)
    return shifts


def import_roster(session: Session, *, data: bytes, now: datetime) -> ImportReport:
    """Add the shifts of a roster file that are not in the database yet, and store the languages it names; flush."""
    rows = parse_roster_csv(data)
    if not rows:
        return ImportReport(added=0, skipped=0)
    changed = store_languages(session, languages=file_languages(rows), now=now)
    earliest = min(r.starts_at for r in rows)
    latest = max(r.starts_at for r in rows)
    existing = session.scalars(
        select(Shift).where(Shift.starts_at >= earliest, Shift.starts_at <= latest)
    ).all()
    seen = {(s.phone, s.starts_at, s.ends_at, ShiftRole(s.role)) for s in existing}
    added = skipped = 0
    for row in rows:
        if row.key in seen:
            skipped += 1
            continue
        seen.add(row.key)
        session.add(Shift(name=row.name, phone=row.phone, starts_at=row.starts_at,
                          ends_at=row.ends_at, role=row.role))
        added += 1
    session.flush()
    return ImportReport(added=added, skipped=skipped, languages=changed)


def file_languages(rows: list[ShiftRow]) -> dict[str, tuple[str, ...]]:
    """Return the languages a file names per phone (the first line that names them; the file agrees)."""
    languages: dict[str, tuple[str, ...]] = {}
    for row in rows:
        if row.languages is not None:
            languages.setdefault(row.phone, row.languages)
    return languages


def _conflicting_languages(rows: list[ShiftRow]) -> list[RowError]:
    """Refuse a line naming other languages for a number than an earlier line of the file did."""
    first: dict[str, ShiftRow] = {}
    errors: list[RowError] = []
    for row in rows:
        if row.languages is None:
            continue
        earlier = first.setdefault(row.phone, row)
        if set(earlier.languages or ()) != set(row.languages):
            said, says = ";".join(earlier.languages or ()), ";".join(row.languages)
            errors.append(RowError(
                row.line,
                f"Sprachen '{says}' widersprechen Zeile {earlier.line} ('{said}') für dieselbe Telefonnummer; "
                "die Sprachen gehören zur Person",
                english=f"languages '{says}' contradict line {earlier.line} ('{said}') for the same phone number; "
                        "languages belong to the person",
            ))
    return errors


def _parse_row(row: CsvRecord) -> tuple[ShiftRow | None, list[RowError]]:
    """Check one line; return the shift, or the reasons it is refused."""
    line = row.line
    errors: list[RowError] = []

    name = " ".join(row.values.get("name", "").split())
    if not name:
        errors.append(RowError(line, "der Name fehlt", english="the name is empty"))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(RowError(line, f"der Name ist länger als {MAX_NAME_LENGTH} Zeichen",
                               english=f"the name is longer than {MAX_NAME_LENGTH} characters"))

    phone = _parse_phone(row.values.get("phone", ""))
    if phone is None:
        raw = row.values.get("phone", "")
        errors.append(RowError(line, f"Telefonnummer '{raw}' ist ungültig", english=f"invalid phone number '{raw}'"))

    starts_at = _parse_time_into(row.values.get("start", ""), "start", "Beginn", line, errors)
    ends_at = _parse_time_into(row.values.get("end", ""), "end", "Ende", line, errors)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors.append(RowError(line, "das Ende liegt nicht nach dem Beginn", english="the end is not after the start"))
        elif ends_at - starts_at > MAX_SHIFT:
            errors.append(RowError(
                line,
                "die Schicht ist länger als 7 Tage – ist ein Datum vertippt?",
                english="the shift is longer than 7 days — is a date mistyped?",
            ))

    raw_role = row.values.get("role", "")
    role = _ROLES.get(raw_role.strip().lower())
    if role is None:
        errors.append(RowError(line, f"Rolle '{raw_role}' muss primary oder backup sein",
                               english=f"role '{raw_role}' must be primary or backup"))

    languages: tuple[str, ...] | None = None
    raw_languages = row.values.get(LANGUAGES_COLUMN, "")
    if raw_languages.strip():
        try:
            languages = parse_language_list(raw_languages)
        except ValueError:
            known = ", ".join(LANGUAGES)
            errors.append(RowError(line, f"Sprachen '{raw_languages}': bekannt sind nur {known}, getrennt mit ;",
                                   english=f"languages '{raw_languages}': only {known} are known, separated by ;"))

    if errors:
        return None, errors
    assert phone is not None and starts_at is not None and ends_at is not None and role is not None
    return ShiftRow(line=line, name=name, phone=phone, starts_at=starts_at, ends_at=ends_at, role=role,
                    languages=languages), []


def _parse_phone(raw: str) -> str | None:
    """Return a phone number in E.164, reading German notations; None when it is not valid."""
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_time_into(raw: str, column: str, spalte: str, line: int, errors: list[RowError]) -> datetime | None:
    """Parse a start or end value, appending a RowError when it cannot be used."""
    try:
        return parse_local_time(raw)
    except _TimeError as exc:
        errors.append(RowError(line, f"{spalte}: {exc.german}", english=f"{column}: {exc.english}"))
        return None


def parse_local_time(raw: str) -> datetime:
    """Parse a roster time (Berlin wall clock, or with an explicit offset) into aware UTC."""
    value = raw.strip()
    match = _ISO.match(value) or _GERMAN.match(value)
    if not match:
        raise _TimeError(
            f"'{raw}' is not a time like 2026-11-23T08:00 or 23.11.2026 08:00",
            f"'{raw}' ist keine Zeitangabe wie 2026-11-23T08:00 oder 23.11.2026 08:00",
        )
    parts = match.groupdict()
    try:
        wall = datetime(int(parts["y"]), int(parts["mo"]), int(parts["d"]),  # noqa: DTZ001 - zone added below
                        int(parts["h"]), int(parts["mi"]), int(parts.get("s") or 0))
    except ValueError:
        raise _TimeError(f"'{raw}' is not a valid date or time",
                         f"'{raw}' ist kein gültiges Datum oder keine gültige Uhrzeit") from None

    tz = parts.get("tz")
    if tz:
        try:
            return wall.replace(tzinfo=_offset(tz)).astimezone(UTC)
        except (ValueError, OverflowError):  # "+99:00" is no zone
            raise _TimeError(f"'{raw}' has an offset no zone has",
                             f"'{raw}' hat eine Zeitzone, die es nicht gibt") from None

    try:
        return local_to_utc(wall.date(), wall.time(), BERLIN)  # the one rule for the clock changes
    except InputError as exc:
        raise _clock_change_error(raw, wall, exc) from None


def _clock_change_error(raw: str, wall: datetime, exc: InputError) -> _TimeError:
    """Return the file's message for a wall time the clock change skips or doubles (offsets to choose from)."""
    if exc.key != "time.ambiguous":
        jump = _iso_offset(_first_time_after_gap(wall))
        return _TimeError(
            f"'{raw}' does not exist in Berlin (clocks jump forward that night); "
            f"pick another time or give it with an offset, e.g. {jump}",
            f"'{raw}' gibt es in Berlin nicht (Zeitumstellung, die Uhr springt vor); "
            f"bitte eine andere Uhrzeit wählen oder mit Zeitzone angeben, z. B. {jump}",
        )
    first, second = (_iso_offset(at) for at in exc.readings)
    return _TimeError(
        f"'{raw}' happens twice in Berlin (clocks go back that night); "
        f"give the offset: {first} (first) or {second} (second time)",
        f"'{raw}' gibt es in Berlin zweimal (Zeitumstellung, die Uhr wird zurückgestellt); "
        f"bitte mit Zeitzone angeben: {first} (erstes Mal) oder {second} (zweites Mal)",
    )


def _first_time_after_gap(wall: datetime) -> datetime:
    """Return the first Berlin wall-clock minute after a time skipped by the DST change."""
    candidate = wall
    while True:
        candidate += timedelta(minutes=1)
        aware = candidate.replace(tzinfo=BERLIN)
        if aware.astimezone(UTC).astimezone(BERLIN).replace(tzinfo=None) == candidate:
            return aware


def _offset(tz: str) -> timezone:
    """Return a fixed timezone for 'Z', '+01:00' or '+0100'."""
    if tz.upper() == "Z":
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _iso_offset(at: datetime) -> str:
    """Return a wall-clock time with its offset, as the file should spell it."""
    return at.isoformat(timespec="minutes")
