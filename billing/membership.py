"""Member municipalities: which municipalities of the region have joined Fluxx, from when to when.

A case whose municipality is not a member on the day of the call is flagged
"non_member_municipality" for the coordinator; it is not refused, because the family may still
qualify through a partner employer or as students.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core.clock import BERLIN
from models import Case, MemberMunicipality

FLAG_NON_MEMBER = "non_member_municipality"


def is_member(session: Session, *, municipality: str, day: date) -> bool:
    """Return True when the municipality is a member of Fluxx on that day (both ends inclusive)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    MemberMunicipality.municipality == municipality,
                    MemberMunicipality.starts_on <= day,
                    or_(MemberMunicipality.ends_on.is_(None), MemberMunicipality.ends_on >= day),
                )
            )
        )
    )


def find_memberships(session: Session) -> list[MemberMunicipality]:
    """Return every membership period, by municipality and start."""
    return list(
        session.scalars(
            select(MemberMunicipality).order_by(MemberMunicipality.municipality, MemberMunicipality.starts_on)
        )
    )


def add_membership(
    session: Session, *, municipality: str, starts_on: date, ends_on: date | None = None
) -> MemberMunicipality:
    """Record that a municipality is a member for a period (e.g. a two-year contract); flush only."""
    membership = MemberMunicipality(municipality=municipality, starts_on=starts_on, ends_on=ends_on)
    session.add(membership)
    session.flush()
    return membership


def flag_membership(session: Session, *, case: Case, now: datetime) -> bool:
    """Flag a case whose municipality is not a member on the day of `now`; return True when flagged.

    A case without a municipality (postcode unknown or outside the region) is left alone: the
    voice menu flags "outside_region" itself. A case whose municipality turns out to be a member
    (the postcode was corrected) loses the flag.
    """
    if not case.municipality:
        return False
    day = now.astimezone(BERLIN).date()
    if is_member(session, municipality=case.municipality, day=day):
        if FLAG_NON_MEMBER in (case.flags or []):
            case.flags = [f for f in case.flags if f != FLAG_NON_MEMBER]
            case.updated_at = now
        return False
    if FLAG_NON_MEMBER not in (case.flags or []):
        case.add_flag(FLAG_NON_MEMBER)
        case.updated_at = now
        record_event(session, case, key=f"non-member:{case.municipality}"[:160], kind=EventKind.NON_MEMBER_MUNICIPALITY,
                     now=now, detail={"municipality": case.municipality, "day": day.isoformat()})
    return True
