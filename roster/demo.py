"""A demo roster, so a fresh installation rings somebody: three invented coordinators."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from core.clock import BERLIN
from models.roster import Shift, ShiftRole
from roster.queries import has_any_shift

#: Invented people; numbers from the Bundesnetzagentur's ranges reserved for film and TV.
DEMO_COORDINATORS = (
    ("Anke Wiebking", "+4915228817390"),
    ("Deniz Aydın", "+4915735991042"),
    ("Jörg Hallensleben", "+4917139201234"),
)
#: Local start hours of the three daily shifts; none falls into a DST change (02:00–03:00).
SHIFT_STARTS = (0, 8, 16)


def load_demo_roster(session: Session, *, now: datetime) -> int:
    """Fill an empty roster for the ISO week around `now`; return the number of shifts added."""
    if has_any_shift(session):
        return 0
    monday = now.astimezone(BERLIN).date()
    monday -= timedelta(days=monday.weekday())
    boundaries = [
        _berlin_midnight_plus(monday + timedelta(days=day), hour)
        for day in range(7)
        for hour in SHIFT_STARTS
    ]
    boundaries.append(_berlin_midnight_plus(monday + timedelta(days=7), 0))

    people = len(DEMO_COORDINATORS)
    added = 0
    for slot, (start, end) in enumerate(zip(boundaries, boundaries[1:], strict=False)):
        # Each coordinator is primary for one shift, backup for the next, then off for one.
        for role, offset in ((ShiftRole.PRIMARY, 0), (ShiftRole.BACKUP, people - 1)):
            name, phone = DEMO_COORDINATORS[(slot + offset) % people]
            session.add(Shift(name=name, phone=phone, starts_at=start, ends_at=end, role=role))
            added += 1
    session.flush()
    return added


def _berlin_midnight_plus(day: date, hour: int) -> datetime:
    """Return a Berlin wall-clock hour of a day as aware UTC."""
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC)
