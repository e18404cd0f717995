"""Caregivers CSV import: a pure parser, and an import that adds new caregivers and updates known ones.

The file format is part of the interface contract:
`name,phone,postcode,max_distance_km,min_age,max_age,languages,eldercare`, optionally followed by
`police_certificate_date` (alias `fuehrungszeugnis`), `police_certificate_excluded`,
`first_aid_date` and `active`. German Excel exports work: `;`, a BOM or Windows-1252 text, `7,5`
km, `24.11.2021`. All rows or none; a phone number already in the database updates that
caregiver, because re-importing the office's master list is how it is kept current.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caregivers.certificates import police_certificate_valid
from core.clock import BERLIN
from core.csvfile import CsvImportError, CsvRecord, RowError, read_csv_table
from core.inputs import InputError, parse_date, parse_int
from core.phones import format_national, is_mobile, normalize_phone
from geo.postcodes import PostcodeKind, lookup_postcode
from models.caregiver import Caregiver

REQUIRED_COLUMNS = (
    "name",
    "phone",
    "postcode",
    "max_distance_km",
    "min_age",
    "max_age",
    "languages",
    "eldercare",
)
OPTIONAL_COLUMNS = ("police_certificate_date", "police_certificate_excluded", "first_aid_date", "active")
COLUMN_ALIASES = {
    "fuehrungszeugnis": "police_certificate_date",
    "führungszeugnis": "police_certificate_date",
}
#: The `name` column's size in the database.
MAX_NAME_LENGTH = 100
#: Further than this is a typo: Region Hannover is about 60 km across.
MAX_DISTANCE_KM = 100.0
#: Children are cared for up to this age (inclusive).
MAX_CHILD_AGE = 17
#: Without languages given she gets her SMS in German.
DEFAULT_LANGUAGES = ("de",)

_YES = {"yes", "ja", "j", "y", "1", "true", "wahr", "x"}
_NO = {"no", "nein", "n", "0", "false", "falsch"}
_LANGUAGE = re.compile(r"[a-z]{2}")
_LANGUAGE_SEPARATORS = re.compile(r"[;,/|\s]+")
_DISTANCE = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
#: Records one refusal reason, in English and German.
_ErrorSink = Callable[[str, str], None]


class CaregiverImportError(CsvImportError):
    """A caregivers file was refused; `errors` names every bad line, nothing was imported."""


@dataclass(frozen=True)
class CaregiverRow:
    """One valid line of a caregivers file; the phone is E.164 and mobile.

    `columns` names the optional columns the file has: an optional value is only written to the
    database when its column is present, so a list without them keeps what is on record.
    """

    line: int
    name: str
    phone: str
    postcode: str
    max_distance_km: float
    min_age: int
    max_age: int
    languages: tuple[str, ...]
    eldercare: bool
    police_certificate_date: date | None = None
    police_certificate_excluded: bool = False
    first_aid_date: date | None = None
    active: bool = True
    columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaregiverImportReport:
    """What an import did: caregivers added, updated, and found unchanged."""

    added: int
    updated: int
    unchanged: int = 0
    #: Active caregivers of the file without a valid police certificate: none of them may take a child job.
    without_certificate: int = 0
    #: True when the file has no police_certificate_date column at all (the minimal format).
    certificate_column_missing: bool = False


def parse_caregivers_csv(data: bytes, *, today: date | None = None) -> list[CaregiverRow]:
    """Parse a caregivers file; raise CaregiverImportError naming every bad line when any line is bad.

    With `today`, dates in the future are refused too (they are typos).
    """
    try:
        table = read_csv_table(data, required=REQUIRED_COLUMNS, aliases=COLUMN_ALIASES)
    except CsvImportError as exc:
        raise CaregiverImportError(exc.errors) from None
    present = frozenset(c for c in OPTIONAL_COLUMNS if c in table.columns)

    rows: list[CaregiverRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    for record in table.records:
        row, row_errors = _parse_record(record, present, today)
        # A number twice is refused even when the lines have other problems: say it right away.
        phone = row.phone if row is not None else normalize_phone(record.values.get("phone", ""))
        if phone is not None:
            earlier = first_line_of.setdefault(phone, record.line)
            if earlier != record.line:
                number = format_national(phone)
                row_errors.append(
                    RowError(
                        record.line,
                        f"Telefonnummer {number} steht schon in Zeile {earlier}; bitte jede Person nur einmal",
                        english=f"phone number {number} is already on line {earlier}; each caregiver once, please",
                    )
                )
        errors.extend(row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    if errors:
        raise CaregiverImportError(errors)
    return rows


def import_caregivers(session: Session, *, data: bytes, now: datetime) -> CaregiverImportReport:
    """Add the caregivers of a file and update those already known by phone; flush, never commit."""
    rows = parse_caregivers_csv(data, today=now.astimezone(BERLIN).date())
    known: dict[str, Caregiver] = {}
    phones = [r.phone for r in rows]
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        known.update(
            (c.phone, c) for c in session.scalars(select(Caregiver).where(Caregiver.phone.in_(chunk)))
        )

    added = updated = unchanged = without_certificate = 0
    today = now.astimezone(BERLIN).date()
    for row in rows:
        caregiver = known.get(row.phone)
        if caregiver is None:
            caregiver = Caregiver(
                phone=row.phone,
                created_at=now,
                updated_at=now,
                opted_out=False,
                police_certificate_excluded=False,
                active=True,
            )
            _apply(caregiver, row, now=now)
            session.add(caregiver)
            added += 1
        elif _apply(caregiver, row, now=now):
            caregiver.updated_at = now
            updated += 1
        else:
            unchanged += 1
        if caregiver.active and not police_certificate_valid(
            caregiver.police_certificate_date, excluded=bool(caregiver.police_certificate_excluded), today=today
        ):
            without_certificate += 1
    session.flush()
    return CaregiverImportReport(
        added=added, updated=updated, unchanged=unchanged, without_certificate=without_certificate,
        certificate_column_missing=bool(rows) and "police_certificate_date" not in rows[0].columns,
    )


def _apply(caregiver: Caregiver, row: CaregiverRow, *, now: datetime) -> bool:
    """Copy a row onto a caregiver (opt-out stays as she set it by SMS); return True if anything changed."""
    values: dict[str, object] = {
        "name": row.name,
        "postcode": row.postcode,
        "max_distance_km": row.max_distance_km,
        "min_age": row.min_age,
        "max_age": row.max_age,
        "languages": list(row.languages),
        "eldercare": row.eldercare,
    }
    for column in OPTIONAL_COLUMNS:
        if column in row.columns:
            values[column] = getattr(row, column)
    changed = False
    for name, value in values.items():
        if getattr(caregiver, name) != value:
            setattr(caregiver, name, value)
            changed = True
    if "active" in row.columns:
        # When she stopped counts for how long her certificate data may be kept.
        if not row.active and caregiver.left_at is None:
            caregiver.left_at = now
        elif row.active and caregiver.left_at is not None:
            caregiver.left_at = None
    return changed


def _parse_record(
    record: CsvRecord, present: frozenset[str], today: date | None
) -> tuple[CaregiverRow | None, list[RowError]]:
    """Check one line; return the caregiver, or the reasons it is refused."""
    line, values = record.line, record.values
    errors: list[RowError] = []

    def error(english: str, german: str) -> None:
        errors.append(RowError(line, german, english=english))

    name = " ".join(values.get("name", "").split())
    if not name:
        error("the name is empty", "der Name fehlt")
    elif len(name) > MAX_NAME_LENGTH:
        error(
            f"the name is longer than {MAX_NAME_LENGTH} characters",
            f"der Name ist länger als {MAX_NAME_LENGTH} Zeichen",
        )

    raw_phone = values.get("phone", "")
    phone = normalize_phone(raw_phone)
    if phone is None:
        error(f"invalid phone number '{raw_phone}'", f"Telefonnummer '{raw_phone}' ist ungültig")
    elif not is_mobile(phone):
        error(
            f"'{raw_phone}' is a landline: offers go out by SMS, so a mobile number is needed",
            f"'{raw_phone}' ist eine Festnetznummer: SMS kann kein Festnetz erreichen, "
            "bitte eine Handynummer angeben",
        )

    raw_postcode = values.get("postcode", "")
    postcode = _parse_postcode(raw_postcode, error)

    raw_distance = values.get("max_distance_km", "").replace(" ", "").removesuffix("km")
    distance: float | None = None
    if _DISTANCE.fullmatch(raw_distance) and float(raw_distance.replace(",", ".")) <= MAX_DISTANCE_KM:
        distance = float(raw_distance.replace(",", "."))
    else:
        error(
            f"max_distance_km '{values.get('max_distance_km', '')}' must be a number of km from 0 to "
            f"{MAX_DISTANCE_KM:g}, e.g. 7.5 or 7,5",
            f"max_distance_km '{values.get('max_distance_km', '')}' muss eine Zahl in km von 0 bis "
            f"{MAX_DISTANCE_KM:g} sein, z. B. 7,5",
        )

    min_age = _parse_age(values.get("min_age", ""), "min_age", error)
    max_age = _parse_age(values.get("max_age", ""), "max_age", error)
    if min_age is not None and max_age is not None and min_age > max_age:
        error(
            f"min_age {min_age} is above max_age {max_age}",
            f"min_age {min_age} ist größer als max_age {max_age}",
        )

    languages = _parse_languages(values.get("languages", ""), error)
    eldercare = _parse_flag(values.get("eldercare", ""), "eldercare", default=False, error=error)

    certificate = first_aid = None
    excluded, active = False, True
    if "police_certificate_date" in present:
        certificate = _parse_date(
            values.get("police_certificate_date", ""), "police_certificate_date", today, error
        )
    if "police_certificate_excluded" in present:
        excluded = _parse_flag(
            values.get("police_certificate_excluded", ""),
            "police_certificate_excluded",
            default=False,
            error=error,
        )
    if "first_aid_date" in present:
        first_aid = _parse_date(values.get("first_aid_date", ""), "first_aid_date", today, error)
    if "active" in present:
        active = _parse_flag(values.get("active", ""), "active", default=True, error=error)

    if errors:
        return None, errors
    assert phone is not None and postcode is not None and distance is not None
    assert min_age is not None and max_age is not None and languages is not None
    return CaregiverRow(
        line=line,
        name=name,
        phone=phone,
        postcode=postcode,
        max_distance_km=distance,
        min_age=min_age,
        max_age=max_age,
        languages=languages,
        eldercare=eldercare,
        police_certificate_date=certificate,
        police_certificate_excluded=excluded,
        first_aid_date=first_aid,
        active=active,
        columns=present,
    ), []


def _parse_postcode(raw: str, error: _ErrorSink) -> str | None:
    """Return a residential postcode of Region Hannover, or report why the value is refused."""
    info = lookup_postcode(raw)
    if info.kind is PostcodeKind.REGION:
        return info.code
    if info.kind is PostcodeKind.COMPANY:
        error(
            f"postcode {raw} belongs to a company or PO box; the caregiver's home postcode is needed",
            f"Postleitzahl {raw} gehört zu einer Firma oder einem Postfach; "
            "bitte die Postleitzahl der Wohnung angeben",
        )
    elif info.kind is PostcodeKind.OUTSIDE:
        error(
            f"postcode {raw} is outside Region Hannover; Fluxx only places caregivers living in the region",
            f"Postleitzahl {raw} liegt außerhalb der Region Hannover; "
            "Fluxx vermittelt nur Betreuungskräfte aus der Region",
        )
    else:
        error(f"'{raw}' is not a five-digit postcode", f"'{raw}' ist keine fünfstellige Postleitzahl")
    return None


def _parse_age(raw: str, column: str, error: _ErrorSink) -> int | None:
    """Return an age in whole years (0 = under one), or report why the value is refused."""
    try:
        return parse_int(raw, maximum=MAX_CHILD_AGE)
    except InputError:
        pass
    error(
        f"{column} '{raw}' must be whole years from 0 (under one) to {MAX_CHILD_AGE}",
        f"{column} '{raw}' muss eine ganze Zahl von Jahren sein, 0 (unter einem Jahr) bis {MAX_CHILD_AGE}",
    )
    return None


def split_language_codes(raw: str) -> tuple[list[str], list[str]]:
    """Split `de;en`, `de, en`, `de/en`, `de|en` or `de en` into ISO 639-1 codes (in order, once each)
    and the parts that are not such a code. Shared by the import and the caregiver form."""
    codes: list[str] = []
    bad: list[str] = []
    for part in _LANGUAGE_SEPARATORS.split(raw.strip().lower()):
        if not part:
            continue
        if _LANGUAGE.fullmatch(part):
            if part not in codes:
                codes.append(part)
        else:
            bad.append(part)
    return codes, bad


def _parse_languages(raw: str, error: _ErrorSink) -> tuple[str, ...] | None:
    """Return ISO 639-1 codes in the given order (`de;en`, `de, en`, `de/en`, `de|en`, `de en`)."""
    codes, bad = split_language_codes(raw)
    if bad:
        shown = ", ".join(f"'{b}'" for b in bad)
        error(
            f"languages: {shown} is not a two-letter language code like de, en, tr",
            f"Sprachen: {shown} ist kein zweibuchstabiger Sprachcode wie de, en, tr",
        )
        return None
    return tuple(codes) or DEFAULT_LANGUAGES


def _parse_flag(raw: str, column: str, *, default: bool, error: _ErrorSink) -> bool:
    """Return yes/no (also ja/nein, 1/0, true/false); an empty value means `default`."""
    value = raw.strip().lower()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    error(f"{column} '{raw}' must be yes or no", f"{column} '{raw}' muss ja oder nein sein")
    return default


def _parse_date(raw: str, column: str, today: date | None, error: _ErrorSink) -> date | None:
    """Return a date given as YYYY-MM-DD or DD.MM.YYYY (empty: none), or report why it is refused."""
    value = raw.strip()
    if not value:
        return None
    try:
        parsed: date | None = parse_date(value)
    except InputError:
        parsed = None
    if parsed is None:
        error(
            f"{column} '{raw}' is not a date like 2024-03-15 or 15.03.2024",
            f"{column} '{raw}' ist kein Datum wie 15.03.2024 oder 2024-03-15",
        )
    elif today is not None and parsed > today:
        error(
            f"{column} {parsed:%d.%m.%Y} is in the future", f"{column} {parsed:%d.%m.%Y} liegt in der Zukunft"
        )
        return None
    return parsed

