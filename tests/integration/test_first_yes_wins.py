"""Two caregivers reply JA at the same moment, on two app processes: exactly one gets the job.

The race runs with threads, each with its own session and connection, committing for real on
PostgreSQL (SQLite serializes every writer with BEGIN IMMEDIATE; its single-threaded behaviour is
covered in test_offers.py). Everything the test commits is deleted at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.offers import AcceptResult, accept_offer, start_dispatch
from models import Caregiver, Case, CaseStatus, Dispatch, DispatchStatus, Offer, OfferStatus, OutboxMessage
from tests.factories import PARENT
from tests.integration.test_offers import POLICY, make_caregiver, make_child_case

BERLIN = ZoneInfo("Europe/Berlin")
PAIRS = 50
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def committing(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit on PostgreSQL; what they leave behind is deleted afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "the cross-process race needs real concurrent transactions: PostgreSQL only "
            "(set TEST_DATABASE_URL); SQLite serializes writers"
        )
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as s:
        case_ids = list(s.scalars(select(Case.id).where(Case.call_sid.like("CArace%"))))
        s.execute(delete(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids)))
        s.execute(delete(Case).where(Case.id.in_(case_ids)))  # dispatches, offers and events cascade
        s.execute(delete(Caregiver).where(Caregiver.name.like("Race %")))


def _race(factory: sessionmaker[Session], people: list[tuple[int, str]]) -> dict[int, AcceptResult]:
    """Let each caregiver send `JA <code>` at the same instant in her own thread and transaction."""
    barrier = threading.Barrier(len(people))
    results: dict[int, AcceptResult] = {}
    errors: list[BaseException] = []

    def reply(caregiver_id: int, code: str) -> None:
        try:
            with factory() as s, s.begin():
                caregiver = s.get(Caregiver, caregiver_id)
                assert caregiver is not None
                barrier.wait(timeout=10)
                results[caregiver_id] = accept_offer(
                    s, caregiver=caregiver, code=code, now=NOW + timedelta(minutes=1)
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reply, args=person) for person in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def test_two_simultaneous_yes_replies_make_exactly_one_assignment(committing: sessionmaker[Session]) -> None:
    with committing.begin() as s:
        anna = make_caregiver(s, name="Race Anna", postcode="30159", now=NOW)
        bea = make_caregiver(s, name="Race Bea", postcode="30161", now=NOW)
        ids = (anna.id, bea.id)

    winners: dict[int, int] = {ids[0]: 0, ids[1]: 0}
    for i in range(PAIRS):
        with committing.begin() as s:
            case = make_child_case(s, now=NOW, call_sid=f"CArace{i:026d}")
            dispatch = start_dispatch(s, case=case, now=NOW, started_by="test", policy=POLICY)
            offers = {
                o.caregiver_id: o.code
                for o in s.scalars(select(Offer).where(Offer.dispatch_id == dispatch.id))
            }
            case_id = case.id
        assert set(offers) == set(ids)

        results = _race(committing, [(cid, offers[cid]) for cid in ids])

        assert sorted(results.values()) == [AcceptResult.TAKEN, AcceptResult.WON], f"pair {i}: {results}"
        winner = next(cid for cid, r in results.items() if r is AcceptResult.WON)
        loser = next(cid for cid in ids if cid != winner)
        winners[winner] += 1
        with committing() as s:
            stored = s.get(Case, case_id)
            assert stored is not None
            assert stored.status is CaseStatus.ASSIGNED and stored.caregiver_id == winner
            dispatch = s.scalars(select(Dispatch).where(Dispatch.case_id == case_id)).one()
            assert dispatch.status is DispatchStatus.FILLED
            statuses = {
                o.caregiver_id: o.status for o in s.scalars(select(Offer).where(Offer.case_id == case_id))
            }
            assert statuses == {winner: OfferStatus.ACCEPTED, loser: OfferStatus.TAKEN}
            texts = list(s.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)))
            by_purpose: dict[str, list[Any]] = {}
            for m in texts:
                by_purpose.setdefault(m.purpose, []).append(m)
            assert len(by_purpose["offer_taken"]) == 1  # one "already taken" answer
            assert len(by_purpose["parent_confirmation"]) == 1  # one parent confirmation
            assert by_purpose["parent_confirmation"][0].to_number == PARENT
            assert len(by_purpose["offer_won"]) == 1
            assert by_purpose["offer_taken"][0].to_number != by_purpose["offer_won"][0].to_number
        with committing.begin() as s:  # the job is done, so both are free for the next pair
            closed = s.get(Case, case_id)
            assert closed is not None
            closed.status = CaseStatus.CLOSED

    assert sum(winners.values()) == PAIRS
