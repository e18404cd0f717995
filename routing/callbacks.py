"""Call-backs: a coordinator's own phone rings through the hotline, hears the case, and is put through to the parent.

The dashboard's "call back" queues a call to her phone (messaging.outbox); when she answers, Twilio
fetches /voice/callback/<case>, which asks `plan_callback` what to say and whom to dial; the
results land on the case's timeline. The parent sees the hotline's number, never hers.

The family's leg has answering machine detection too (/voice/callback/<case>/family hangs up a
mailbox, so it never counts as reached); a family not reached is tried once more after
CALLBACK_RETRY_AFTER (a timer row in the outbox), then the case is flagged for a call-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import case_fields, record_event
from dispatch.manual import ManualActionError, ManualReason
from ivr.summary import describe_case
from messaging.outbox import enqueue_call
from models import Case, CaseEvent, CaseStatus, OutboxMessage, OutboxStatus, User
from routing import queue_callbacks

#: A second click on "call back" within this time does not ring her phone a second time.
CALLBACK_REPEAT_GUARD = timedelta(minutes=2)
#: A family a call-back did not reach (no answer, busy, her mailbox) is called once more after this long:
#: the coordinator's phone rings again first. After the second miss the case is flagged for a call-back.
CALLBACK_RETRY_AFTER = timedelta(minutes=5)
#: The outbox purpose of that second attempt (the first is "callback").
CALLBACK_RETRY_PURPOSE = "callback_retry"


@dataclass(frozen=True)
class CallbackPlan:
    """What the coordinator's phone does when she answers a call back."""

    case_id: int
    reference: str
    #: The parent's number, or None when the call came in with a withheld number.
    parent: str | None
    #: The German sentence she hears before she is connected.
    announcement: str
    #: True when an answering machine took the call: hang up, connect nobody.
    machine: bool = False


def callback_url(public_base_url: str, case_id: int) -> str:
    """Return the TwiML URL of a call back (Twilio fetches it when the coordinator answers)."""
    return public_base_url.rstrip("/") + f"/voice/callback/{case_id}"


def request_callback(
    session: Session,
    *,
    case: Case,
    user: User,
    now: datetime,
    public_base_url: str | None,
    hotline_number: str | None,
) -> OutboxMessage:
    """Queue a call to the coordinator's own phone that then connects her to the parent.

    The parent sees the hotline's number; the coordinator's own number is never shown to her.
    A repeated click within CALLBACK_REPEAT_GUARD returns the call already queued.
    """
    if not user.phone:
        raise ManualActionError(ManualReason.NO_USER_PHONE, f"user {user.username} has no phone number")
    if not case.caller:
        raise ManualActionError(ManualReason.NO_CALLER, f"case {case.reference} has no caller number")
    if not public_base_url:
        raise ManualActionError(ManualReason.NO_PUBLIC_URL, "PUBLIC_BASE_URL is not set")
    recent = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.case_id == case.id,
            OutboxMessage.channel == "call",
            OutboxMessage.to_number == user.phone,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.created_at >= now - CALLBACK_REPEAT_GUARD,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if recent is not None:
        return recent
    message = enqueue_call(
        session,
        to=user.phone,
        twiml_url=callback_url(public_base_url, case.id),
        purpose="callback",
        dedupe_key=f"callback:{case.id}:{user.id}:{now.isoformat()}",
        now=now,
        case_id=case.id,
        from_number=hotline_number,
        note=f"Rückruf Fall {case.reference}",
    )
    record_event(
        session,
        case,
        key=f"callback:{message.id}:requested",
        kind=EventKind.CALLBACK_REQUESTED,
        now=now,
        detail={"by": user.username, "outbox": message.id},
    )
    return message


def is_machine(answered_by: str | None) -> bool:
    """Return True when Twilio's answering machine detection says a mailbox or a fax took the call."""
    return (answered_by or "").lower().startswith(("machine", "fax"))


def plan_callback(
    session: Session, *, case: Case, call_sid: str | None, answered_by: str | None, now: datetime
) -> CallbackPlan:
    """Decide what the coordinator hears when she answers a call back, and record it on the timeline."""
    machine = is_machine(answered_by)
    key = f"callback:{call_sid or now.isoformat()}"
    if machine:
        queue_callbacks.coordinator_missed(session, case=case, now=now)
        record_event(
            session,
            case,
            key=f"{key}:machine",
            kind=EventKind.CALLBACK_MAILBOX,
            now=now,
            detail={"answered_by": (answered_by or "")[:32]},
        )
    else:
        record_event(
            session,
            case,
            key=f"{key}:answered",
            kind=EventKind.CALLBACK_ANSWERED,
            now=now,
            detail={"parent_known": bool(case.caller)},
        )
    return CallbackPlan(
        case_id=case.id,
        reference=case.reference,
        parent=case.caller,
        announcement=callback_announcement(case),
        machine=machine,
    )


def screen_family(
    session: Session, *, case: Case, call_sid: str | None, answered_by: str | None, now: datetime
) -> bool:
    """The family's phone was answered: True to connect her, False when her mailbox took it (recorded)."""
    if not is_machine(answered_by):
        return True
    record_event(
        session,
        case,
        key=f"callback:{call_sid or now.isoformat()}:family-machine",
        kind=EventKind.CALLBACK_MAILBOX,
        now=now,
        detail={"answered_by": (answered_by or "")[:32], "leg": "family"},
    )
    return False


@dataclass(frozen=True)
class CallbackOutcome:
    """How a call-back's call to the family ended and what happens next."""

    reached: bool
    #: When the second attempt rings the coordinator again (None: no second attempt).
    retry_at: datetime | None = None
    #: Both attempts missed her (or no second one was possible): the case is flagged for a call-back.
    gave_up: bool = False


def finish_callback(
    session: Session,
    *,
    case: Case,
    call_sid: str | None,
    dial_status: str | None,
    now: datetime,
    dial_bridged: str | None = None,
    dial_call_sid: str | None = None,
) -> CallbackOutcome:
    """Record how the call to the family ended; retry a miss once (a timer in the outbox), then flag the case.

    Reached only when her leg completed AND was bridged: a mailbox answering is hung up by
    screen_family, so it ends "completed" but not bridged, and it never counts as reached.
    """
    status = (dial_status or "unknown")[:20]
    machine = dial_call_sid is not None and _family_mailbox(session, case, dial_call_sid)
    reached = status == "completed" and (dial_bridged or "").lower() != "false" and not machine
    queued = queue_callbacks.offered_callback(session, case)
    if queued is not None:  # a call-back from the queue: its entry keeps the count and the timer
        retry_at = queue_callbacks.settle_family(session, entry=queued, case=case, reached=reached, now=now)
        outcome = CallbackOutcome(reached=reached, retry_at=retry_at, gave_up=not reached and retry_at is None)
    elif reached:  # a coordinator's own call-back reached her: one waiting in the queue is done too
        queue_callbacks.reached_otherwise(session, case=case, now=now)
        outcome = CallbackOutcome(reached=True)
    elif queue_callbacks.waiting_callback(session, case) is not None:
        # The queue rings the family again anyway (her call's end came first and put the call-back
        # back, or it waits for its turn): no second attempt through the outbox.
        outcome = CallbackOutcome(reached=False)
    else:
        retry = _plan_retry(session, case=case, call_sid=call_sid, now=now)
        outcome = CallbackOutcome(reached=False, retry_at=retry.next_attempt_at if retry else None,
                                  gave_up=retry is None)
    detail: dict[str, object] = {"status": "machine" if machine else status, "reached": reached}
    if outcome.retry_at is not None:
        detail["retry_at"] = outcome.retry_at.isoformat()
    if outcome.gave_up:
        detail["gave_up"] = True
    record_event(
        session,
        case,
        key=f"callback:{call_sid or now.isoformat()}:dialed",
        kind=EventKind.CALLBACK_RESULT,
        now=now,
        detail=detail,
    )
    if reached and case.needs_callback:
        case.needs_callback = False
        case.updated_at = now
    if outcome.gave_up and not case.needs_callback:
        case.needs_callback = True
        case.updated_at = now
    return outcome


def record_callback_result(
    session: Session, *, case: Case, call_sid: str | None, dial_status: str | None, now: datetime
) -> bool:
    """Record how the call to the parent ended; return True when she was reached (see finish_callback)."""
    return finish_callback(session, case=case, call_sid=call_sid, dial_status=dial_status, now=now).reached


def _family_mailbox(session: Session, case: Case, dial_call_sid: str) -> bool:
    """Return True when screen_family found a mailbox on this leg of the family."""
    key = f"callback:{dial_call_sid}:family-machine"
    return session.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.key == key).limit(1)
    ) is not None


def _plan_retry(session: Session, *, case: Case, call_sid: str | None, now: datetime) -> OutboxMessage | None:
    """Queue the second attempt of a first call-back that missed the family; None when there is none to make.

    Once per call: a repeated delivery of the result finds the retry already queued (dedupe key).
    """
    if not call_sid:
        return None
    first = session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_sid == call_sid, OutboxMessage.channel == "call")
    ).one_or_none()
    if first is None or first.purpose == CALLBACK_RETRY_PURPOSE or not first.twiml_url:
        return None
    if case.status in (CaseStatus.CLOSED, CaseStatus.CANCELLED):
        return None
    return enqueue_call(
        session,
        to=first.to_number,
        twiml_url=first.twiml_url,
        purpose=CALLBACK_RETRY_PURPOSE,
        dedupe_key=f"{first.dedupe_key}:retry"[:200],
        now=now,
        case_id=case.id,
        from_number=first.from_number,
        note=first.body,
        not_before=now + CALLBACK_RETRY_AFTER,
    )


def record_callback_call_status(
    session: Session, *, case: Case, call_sid: str | None, status: str | None, now: datetime
) -> None:
    """Record the final state of the call to the coordinator's phone (no answer, busy, failed, completed).

    A call-back from the queue whose call ended before the family's leg did (she hung up during the
    summary: Twilio never ran the <Dial>, so no <Dial action> comes) goes back to the queue at once,
    keeping the family's place, for the next free coordinator. Twilio sends this final status after
    the call's last TwiML request, so a <Dial action> that did come has settled the entry before.
    """
    status = (status or "unknown")[:20]
    dialed = call_sid is not None and _dial_result_recorded(session, case, call_sid)
    first = record_event(
        session,
        case,
        key=f"callback:{call_sid or now.isoformat()}:status:{status}",
        kind=EventKind.CALLBACK_CALL_STATUS,
        now=now,
        detail={"status": status},
    )
    if status in ("no-answer", "busy", "failed", "canceled"):
        queue_callbacks.coordinator_missed(session, case=case, now=now)
    elif status == "completed" and first and call_sid and not dialed:
        queue_callbacks.coordinator_missed(session, case=case, now=now)


def _dial_result_recorded(session: Session, case: Case, call_sid: str) -> bool:
    """Return True when the family's leg of this call-back has ended (finish_callback noted it)."""
    return session.scalar(select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.key == f"callback:{call_sid}:dialed").limit(1)) is not None


@dataclass(frozen=True)
class PlacedCallback:
    """A call-back the hotline placed to a coordinator's phone (for the simulators to answer)."""

    case_id: int
    call_sid: str
    #: The coordinator's phone.
    phone: str
    #: The path Twilio asks when she answers (/voice/callback/<case>).
    url: str


def placed_callbacks(session: Session, *, reference: str | None = None, limit: int = 50) -> list[PlacedCallback]:
    """Return the call-backs placed (sent, with their CallSid) that nobody has answered yet, newest first."""
    stmt = (select(OutboxMessage).join(Case, Case.id == OutboxMessage.case_id)
            .where(OutboxMessage.channel == "call", OutboxMessage.status == OutboxStatus.SENT,
                   OutboxMessage.provider_sid.is_not(None), OutboxMessage.twiml_url.is_not(None))
            .order_by(OutboxMessage.id.desc()).limit(limit))
    if reference:
        stmt = stmt.where(Case.reference == reference.strip().upper())
    placed = []
    for message in session.scalars(stmt).all():
        sid = str(message.provider_sid)
        ends = [f"callback:{sid}:{end}" for end in ("answered", "machine", "status:no-answer", "status:busy",
                                                      "status:failed", "status:canceled", "status:completed")]
        if session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == message.case_id,
                                                     CaseEvent.key.in_(ends)).limit(1)) is None:
            placed.append(PlacedCallback(int(message.case_id or 0), sid, message.to_number,
                                         urlsplit(message.twiml_url or "").path))
    return placed


def placed_callback(session: Session, *, reference: str | None = None) -> PlacedCallback | None:
    """Return the newest call-back placed that nobody has answered yet, or None."""
    return next(iter(placed_callbacks(session, reference=reference)), None)


def callback_announcement(case: Case) -> str:
    """Return what the coordinator hears first: the case in one sentence, then that she is connected."""
    spelled = " ".join(case.reference)
    summary = describe_case(case_fields(case), language="de", style="speech").rstrip(".")
    return f"Rückruf für Fall {spelled}, {summary}. Sie werden jetzt mit der Familie verbunden."
