"""Offers on a real database: starting a dispatch, answers, the winner's and the others' texts."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.matching import NoPostcode
from dispatch.offers import (
    AcceptResult,
    DeclineResult,
    DispatchError,
    accept_offer,
    decline_offer,
    open_offers_of,
    start_dispatch,
    withdraw_open_offers,
)
from dispatch.policy import DispatchPolicy
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
)
from tests.factories import ANNA, BEN, PARENT, make_case, make_roster

POLICY = DispatchPolicy(hotline_number="+4951187654321")
_phones = itertools.count(1)


def make_caregiver(
    session: Session,
    *,
    name: str | None = None,
    phone: str | None = None,
    postcode: str = "30161",
    max_distance_km: float = 10,
    now: datetime | None = None,
    **fields: Any,
) -> Caregiver:
    """Add a caregiver who fits a child job in Hannover-Mitte unless told otherwise."""
    now = now or datetime(2026, 11, 23, 9, 0).astimezone()
    n = next(_phones)
    values: dict[str, Any] = {
        "name": name or f"Betreuerin{n} Muster",
        "phone": phone or f"+491760{n:07d}",
        "postcode": postcode,
        "max_distance_km": max_distance_km,
        "min_age": 0,
        "max_age": 13,
        "eldercare": False,
        "languages": ["de"],
        "active": True,
        "opted_out": False,
        "police_certificate_date": date(2025, 1, 15),
        "police_certificate_excluded": False,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    caregiver = Caregiver(**values)
    session.add(caregiver)
    session.flush()
    return caregiver


def make_child_case(
    session: Session, *, now: datetime, call_sid: str = "CA" + "d" * 32, **fields: Any
) -> Case:
    """Add the case of the issue: a 3-year-old at 30159 Hannover, needed now."""
    values: dict[str, Any] = {
        "caller_type": "parent",
        "care_type": "child",
        "children": 1,
        "child_age": 3,
        "postcode": "30159",
        "municipality": "Hannover",
        "urgency": "now",
    }
    values.update(fields)
    from models import CallerType, CareType, Urgency

    for name, kind in (("caller_type", CallerType), ("care_type", CareType), ("urgency", Urgency)):
        if isinstance(values.get(name), str):
            values[name] = kind(values[name])
    return make_case(session, now=now, call_sid=call_sid, **values)


def outbox(session: Session, *, to: str | None = None, purpose: str | None = None) -> list[OutboxMessage]:
    """Return the queued SMS, optionally only to one number or of one purpose."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        stmt = stmt.where(OutboxMessage.to_number == to)
    if purpose:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return list(session.scalars(stmt))


def event_keys(session: Session, case: Case) -> list[str]:
    """Return the case's timeline keys in order."""
    return list(
        session.scalars(select(CaseEvent.key).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )


@pytest.fixture
def now(clock: Any) -> datetime:
    """The frozen clock's time."""
    return clock.now()


@pytest.fixture
def pool(session: Session, now: datetime) -> dict[str, Caregiver]:
    """Five caregivers who fit, nearest first, and three who must never be asked."""
    return {
        "near1": make_caregiver(session, name="Nora Nah", postcode="30159", now=now),
        "near2": make_caregiver(session, name="Nina Nachbar", postcode="30161", now=now),
        "near3": make_caregiver(session, name="Olga Ost", postcode="30171", now=now),
        "mid": make_caregiver(session, name="Mia Mitte", postcode="30419", now=now),
        "far": make_caregiver(session, name="Fenja Fern", postcode="30880", max_distance_km=15, now=now),
        "opted_out": make_caregiver(session, name="Otto Out", postcode="30159", opted_out=True, now=now),
        "too_far": make_caregiver(session, name="Tina Weit", postcode="31535", max_distance_km=10, now=now),
        "teens_only": make_caregiver(
            session, name="Tom Teen", postcode="30159", min_age=10, max_age=13, now=now
        ),
    }


def test_start_dispatch_offers_wave_one_to_the_three_nearest_who_fit(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case = make_child_case(session, now=now)
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)

    offers = session.scalars(select(Offer).where(Offer.dispatch_id == dispatch.id).order_by(Offer.rank)).all()
    assert [o.caregiver_id for o in offers] == [pool["near1"].id, pool["near2"].id, pool["near3"].id]
    assert all(o.status is OfferStatus.OPEN and o.wave == 1 and 10 <= int(o.code) <= 99 for o in offers)
    assert case.status is CaseStatus.DISPATCHING
    assert dispatch.status is DispatchStatus.ACTIVE and dispatch.wave == 1
    assert dispatch.next_wave_at == now + timedelta(minutes=5)
    assert dispatch.deadline_at == now + timedelta(minutes=60)
    texts = outbox(session, purpose="offer")
    assert {m.to_number for m in texts} == {pool[k].phone for k in ("near1", "near2", "near3")}
    for message, offer in zip(texts, offers, strict=True):
        assert offer.outbox_message_id == message.id
        assert f"JA {offer.code}" in message.body and f"NEIN {offer.code}" in message.body
        assert "30159 Hannover" in message.body and "3 J." in message.body
        assert PARENT not in message.body
        assert message.from_number == POLICY.hotline_number
    keys = event_keys(session, case)
    assert keys[-5:] == [
        f"dispatch:{dispatch.id}:started",
        *(f"offer:{o.id}:sent" for o in offers),
        f"dispatch:{dispatch.id}:wave:1",
    ]


def test_start_dispatch_twice_returns_the_running_one(session: Session, now: datetime, pool: Any) -> None:
    case = make_child_case(session, now=now)
    first = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    again = start_dispatch(
        session, case=case, now=now + timedelta(minutes=1), started_by="sms:+49…001", policy=POLICY
    )
    assert again.id == first.id
    assert len(outbox(session, purpose="offer")) == 3


@pytest.mark.parametrize("status", [CaseStatus.CLOSED, CaseStatus.CANCELLED, CaseStatus.ASSIGNED])
def test_start_dispatch_refuses_a_settled_case(
    session: Session, now: datetime, pool: Any, status: CaseStatus
) -> None:
    case = make_child_case(session, now=now, status=status)
    with pytest.raises(DispatchError, match=case.reference):
        start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    assert session.scalars(select(Dispatch)).all() == []


def test_start_dispatch_without_a_region_postcode_goes_to_the_coordinator(
    session: Session, now: datetime, pool: Any
) -> None:
    case = make_child_case(session, now=now, postcode=None, municipality=None)
    with pytest.raises(NoPostcode):
        start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    assert case.status is CaseStatus.OPEN and session.scalars(select(Dispatch)).all() == []


def test_no_candidates_at_all_exhausts_at_once_and_alerts_the_coordinators(
    session: Session, now: datetime
) -> None:
    make_roster(session, now=now)
    make_caregiver(session, postcode="31535", max_distance_km=5, now=now)
    case = make_child_case(session, now=now)
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    assert dispatch.status is DispatchStatus.EXHAUSTED and dispatch.unfilled_alert_sent
    assert case.status is CaseStatus.OPEN
    alerts = outbox(session, purpose="unfilled_alert")
    assert {m.to_number for m in alerts} == {ANNA, BEN}
    assert alerts[0].body.startswith(
        f"Fluxx: Fall {case.reference} ist noch offen: keine Betreuungskraft gefunden "
        "(0 angefragt, 0 abgelehnt)"
    )


def _started(session: Session, now: datetime, **fields: Any) -> tuple[Case, Dispatch, list[Offer]]:
    case = make_child_case(session, now=now, **fields)
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    offers = list(session.scalars(select(Offer).where(Offer.dispatch_id == dispatch.id).order_by(Offer.rank)))
    return case, dispatch, offers


def test_first_yes_wins_the_winner_gets_the_details_the_parent_is_told_the_others_are_withdrawn(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case, dispatch, offers = _started(session, now, parent_name="Sabine", address="Lange Laube 12, 2. OG")
    later = now + timedelta(minutes=2)
    nina = pool["near2"]
    assert accept_offer(session, caregiver=nina, code=offers[1].code, now=later) is AcceptResult.WON

    session.refresh(case)
    assert (
        case.status is CaseStatus.ASSIGNED and case.caregiver_id == nina.id and case.caregiver == nina.phone
    )
    assert case.assigned_at == later
    assert dispatch.status is DispatchStatus.FILLED and dispatch.next_wave_at is None
    assert [o.status for o in offers] == [OfferStatus.WITHDRAWN, OfferStatus.ACCEPTED, OfferStatus.WITHDRAWN]

    won = outbox(session, purpose="offer_won")
    assert [m.to_number for m in won] == [nina.phone]
    for part in ("Sabine", PARENT, "30159 Hannover", "Lange Laube 12, 2. OG", case.reference):
        assert part in won[0].body
    parent = outbox(session, to=PARENT)
    assert len(parent) == 1 and "Nina" in parent[0].body and "Nachbar" not in parent[0].body
    withdrawn = outbox(session, purpose="offer_withdrawn")
    assert {m.to_number for m in withdrawn} == {pool["near1"].phone, pool["near3"].phone}
    assert f"Anfrage {offers[0].code} ist vergeben" in next(
        m.body for m in withdrawn if m.to_number == pool["near1"].phone
    )

    count = len(outbox(session))
    assert accept_offer(session, caregiver=nina, code=offers[1].code, now=later) is AcceptResult.WON
    assert accept_offer(session, caregiver=nina, code=None, now=later) is AcceptResult.WON
    assert len(outbox(session)) == count  # a repeated JA sends nothing new


def test_a_late_yes_is_told_kindly_that_the_job_is_taken_once(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case, _dispatch, offers = _started(session, now)
    assert accept_offer(session, caregiver=pool["near1"], code=offers[0].code, now=now) is AcceptResult.WON
    late = pool["near3"]
    assert accept_offer(session, caregiver=late, code=offers[2].code, now=now) is AcceptResult.TAKEN
    assert accept_offer(session, caregiver=late, code=None, now=now) is AcceptResult.TAKEN
    taken = outbox(session, purpose="offer_taken")
    assert [m.to_number for m in taken] == [late.phone]
    assert "schon vergeben" in taken[0].body
    session.refresh(offers[2])
    assert offers[2].status is OfferStatus.TAKEN
    assert session.get(Case, case.id).caregiver_id == pool["near1"].id


def test_a_yes_that_crosses_the_winners_gets_one_answer_not_two(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    _case, _dispatch, offers = _started(session, now)
    assert accept_offer(session, caregiver=pool["near1"], code=offers[0].code, now=now) is AcceptResult.WON
    crossing = pool["near2"]  # her JA was on its way while the winner's was processed
    assert accept_offer(session, caregiver=crossing, code=offers[1].code, now=now) is AcceptResult.TAKEN
    to_her = outbox(session, to=crossing.phone)
    offer_sms = [m for m in to_her if m.purpose == "offer"]
    assert len(to_her) - len(offer_sms) == 1  # the "has been filled" notice became the "already taken" answer
    assert "schon vergeben" in [m for m in to_her if m not in offer_sms][0].body


def test_without_a_mobile_number_the_coordinators_are_asked_to_phone_the_parent(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    make_roster(session, now=now)
    case, _dispatch, offers = _started(session, now, caller="+49511123456")  # a landline in Hannover
    assert accept_offer(session, caregiver=pool["near1"], code=None, now=now) is AcceptResult.WON
    assert outbox(session, to="+49511123456") == []
    asks = outbox(session, purpose="call_parent")
    assert {m.to_number for m in asks} == {ANNA, BEN}
    assert case.reference in asks[0].body and "+49511123456" in asks[0].body


def test_bare_yes_needs_exactly_one_open_offer(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    nora = pool["near1"]
    assert accept_offer(session, caregiver=nora, code=None, now=now) is AcceptResult.NO_OPEN_OFFER
    _started(session, now, call_sid="CA" + "1" * 32)
    _started(session, now, call_sid="CA" + "2" * 32)
    codes = [o.code for o in open_offers_of(session, caregiver=nora)]
    assert len(codes) == 2 and len(set(codes)) == 2  # unique among her open offers
    assert accept_offer(session, caregiver=nora, code=None, now=now) is AcceptResult.AMBIGUOUS
    unused = next(c for c in (str(n) for n in range(10, 100)) if c not in codes)
    assert accept_offer(session, caregiver=nora, code=unused, now=now) is AcceptResult.UNKNOWN_CODE
    assert decline_offer(session, caregiver=nora, code=None, now=now) is DeclineResult.AMBIGUOUS
    assert decline_offer(session, caregiver=nora, code=unused, now=now) is DeclineResult.UNKNOWN_CODE
    assert accept_offer(session, caregiver=nora, code=codes[1], now=now) is AcceptResult.WON
    assert accept_offer(session, caregiver=nora, code=codes[0], now=now) is AcceptResult.WON


def test_no_declines_and_when_the_whole_wave_said_no_the_next_wave_comes_at_once(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case, dispatch, offers = _started(session, now)
    later = now + timedelta(minutes=1)
    for key, offer in zip(("near1", "near2"), offers, strict=False):
        assert (
            decline_offer(session, caregiver=pool[key], code=offer.code, now=later) is DeclineResult.DECLINED
        )
    assert dispatch.next_wave_at == now + timedelta(minutes=5)
    assert decline_offer(session, caregiver=pool["near3"], code=None, now=later) is DeclineResult.DECLINED
    assert dispatch.next_wave_at == later  # nobody left to wait for
    assert (
        decline_offer(session, caregiver=pool["near3"], code=None, now=later) is DeclineResult.DECLINED
    )  # repeat
    assert f"offer:{offers[0].id}:declined" in event_keys(session, case)
    assert outbox(session, to=pool["near1"].phone, purpose="offer_withdrawn") == []


def test_she_said_no_then_yes_while_the_dispatch_runs(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case, _dispatch, offers = _started(session, now)
    nora = pool["near1"]
    assert decline_offer(session, caregiver=nora, code=offers[0].code, now=now) is DeclineResult.DECLINED
    assert accept_offer(session, caregiver=nora, code=offers[0].code, now=now) is AcceptResult.WON
    assert case.caregiver_id == nora.id


def test_no_after_winning_alerts_the_coordinators(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    make_roster(session, now=now)
    case, _dispatch, offers = _started(session, now)
    nora = pool["near1"]
    accept_offer(session, caregiver=nora, code=offers[0].code, now=now)
    assert decline_offer(session, caregiver=nora, code=offers[0].code, now=now) is DeclineResult.DECLINED
    assert decline_offer(session, caregiver=nora, code=None, now=now) is DeclineResult.DECLINED
    alerts = outbox(session, purpose="backed_out_alert")
    assert {m.to_number for m in alerts} == {ANNA, BEN}
    assert case.reference in alerts[0].body
    assert case.caregiver_id == nora.id  # a person decides; nothing is undone automatically


def test_withdrawing_for_a_cancelled_case_tells_the_caregivers_and_stops_the_waves(
    session: Session, now: datetime, pool: dict[str, Caregiver]
) -> None:
    case, dispatch, offers = _started(session, now)
    case.status = CaseStatus.CANCELLED
    assert withdraw_open_offers(session, case=case, now=now, reason="cancelled") == 3
    assert dispatch.status is DispatchStatus.CANCELLED and dispatch.next_wave_at is None
    assert case.status is CaseStatus.CANCELLED
    bodies = [m.body for m in outbox(session, purpose="offer_withdrawn")]
    assert len(bodies) == 3 and all("nicht mehr gebraucht" in b for b in bodies)
    assert withdraw_open_offers(session, case=case, now=now, reason="cancelled") == 0
    assert (
        accept_offer(session, caregiver=pool["near1"], code=offers[0].code, now=now)
        is AcceptResult.NO_OPEN_OFFER
    )


def test_an_english_speaking_caregiver_gets_her_offer_in_english(session: Session, now: datetime) -> None:
    emma = make_caregiver(session, name="Emma English", postcode="30159", languages=["en", "de"], now=now)
    _case, _dispatch, offers = _started(session, now)
    (message,) = outbox(session, to=emma.phone)
    assert message.body.startswith("Fluxx request: child aged 3 in 30159 Hannover, right now")
    assert f"Reply JA {offers[0].code} to accept" in message.body
