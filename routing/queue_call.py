"""A caller in the queue, one webhook step at a time: her loop turn, the coordinator rung for her, her keys.

Every loop turn checks the longest wait itself, so a waiting caller reaches the office's line or
the voicemail in time without the worker. Nothing here knows Flask or TwiML.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cases.service import require_case
from models import OPEN_STATES, Case, QueueEntry, QueueKind, QueueState
from routing import waiting
from routing.call_flow import CallPolicy, ring_next
from routing.dialplan import Stage, StageKind, is_reached
from routing.escalation import record_dial_result, start_voicemail


class TurnKind(enum.StrEnum):
    """What the caller hears on this turn."""

    RING = "ring"  # a coordinator is free: ring her (with the screening)
    WAIT = "wait"  # her place (and the estimate), the keys, a pause, then the next turn
    ONWARD = "onward"  # she left the queue (longest wait, hours over, no entry): the office, then voicemail
    HANG_UP = "hang_up"  # she was put through, or hung up


@dataclass(frozen=True)
class QueueTurn:
    """The outcome of one step of a waiting caller."""

    case: Case
    kind: TurnKind
    coordinator: str | None = None
    announcement: waiting.Announcement | None = None
    stage: Stage | None = None
    #: Why she left the queue (ONWARD): "max_wait", "closed", "not_waiting".
    why: str | None = None


class KeyChoice(enum.StrEnum):
    """What a key pressed while waiting does."""

    CALLBACK = "callback"
    CALLBACK_IMPOSSIBLE = "callback_impossible"
    VOICEMAIL = "voicemail"
    WAIT = "wait"


def queue_turn(session: Session, *, case_id: int, call_sid: str, now: datetime, policy: CallPolicy) -> QueueTurn:
    """Decide a waiting caller's next step: ring a free coordinator, go on waiting, or leave the queue."""
    case = require_case(session, case_id)
    entry = waiting.entry_for_case(session, case.id, call_sid)
    if entry is None or entry.kind is not QueueKind.LINE or entry.state not in OPEN_STATES:
        if entry is not None and entry.state is QueueState.CONNECTED:
            return QueueTurn(case, TurnKind.HANG_UP)
        return _onward(session, case, entry, why="not_waiting", now=now, policy=policy)
    if entry.state is QueueState.WAITING:
        if not policy.hours.is_open(now, open_on_holidays=policy.open_on_holidays):
            return _onward(session, case, entry, why="closed", now=now, policy=policy)
        if now >= entry.deadline_at:
            return _onward(session, case, entry, why="max_wait", now=now, policy=policy)
    coordinator = waiting.take_turn(session, entry=entry, now=now)
    if coordinator is not None:
        case.dial_stage = StageKind.QUEUE.value
        return QueueTurn(case, TurnKind.RING, coordinator=coordinator)
    return QueueTurn(case, TurnKind.WAIT, announcement=waiting.announcement(session, entry=entry, now=now))


def queue_dialed(
    session: Session,
    *,
    case_id: int,
    call_sid: str,
    dial_call_status: str | None,
    dial_bridged: str | None,
    dial_call_sid: str | None,
    call_status: str | None,
    now: datetime,
    policy: CallPolicy,
) -> QueueTurn:
    """The coordinator rung for a waiting caller is done: put through, or back to her place and on."""
    case = require_case(session, case_id)
    result = record_dial_result(session, case=case, stage=StageKind.QUEUE, dial_call_status=dial_call_status,
                                dial_bridged=dial_bridged, dial_call_sid=dial_call_sid, now=now)
    entry = waiting.entry_for_case(session, case.id, call_sid)
    if result.reached or is_reached(dial_call_status, dial_bridged):
        waiting.mark_connected(session, case_id=case.id, coordinator=result.coordinator or "", now=now)
        return QueueTurn(case, TurnKind.HANG_UP)
    if (call_status or "").lower() in {"completed", "canceled"}:
        waiting.hung_up(session, case=case, now=now)
        return QueueTurn(case, TurnKind.HANG_UP)
    if entry is not None:
        waiting.release_offer(session, entry=entry, now=now)
    return queue_turn(session, case_id=case_id, call_sid=call_sid, now=now, policy=policy)


def queue_key(session: Session, *, case_id: int, call_sid: str, digits: str | None, now: datetime,
              policy: CallPolicy) -> tuple[Case, KeyChoice]:
    """Take a key pressed while waiting: 1 a call-back keeping her place, 2 the voicemail, else wait on."""
    case = require_case(session, case_id)
    entry = waiting.entry_for_case(session, case.id, call_sid)
    if entry is None or entry.state is not QueueState.WAITING:
        return case, KeyChoice.WAIT
    if digits == "1":
        if not case.caller:
            return case, KeyChoice.CALLBACK_IMPOSSIBLE
        waiting.choose_callback(session, entry=entry, now=now)
        return case, KeyChoice.CALLBACK
    if digits == "2":
        waiting.leave(session, entry=entry, state=QueueState.VOICEMAIL, why="voicemail", now=now)
        start_voicemail(session, case=case, now=now, dispatch_policy=policy.dispatch_policy)
        return case, KeyChoice.VOICEMAIL
    return case, KeyChoice.WAIT


def _onward(session: Session, case: Case, entry: QueueEntry | None, *, why: str, now: datetime,
            policy: CallPolicy) -> QueueTurn:
    """Leave the queue for the office's line, then the voicemail, as when nobody answers."""
    if entry is not None and entry.state in OPEN_STATES:
        waiting.leave(session, entry=entry, state=QueueState.VOICEMAIL, why=why, now=now)
    stage = ring_next(session, case=case, after=StageKind.QUEUE, now=now, policy=policy)
    return QueueTurn(case, TurnKind.ONWARD, stage=stage, why=why)
