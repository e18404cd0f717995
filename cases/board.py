"""The live board: which cases the coordinators must see now, in the order they must act on them.

Shown: every case still waiting for care (open or dispatching, whatever its age: unfinished work
never drops off the board by itself), every case flagged for a call back, and cases assigned
within the last 24 hours (so the coordinators see what was just settled). Closed and cancelled
cases are hidden. Order: call-back flags first, then urgency (now, today, tomorrow, later,
unknown), then the longest wait first.

No personal data: the rows carry no phone numbers, names or addresses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import Caregiver, Case, CaseStatus, Dispatch, Offer, OfferStatus

#: How long an assigned case stays on the board after it was assigned.
ASSIGNED_VISIBLE_FOR = timedelta(hours=24)
#: Urgencies in the order they are worked on; a case without one sorts after "later".
URGENCY_ORDER = ("now", "today", "tomorrow", "later")
#: The most rows the board shows (a safety net; a normal night has a handful).
BOARD_LIMIT = 200


@dataclass(frozen=True)
class BoardRow:
    """One case on the board, as plain values."""

    case_id: int
    reference: str
    status: str
    needs_callback: bool
    care_type: str | None
    children: int | None
    child_age: int | None
    care_level: int | None
    postcode: str | None
    municipality: str | None
    urgency: str | None
    reason: str | None
    flags: tuple[str, ...]
    created_at: datetime
    assigned_at: datetime | None
    has_voicemail: bool
    #: Offers of all the case's dispatches: still open, declined, accepted.
    offers_open: int = 0
    offers_declined: int = 0
    offers_accepted: int = 0
    offers_total: int = 0
    #: Status of the latest dispatch (active, filled, exhausted, expired, cancelled), or None.
    dispatch_status: str | None = None
    #: The assigned caregiver's name (the board names who is on her way).
    caregiver_name: str | None = None
    #: The language the caller chose in the menu (core.languages; "de" unless she pressed a language key).
    language: str = "de"

    def waiting(self, now: datetime) -> timedelta:
        """Return how long the family has waited: until now, or until the case was assigned."""
        end = self.assigned_at if self.assigned_at is not None else now
        return max(end - self.created_at, timedelta(0))


def urgency_rank(urgency: str | None) -> int:
    """Return the position of an urgency in the order of work (unknown last)."""
    return URGENCY_ORDER.index(urgency) if urgency in URGENCY_ORDER else len(URGENCY_ORDER)


def board_sort_key(row: BoardRow) -> tuple[int, int, int, datetime, int]:
    """Return the key that puts call-back flags first, then urgency, then the longest wait."""
    settled = 1 if row.status == CaseStatus.ASSIGNED.value else 0
    return (0 if row.needs_callback else 1, settled, urgency_rank(row.urgency), row.created_at, row.case_id)


def order_board(rows: Iterable[BoardRow]) -> list[BoardRow]:
    """Return the rows in the order the coordinators work on them.

    Call-back flags first; then cases still waiting before cases already assigned; then by
    urgency; then the oldest first.
    """
    return sorted(rows, key=board_sort_key)


def find_board_rows(session: Session, *, now: datetime, limit: int = BOARD_LIMIT) -> list[BoardRow]:
    """Return the cases on the board, ordered, with their dispatch state."""
    waiting = (CaseStatus.OPEN, CaseStatus.DISPATCHING)
    stmt = (
        select(Case)
        .where(
            or_(
                Case.status.in_(waiting),
                and_(Case.needs_callback.is_(True), Case.status == CaseStatus.ASSIGNED),
                and_(
                    Case.status == CaseStatus.ASSIGNED,
                    func.coalesce(Case.assigned_at, Case.created_at) >= now - ASSIGNED_VISIBLE_FOR,
                ),
            )
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    cases = list(session.scalars(stmt))
    ids = [c.id for c in cases]
    counts = _offer_counts(session, ids)
    latest = _latest_dispatch_status(session, ids)
    names = _caregiver_names(session, {c.caregiver_id for c in cases if c.caregiver_id is not None})
    rows = [_row(case, counts.get(case.id, {}), latest.get(case.id), names.get(case.caregiver_id or 0))
            for case in cases]
    return order_board(rows)


def _offer_counts(session: Session, case_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Return {case id: {offer status: count}} over all the cases' offers."""
    if not case_ids:
        return {}
    result: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Offer.case_id, Offer.status, func.count(Offer.id))
        .where(Offer.case_id.in_(case_ids))
        .group_by(Offer.case_id, Offer.status)
    )
    for case_id, status, count in rows:
        result.setdefault(case_id, {})[_text(status)] = int(count)
    return result


def _latest_dispatch_status(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    """Return {case id: status of its newest dispatch}."""
    if not case_ids:
        return {}
    newest = (
        select(Dispatch.case_id, func.max(Dispatch.id).label("id"))
        .where(Dispatch.case_id.in_(case_ids))
        .group_by(Dispatch.case_id)
        .subquery()
    )
    rows = session.execute(select(Dispatch.case_id, Dispatch.status).join(newest, Dispatch.id == newest.c.id))
    return {case_id: _text(status) for case_id, status in rows}


def _caregiver_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Return the names of the assigned caregivers, by id, in one query."""
    if not ids:
        return {}
    return dict(session.execute(select(Caregiver.id, Caregiver.name).where(Caregiver.id.in_(ids))).tuples().all())


def _row(case: Case, counts: dict[str, int], dispatch_status: str | None, caregiver_name: str | None) -> BoardRow:
    return BoardRow(
        case_id=case.id,
        reference=case.reference,
        status=_text(case.status),
        needs_callback=bool(case.needs_callback),
        care_type=_value(case.care_type),
        children=case.children,
        child_age=case.child_age,
        care_level=case.care_level,
        postcode=case.postcode,
        municipality=case.municipality,
        urgency=_value(case.urgency),
        reason=_value(case.reason),
        flags=tuple(case.flags or ()),
        created_at=case.created_at,
        assigned_at=case.assigned_at,
        has_voicemail=bool(case.voicemail_sid or case.voicemail_url),
        offers_open=counts.get(OfferStatus.OPEN.value, 0),
        offers_declined=counts.get(OfferStatus.DECLINED.value, 0),
        offers_accepted=counts.get(OfferStatus.ACCEPTED.value, 0),
        offers_total=sum(counts.values()),
        dispatch_status=dispatch_status,
        caregiver_name=caregiver_name,
        language=case.language or "de",
    )


def _value(member: object) -> str | None:
    if member is None:
        return None
    return _text(member)


def _text(member: object) -> str:
    """Return an enum member's value (or the plain value) of a column that is never NULL."""
    return str(getattr(member, "value", member))
