"""Offers: start a dispatch, send waves of SMS offers, and let the first yes win.

Every function takes a session and plain values, flushes and never commits; every SMS goes to the
outbox with a dedupe key, and every step is a case timeline event with a stable key, so a repeated
call (a webhook delivered twice, a job run twice) has one effect.

"First yes wins" is one conditional UPDATE on the case
(`... WHERE id = :id AND caregiver_id IS NULL AND status = 'dispatching'`) checked by its row
count, and it is the first write of an acceptance: on PostgreSQL a second acceptance blocks on the
row until the first commits, then finds the condition false; on SQLite writers are serialized
(BEGIN IMMEDIATE). Whatever happens after it (offer accepted, dispatch filled, the others
withdrawn, the texts) happens only for the winner.

Offer codes are two digits (10-99), chosen at random among the codes free among the caregiver's
open offers. Nothing in the schema enforces that uniqueness across two transactions that offer
to the same caregiver at the same moment; should it ever happen, `JA <code>` is answered as
ambiguous rather than guessed.
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import case_fields, record_event
from core.claims import claim
from core.database import rowcount
from core.errors import HotlineError
from core.languages import DEFAULT as DEFAULT_LANGUAGE
from core.languages import known
from core.logs import mask_phone
from core.phones import is_mobile
from dispatch.matching import Ranked, find_no_match_reasons, find_ranked_candidates
from dispatch.policy import DispatchPolicy
from ivr.summary import describe_case
from messaging.outbox import enqueue_sms
from messaging.texts import (
    describe_area,
    describe_duration,
    describe_no_match,
    describe_when,
    describe_who,
    fill_text,
    first_name,
    gsm_safe,
    job_text,
    word,
)
from models import (
    Caregiver,
    Case,
    CaseEvent,
    CaseStatus,
    Dispatch,
    DispatchStatus,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
)
from roster.queries import find_on_duty

log = logging.getLogger(__name__)

#: Offer codes: two digits, so they are quick to type and never start with 0.
CODES = tuple(str(n) for n in range(10, 100))
#: A reply to an offer that is no longer open is still matched to it for this long.
REPLY_WINDOW = timedelta(hours=24)
_random = random.SystemRandom()


class DispatchError(HotlineError):
    """A dispatch cannot start for this case (closed, cancelled, already assigned)."""


class AcceptResult(enum.StrEnum):
    """What a caregiver's yes came to."""

    WON = "won"
    TAKEN = "taken"
    NO_OPEN_OFFER = "no_open_offer"
    AMBIGUOUS = "ambiguous"
    UNKNOWN_CODE = "unknown_code"


class DeclineResult(enum.StrEnum):
    """What a caregiver's no came to."""

    DECLINED = "declined"
    NO_OPEN_OFFER = "no_open_offer"
    AMBIGUOUS = "ambiguous"
    UNKNOWN_CODE = "unknown_code"


# --- Codes and languages -------------------------------------------------------------------


def choose_code(taken: Collection[str], *, rng: random.Random | None = None) -> str:
    """Return a random two-digit code that is not among `taken` (her open offers' codes)."""
    free = [code for code in CODES if code not in set(taken)]
    if not free:
        raise HotlineError("no free offer code: this caregiver has 90 open offers")
    return (rng or _random).choice(free)


def caregiver_language(caregiver: Caregiver) -> str:
    """Return the language of a caregiver's SMS: her first language when it is one of the seven, else German."""
    languages = caregiver.languages or []
    return known(str(languages[0])) if languages else DEFAULT_LANGUAGE


def parent_language(case: Case) -> str:
    """Return the language of the family's SMS: the language of the call (German when unknown)."""
    return known(case.language)


# --- Queries ---------------------------------------------------------------------------------


def get_active_dispatch(session: Session, *, case: Case) -> Dispatch | None:
    """Return the case's running dispatch, or None."""
    return session.scalars(
        select(Dispatch)
        .where(Dispatch.case_id == case.id, Dispatch.status == DispatchStatus.ACTIVE)
        .order_by(Dispatch.id.desc())
        .limit(1)
    ).first()


def open_offers_of(session: Session, *, caregiver: Caregiver) -> list[Offer]:
    """Return a caregiver's open offers, oldest first."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.caregiver_id == caregiver.id, Offer.status == OfferStatus.OPEN)
            .order_by(Offer.created_at, Offer.id)
        )
    )


def find_offered_caregiver_ids(session: Session, *, dispatch: Dispatch) -> set[int]:
    """Return the caregivers this dispatch already offered the case to (whatever they answered)."""
    return set(session.scalars(select(Offer.caregiver_id).where(Offer.dispatch_id == dispatch.id)))


def find_declined_caregiver_ids(session: Session, *, case: Case) -> set[int]:
    """Return the caregivers who said no to this case in any of its dispatches (never asked again)."""
    return set(
        session.scalars(
            select(Offer.caregiver_id).where(Offer.case_id == case.id, Offer.status == OfferStatus.DECLINED)
        )
    )


def count_offers(session: Session, *, dispatch: Dispatch) -> tuple[int, int]:
    """Return how many caregivers the dispatch asked, and how many of them declined."""
    asked = session.scalar(select(func.count(Offer.id)).where(Offer.dispatch_id == dispatch.id)) or 0
    declined = (
        session.scalar(
            select(func.count(Offer.id)).where(
                Offer.dispatch_id == dispatch.id, Offer.status == OfferStatus.DECLINED
            )
        )
        or 0
    )
    return asked, declined


def has_open_offers(session: Session, *, dispatch: Dispatch) -> bool:
    """Return True while some offer of the dispatch still waits for an answer."""
    return bool(
        session.scalar(
            select(func.count(Offer.id)).where(
                Offer.dispatch_id == dispatch.id, Offer.status == OfferStatus.OPEN
            )
        )
    )


# --- Starting and running a dispatch -----------------------------------------------------------


def start_dispatch(
    session: Session, *, case: Case, now: datetime, started_by: str, policy: DispatchPolicy
) -> Dispatch:
    """Start offering a case by SMS (wave 1 at once) or return its running dispatch.

    Raises NoPostcode (from matching) when the case has no region postcode, DispatchError when it
    is closed, cancelled or already assigned. Without any candidate the dispatch is exhausted at
    once and the coordinators on duty are told.
    """
    _refuse_unless_dispatchable(case)
    running = get_active_dispatch(session, case=case)
    if running is not None:
        return running
    # Matching first: a case without a region postcode is refused before anything is written.
    declined = find_declined_caregiver_ids(session, case=case)
    candidates = find_ranked_candidates(session, case=case, now=now, exclude=declined)
    # Lock the case row (PostgreSQL) so two starters at the same moment create one dispatch.
    locked = claim(session, case, Case.caregiver_id.is_(None),
                   Case.status.in_([CaseStatus.OPEN, CaseStatus.DISPATCHING]),
                   status=CaseStatus.DISPATCHING, updated_at=now)
    if not locked:
        _refuse_unless_dispatchable(case)
    running = get_active_dispatch(session, case=case)
    if running is not None:
        return running

    dispatch = Dispatch(
        case_id=case.id,
        status=DispatchStatus.ACTIVE,
        wave=0,
        next_wave_at=None,
        deadline_at=now + policy.deadline_for(case.urgency),
        started_at=now,
        started_by=started_by[:40],
        unfilled_alert_sent=False,
    )
    session.add(dispatch)
    session.flush()
    record_event(
        session,
        case,
        key=f"dispatch:{dispatch.id}:started",
        kind=EventKind.DISPATCH_STARTED,
        now=now,
        detail={"dispatch": dispatch.id, "started_by": dispatch.started_by, "candidates": len(candidates)},
    )
    if not candidates:
        # Say why: a list imported without certificate dates, say, leaves every child job unfilled.
        reasons = find_no_match_reasons(session, case=case, now=now, exclude=declined).as_dict()
        record_event(session, case, key=f"dispatch:{dispatch.id}:no-match", kind=EventKind.NO_MATCH, now=now,
                     detail={"dispatch": dispatch.id, **reasons})
        end_dispatch(session, dispatch=dispatch, case=case, status=DispatchStatus.EXHAUSTED, now=now)
        alert_unfilled(session, dispatch=dispatch, case=case, now=now, policy=policy, reason="exhausted",
                       why=describe_no_match(reasons, language="de"))
        return dispatch
    send_wave(
        session,
        dispatch=dispatch,
        case=case,
        candidates=candidates[: policy.size_of_wave(1)],
        now=now,
        policy=policy,
    )
    dispatch.next_wave_at = now + policy.wait_for(case.urgency)
    session.flush()
    return dispatch


def _refuse_unless_dispatchable(case: Case) -> None:
    """Raise DispatchError when a case must not be offered (any more)."""
    if case.status is CaseStatus.CLOSED:
        raise DispatchError(f"Fall {case.reference} ist abgeschlossen; es werden keine Anfragen verschickt.",
                            english=f"Case {case.reference} is closed; no offers are sent.")
    if case.status is CaseStatus.CANCELLED:
        raise DispatchError(f"Fall {case.reference} ist storniert; es werden keine Anfragen verschickt.",
                            english=f"Case {case.reference} is cancelled; no offers are sent.")
    if case.status is CaseStatus.ASSIGNED or case.caregiver_id is not None:
        raise DispatchError(f"Fall {case.reference} ist bereits an eine Betreuungskraft vergeben.",
                            english=f"Case {case.reference} is already assigned to a caregiver.")


def next_candidates(
    session: Session, *, dispatch: Dispatch, case: Case, now: datetime, limit: int
) -> list[Ranked]:
    """Return the next `limit` candidates: not yet asked in this dispatch, never declined this case."""
    exclude = find_offered_caregiver_ids(session, dispatch=dispatch) | find_declined_caregiver_ids(
        session, case=case
    )
    return find_ranked_candidates(session, case=case, now=now, exclude=exclude)[:limit]


def send_wave(
    session: Session,
    *,
    dispatch: Dispatch,
    case: Case,
    candidates: Sequence[Ranked],
    now: datetime,
    policy: DispatchPolicy,
) -> list[Offer]:
    """Send the next wave of offers to these candidates; return the new offers."""
    dispatch.wave += 1
    session.flush()
    already = len(find_offered_caregiver_ids(session, dispatch=dispatch))
    offers = [
        send_offer(
            session,
            dispatch=dispatch,
            case=case,
            ranked=ranked,
            wave=dispatch.wave,
            rank=already + i + 1,
            now=now,
            policy=policy,
        )
        for i, ranked in enumerate(candidates)
    ]
    record_event(
        session,
        case,
        key=f"dispatch:{dispatch.id}:wave:{dispatch.wave}",
        kind=EventKind.DISPATCH_WAVE,
        now=now,
        detail={"dispatch": dispatch.id, "wave": dispatch.wave, "offers": [o.id for o in offers]},
    )
    return offers


def send_offer(
    session: Session,
    *,
    dispatch: Dispatch,
    case: Case,
    ranked: Ranked,
    wave: int,
    rank: int,
    now: datetime,
    policy: DispatchPolicy,
) -> Offer:
    """Offer the case to one caregiver: a new open offer with a free code, and its SMS in the outbox."""
    caregiver = session.get(Caregiver, ranked.caregiver_id)
    if caregiver is None:  # pragma: no cover - matching only returns existing caregivers
        raise HotlineError(f"caregiver {ranked.caregiver_id} does not exist")
    taken = [o.code for o in open_offers_of(session, caregiver=caregiver)]
    offer = Offer(
        dispatch_id=dispatch.id,
        case_id=case.id,
        caregiver_id=caregiver.id,
        code=choose_code(taken),
        wave=wave,
        rank=rank,
        distance_km=ranked.distance_km,
        status=OfferStatus.OPEN,
        created_at=now,
    )
    session.add(offer)
    session.flush()
    message = enqueue_sms(
        session,
        to=caregiver.phone,
        body=offer_text(case, code=offer.code, language=caregiver_language(caregiver), now=now),
        purpose="offer",
        dedupe_key=f"offer:{offer.id}",
        now=now,
        case_id=case.id,
        from_number=policy.hotline_number,
    )
    offer.outbox_message_id = message.id
    record_event(
        session,
        case,
        key=f"offer:{offer.id}:sent",
        kind=EventKind.OFFER_SENT,
        now=now,
        detail={
            "offer": offer.id,
            "caregiver": caregiver.id,
            "code": offer.code,
            "wave": wave,
            "rank": rank,
            "distance_km": ranked.distance_km,
        },
    )
    log.info(
        "case %s: offer %s (code %s) to caregiver %s, %s",
        case.id,
        offer.id,
        offer.code,
        caregiver.id,
        mask_phone(caregiver.phone),
    )
    return offer


def end_dispatch(
    session: Session, *, dispatch: Dispatch, case: Case, status: DispatchStatus, now: datetime
) -> int:
    """End a running dispatch (not filled): its open offers expire, the case is open again; return them."""
    if not claim(session, dispatch, Dispatch.status == DispatchStatus.ACTIVE,
                 status=status, finished_at=now, next_wave_at=None):
        return 0
    expired = rowcount(session.execute(
        update(Offer)
        .where(Offer.dispatch_id == dispatch.id, Offer.status == OfferStatus.OPEN)
        .values(status=OfferStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    ))
    session.expire_all()
    if case.status is CaseStatus.DISPATCHING and case.caregiver_id is None:
        case.status = CaseStatus.OPEN
        case.updated_at = now
    record_event(
        session,
        case,
        key=f"dispatch:{dispatch.id}:{status.value}",
        kind=EventKind(f"dispatch_{status.value}"),
        now=now,
        detail={"dispatch": dispatch.id, "expired_offers": expired},
    )
    session.flush()
    return int(expired)


def describe_why_nobody(session: Session, *, dispatch_id: int, language: str) -> str | None:
    """Return why a dispatch found nobody, as recorded when it started (None when it found someone)."""
    detail = session.scalar(select(CaseEvent.detail).where(CaseEvent.key == f"dispatch:{dispatch_id}:no-match"))
    return describe_no_match(detail, language=language) if detail else None


def alert_unfilled(
    session: Session, *, dispatch: Dispatch, case: Case, now: datetime, policy: DispatchPolicy, reason: str,
    why: str | None = None,
) -> int:
    """Tell the coordinators on duty by SMS that the case is unfilled, once per dispatch; return texts queued.

    `why` says why nobody matched (messaging.texts.describe_no_match), when that is the reason.
    """
    if not claim(session, dispatch, Dispatch.unfilled_alert_sent.is_(False), unfilled_alert_sent=True):
        return 0
    asked, declined = count_offers(session, dispatch=dispatch)
    body = unfilled_text(case, asked=asked, declined=declined, why=why)
    recipients = _text_coordinators(session, body=body, purpose="unfilled_alert",
                                    dedupe=f"dispatch:{dispatch.id}:unfilled", case=case, now=now,
                                    from_number=policy.hotline_number)
    record_event(
        session,
        case,
        key=f"dispatch:{dispatch.id}:unfilled-alert",
        kind=EventKind.COORDINATORS_ALERTED,
        now=now,
        detail={
            "dispatch": dispatch.id,
            "reason": reason,
            "asked": asked,
            "declined": declined,
            "recipients": recipients,
        },
    )
    if not recipients:
        log.warning("case %s unfilled (%s) and no coordinator with a mobile on duty", case.id, reason)
    return len(recipients)


# --- Answers -----------------------------------------------------------------------------------


def accept_offer(session: Session, *, caregiver: Caregiver, code: str | None, now: datetime) -> AcceptResult:
    """Act on a caregiver's yes (`JA <code>` or a bare `JA`): the first yes wins, the rest is told."""
    code = _clean_code(code)
    open_offers = open_offers_of(session, caregiver=caregiver)
    if code is not None:
        matching = [o for o in open_offers if o.code == code]
        if len(matching) > 1:
            return AcceptResult.AMBIGUOUS
        if matching:
            return _try_to_win(session, offer=matching[0], caregiver=caregiver, now=now)
    elif len(open_offers) > 1:
        return AcceptResult.AMBIGUOUS
    elif open_offers:
        return _try_to_win(session, offer=open_offers[0], caregiver=caregiver, now=now)

    earlier = _recent_offer(session, caregiver=caregiver, code=code, now=now)
    if earlier is None:
        return AcceptResult.UNKNOWN_CODE if code is not None and open_offers else AcceptResult.NO_OPEN_OFFER
    if earlier.status is OfferStatus.ACCEPTED:
        return AcceptResult.WON  # she said yes again: nothing more to send
    dispatch = session.get(Dispatch, earlier.dispatch_id)
    if dispatch is not None and dispatch.status is DispatchStatus.FILLED:
        _tell_taken(session, offer=earlier, caregiver=caregiver, now=now)
        return AcceptResult.TAKEN
    if (
        dispatch is not None
        and dispatch.status is DispatchStatus.ACTIVE
        and earlier.status
        in (
            OfferStatus.DECLINED,
            OfferStatus.UNDELIVERABLE,
        )
    ):
        # She said no (or her offer bounced) but now says yes while we are still looking: welcome.
        return _try_to_win(session, offer=earlier, caregiver=caregiver, now=now)
    return AcceptResult.NO_OPEN_OFFER


def decline_offer(
    session: Session, *, caregiver: Caregiver, code: str | None, now: datetime
) -> DeclineResult:
    """Act on a caregiver's no (`NEIN <code>` or a bare `NEIN`); the next wave comes sooner when nobody is left."""
    code = _clean_code(code)
    open_offers = open_offers_of(session, caregiver=caregiver)
    target: Offer | None = None
    if code is not None:
        matching = [o for o in open_offers if o.code == code]
        if len(matching) > 1:
            return DeclineResult.AMBIGUOUS
        target = matching[0] if matching else None
    elif len(open_offers) > 1:
        return DeclineResult.AMBIGUOUS
    elif open_offers:
        target = open_offers[0]

    if target is None:
        earlier = _recent_offer(session, caregiver=caregiver, code=code, now=now)
        if earlier is None:
            return (
                DeclineResult.UNKNOWN_CODE
                if code is not None and open_offers
                else DeclineResult.NO_OPEN_OFFER
            )
        if earlier.status is OfferStatus.DECLINED:
            return DeclineResult.DECLINED  # a repeated no
        if earlier.status is OfferStatus.ACCEPTED:
            _alert_backed_out(session, offer=earlier, caregiver=caregiver, now=now)
            return DeclineResult.DECLINED
        return DeclineResult.NO_OPEN_OFFER

    if not claim(session, target, Offer.status == OfferStatus.OPEN, status=OfferStatus.DECLINED, responded_at=now):
        return (
            DeclineResult.DECLINED if target.status is OfferStatus.DECLINED else DeclineResult.NO_OPEN_OFFER
        )
    case = session.get(Case, target.case_id)
    dispatch = session.get(Dispatch, target.dispatch_id)
    assert case is not None and dispatch is not None
    record_event(
        session,
        case,
        key=f"offer:{target.id}:declined",
        kind=EventKind.OFFER_DECLINED,
        now=now,
        detail={"offer": target.id, "caregiver": caregiver.id, "code": target.code},
    )
    hurry_next_wave(session, dispatch=dispatch, now=now)
    return DeclineResult.DECLINED


def hurry_next_wave(session: Session, *, dispatch: Dispatch, now: datetime) -> bool:
    """Bring the next wave forward to now when none of the dispatch's offers is open any more."""
    if dispatch.status is not DispatchStatus.ACTIVE or has_open_offers(session, dispatch=dispatch):
        return False
    return claim(session, dispatch, Dispatch.status == DispatchStatus.ACTIVE, Dispatch.next_wave_at > now,
                 next_wave_at=now)


def withdraw_open_offers(session: Session, *, case: Case, now: datetime, reason: str) -> int:
    """Withdraw the case's open offers (each caregiver is told); return how many.

    `reason` "filled" means a caregiver took the job; any other reason (e.g. "cancelled",
    "assigned_by_coordinator") also ends the running dispatch, so no further wave goes out.
    """
    session.flush()
    offers = list(
        session.scalars(
            select(Offer).where(Offer.case_id == case.id, Offer.status == OfferStatus.OPEN).order_by(Offer.id)
        )
    )
    withdrawn = 0
    for offer in offers:
        if not claim(session, offer, Offer.status == OfferStatus.OPEN, status=OfferStatus.WITHDRAWN,
                     responded_at=None):
            continue
        withdrawn += 1
        caregiver = session.get(Caregiver, offer.caregiver_id)
        if caregiver is not None:
            key = "withdrawn_filled" if reason == "filled" else "withdrawn_other"
            enqueue_sms(
                session,
                to=caregiver.phone,
                body=job_text(key, language=caregiver_language(caregiver), code=offer.code),
                purpose="offer_withdrawn",
                dedupe_key=f"offer:{offer.id}:withdrawn",
                now=now,
                case_id=case.id,
            )
        record_event(
            session,
            case,
            key=f"offer:{offer.id}:withdrawn",
            kind=EventKind.OFFER_WITHDRAWN,
            now=now,
            detail={"offer": offer.id, "caregiver": offer.caregiver_id, "reason": reason[:40]},
        )
    if reason != "filled":
        running = get_active_dispatch(session, case=case)
        if running is not None:
            end_dispatch(session, dispatch=running, case=case, status=DispatchStatus.CANCELLED, now=now)
    return withdrawn


def _try_to_win(session: Session, *, offer: Offer, caregiver: Caregiver, now: datetime) -> AcceptResult:
    """Take the job for this offer if nobody has: the one conditional UPDATE decides."""
    case = session.get(Case, offer.case_id)
    assert case is not None
    won = claim(session, case, Case.caregiver_id.is_(None), Case.status == CaseStatus.DISPATCHING,
                caregiver_id=caregiver.id, caregiver=caregiver.phone, status=CaseStatus.ASSIGNED,
                assigned_at=now, updated_at=now)
    if not won:
        if case.caregiver_id == caregiver.id:
            return AcceptResult.WON
        if case.caregiver_id is not None:
            _tell_taken(session, offer=offer, caregiver=caregiver, now=now)
            return AcceptResult.TAKEN
        return AcceptResult.NO_OPEN_OFFER  # the case stopped being offered (cancelled, dispatch ended)

    dispatch = session.get(Dispatch, offer.dispatch_id)
    assert dispatch is not None
    session.execute(
        update(Dispatch)
        .where(Dispatch.id == dispatch.id, Dispatch.status == DispatchStatus.ACTIVE)
        .values(status=DispatchStatus.FILLED, finished_at=now, next_wave_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Offer)
        .where(Offer.id == offer.id)
        .values(status=OfferStatus.ACCEPTED, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(dispatch)
    session.refresh(offer)
    record_event(
        session,
        case,
        key=f"offer:{offer.id}:accepted",
        kind=EventKind.OFFER_ACCEPTED,
        now=now,
        detail={"offer": offer.id, "caregiver": caregiver.id, "code": offer.code},
    )
    record_event(
        session,
        case,
        key=f"dispatch:{dispatch.id}:filled",
        kind=EventKind.DISPATCH_FILLED,
        now=now,
        detail={"dispatch": dispatch.id, "caregiver": caregiver.id},
    )
    enqueue_sms(
        session,
        to=caregiver.phone,
        body=winner_text(case, language=caregiver_language(caregiver)),
        purpose="offer_won",
        dedupe_key=f"offer:{offer.id}:won",
        now=now,
        case_id=case.id,
    )
    enqueue_sms(
        session,
        to=caregiver.phone,
        body=job_text("hours_hint", language=caregiver_language(caregiver), code=offer.code),
        purpose="hours_hint",
        dedupe_key=f"offer:{offer.id}:hours",
        now=now,
        case_id=case.id,
    )
    _tell_parent(session, case=case, offer=offer, caregiver=caregiver, now=now)
    withdraw_open_offers(session, case=case, now=now, reason="filled")
    log.info("case %s assigned to caregiver %s by offer %s", case.id, caregiver.id, offer.id)
    return AcceptResult.WON


def _tell_taken(session: Session, *, offer: Offer, caregiver: Caregiver, now: datetime) -> None:
    """Thank a caregiver whose yes came after someone else's, once per offer."""
    session.flush()
    session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status != OfferStatus.ACCEPTED)
        .values(status=OfferStatus.TAKEN, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(offer)
    case = session.get(Case, offer.case_id)
    assert case is not None
    body = job_text("taken", language=caregiver_language(caregiver), code=offer.code)
    # Her yes crossed the winner's: when the "has been filled" SMS to her is still waiting in the
    # outbox, it becomes this answer, so she gets one message, not two.
    merged = rowcount(session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key == f"offer:{offer.id}:withdrawn",
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(body=body, purpose="offer_taken")
        .execution_options(synchronize_session=False)
    ))
    if not merged:
        enqueue_sms(
            session,
            to=caregiver.phone,
            body=body,
            purpose="offer_taken",
            dedupe_key=f"offer:{offer.id}:taken",
            now=now,
            case_id=case.id,
        )
    record_event(
        session,
        case,
        key=f"offer:{offer.id}:taken",
        kind=EventKind.OFFER_TAKEN,
        now=now,
        detail={"offer": offer.id, "caregiver": caregiver.id},
    )


def _tell_parent(session: Session, *, case: Case, offer: Offer, caregiver: Caregiver, now: datetime) -> None:
    """Text the parent who will call; when her number takes no SMS, ask the coordinators to phone her."""
    if case.caller and is_mobile(case.caller):
        enqueue_sms(
            session,
            to=case.caller,
            body=parent_text(case, caregiver=caregiver),
            purpose="parent_confirmation",
            dedupe_key=f"offer:{offer.id}:parent",
            now=now,
            case_id=case.id,
        )
        record_event(
            session,
            case,
            key=f"offer:{offer.id}:parent",
            kind=EventKind.PARENT_NOTIFIED,
            now=now,
            detail={"by": "sms"},
        )
        return
    recipients = _text_coordinators(session, body=call_parent_text(case, caregiver=caregiver), purpose="call_parent",
                                    dedupe=f"offer:{offer.id}:call-parent", case=case, now=now)
    record_event(
        session,
        case,
        key=f"offer:{offer.id}:parent",
        kind=EventKind.PARENT_CALL_REQUESTED,
        now=now,
        detail={"by": "coordinator", "recipients": recipients},
    )


def _alert_backed_out(session: Session, *, offer: Offer, caregiver: Caregiver, now: datetime) -> None:
    """Tell the coordinators that the caregiver who took a job sent NEIN afterwards (once per offer)."""
    case = session.get(Case, offer.case_id)
    assert case is not None
    if not record_event(
        session,
        case,
        key=f"offer:{offer.id}:backed-out",
        kind=EventKind.CAREGIVER_BACKED_OUT,
        now=now,
        detail={"offer": offer.id, "caregiver": caregiver.id},
    ):
        return
    body = job_text(
        "backed_out",
        language="de",
        reference=case.reference,
        caregiver=gsm_safe(caregiver.name),
        caregiver_phone=caregiver.phone,
        phone=case.caller or word("fallback.withheld", language="de"),
        shrink=("caregiver",),
    )
    _text_coordinators(session, body=body, purpose="backed_out_alert", dedupe=f"offer:{offer.id}:backed-out",
                       case=case, now=now)


def _recent_offer(session: Session, *, caregiver: Caregiver, code: str | None, now: datetime) -> Offer | None:
    """Return her latest offer that is no longer open (with this code, if given) from the reply window."""
    stmt = select(Offer).where(
        Offer.caregiver_id == caregiver.id,
        Offer.status != OfferStatus.OPEN,
        Offer.created_at >= now - REPLY_WINDOW,
    )
    if code is not None:
        stmt = stmt.where(Offer.code == code)
    return session.scalars(stmt.order_by(Offer.created_at.desc(), Offer.id.desc()).limit(1)).first()


def _text_coordinators(session: Session, *, body: str, purpose: str, dedupe: str, case: Case, now: datetime,
                       from_number: str | None = None) -> list[str]:
    """Queue one SMS to each coordinator on duty with a mobile (once per `dedupe` and number); return them."""
    recipients = sorted({s.phone for s in find_on_duty(session, at=now) if is_mobile(s.phone)})
    for phone in recipients:
        enqueue_sms(session, to=phone, body=body, purpose=purpose, dedupe_key=f"{dedupe}:{phone}", now=now,
                    case_id=case.id, from_number=from_number)
    return recipients


def _clean_code(code: str | None) -> str | None:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    return code or None


# --- The texts, filled in from a case -------------------------------------------------------------


def offer_text(case: Case, *, code: str, language: str, now: datetime) -> str:
    """Return the offer SMS: area, who, when, how long, how to answer; nothing that names the family.

    When the family does not speak German, the offer names its language ("Familie spricht Türkisch"),
    so a caregiver knows before she says JA; German is what every caregiver speaks, so it goes unsaid.
    """
    params: dict[str, object] = {
        "code": code,
        "who": describe_who(
            care_type=case.care_type.value if case.care_type is not None else None,
            children=case.children,
            child_age=case.child_age,
            care_level=case.care_level,
            language=language,
        ),
        "area": describe_area(postcode=case.postcode, municipality=case.municipality),
        "when": describe_when(
            urgency=case.urgency.value if case.urgency is not None else None,
            care_starts_at=case.care_starts_at,
            now=now,
            language=language,
        ),
        "duration": describe_duration(expected_hours=case.expected_hours, language=language),
    }
    family = parent_language(case)
    if family == DEFAULT_LANGUAGE:
        return fill_text("offer", params, language=language)
    params["family_language"] = word(f"languages.{family}", language=language)
    return fill_text("offer_language", params, language=language)


def winner_text(case: Case, *, language: str) -> str:
    """Return the details for the caregiver who took the job: parent's first name, number, place, address."""
    return job_text(
        "won",
        language=language,
        reference=case.reference,
        parent=(case.parent_name or "").strip() or word("fallback.parent", language=language),
        phone=case.caller or word("fallback.phone", language=language),
        area=describe_area(postcode=case.postcode, municipality=case.municipality),
        address=(case.address or "").strip() or word("fallback.address", language=language),
        # The name gives way first: the address is where she goes, the name she hears when she calls.
        # (In a UCS-2 language two segments hold 134 characters, and a long name could leave no address.)
        shrink=("parent", "address"),
    )


def parent_text(case: Case, *, caregiver: Caregiver) -> str:
    """Return the parent's SMS: the caregiver's first name and that she will call shortly."""
    language = parent_language(case)
    return job_text(
        "parent_confirmation",
        language=language,
        caregiver=first_name(caregiver.name) or word("fallback.caregiver", language=language),
        reference=case.reference,
        shrink=("caregiver",),
    )


def call_parent_text(case: Case, *, caregiver: Caregiver) -> str:
    """Return the coordinators' SMS asking them to phone a parent whose number takes no SMS."""
    return job_text(
        "call_parent",
        language="de",
        reference=case.reference,
        caregiver=caregiver.name,
        caregiver_phone=caregiver.phone,
        phone=case.caller or word("fallback.withheld", language="de"),
        shrink=("caregiver",),
    )


def unfilled_text(case: Case, *, asked: int, declined: int, why: str | None = None) -> str:
    """Return the coordinators' SMS that nobody took the case (yet), with why nobody matched when known."""
    params: dict[str, object] = {
        "reference": case.reference,
        "asked": asked,
        "declined": declined,
        "summary": describe_case(case_fields(case), language="de", style="sms"),
        "phone": case.caller or word("fallback.withheld", language="de"),
    }
    if why:
        params["why"] = why
    return fill_text(
        "unfilled_why" if why else "unfilled",
        params,
        language="de",
        shrink=("summary", "why") if why else ("summary",),
    )
