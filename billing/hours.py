"""Care hours: the caregiver texts START <code> and ENDE <code>, or the coordinator enters the times.

The code is the one of the caregiver's ACCEPTED offer for the case (the code she said JA with),
so one caregiver may work several cases and each text lands on the right one. Times are the
moments the SMS arrived (or what the coordinator typed); they are never guessed. A time that is
missing or implausible sets a flag on the care session, and a flagged session is not billed until
a coordinator has entered or confirmed the times (`enter_care_times`); the billing run lists it.

Flags (CareSession.flag):

| flag                   | when                                                                        |
|------------------------|-----------------------------------------------------------------------------|
| `missing_start`        | ENDE arrived without a START (or a coordinator entered no start)            |
| `missing_end`          | started more than MAX_SESSION ago and no ENDE yet (set by the billing run)  |
| `end_before_start`     | the end is not after the start (also: both at the same minute)              |
| `longer_than_16h`      | longer than MAX_SESSION (16 hours)                                          |
| `start_before_request` | care started more than START_TOLERANCE before the case was opened (the call)|
| `end_in_future`        | a coordinator entered an end after now                                      |

`longer_than_16h` and `start_before_request` are plausibility checks: a coordinator who knows the
times are right enters them with `confirmed=True`, which waives these two (never the others).

Pricing (pure): care is billed per STARTED unit of BILLING_UNIT_MINUTES (60 = per started hour)
on the real elapsed time, computed in UTC, so a session across midnight or a DST change is billed
by its true length. Elapsed time counts whole minutes (seconds are dropped, as people see and
type minutes): 14:05 to 15:05 is one hour even when the ENDE arrived at 15:05:40.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.tariffs import BillingError, money
from cases.events import EventKind
from cases.service import record_event
from core.clock import BERLIN
from core.formats import time_de
from core.settings import default
from models import Caregiver, CareSession, Case, Offer, OfferStatus

MISSING_START = "missing_start"
MISSING_END = "missing_end"
END_BEFORE_START = "end_before_start"
LONGER_THAN_16H = "longer_than_16h"
START_BEFORE_REQUEST = "start_before_request"
END_IN_FUTURE = "end_in_future"
#: The flags a coordinator may waive by confirming the times.
PLAUSIBILITY_FLAGS = frozenset({LONGER_THAN_16H, START_BEFORE_REQUEST})

#: A care session longer than this is implausible (and an open one this old is missing its end).
MAX_SESSION = timedelta(hours=16)
#: Care may start this long before the case was opened (a case typed in after the call).
START_TOLERANCE = timedelta(hours=1)
#: An end this far after now is still "now" (clocks differ).
FUTURE_TOLERANCE = timedelta(minutes=5)
#: A second ENDE this soon after the recorded end is a repeat, not a new session.
REPEAT_WINDOW = timedelta(hours=1)
#: BILLING_UNIT_MINUTES' default (core.settings holds it).
DEFAULT_UNIT_MINUTES: int = default("billing_unit_minutes")


class CareOutcome(enum.StrEnum):
    """What a START/ENDE text did."""

    STARTED = "started"
    START_REPEATED = "start_repeated"
    ENDED = "ended"
    END_REPEATED = "end_repeated"
    END_WITHOUT_START = "end_without_start"
    UNKNOWN_CODE = "unknown_code"
    NO_OPEN_SESSION = "no_open_session"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class CareUpdate:
    """The result of a START/ENDE text: what happened, to which session and case."""

    outcome: CareOutcome
    care_session: CareSession | None = None
    case: Case | None = None


# --- pure --------------------------------------------------------------------------------------


def elapsed_minutes(started_at: datetime, ended_at: datetime) -> int:
    """Return the whole minutes between two aware datetimes, on real (UTC) time."""
    _require_aware(started_at, ended_at)
    seconds = (ended_at.astimezone(UTC) - started_at.astimezone(UTC)).total_seconds()
    return math.floor(seconds / 60)


def billable_minutes(started_at: datetime, ended_at: datetime, *, unit_minutes: int = DEFAULT_UNIT_MINUTES) -> int:
    """Return the minutes billed: the elapsed minutes rounded up to whole units."""
    if unit_minutes <= 0:
        raise ValueError("unit_minutes must be positive")
    minutes = elapsed_minutes(started_at, ended_at)
    if minutes <= 0:
        raise ValueError("a care session must end after it started")
    return math.ceil(minutes / unit_minutes) * unit_minutes


def billable_hours(started_at: datetime, ended_at: datetime, *, unit_minutes: int = DEFAULT_UNIT_MINUTES) -> Decimal:
    """Return the hours billed for a session: per started unit, on real elapsed time (UTC)."""
    return money(Decimal(billable_minutes(started_at, ended_at, unit_minutes=unit_minutes)) / Decimal(60))


def session_amount(*, minutes: int, hourly_rate: Decimal) -> Decimal:
    """Return the price of billed minutes at an hourly rate, in cents (ROUND_HALF_UP)."""
    return money(Decimal(hourly_rate) * Decimal(minutes) / Decimal(60))


def assess_times(
    *,
    started_at: datetime | None,
    ended_at: datetime | None,
    opened_at: datetime | None,
    now: datetime,
    confirmed: bool = False,
) -> str | None:
    """Return the flag a session's times deserve, or None when they can be billed (or care is running)."""
    if started_at is None:
        return MISSING_START
    if ended_at is None:
        return MISSING_END if now - started_at > MAX_SESSION else None
    if elapsed_minutes(started_at, ended_at) <= 0:
        return END_BEFORE_START
    if ended_at > now + FUTURE_TOLERANCE:
        return END_IN_FUTURE
    if confirmed:
        return None
    if ended_at - started_at > MAX_SESSION:
        return LONGER_THAN_16H
    if opened_at is not None and started_at < opened_at - START_TOLERANCE:
        return START_BEFORE_REQUEST
    return None


def service_day(care_session: CareSession) -> date | None:
    """Return the Berlin calendar day a session is billed on: the day it started (else the day it ended)."""
    at = care_session.started_at or care_session.ended_at
    return at.astimezone(BERLIN).date() if at else None


def local_time(at: datetime) -> str:
    """Return a time as people in Hannover read it, "14:05"."""
    return time_de(at)


def format_duration(minutes: int) -> str:
    """Return a duration as "4:05 Std."-style hours and minutes, "4:05"."""
    return f"{minutes // 60}:{minutes % 60:02d}"


# --- by SMS ------------------------------------------------------------------------------------


def find_assignment(session: Session, *, caregiver: Caregiver, code: str) -> Offer | None:
    """Return the caregiver's accepted offer with this code whose case is still hers, newest first."""
    code = code.strip().upper()
    return session.scalars(
        select(Offer)
        .join(Case, Case.id == Offer.case_id)
        .where(
            Offer.caregiver_id == caregiver.id,
            Offer.code == code,
            Offer.status == OfferStatus.ACCEPTED,
            Case.caregiver_id == caregiver.id,
        )
        .order_by(Offer.responded_at.desc(), Offer.id.desc())
        .limit(1)
    ).first()


def find_open_sessions(session: Session, *, caregiver: Caregiver, case: Case | None = None) -> list[CareSession]:
    """Return the caregiver's sessions that started and have not ended (of one case, or all)."""
    stmt = select(CareSession).where(
        CareSession.caregiver_id == caregiver.id,
        CareSession.started_at.is_not(None),
        CareSession.ended_at.is_(None),
        CareSession.invoice_id.is_(None),
    )
    if case is not None:
        stmt = stmt.where(CareSession.case_id == case.id)
    return list(session.scalars(stmt.order_by(CareSession.started_at, CareSession.id)))


def find_running_codes(session: Session, *, caregiver: Caregiver) -> list[str]:
    """Return the assignment codes of the caregiver's running sessions (to ask "which one?")."""
    codes = []
    for care in find_open_sessions(session, caregiver=caregiver):
        code = session.scalars(
            select(Offer.code)
            .where(Offer.case_id == care.case_id, Offer.caregiver_id == caregiver.id,
                   Offer.status == OfferStatus.ACCEPTED)
            .order_by(Offer.id.desc())
            .limit(1)
        ).first()
        if code and code not in codes:
            codes.append(code)
    return codes


def record_care_start(session: Session, *, caregiver: Caregiver, code: str, now: datetime) -> CareUpdate:
    """Record that care started now for the assignment with this code (a repeated START changes nothing)."""
    offer = find_assignment(session, caregiver=caregiver, code=code)
    if offer is None:
        return CareUpdate(CareOutcome.UNKNOWN_CODE)
    case = session.get_one(Case, offer.case_id)
    running = find_open_sessions(session, caregiver=caregiver, case=case)
    if running:
        return CareUpdate(CareOutcome.START_REPEATED, running[0], case)
    care = CareSession(
        case_id=case.id, caregiver_id=caregiver.id, started_at=now, ended_at=None, source="sms",
        flag=None, created_at=now, updated_at=now,
    )
    session.add(care)
    session.flush()
    record_event(session, case, key=f"care:{care.id}:start", kind=EventKind.CARE_STARTED, now=now,
                 detail={"care_session": care.id, "caregiver": caregiver.id, "source": "sms"})
    return CareUpdate(CareOutcome.STARTED, care, case)


def record_care_end(session: Session, *, caregiver: Caregiver, code: str | None, now: datetime) -> CareUpdate:
    """Record that care ended now (ENDE <code>, or a bare ENDE when exactly one session is running)."""
    if code is None:
        running = find_open_sessions(session, caregiver=caregiver)
        if not running:
            return CareUpdate(CareOutcome.NO_OPEN_SESSION)
        if len({s.case_id for s in running}) > 1:
            return CareUpdate(CareOutcome.AMBIGUOUS)
        care = running[0]
        return _close(session, care=care, case=session.get_one(Case, care.case_id), now=now)
    offer = find_assignment(session, caregiver=caregiver, code=code)
    if offer is None:
        return CareUpdate(CareOutcome.UNKNOWN_CODE)
    case = session.get_one(Case, offer.case_id)
    running = find_open_sessions(session, caregiver=caregiver, case=case)
    if running:
        return _close(session, care=running[0], case=case, now=now)
    last = session.scalars(
        select(CareSession)
        .where(CareSession.case_id == case.id, CareSession.caregiver_id == caregiver.id,
               CareSession.ended_at.is_not(None))
        .order_by(CareSession.ended_at.desc(), CareSession.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.ended_at is not None and now - last.ended_at <= REPEAT_WINDOW:
        return CareUpdate(CareOutcome.END_REPEATED, last, case)
    care = CareSession(
        case_id=case.id, caregiver_id=caregiver.id, started_at=None, ended_at=now, source="sms",
        flag=MISSING_START, created_at=now, updated_at=now,
    )
    session.add(care)
    session.flush()
    record_event(session, case, key=f"care:{care.id}:end", kind=EventKind.CARE_ENDED, now=now,
                 detail={"care_session": care.id, "caregiver": caregiver.id, "flag": MISSING_START})
    return CareUpdate(CareOutcome.END_WITHOUT_START, care, case)


def _close(session: Session, *, care: CareSession, case: Case, now: datetime) -> CareUpdate:
    care.ended_at = now
    care.flag = assess_times(started_at=care.started_at, ended_at=now, opened_at=case.created_at, now=now)
    care.updated_at = now
    session.flush()
    record_event(session, case, key=f"care:{care.id}:end", kind=EventKind.CARE_ENDED, now=now,
                 detail={"care_session": care.id, "caregiver": care.caregiver_id, "flag": care.flag})
    return CareUpdate(CareOutcome.ENDED, care, case)


# --- by the coordinator ------------------------------------------------------------------------


def enter_care_times(
    session: Session,
    *,
    case: Case,
    started_at: datetime | None,
    ended_at: datetime | None,
    now: datetime,
    care_session: CareSession | None = None,
    confirmed: bool = False,
    entered_by: str | None = None,
) -> CareSession:
    """Enter (or correct) a session's times for a case; the flag is worked out again, never guessed.

    Without `care_session` a new session is added for the case's caregiver. A billed session cannot
    be changed. `confirmed=True` says the coordinator checked implausible but true times (a night
    of 17 hours), which waives the plausibility flags only.
    """
    for at in (started_at, ended_at):
        if at is not None:
            _require_aware(at)
    if care_session is None:
        care_session = CareSession(case_id=case.id, caregiver_id=case.caregiver_id, created_at=now)
        session.add(care_session)
    elif care_session.case_id != case.id:
        raise BillingError("Diese Betreuungszeit gehört zu einem anderen Fall.",
                           english="This care session belongs to another case.")
    elif care_session.invoice_id is not None:
        raise BillingError("Diese Betreuungszeit ist schon abgerechnet.",
                           english="This care session has already been invoiced.")
    care_session.started_at = started_at
    care_session.ended_at = ended_at
    care_session.source = "coordinator"
    care_session.flag = assess_times(
        started_at=started_at, ended_at=ended_at, opened_at=case.created_at, now=now, confirmed=confirmed
    )
    care_session.updated_at = now
    session.flush()
    record_event(
        session, case, key=f"care:{care_session.id}:entered:{now.isoformat()}", kind=EventKind.CARE_TIMES_ENTERED, now=now,
        detail={"care_session": care_session.id, "flag": care_session.flag, "confirmed": confirmed,
                "by": entered_by},
    )
    return care_session


def find_flagged_sessions(session: Session, *, until: date | None = None) -> list[CareSession]:
    """Return the unbilled sessions a coordinator must look at (flagged), oldest first."""
    rows = session.scalars(
        select(CareSession)
        .where(CareSession.flag.is_not(None), CareSession.invoice_id.is_(None))
        .order_by(CareSession.id)
    ).all()
    return [s for s in rows if until is None or (service_day(s) or date.min) <= until]


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("care times must be timezone-aware")
