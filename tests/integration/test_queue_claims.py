"""Claims on the queue in the database: one caller offered once, one coordinator offered one caller."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import QueueEntry, QueueState
from routing import waiting
from routing.waiting import OFFER_STALE, QueueLimits
from tests.factories import ANNA, BEN, make_case


def test_a_caller_is_claimed_once_and_a_coordinator_holds_one_caller(session: Any, clock: Any) -> None:
    now = clock.now()
    first = waiting.enter_queue(session, case=make_case(session, now=now, call_sid="CA1"), now=now,
                                limits=QueueLimits())
    second = waiting.enter_queue(session, case=make_case(session, now=now, call_sid="CA2"), now=now,
                                 limits=QueueLimits())
    assert waiting.claim(session, entry_id=first.id, coordinator=ANNA, now=now)
    assert not waiting.claim(session, entry_id=first.id, coordinator=BEN, now=now)  # already offered
    assert not waiting.claim(session, entry_id=second.id, coordinator=ANNA, now=now)  # Anna is ringing for first
    assert waiting.claim(session, entry_id=second.id, coordinator=BEN, now=now)
    session.expire_all()
    assert {(e.id, e.offered_to) for e in session.scalars(select(QueueEntry))} == {(first.id, ANNA), (second.id, BEN)}


def test_entering_twice_is_one_entry_and_a_stale_offer_goes_back_to_waiting(session: Any, clock: Any) -> None:
    now = clock.now()
    case = make_case(session, now=now, call_sid="CA3")
    entry = waiting.enter_queue(session, case=case, now=now, limits=QueueLimits(max_wait=timedelta(minutes=7)))
    assert waiting.enter_queue(session, case=case, now=now + timedelta(seconds=5), limits=QueueLimits()).id == entry.id
    assert entry.deadline_at == now + timedelta(minutes=7)
    assert waiting.claim(session, entry_id=entry.id, coordinator=ANNA, now=now)
    assert waiting.release_stale_offers(session, now=now + OFFER_STALE - timedelta(seconds=1)) == 0
    assert waiting.release_stale_offers(session, now=now + OFFER_STALE) == 1
    session.refresh(entry)
    assert entry.state is QueueState.WAITING and entry.declined_by == ANNA and entry.entered_at == now


def test_anonymising_a_case_deletes_its_queue_entry(session: Any, clock: Any) -> None:
    from gdpr.erasure import anonymise_case

    now = clock.now()
    case = make_case(session, now=now, call_sid="CA4")
    entry = waiting.enter_queue(session, case=case, now=now, limits=QueueLimits())
    waiting.claim(session, entry_id=entry.id, coordinator=ANNA, now=now)
    anonymise_case(session, case, now=now)
    assert session.scalars(select(QueueEntry).where(QueueEntry.case_id == case.id)).first() is None


def test_a_call_back_offer_has_longer_before_it_counts_as_stale(session: Any, clock: Any) -> None:
    from routing.waiting import CALLBACK_OFFER_STALE

    now = clock.now()
    entry = waiting.enter_queue(session, case=make_case(session, now=now, call_sid="CA5"), now=now,
                                limits=QueueLimits())
    assert waiting.choose_callback(session, entry=entry, now=now)
    assert waiting.claim(session, entry_id=entry.id, coordinator=ANNA, now=now)
    assert waiting.release_stale_offers(session, now=now + OFFER_STALE) == 0
    assert waiting.release_stale_offers(session, now=now + CALLBACK_OFFER_STALE) == 1
