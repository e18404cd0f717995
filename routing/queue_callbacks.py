"""Call-backs from the queue: when it is her turn and a coordinator is free, the worker places the call-back.

A caller who pressed 1 keeps her queue entry (kind 'callback', entered_at unchanged, so her place).
On each tick, `place_due_callbacks` asks routing.queue who gets whom, claims her entry for the free
coordinator (the same conditional UPDATE as a caller on the line: two workers never place one
call-back twice) and queues a call to that coordinator's phone through the outbox; the call runs
the usual call-back TwiML (/voice/callback/<case>: her summary, then the family with answering
machine detection). How the family's leg ended is settled here: reached -> `called_back`; missed
the first time -> back to waiting with her place and `retry_at`; missed twice -> `failed` and the
case flagged for a coordinator. Every timer is in the database, so a restarted worker goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core import claims
from messaging.outbox import enqueue_call
from models import Case, CaseStatus, QueueEntry, QueueKind, QueueState
from routing import waiting

#: A family missed by a call-back from the queue is tried again after this long (any free coordinator).
QUEUE_RETRY_AFTER = timedelta(minutes=5)
#: Attempts per call-back: the first and one retry.
QUEUE_CALLBACK_ATTEMPTS = 2


def place_due_callbacks(
    session: Session, *, now: datetime, public_base_url: str, hotline_number: str | None
) -> int:
    """Place the call-backs whose turn it is (a free coordinator, her place next); return how many."""
    placed = 0
    _drop_finished_cases(session, now=now)
    for assignment in waiting.assignments(session, now=now):
        entry = session.get(QueueEntry, assignment.entry_id)
        if entry is None or entry.kind is not QueueKind.CALLBACK:
            continue
        if not waiting.claim(session, entry_id=entry.id, coordinator=assignment.coordinator, now=now):
            continue  # another worker placed it
        session.refresh(entry)
        entry.attempts = (entry.attempts or 0) + 1
        entry.retry_at = None
        case = waiting.entry_case(session, entry)
        message = enqueue_call(
            session,
            to=assignment.coordinator,
            twiml_url=public_base_url.rstrip("/") + f"/voice/callback/{case.id}",
            purpose="queue_callback",
            dedupe_key=f"queue-callback:{entry.id}:{entry.attempts}",
            now=now,
            case_id=case.id,
            from_number=hotline_number,
            note=f"Rückruf aus der Warteschlange, Fall {case.reference}",
        )
        record_event(session, case, key=f"queue-callback:{entry.id}:{entry.attempts}", kind=EventKind.QUEUE_DEQUEUED,
                     now=now, detail={"coordinator": assignment.coordinator, "attempt": entry.attempts,
                                      "outbox": message.id, "callback": True})
        placed += 1
    return placed


def offered_callback(session: Session, case: Case) -> QueueEntry | None:
    """Return the case's call-back from the queue now being placed (offered), or None."""
    return session.scalars(select(QueueEntry).where(
        QueueEntry.case_id == case.id, QueueEntry.kind == QueueKind.CALLBACK,
        QueueEntry.state == QueueState.OFFERED).order_by(QueueEntry.id.desc()).limit(1)).first()


def settle_family(session: Session, *, entry: QueueEntry, case: Case, reached: bool, now: datetime) -> datetime | None:
    """Settle a queue call-back after the family's leg: return the retry time, or None (done or given up)."""
    if reached:
        if claims.claim(session, entry, QueueEntry.state == QueueState.OFFERED, state=QueueState.CALLED_BACK,
                        updated_at=now):
            record_event(session, case, key=f"queue-called-back:{entry.id}", kind=EventKind.QUEUE_CALLED_BACK,
                         now=now, detail={"attempt": entry.attempts, "waited_s": int((now - entry.entered_at)
                                                                                     .total_seconds())})
        return None
    if (entry.attempts or 0) < QUEUE_CALLBACK_ATTEMPTS:
        retry_at = now + QUEUE_RETRY_AFTER
        if claims.claim(session, entry, QueueEntry.state == QueueState.OFFERED, state=QueueState.WAITING,
                        offered_to=None, retry_at=retry_at, updated_at=now):
            return retry_at
        return entry.retry_at
    if claims.claim(session, entry, QueueEntry.state == QueueState.OFFERED, state=QueueState.FAILED,
                    offered_to=None, updated_at=now):
        record_event(session, case, key=f"queue-left:callback-failed:{entry.id}", kind=EventKind.QUEUE_LEFT,
                     now=now, detail={"why": "callback_failed"})
    return None


def coordinator_missed(session: Session, *, case: Case, now: datetime) -> bool:
    """The coordinator's phone did not take the call-back (no answer, busy, her mailbox): the family keeps her place.

    Not an attempt on the family: the count goes back, and another coordinator may be offered her.
    """
    entry = offered_callback(session, case)
    if entry is None:
        return False
    attempts = max((entry.attempts or 1) - 1, 0)
    return claims.claim(session, entry, QueueEntry.state == QueueState.OFFERED, state=QueueState.WAITING,
                        declined_by=QueueEntry.offered_to, declined_at=now, offered_to=None, attempts=attempts,
                        updated_at=now)


def waiting_callback(session: Session, case: Case) -> QueueEntry | None:
    """Return the case's call-back waiting in the queue for its turn, or None."""
    return session.scalars(select(QueueEntry).where(
        QueueEntry.case_id == case.id, QueueEntry.kind == QueueKind.CALLBACK,
        QueueEntry.state == QueueState.WAITING).order_by(QueueEntry.id.desc()).limit(1)).first()


def reached_otherwise(session: Session, *, case: Case, now: datetime) -> bool:
    """A coordinator reached the family by her own call-back: her waiting call-back in the queue is done."""
    entry = waiting_callback(session, case)
    if entry is None or not claims.claim(session, entry, QueueEntry.state == QueueState.WAITING,
                                         state=QueueState.CALLED_BACK, retry_at=None, updated_at=now):
        return False
    record_event(session, case, key=f"queue-called-back:{entry.id}", kind=EventKind.QUEUE_CALLED_BACK,
                 now=now, detail={"by": "dashboard"})
    return True


def _drop_finished_cases(session: Session, *, now: datetime) -> None:
    """A waiting call-back whose case a coordinator closed or cancelled meanwhile leaves the queue (nobody rings)."""
    rows = session.scalars(select(QueueEntry).join(Case, Case.id == QueueEntry.case_id).where(
        QueueEntry.kind == QueueKind.CALLBACK, QueueEntry.state == QueueState.WAITING,
        Case.status.in_([CaseStatus.CLOSED, CaseStatus.CANCELLED]))).all()
    for entry in rows:
        waiting.leave(session, entry=entry, state=QueueState.LEFT, why="case_finished", now=now)
