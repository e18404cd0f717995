"""What a coordinator does to a case by hand: dispatch, re-dispatch, assign, close, cancel, call back.

Built on the dispatch engine's public functions (start_dispatch, withdraw_open_offers and the
texts). Every function takes a session and plain values, flushes and never commits.

Assigning by hand uses the same "first yes wins" guard as an SMS acceptance: one conditional
UPDATE on the case (`caregiver_id IS NULL AND status IN (open, dispatching)`) checked by its row
count. Whoever writes first wins; a later hand assignment or `JA` finds the case taken.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import case_fields, record_event
from core.claims import claim
from core.errors import HotlineError
from core.logs import mask_phone
from core.phones import is_mobile
from dispatch.matching import NoPostcode, find_ranked_candidates
from dispatch.offers import (
    DispatchError,
    caregiver_language,
    get_active_dispatch,
    parent_text,
    start_dispatch,
    winner_text,
    withdraw_open_offers,
)
from dispatch.policy import DispatchPolicy
from ivr.summary import describe_case
from messaging.outbox import enqueue_call, enqueue_sms
from messaging.texts import job_text
from models import (
    Caregiver,
    Case,
    CaseStatus,
    Dispatch,
    DispatchStatus,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    User,
)

log = logging.getLogger(__name__)

#: A second click on "call back" within this time does not ring her phone a second time.
CALLBACK_REPEAT_GUARD = timedelta(minutes=2)



class ManualReason(enum.StrEnum):
    """Why a coordinator's action was refused (the dashboard words it)."""

    CLOSED = "closed"
    CANCELLED = "cancelled"
    ALREADY_ASSIGNED = "already_assigned"
    NOT_ASSIGNABLE = "not_assignable"
    NO_POSTCODE = "no_postcode"
    UNKNOWN_CAREGIVER = "unknown_caregiver"
    CAREGIVER_INACTIVE = "caregiver_inactive"
    NO_USER_PHONE = "no_user_phone"
    NO_CALLER = "no_caller"
    NO_PUBLIC_URL = "no_public_url"


class ManualActionError(HotlineError):
    """A coordinator's action cannot be done; `reason` says why."""

    def __init__(self, reason: ManualReason, message: str) -> None:
        """Describe the refusal."""
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class HandCandidate:
    """A caregiver a coordinator may pick: ranked by matching first, then everyone else active."""

    caregiver_id: int
    name: str
    postcode: str
    distance_km: float | None
    ranked: bool
    opted_out: bool


@dataclass(frozen=True)
class Assignment:
    """What a hand assignment did."""

    caregiver_id: int
    caregiver_texted: bool
    parent_texted: bool


@dataclass(frozen=True)
class Cancellation:
    """What cancelling did."""

    offers_withdrawn: int
    caregiver_told: bool


# --- Dispatch and re-dispatch -------------------------------------------------------------------


def dispatch_case(
    session: Session, *, case: Case, now: datetime, by: str, policy: DispatchPolicy
) -> Dispatch:
    """Start offering a case by SMS for a dashboard user (or return its running dispatch)."""
    _refuse_finished(case)
    try:
        return start_dispatch(session, case=case, now=now, started_by=f"dashboard:{by}", policy=policy)
    except NoPostcode as exc:
        raise ManualActionError(ManualReason.NO_POSTCODE, str(exc)) from exc
    except DispatchError as exc:
        raise _dispatch_refusal(case, exc) from exc


def redispatch_case(
    session: Session, *, case: Case, now: datetime, by: str, policy: DispatchPolicy
) -> Dispatch:
    """Withdraw the open offers, end the running dispatch and start a new one (e.g. after an edit)."""
    _refuse_finished(case)
    if case.status is CaseStatus.ASSIGNED or case.caregiver_id is not None:
        raise ManualActionError(ManualReason.ALREADY_ASSIGNED, f"case {case.reference} is already assigned")
    # Matching first, so a case without a postcode keeps its running dispatch.
    try:
        find_ranked_candidates(session, case=case, now=now, limit=1)
    except NoPostcode as exc:
        raise ManualActionError(ManualReason.NO_POSTCODE, str(exc)) from exc
    withdrawn = withdraw_open_offers(session, case=case, now=now, reason="redispatch")
    running = get_active_dispatch(session, case=case)
    if running is not None:  # pragma: no cover - withdraw_open_offers ends it
        raise ManualActionError(ManualReason.NOT_ASSIGNABLE, f"case {case.reference}: dispatch still running")
    record_event(
        session,
        case,
        key=f"redispatch:{now.isoformat()}",
        kind=EventKind.REDISPATCH_REQUESTED,
        now=now,
        detail={"by": by[:64], "withdrawn": withdrawn},
    )
    session.refresh(case)
    return dispatch_case(session, case=case, now=now, by=by, policy=policy)


# --- Assigning by hand --------------------------------------------------------------------------


def find_hand_candidates(session: Session, *, case: Case, now: datetime) -> list[HandCandidate]:
    """Return the caregivers to pick from: the matching ranking first, then every other active one."""
    try:
        ranked = find_ranked_candidates(session, case=case, now=now)
    except NoPostcode:
        ranked = []
    by_id = {
        c.id: c
        for c in session.scalars(
            select(Caregiver)
            .where(Caregiver.active.is_(True), Caregiver.left_at.is_(None))
            .order_by(Caregiver.name)
        )
    }
    result: list[HandCandidate] = []
    for r in ranked:
        caregiver = by_id.pop(r.caregiver_id, None)
        if caregiver is not None:
            result.append(_candidate(caregiver, distance_km=r.distance_km, ranked=True))
    result.extend(_candidate(c, distance_km=None, ranked=False) for c in by_id.values())
    return result


def assign_by_hand(
    session: Session, *, case: Case, caregiver_id: int, now: datetime, by: str, policy: DispatchPolicy
) -> Assignment:
    """Give the job to a caregiver a coordinator picked; exactly like a winning `JA`, it can only happen once.

    The caregiver gets the job details by SMS, the parent the confirmation; open offers to others
    are withdrawn and the running dispatch counts as filled.
    """
    _refuse_finished(case)
    caregiver = session.get(Caregiver, caregiver_id)
    if caregiver is None:
        raise ManualActionError(ManualReason.UNKNOWN_CAREGIVER, f"caregiver {caregiver_id} does not exist")
    if not caregiver.active or caregiver.left_at is not None:
        raise ManualActionError(ManualReason.CAREGIVER_INACTIVE, f"caregiver {caregiver_id} is not active")

    won = claim(session, case, Case.caregiver_id.is_(None), Case.status.in_([CaseStatus.OPEN, CaseStatus.DISPATCHING]),
                caregiver_id=caregiver.id, caregiver=caregiver.phone, status=CaseStatus.ASSIGNED,
                assigned_at=now, updated_at=now)
    if not won:
        _refuse_finished(case)
        raise ManualActionError(ManualReason.ALREADY_ASSIGNED, f"case {case.reference} is already assigned")

    dispatch = get_active_dispatch(session, case=case)
    if dispatch is not None:
        session.execute(
            update(Dispatch)
            .where(Dispatch.id == dispatch.id, Dispatch.status == DispatchStatus.ACTIVE)
            .values(status=DispatchStatus.FILLED, finished_at=now, next_wave_at=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Offer)
            .where(
                Offer.dispatch_id == dispatch.id,
                Offer.caregiver_id == caregiver.id,
                Offer.status == OfferStatus.OPEN,
            )
            .values(status=OfferStatus.ACCEPTED, responded_at=now)
            .execution_options(synchronize_session=False)
        )
        session.refresh(dispatch)
    record_event(
        session,
        case,
        key=f"assigned-by-hand:{caregiver.id}",
        kind=EventKind.ASSIGNED_BY_HAND,
        now=now,
        detail={"caregiver": caregiver.id, "by": by[:64], "dispatch": dispatch.id if dispatch else None},
    )
    caregiver_texted = False
    if not caregiver.opted_out:
        enqueue_sms(
            session,
            to=caregiver.phone,
            body=winner_text(case, language=caregiver_language(caregiver)),
            purpose="assigned_by_hand",
            dedupe_key=f"case:{case.id}:assigned:{caregiver.id}",
            now=now,
            case_id=case.id,
            from_number=policy.hotline_number,
        )
        caregiver_texted = True
    parent_texted = False
    if case.caller and is_mobile(case.caller):
        enqueue_sms(
            session,
            to=case.caller,
            body=parent_text(case, caregiver=caregiver),
            purpose="parent_confirmation",
            dedupe_key=f"case:{case.id}:assigned:parent",
            now=now,
            case_id=case.id,
            from_number=policy.hotline_number,
        )
        record_event(
            session,
            case,
            key="assigned-by-hand:parent",
            kind=EventKind.PARENT_NOTIFIED,
            now=now,
            detail={"by": "sms"},
        )
        parent_texted = True
    else:
        record_event(
            session,
            case,
            key="assigned-by-hand:parent",
            kind=EventKind.PARENT_CALL_REQUESTED,
            now=now,
            detail={"by": "dashboard"},
        )
    withdraw_open_offers(session, case=case, now=now, reason="filled")
    log.info(
        "case %s assigned by hand to caregiver %s (%s)", case.id, caregiver.id, mask_phone(caregiver.phone)
    )
    return Assignment(
        caregiver_id=caregiver.id, caregiver_texted=caregiver_texted, parent_texted=parent_texted
    )


# --- Closing and cancelling -----------------------------------------------------------------------


def _finish(session: Session, *, case: Case, status: CaseStatus, now: datetime) -> None:
    """Move a case to closed or cancelled with one conditional UPDATE; refuse one already finished.

    Conditional, so two coordinators clicking at once cannot both finish it (the second is refused).
    """
    _refuse_finished(case)
    if not claim(session, case, Case.status.notin_([CaseStatus.CLOSED, CaseStatus.CANCELLED]),
                 status=status, needs_callback=False, updated_at=now):
        _refuse_finished(case)


def close_case(session: Session, *, case: Case, now: datetime, by: str) -> int:
    """Close a case (care done or no longer needed); withdraw any open offers; return how many."""
    _finish(session, case=case, status=CaseStatus.CLOSED, now=now)
    withdrawn = withdraw_open_offers(session, case=case, now=now, reason="closed")
    record_event(
        session,
        case,
        key="closed",
        kind=EventKind.CASE_CLOSED,
        now=now,
        detail={"by": by[:64], "withdrawn": withdrawn},
    )
    return withdrawn


def cancel_case(
    session: Session, *, case: Case, now: datetime, by: str, policy: DispatchPolicy
) -> Cancellation:
    """Cancel a case: withdraw the open offers and tell an assigned caregiver by SMS that the job is off."""
    _finish(session, case=case, status=CaseStatus.CANCELLED, now=now)
    withdrawn = withdraw_open_offers(session, case=case, now=now, reason="cancelled")
    caregiver_told = False
    caregiver = session.get(Caregiver, case.caregiver_id) if case.caregiver_id else None
    if caregiver is not None:
        enqueue_sms(
            session,
            to=caregiver.phone,
            body=cancelled_text(case, language=caregiver_language(caregiver)),
            purpose="case_cancelled",
            dedupe_key=f"case:{case.id}:cancelled:{caregiver.id}",
            now=now,
            case_id=case.id,
            from_number=policy.hotline_number,
        )
        caregiver_told = True
    record_event(
        session,
        case,
        key="cancelled",
        kind=EventKind.CASE_CANCELLED,
        now=now,
        detail={
            "by": by[:64],
            "withdrawn": withdrawn,
            "caregiver": caregiver.id if caregiver else None,
            "caregiver_told": caregiver_told,
        },
    )
    return Cancellation(offers_withdrawn=withdrawn, caregiver_told=caregiver_told)


def cancelled_text(case: Case, *, language: str) -> str:
    """Return the SMS that tells the assigned caregiver the job is off."""
    return job_text("cancelled", language=language, reference=case.reference)


# --- Call back -----------------------------------------------------------------------------------


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


# --- Helpers ---------------------------------------------------------------------------------------


def _candidate(caregiver: Caregiver, *, distance_km: float | None, ranked: bool) -> HandCandidate:
    return HandCandidate(
        caregiver_id=caregiver.id,
        name=caregiver.name,
        postcode=caregiver.postcode,
        distance_km=distance_km,
        ranked=ranked,
        opted_out=bool(caregiver.opted_out),
    )


def _refuse_finished(case: Case) -> None:
    """Raise when a case is closed or cancelled: nothing more happens to it."""
    if case.status is CaseStatus.CLOSED:
        raise ManualActionError(ManualReason.CLOSED, f"case {case.reference} is closed")
    if case.status is CaseStatus.CANCELLED:
        raise ManualActionError(ManualReason.CANCELLED, f"case {case.reference} is cancelled")


def _dispatch_refusal(case: Case, exc: DispatchError) -> ManualActionError:
    """Translate the engine's refusal into a reason the dashboard can word."""
    if case.status is CaseStatus.CLOSED:
        return ManualActionError(ManualReason.CLOSED, str(exc))
    if case.status is CaseStatus.CANCELLED:
        return ManualActionError(ManualReason.CANCELLED, str(exc))
    return ManualActionError(ManualReason.ALREADY_ASSIGNED, str(exc))
