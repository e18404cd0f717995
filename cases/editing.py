"""Editing what a coordinator adds to a case after the call: validation, the change, its timeline event.

Validation is a set of pure functions, one per field, over the submitted text (and an explicit `now`);
each returns a clean value or an error code (the dashboard's form words it in the reader's language).
"""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core.inputs import InputError, local_to_utc, parse_date, parse_time, split_offset
from models import Case

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")

#: The fields a coordinator may edit, in the order of the form.
EDITABLE = ("parent_name", "address", "care_starts_at", "expected_hours", "notes")
MAX_NAME = 60
MAX_ADDRESS = 200
MAX_NOTES = 2000
MIN_HOURS = 0.5
MAX_HOURS = 24.0
#: A care start may lie a little in the past (care already began) but not far.
PAST_ALLOWANCE = timedelta(hours=24)
FUTURE_LIMIT = timedelta(days=60)
#: Hours as people type them: ASCII digits, a decimal point (float() would take "٣" as well).
_HOURS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,4})?", re.ASCII)


class EditError(enum.StrEnum):
    """Why a submitted value is refused."""

    NAME_TOO_LONG = "name_too_long"
    NAME_INVALID = "name_invalid"
    ADDRESS_TOO_LONG = "address_too_long"
    TEXT_INVALID = "text_invalid"
    DATE_INVALID = "date_invalid"
    TIME_INVALID = "time_invalid"
    DATE_WITHOUT_TIME = "date_without_time"
    TIME_WITHOUT_DATE = "time_without_date"
    TIME_SKIPPED = "time_skipped"
    TIME_AMBIGUOUS = "time_ambiguous"
    START_TOO_EARLY = "start_too_early"
    START_TOO_LATE = "start_too_late"
    HOURS_INVALID = "hours_invalid"
    HOURS_OUT_OF_RANGE = "hours_out_of_range"
    NOTES_TOO_LONG = "notes_too_long"


@dataclass(frozen=True)
class CaseDetails:
    """The editable details of a case, as clean values."""

    parent_name: str | None = None
    address: str | None = None
    care_starts_at: datetime | None = None
    expected_hours: float | None = None
    notes: str | None = None


def details_of(case: Case) -> CaseDetails:
    """Return the case's current editable details."""
    return CaseDetails(
        parent_name=case.parent_name,
        address=case.address,
        care_starts_at=case.care_starts_at,
        expected_hours=case.expected_hours,
        notes=case.notes,
    )


def check_parent_name(raw: str | None) -> tuple[str | None, EditError | None]:
    """Return the parent's first name as one clean line, or why it is refused; empty means not known."""
    name = _clean_line(raw)
    if name and len(name) > MAX_NAME:
        return None, EditError.NAME_TOO_LONG
    if name and (any(ch.isdigit() for ch in name) or _has_control(name)):
        return None, EditError.NAME_INVALID
    return name, None


def check_address(raw: str | None) -> tuple[str | None, EditError | None]:
    """Return the address as one clean line, or why it is refused; empty means not known."""
    address = _clean_line(raw)
    if address and len(address) > MAX_ADDRESS:
        return None, EditError.ADDRESS_TOO_LONG
    if address and _has_control(address):
        return None, EditError.TEXT_INVALID
    return address, None


def check_notes(raw: str | None) -> tuple[str | None, EditError | None]:
    """Return the notes (line breaks kept), or why they are refused; empty means none."""
    notes = (raw or "").replace("\r\n", "\n").strip() or None
    if notes and len(notes) > MAX_NOTES:
        return None, EditError.NOTES_TOO_LONG
    if notes and _has_control(notes.replace("\n", "").replace("\t", "")):
        return None, EditError.TEXT_INVALID
    return notes, None


def changed_fields(before: CaseDetails, after: CaseDetails) -> list[str]:
    """Return the names of the fields whose values differ, in form order."""
    return [name for name in EDITABLE if getattr(before, name) != getattr(after, name)]


def edit_case(session: Session, *, case: Case, details: CaseDetails, by: str, now: datetime) -> list[str]:
    """Apply checked details to a case; record which fields changed (not their values); return them."""
    changed = changed_fields(details_of(case), details)
    if not changed:
        return []
    for name in changed:
        setattr(case, name, getattr(details, name))
    case.updated_at = now
    session.flush()
    record_event(
        session,
        case,
        key=f"edited:{now.isoformat()}:{secrets.token_hex(4)}",
        kind=EventKind.CASE_EDITED,
        now=now,
        detail={"fields": changed, "by": by[:64]},
    )
    return changed


def local_date_and_time(at: datetime | None) -> tuple[str, str]:
    """Return an aware time as the form's local date (YYYY-MM-DD) and time (HH:MM), or empty strings."""
    if at is None:
        return "", ""
    local = at.astimezone(BERLIN)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def format_hours(hours: float | None) -> str:
    """Return hours as a German number ("2,5"), or an empty string."""
    if hours is None:
        return ""
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def parse_start(
    raw_date: str | None, raw_time: str | None, *, now: datetime
) -> tuple[datetime | None, EditError | None]:
    """Parse a local date (YYYY-MM-DD) and time (HH:MM, Europe/Berlin) into an aware UTC time; both or neither."""
    text_date = (raw_date or "").strip()
    text_time = (raw_time or "").strip()
    if not text_date and not text_time:
        return None, None
    if not text_time:
        return None, EditError.DATE_WITHOUT_TIME
    if not text_date:
        return None, EditError.TIME_WITHOUT_DATE
    clock_text, offset = split_offset(text_time)
    try:
        day = parse_date(text_date)
    except InputError:
        return None, EditError.DATE_INVALID
    try:
        clock = parse_time(clock_text)
    except InputError:
        return None, EditError.TIME_INVALID
    try:
        # One rule for the clock changes: a skipped time is refused, a doubled one needs "MESZ"/"MEZ".
        at = local_to_utc(day, clock, BERLIN, offset=offset)
    except InputError as exc:
        return None, EditError.TIME_AMBIGUOUS if exc.key == "time.ambiguous" else EditError.TIME_SKIPPED
    if at < now - PAST_ALLOWANCE:
        return None, EditError.START_TOO_EARLY
    if at > now + FUTURE_LIMIT:
        return None, EditError.START_TOO_LATE
    return at, None


def parse_hours(raw: str | None) -> tuple[float | None, EditError | None]:
    """Parse a duration in hours ("3", "2,5" or "2.5"); empty means not known."""
    text = (raw or "").strip().replace(",", ".").removesuffix("h").strip()
    if not text:
        return None, None
    try:
        hours = float(text) if _HOURS.fullmatch(text) else float("nan")
    except ValueError:
        return None, EditError.HOURS_INVALID
    if hours != hours or hours in (float("inf"), float("-inf")):
        return None, EditError.HOURS_INVALID
    if not MIN_HOURS <= hours <= MAX_HOURS:
        return None, EditError.HOURS_OUT_OF_RANGE
    return round(hours, 2), None


def _clean_line(raw: str | None) -> str | None:
    """Return one line of text with inner whitespace collapsed, or None when empty."""
    text = " ".join((raw or "").split())
    return text or None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)
