"""Read the roster: who is on duty at a moment, which shifts touch a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, exists, select
from sqlalchemy.orm import Session

from models.roster import Shift, ShiftRole

#: Primaries are rung before backups, whatever the names sort as.
_ROLE_ORDER = case((Shift.role == ShiftRole.PRIMARY, 0), else_=1)


#: Built once: every call that rings through asks.
_ON_DUTY = (
    select(Shift)
    .where(Shift.starts_at <= bindparam("at"), Shift.ends_at > bindparam("at"))
    .order_by(_ROLE_ORDER, Shift.starts_at, Shift.name, Shift.id)
)


def find_on_duty(session: Session, *, at: datetime) -> list[Shift]:
    """Return the shifts running at `at` (start inclusive, end exclusive), primaries first."""
    _require_aware(at)
    return list(session.scalars(_ON_DUTY, {"at": at}))


def find_shifts_between(session: Session, *, start: datetime, end: datetime) -> list[Shift]:
    """Return the shifts overlapping [start, end), by start, then primaries first, then name."""
    _require_aware(start)
    _require_aware(end)
    stmt = (
        select(Shift)
        .where(Shift.starts_at < end, Shift.ends_at > start)
        .order_by(Shift.starts_at, _ROLE_ORDER, Shift.name, Shift.id)
    )
    return list(session.scalars(stmt))


def find_coordinator_names(session: Session, *, start: datetime, end: datetime) -> dict[str, str]:
    """Return the coordinators' names by phone for the shifts overlapping [start, end) (the latest name wins)."""
    return {shift.phone: shift.name for shift in find_shifts_between(session, start=start, end=end)}


def has_any_shift(session: Session) -> bool:
    """Return True when the roster holds at least one shift."""
    return bool(session.scalar(select(exists().where(Shift.id.is_not(None)))))


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("roster queries need timezone-aware datetimes")
