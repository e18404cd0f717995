"""Call-backs: a coordinator's own phone rings through the hotline, hears the case, and is put through to the parent.

The dashboard's "call back" queues a call to her phone (messaging.outbox); when she answers, Twilio
fetches /voice/callback/<case>, which asks `plan_callback` what to say and whom to dial; the
results land on the case's timeline. The parent sees the hotline's number, never hers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import case_fields, record_event
from dispatch.manual import ManualActionError, ManualReason
from ivr.summary import describe_case
from messaging.outbox import enqueue_call
from models import Case, OutboxMessage, OutboxStatus, User

#: A second click on "call back" within this time does not ring her phone a second time.
CALLBACK_REPEAT_GUARD = timedelta(minutes=2)


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


def plan_callback(
    session: Session, *, case: Case, call_sid: str | None, answered_by: str | None, now: datetime
) -> CallbackPlan:
    """Decide what the coordinator hears when she answers a call back, and record it on the timeline."""
    machine = (answered_by or "").lower().startswith(("machine", "fax"))
    key = f"callback:{call_sid or now.isoformat()}"
    if machine:
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


def record_callback_result(
    session: Session, *, case: Case, call_sid: str | None, dial_status: str | None, now: datetime
) -> bool:
    """Record how the call to the parent ended; return True when she was reached."""
    status = (dial_status or "unknown")[:20]
    reached = status == "completed"
    record_event(
        session,
        case,
        key=f"callback:{call_sid or now.isoformat()}:dialed",
        kind=EventKind.CALLBACK_RESULT,
        now=now,
        detail={"status": status, "reached": reached},
    )
    if reached and case.needs_callback:
        case.needs_callback = False
        case.updated_at = now
    return reached


def record_callback_call_status(
    session: Session, *, case: Case, call_sid: str | None, status: str | None, now: datetime
) -> None:
    """Record the final state of the call to the coordinator's phone (no answer, busy, failed, completed)."""
    status = (status or "unknown")[:20]
    record_event(
        session,
        case,
        key=f"callback:{call_sid or now.isoformat()}:status:{status}",
        kind=EventKind.CALLBACK_CALL_STATUS,
        now=now,
        detail={"status": status},
    )


def callback_announcement(case: Case) -> str:
    """Return what the coordinator hears first: the case in one sentence, then that she is connected."""
    spelled = " ".join(case.reference)
    summary = describe_case(case_fields(case), language="de", style="speech").rstrip(".")
    return f"Rückruf für Fall {spelled}, {summary}. Sie werden jetzt mit der Familie verbunden."
