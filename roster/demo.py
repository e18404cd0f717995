"""A demo roster, so a fresh installation rings somebody: three invented coordinators and their languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.clock import BERLIN
from models.roster import CoordinatorLanguages, Shift, ShiftRole
from roster.languages import store_languages

#: Invented people; numbers from the Bundesnetzagentur's ranges reserved for film and TV.
DEMO_COORDINATORS = (
    ("Anke Wiebking", "+4915228817390"),
    ("Deniz Aydın", "+4915735991042"),
    ("Jörg Hallensleben", "+4917139201234"),
)
#: The languages the demo coordinators speak, so a Turkish or Russian call in the simulator finds her.
DEMO_LANGUAGES: dict[str, tuple[str, ...]] = {
    "+4915228817390": ("de", "en"),
    "+4915735991042": ("de", "tr"),
    "+4917139201234": ("de", "ru", "uk"),
}
#: Local start hours of the three daily shifts; none falls into a DST change (02:00–03:00).
SHIFT_STARTS = (0, 8, 16)
#: The demo roster always reaches this many days past today (renewed on every `demo load`).
DEMO_ROSTER_DAYS = 14


def load_demo_roster(session: Session, *, now: datetime, days: int = DEMO_ROSTER_DAYS) -> int:
    """Put demo coordinators on duty from today (Berlin) through `days` days ahead; return the shifts added.

    Adds nothing when the roster holds a real shift. Idempotent: a shift already there is not added
    again, so every `make run` only extends the roster to today + `days`.
    """
    if has_real_shift(session):
        return 0
    today = now.astimezone(BERLIN).date()
    first = _berlin_midnight_plus(today, 0)
    have = {
        (start.astimezone(UTC), role)
        for start, role in session.execute(
            select(Shift.starts_at, Shift.role).where(Shift.demo.is_(True), Shift.starts_at >= first)
        )
    }
    people = len(DEMO_COORDINATORS)
    added = 0
    for day in (today + timedelta(days=n) for n in range(days + 1)):
        starts = [_berlin_midnight_plus(day, hour) for hour in SHIFT_STARTS]
        ends = [*starts[1:], _berlin_midnight_plus(day + timedelta(days=1), 0)]
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            # The same slot always gets the same people, whichever day the roster was renewed on:
            # each coordinator is primary for one shift, backup for the next, then off for one.
            slot = day.toordinal() * len(SHIFT_STARTS) + index
            for role, offset in ((ShiftRole.PRIMARY, 0), (ShiftRole.BACKUP, people - 1)):
                if (start, role) in have:
                    continue
                name, phone = DEMO_COORDINATORS[(slot + offset) % people]
                session.add(Shift(name=name, phone=phone, starts_at=start, ends_at=end, role=role, demo=True))
                added += 1
    # Only where none are recorded: languages a lead changed on the roster page stay hers.
    recorded = set(session.scalars(select(CoordinatorLanguages.phone).where(
        CoordinatorLanguages.phone.in_(sorted(DEMO_LANGUAGES)))))
    store_languages(session, languages={phone: codes for phone, codes in DEMO_LANGUAGES.items()
                                        if phone not in recorded}, now=now)
    session.flush()
    return added


def has_real_shift(session: Session) -> bool:
    """Return True when the roster holds a shift that `demo load` did not make."""
    return bool(session.scalar(select(exists().where(Shift.demo.is_(False)))))


def _berlin_midnight_plus(day: date, hour: int) -> datetime:
    """Return a Berlin wall-clock hour of a day as aware UTC."""
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC)
