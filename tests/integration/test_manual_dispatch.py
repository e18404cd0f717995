"""Coordinators' hand actions on a real database: first yes wins also by hand; cancel tells the caregiver."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.manual import (
    ManualActionError,
    ManualReason,
    assign_by_hand,
    cancel_case,
    close_case,
    dispatch_case,
    find_hand_candidates,
    redispatch_case,
)
from dispatch.offers import AcceptResult, accept_offer
from dispatch.policy import DispatchPolicy
from models import Case, CaseStatus, Dispatch, DispatchStatus, Offer, OfferStatus, OutboxMessage
from tests.factories import PARENT
from tests.factories_dispatch import (
    DORA,
    EVA,
    FIONA,
    make_caregiver,
    make_dispatchable_case,
    open_offer_of,
    start_test_dispatch,
)


@pytest.fixture
def policy(settings: Any) -> DispatchPolicy:
    return DispatchPolicy.from_settings(settings)


def texts_to(session: Session, number: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_number == number).order_by(OutboxMessage.id)
        )
    )


def test_a_hand_assignment_wins_once_and_a_second_one_loses(
    session: Session, clock: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    eva = make_caregiver(session, now=now, phone=EVA)
    case = make_dispatchable_case(session, now=now, call_sid="CA-hand")
    result = assign_by_hand(session, case=case, caregiver_id=dora.id, now=now, by="clara", policy=policy)
    assert result.caregiver_texted and result.parent_texted
    with pytest.raises(ManualActionError) as refused:
        assign_by_hand(session, case=case, caregiver_id=eva.id, now=now, by="lea", policy=policy)
    assert refused.value.reason is ManualReason.ALREADY_ASSIGNED
    session.refresh(case)
    assert case.status is CaseStatus.ASSIGNED and case.caregiver_id == dora.id and case.caregiver == DORA
    assert len(texts_to(session, DORA)) == 1 and texts_to(session, EVA) == []
    assert "Petra" in texts_to(session, DORA)[0].body  # the details: parent's first name
    assert len(texts_to(session, PARENT)) == 1


def test_an_sms_yes_after_a_hand_assignment_is_told_it_is_taken(
    session: Session, clock: Any, settings: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    eva = make_caregiver(session, now=now, phone=EVA)
    fiona = make_caregiver(session, now=now, phone=FIONA)
    case = make_dispatchable_case(session, now=now, call_sid="CA-hand-then-ja")
    start_test_dispatch(session, case=case, now=now, settings=settings)
    eva_offer = open_offer_of(session, case=case, caregiver=eva)
    assign_by_hand(
        session, case=case, caregiver_id=fiona.id, now=now + timedelta(minutes=1), by="clara", policy=policy
    )
    assert (
        accept_offer(session, caregiver=eva, code=eva_offer.code, now=now + timedelta(minutes=2))
        is AcceptResult.TAKEN
    )
    session.refresh(case)
    assert case.caregiver_id == fiona.id
    dispatch = session.scalars(select(Dispatch).where(Dispatch.case_id == case.id)).one()
    assert dispatch.status is DispatchStatus.FILLED
    offers = {
        o.caregiver_id: o.status for o in session.scalars(select(Offer).where(Offer.case_id == case.id))
    }
    assert offers[dora.id] is OfferStatus.WITHDRAWN and offers[eva.id] is OfferStatus.TAKEN
    assert any("vergeben" in m.body for m in texts_to(session, DORA))


def test_a_hand_assignment_after_an_sms_yes_loses(
    session: Session, clock: Any, settings: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    eva = make_caregiver(session, now=now, phone=EVA)
    case = make_dispatchable_case(session, now=now, call_sid="CA-ja-then-hand")
    start_test_dispatch(session, case=case, now=now, settings=settings)
    offer = open_offer_of(session, case=case, caregiver=dora)
    assert accept_offer(session, caregiver=dora, code=offer.code, now=now) is AcceptResult.WON
    with pytest.raises(ManualActionError):
        assign_by_hand(session, case=case, caregiver_id=eva.id, now=now, by="clara", policy=policy)
    session.refresh(case)
    assert case.caregiver_id == dora.id


def test_picking_a_caregiver_who_has_an_open_offer_accepts_it(
    session: Session, clock: Any, settings: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA-hand-offer")
    start_test_dispatch(session, case=case, now=now, settings=settings)
    offer = open_offer_of(session, case=case, caregiver=dora)
    assign_by_hand(session, case=case, caregiver_id=dora.id, now=now, by="clara", policy=policy)
    session.refresh(offer)
    assert offer.status is OfferStatus.ACCEPTED


def test_candidates_are_the_ranking_first_then_every_other_active_caregiver(
    session: Session, clock: Any
) -> None:
    now = clock.now()
    near = make_caregiver(session, now=now, name="Nah")
    far = make_caregiver(session, now=now, phone=EVA, name="Fern", postcode="31535", max_distance_km=5.0)
    make_caregiver(session, now=now, phone=FIONA, name="Weg", active=False)
    case = make_dispatchable_case(session, now=now, call_sid="CA-cands")
    candidates = find_hand_candidates(session, case=case, now=now)
    assert [(c.caregiver_id, c.ranked) for c in candidates] == [(near.id, True), (far.id, False)]


def test_cancel_withdraws_offers_and_tells_the_assigned_caregiver(
    session: Session, clock: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA-cancel")
    assign_by_hand(session, case=case, caregiver_id=dora.id, now=now, by="clara", policy=policy)
    outcome = cancel_case(session, case=case, now=now + timedelta(minutes=5), by="clara", policy=policy)
    assert outcome.caregiver_told
    session.refresh(case)
    assert case.status is CaseStatus.CANCELLED
    assert "storniert" in texts_to(session, DORA)[-1].body
    with pytest.raises(ManualActionError) as refused:
        dispatch_case(session, case=case, now=now, by="clara", policy=policy)
    assert refused.value.reason is ManualReason.CANCELLED


def test_cancel_while_dispatching_withdraws_the_open_offers(
    session: Session, clock: Any, settings: Any, policy: Any
) -> None:
    now = clock.now()
    dora = make_caregiver(session, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA-cancel-open")
    start_test_dispatch(session, case=case, now=now, settings=settings)
    offer = open_offer_of(session, case=case, caregiver=dora)
    outcome = cancel_case(session, case=case, now=now, by="clara", policy=policy)
    assert outcome.offers_withdrawn == 1 and not outcome.caregiver_told
    session.refresh(case)
    assert case.status is CaseStatus.CANCELLED
    assert accept_offer(session, caregiver=dora, code=offer.code, now=now) is not AcceptResult.WON
    session.refresh(case)
    assert case.caregiver_id is None


def test_redispatch_ends_the_running_dispatch_and_starts_a_new_one(
    session: Session, clock: Any, settings: Any, policy: Any
) -> None:
    now = clock.now()
    make_caregiver(session, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA-re")
    first = start_test_dispatch(session, case=case, now=now, settings=settings)
    second = redispatch_case(session, case=case, now=now + timedelta(minutes=3), by="clara", policy=policy)
    session.refresh(first)
    assert first.status is DispatchStatus.CANCELLED and second.status is DispatchStatus.ACTIVE
    assert second.id != first.id and second.started_by == "dashboard:clara"
    session.refresh(case)
    assert case.status is CaseStatus.DISPATCHING


def test_redispatch_without_a_postcode_keeps_the_case_as_it_is(
    session: Session, clock: Any, policy: Any
) -> None:
    case = make_dispatchable_case(session, now=clock.now(), call_sid="CA-nopc", postcode=None)
    with pytest.raises(ManualActionError) as refused:
        redispatch_case(session, case=case, now=clock.now(), by="clara", policy=policy)
    assert refused.value.reason is ManualReason.NO_POSTCODE


def test_close_is_final(session: Session, clock: Any, policy: Any) -> None:
    case: Case = make_dispatchable_case(session, now=clock.now(), call_sid="CA-close", needs_callback=True)
    close_case(session, case=case, now=clock.now(), by="clara")
    session.refresh(case)
    assert case.status is CaseStatus.CLOSED and not case.needs_callback
    with pytest.raises(ManualActionError):
        close_case(session, case=case, now=clock.now(), by="clara")
