"""Editing what a coordinator adds to a case after the call: validation, the change, its timeline event.

Validation is a pure function over the submitted text and an explicit `now`; it returns error
codes (the dashboard words them in the reader's language), never messages.
"""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core.inputs import InputError, local_to_utc, parse_date, parse_time, split_offset, with_reading
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


@dataclass
class EditCheck:
    """The result of checking a form: clean values, or errors by field."""

    details: CaseDetails
    errors: dict[str, EditError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when every field is valid."""
        return not self.errors


def details_of(case: Case) -> CaseDetails:
    """Return the case's current editable details."""
    return CaseDetails(
        parent_name=case.parent_name,
        address=case.address,
        care_starts_at=case.care_starts_at,
        expected_hours=case.expected_hours,
        notes=case.notes,
    )


def check_case_form(form: Mapping[str, str], *, now: datetime) -> EditCheck:
    """Check the submitted text of the edit form; return clean values or an error per field.

    Fields: parent_name, address, care_date (YYYY-MM-DD), care_time (HH:MM, Europe/Berlin),
    expected_hours ("3", "2,5" or "2.5"), notes. Empty means "not known".
    """
    errors: dict[str, EditError] = {}

    name = _clean_line(form.get("parent_name"))
    if name and len(name) > MAX_NAME:
        errors["parent_name"] = EditError.NAME_TOO_LONG
    elif name and (any(ch.isdigit() for ch in name) or _has_control(name)):
        errors["parent_name"] = EditError.NAME_INVALID

    address = _clean_line(form.get("address"))
    if address and len(address) > MAX_ADDRESS:
        errors["address"] = EditError.ADDRESS_TOO_LONG
    elif address and _has_control(address):
        errors["address"] = EditError.TEXT_INVALID

    starts_at, start_error = _parse_start(
        form.get("care_date"), with_reading(form.get("care_time"), form.get("care_time_reading")), now=now
    )
    if start_error is not None:
        errors["care_starts_at"] = start_error

    hours, hours_error = _parse_hours(form.get("expected_hours"))
    if hours_error is not None:
        errors["expected_hours"] = hours_error

    notes = (form.get("notes") or "").replace("\r\n", "\n").strip() or None
    if notes and len(notes) > MAX_NOTES:
        errors["notes"] = EditError.NOTES_TOO_LONG
    elif notes and _has_control(notes.replace("\n", "").replace("\t", "")):
        errors["notes"] = EditError.TEXT_INVALID

    details = CaseDetails(
        parent_name=name, address=address, care_starts_at=starts_at, expected_hours=hours, notes=notes
    )
    return EditCheck(details=details, errors=errors)


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


def _parse_start(
    raw_date: str | None, raw_time: str | None, *, now: datetime
) -> tuple[datetime | None, EditError | None]:
    """Parse a local date and time into an aware UTC time."""
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


def _parse_hours(raw: str | None) -> tuple[float | None, EditError | None]:
    """Parse a duration in hours, with a decimal comma or point."""
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
