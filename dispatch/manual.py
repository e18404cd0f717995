"""What a coordinator does to a case by hand: dispatch, re-dispatch, assign, close, cancel.

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
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
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
from messaging.outbox import enqueue_sms
from messaging.texts import job_text
from models import (
    Caregiver,
    Case,
    CaseStatus,
    Dispatch,
    DispatchStatus,
    Offer,
    OfferStatus,
)

log = logging.getLogger(__name__)




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
