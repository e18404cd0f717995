"""The call queue in the database: entering, claiming a coordinator for a caller, leaving.

routing.queue decides (pure); this module loads what it needs and makes the decision stick with
conditional UPDATEs checked by row count, so two instances never offer one caller twice, and a
unique index on `offered_to` among offered entries never offers one coordinator two callers.
Every function takes a session and plain values, flushes, and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core import claims
from core.database import insert_ignore, rowcount
from models import OPEN_STATES, Case, CoordinatorLeg, LegState, QueueEntry, QueueKind, QueueState
from roster.languages import find_languages
from roster.queries import find_on_duty
from routing import queue
from routing.queue import Waiting

#: An offer to a caller on the line nobody took within this long (the ring, the screening, a lost
#: callback) goes back to waiting.
OFFER_STALE = timedelta(minutes=2)
#: The same for a call-back: ringing the coordinator, her summary and ringing the family take longer.
CALLBACK_OFFER_STALE = timedelta(minutes=10)
#: A coordinator hearing a screening this recently counts as busy (her leg's last news).
SCREENING_BUSY = timedelta(minutes=2)
#: Handling times older than this are not used for the estimate.
HANDLING_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class QueueLimits:
    """The queue's settings: the longest wait on the line and the most callers waiting."""

    max_wait: timedelta = timedelta(minutes=10)
    max_length: int = 20


@dataclass(frozen=True)
class Announcement:
    """What a waiting caller hears on one loop turn: her place and, with enough data, the minutes."""

    position: int
    minutes: int | None


def open_entries(session: Session) -> list[QueueEntry]:
    """Return the entries still in the queue (waiting or offered), in queue order."""
    return list(session.scalars(
        select(QueueEntry).where(QueueEntry.state.in_(OPEN_STATES))
        .order_by(QueueEntry.urgency_rank, QueueEntry.entered_at, QueueEntry.id)
    ))


def count_open(session: Session) -> int:
    """Return how many callers are in the queue (waiting or being put through)."""
    return int(session.scalar(select(func.count()).select_from(QueueEntry)
                              .where(QueueEntry.state.in_(OPEN_STATES))) or 0)


def entry_for_case(session: Session, case_id: int, call_sid: str | None = None) -> QueueEntry | None:
    """Return the case's queue entry (of this call, when given)."""
    stmt = select(QueueEntry).where(QueueEntry.case_id == case_id)
    if call_sid:
        stmt = stmt.where(QueueEntry.call_sid == call_sid)
    return session.scalars(stmt.order_by(QueueEntry.id.desc()).limit(1)).first()


def enter_queue(
    session: Session, *, case: Case, now: datetime, limits: QueueLimits, not_again: str | None = None
) -> QueueEntry:
    """Put the caller in the queue (once per call: a repeated delivery finds her entry) and note it.

    `not_again`: the coordinator who just rang out for her, not offered her again within DECLINE_PAUSE.
    """
    inserted = insert_ignore(session, QueueEntry.__table__, {
        "case_id": case.id,
        "call_sid": case.call_sid,
        "urgency_rank": queue.urgency_rank(case.urgency.value if case.urgency else None),
        "entered_at": now,
        "kind": QueueKind.LINE.value,
        "state": QueueState.WAITING.value,
        "declined_by": not_again,
        "declined_at": now if not_again else None,
        "deadline_at": now + limits.max_wait,
        "attempts": 0,
        "updated_at": now,
    }, ["call_sid"])
    entry = entry_for_case(session, case.id, case.call_sid)
    assert entry is not None
    if inserted:
        place = queue.position(_waiting(session), entry.id)
        record_event(session, case, key="queue-entered", kind=EventKind.QUEUE_ENTERED, now=now,
                     detail={"position": place, "urgency_rank": entry.urgency_rank})
    return entry


def busy_coordinators(session: Session) -> set[str]:
    """Return the coordinators on the phone for the hotline: ringing her would only meet a busy line.

    Talking (a bridged leg), or being rung for a waiting caller or for a queue call-back (an offered entry).
    """
    busy = set(session.scalars(select(CoordinatorLeg.coordinator).where(CoordinatorLeg.state == LegState.BRIDGED)))
    busy |= {phone for phone in session.scalars(select(QueueEntry.offered_to).where(
        QueueEntry.state == QueueState.OFFERED, QueueEntry.offered_to.is_not(None))) if phone}
    return busy


def free_coordinators(session: Session, *, now: datetime) -> list[str]:
    """Return the coordinators on duty who could take a waiting caller now, primaries first.

    Not busy (see busy_coordinators), and not hearing a screening for another caller just now.
    """
    on_duty = list(dict.fromkeys(s.phone for s in find_on_duty(session, at=now)))
    if not on_duty:
        return []
    busy = busy_coordinators(session) | set(session.scalars(select(CoordinatorLeg.coordinator).where(
        CoordinatorLeg.state == LegState.SCREENING, CoordinatorLeg.updated_at > now - SCREENING_BUSY)))
    return [phone for phone in on_duty if phone not in busy]


def release_stale_offers(session: Session, *, now: datetime) -> int:
    """Put offers nobody took in time back to waiting (their place kept); return how many.

    In time: OFFER_STALE for a caller on the line, CALLBACK_OFFER_STALE for a call-back.
    """
    stale = ((QueueEntry.kind == QueueKind.LINE) & (QueueEntry.offered_at <= now - OFFER_STALE)) | (
        (QueueEntry.kind == QueueKind.CALLBACK) & (QueueEntry.offered_at <= now - CALLBACK_OFFER_STALE))
    result = session.execute(
        update(QueueEntry)
        .where(QueueEntry.state == QueueState.OFFERED, stale)
        .values(state=QueueState.WAITING, declined_by=QueueEntry.offered_to, declined_at=now, offered_to=None,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def claim(session: Session, *, entry_id: int, coordinator: str, now: datetime) -> bool:
    """Offer a waiting entry to a coordinator; True only for the one claim that moved it (any instance)."""
    try:
        with session.begin_nested():
            return claims.claim_id(session, QueueEntry, entry_id, QueueEntry.state == QueueState.WAITING,
                                   state=QueueState.OFFERED, offered_to=coordinator, offered_at=now, updated_at=now)
    except IntegrityError:  # she was offered another caller meanwhile (uq_queue_entries_offered_to)
        return False


def assignments(session: Session, *, now: datetime) -> list[queue.Assignment]:
    """Return who gets whom right now (nothing claimed yet).

    A call-back waiting for its second attempt (retry_at later) keeps her place but is not offered yet,
    so she takes no coordinator from the callers behind her meanwhile.
    """
    release_stale_offers(session, now=now)
    later = set(session.scalars(select(QueueEntry.id).where(
        QueueEntry.state == QueueState.WAITING, QueueEntry.retry_at.is_not(None), QueueEntry.retry_at > now)))
    due = [w for w in _waiting(session) if w.id not in later]
    free = free_coordinators(session, now=now)
    speaks = find_languages(session, phones=free) if any(w.language != "de" for w in due) and len(free) > 1 else {}
    return queue.next_assignment(due, free, now, speaks)


def take_turn(session: Session, *, entry: QueueEntry, now: datetime) -> str | None:
    """On a waiting caller's loop turn: return the coordinator to ring for her, claimed, or None.

    A repeated delivery of the same turn finds her already offered and rings the same coordinator.
    """
    session.refresh(entry)
    if entry.state is QueueState.OFFERED and entry.offered_to:
        return entry.offered_to
    if entry.state is not QueueState.WAITING:
        return None
    for assignment in assignments(session, now=now):
        if assignment.entry_id != entry.id:
            continue
        if claim(session, entry_id=entry.id, coordinator=assignment.coordinator, now=now):
            session.refresh(entry)
            record_event(session, entry_case(session, entry), key=f"queue-offer:{now.isoformat()}",
                         kind=EventKind.QUEUE_DEQUEUED, now=now, detail={"coordinator": assignment.coordinator})
            return assignment.coordinator
    return None


def announcement(session: Session, *, entry: QueueEntry, now: datetime) -> Announcement | None:
    """Return her place and the honest estimate, and note a changed place on her timeline."""
    place = queue.position(_waiting(session), entry.id)
    if place is None:
        return None
    on_duty = len({s.phone for s in find_on_duty(session, at=now)})
    minutes = queue.estimate_minutes(handling_times(session, now=now), position=place, coordinators=on_duty)
    if entry.announced_position != place:
        entry.announced_position = place
        entry.updated_at = now
        record_event(session, entry_case(session, entry), key=f"queue-position:{place}:{now.isoformat()}",
                     kind=EventKind.QUEUE_POSITION_ANNOUNCED, now=now, detail={"position": place, "minutes": minutes})
    return Announcement(place, minutes)


def release_offer(session: Session, *, entry: QueueEntry, now: datetime) -> bool:
    """The coordinator rung for her did not take her: back to waiting, keeping her place; True when this did."""
    if claims.claim(session, entry, QueueEntry.state == QueueState.OFFERED, state=QueueState.WAITING,
                    declined_by=QueueEntry.offered_to, declined_at=now, offered_to=None, updated_at=now):
        record_event(session, entry_case(session, entry), key=f"queue-again:{now.isoformat()}",
                     kind=EventKind.QUEUE_ENTERED, now=now, detail={"again": True, "declined_by": entry.declined_by})
        return True
    return False


def release_unaccepted(session: Session, *, case_id: int, coordinator: str, leg_started_at: datetime | None,
                       now: datetime) -> bool:
    """The coordinator rung for a waiting caller ended her leg without pressing 1 (hung up during the summary,
    declined, her mailbox): the caller keeps her place and is offered to the next free coordinator at once.

    Only the offer this leg answered: one made after the leg began (a late report of an older leg) stays.
    """
    stmt = select(QueueEntry).where(
        QueueEntry.case_id == case_id, QueueEntry.kind == QueueKind.LINE, QueueEntry.state == QueueState.OFFERED,
        QueueEntry.offered_to == coordinator)
    if leg_started_at is not None:
        stmt = stmt.where(QueueEntry.offered_at <= leg_started_at)
    entry = session.scalars(stmt.order_by(QueueEntry.id.desc()).limit(1)).first()
    return entry is not None and release_offer(session, entry=entry, now=now)


def mark_connected(session: Session, *, case_id: int, coordinator: str, now: datetime) -> bool:
    """A coordinator took a caller from the queue (pressed 1 at the screening); True when one was waiting."""
    result = session.execute(
        update(QueueEntry)
        .where(QueueEntry.case_id == case_id, QueueEntry.state.in_(OPEN_STATES), QueueEntry.kind == QueueKind.LINE)
        .values(state=QueueState.CONNECTED, offered_to=coordinator, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) > 0


def leave(session: Session, *, entry: QueueEntry, state: QueueState, why: str, now: datetime) -> bool:
    """Take a caller on the line out of the queue (hung up, voicemail, longest wait); True when this did."""
    if claims.claim(session, entry, QueueEntry.state.in_(OPEN_STATES), state=state, offered_to=None, updated_at=now):
        record_event(session, entry_case(session, entry), key=f"queue-left:{why}", kind=EventKind.QUEUE_LEFT,
                     now=now, detail={"why": why})
        return True
    return False


def choose_callback(session: Session, *, entry: QueueEntry, now: datetime) -> bool:
    """She pressed 1: she hangs up and waits for a call-back, keeping her place (entered_at stays)."""
    if claims.claim(session, entry, QueueEntry.state == QueueState.WAITING, QueueEntry.kind == QueueKind.LINE,
                    kind=QueueKind.CALLBACK, updated_at=now):
        case = entry_case(session, entry)
        case.needs_callback = True
        case.updated_at = now
        record_event(session, case, key="queue-left:callback", kind=EventKind.QUEUE_LEFT, now=now,
                     detail={"why": "callback"})
        return True
    return entry.kind is QueueKind.CALLBACK


def hung_up(session: Session, *, case: Case, now: datetime) -> None:
    """The caller's call ended: a caller on the line still in the queue has left it (a call-back stays)."""
    if case.call_sid is None:
        return
    entry = entry_for_case(session, case.id, case.call_sid)
    if entry is not None and entry.kind is QueueKind.LINE and entry.state in OPEN_STATES:
        leave(session, entry=entry, state=QueueState.LEFT, why="hung_up", now=now)


def handling_times(session: Session, *, now: datetime, limit: int = queue.RECENT_SAMPLES) -> list[timedelta]:
    """Return the durations of the most recent calls a coordinator took (connected until the call ended)."""
    rows = session.execute(
        select(Case.connected_at, Case.call_ended_at)
        .where(Case.connected_at.is_not(None), Case.call_ended_at.is_not(None),
               Case.call_ended_at > now - HANDLING_WINDOW, Case.call_ended_at <= now)
        .order_by(Case.call_ended_at.desc())
        .limit(limit)
    ).all()
    return [end - start for start, end in rows if start is not None and end is not None and end > start]


def entry_case(session: Session, entry: QueueEntry) -> Case:
    """Return the entry's case."""
    case = session.get(Case, entry.case_id)
    assert case is not None
    return case


def _waiting(session: Session) -> Sequence[Waiting]:
    rows = session.execute(
        select(QueueEntry.id, QueueEntry.urgency_rank, QueueEntry.entered_at, QueueEntry.kind, QueueEntry.deadline_at,
               QueueEntry.declined_by, QueueEntry.declined_at, Case.language)
        .join(Case, Case.id == QueueEntry.case_id)
        .where(QueueEntry.state == QueueState.WAITING)
    ).all()
    return [Waiting(r.id, r.urgency_rank, r.entered_at, str(r.kind.value if hasattr(r.kind, "value") else r.kind),
                    r.deadline_at, r.declined_by, r.declined_at, r.language or "de") for r in rows]


@dataclass(frozen=True)
class QueueRow:
    """A caller in the queue as the live board shows her: no phone numbers, no names."""

    case_id: int
    reference: str
    #: Her place (1 = next); None while a coordinator is being rung for her.
    position: int | None
    urgency: str | None
    kind: str  # "line" | "callback"
    state: str  # "waiting" | "offered"
    entered_at: datetime
    deadline_at: datetime
    #: The language of her call (core.languages), so the board shows who needs which language.
    language: str = "de"

    def waited(self, now: datetime) -> timedelta:
        """Return how long she has waited."""
        return max(now - self.entered_at, timedelta(0))


def queue_rows(session: Session) -> list[QueueRow]:
    """Return the queue for the live board, in the order it is served."""
    rows = session.execute(
        select(QueueEntry.case_id, Case.reference, Case.urgency, QueueEntry.kind, QueueEntry.state,
               QueueEntry.entered_at, QueueEntry.deadline_at, QueueEntry.id, Case.language)
        .join(Case, Case.id == QueueEntry.case_id)
        .where(QueueEntry.state.in_(OPEN_STATES))
        .order_by(QueueEntry.urgency_rank, QueueEntry.entered_at, QueueEntry.id)
    ).all()
    result: list[QueueRow] = []
    place = 0
    for r in rows:
        waiting_now = r.state is QueueState.WAITING or r.state == QueueState.WAITING.value
        if waiting_now:
            place += 1
        result.append(QueueRow(r.case_id, r.reference, place if waiting_now else None,
                               str(r.urgency) if r.urgency else None, str(r.kind), str(r.state),
                               r.entered_at, r.deadline_at, r.language or "de"))
    return result
