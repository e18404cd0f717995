"""The dispatch timers on a real database: waves, exhaustion, deadlines, undeliverable offers, the worker lock."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from core.database import Database
from dispatch.matching import find_ranked_candidates
from dispatch.offers import accept_offer, start_dispatch
from dispatch.waves import _run_wave, handle_undeliverable_offers, run_due_dispatch_work
from models import Case, CaseStatus, Dispatch, DispatchStatus, Offer, OfferStatus, OutboxMessage, OutboxStatus
from tests.factories import ANNA, BEN, make_roster
from tests.integration.test_offers import POLICY, make_caregiver, make_child_case, outbox


@pytest.fixture
def started(session: Session, clock: Any) -> tuple[Case, Dispatch, list[Any]]:
    """Seven fitting caregivers (nearest first), a roster, and a dispatch whose wave 1 went out."""
    now = clock.now()
    make_roster(session, now=now)
    postcodes = ["30159", "30161", "30163", "30165", "30167", "30169", "30171"]
    people = [make_caregiver(session, postcode=p, now=now) for p in postcodes]
    case = make_child_case(session, now=now)
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    return case, dispatch, people


def _offers(session: Session, dispatch: Dispatch) -> list[Offer]:
    session.expire_all()  # the jobs wrote through their own sessions
    return list(session.scalars(select(Offer).where(Offer.dispatch_id == dispatch.id).order_by(Offer.rank)))


def test_nothing_happens_before_the_wave_is_due(
    database: Database, session: Session, clock: Any, started: Any
) -> None:
    report = run_due_dispatch_work(
        database, now=clock.now() + timedelta(minutes=4, seconds=59), policy=POLICY
    )
    assert (report.waves, report.offers, report.exhausted) == (0, 0, 0)


def test_waves_go_out_until_the_candidates_run_out_then_the_coordinators_hear_once(
    database: Database, session: Session, clock: Any, started: Any
) -> None:
    case, dispatch, _people = started
    t0 = clock.now()

    report = run_due_dispatch_work(database, now=t0 + timedelta(minutes=5), policy=POLICY)
    assert (report.waves, report.offers) == (1, 3)
    session.refresh(dispatch)
    assert dispatch.wave == 2 and dispatch.next_wave_at == t0 + timedelta(minutes=10)
    offers = _offers(session, dispatch)
    assert [o.wave for o in offers] == [1, 1, 1, 2, 2, 2]
    assert all(o.status is OfferStatus.OPEN for o in offers)  # wave 1 may still say yes

    again = run_due_dispatch_work(database, now=t0 + timedelta(minutes=5), policy=POLICY)
    assert again.waves == 0  # the same tick twice: nothing twice

    assert run_due_dispatch_work(database, now=t0 + timedelta(minutes=10), policy=POLICY).offers == 1
    report = run_due_dispatch_work(database, now=t0 + timedelta(minutes=15), policy=POLICY)
    assert report.exhausted == 1
    session.refresh(dispatch)
    session.refresh(case)
    assert dispatch.status is DispatchStatus.EXHAUSTED and dispatch.next_wave_at is None
    assert case.status is CaseStatus.OPEN
    assert {o.status for o in _offers(session, dispatch)} == {OfferStatus.EXPIRED}
    alerts = outbox(session, purpose="unfilled_alert")
    assert {m.to_number for m in alerts} == {ANNA, BEN}
    assert "(7 angefragt, 0 abgelehnt)" in alerts[0].body
    run_due_dispatch_work(database, now=t0 + timedelta(minutes=60), policy=POLICY)
    assert len(outbox(session, purpose="unfilled_alert")) == 2


def test_a_late_yes_from_wave_one_still_wins_during_wave_two(
    database: Database, session: Session, clock: Any, started: Any
) -> None:
    case, dispatch, people = started
    run_due_dispatch_work(database, now=clock.now() + timedelta(minutes=5), policy=POLICY)
    first = _offers(session, dispatch)[0]
    assert (
        accept_offer(session, caregiver=people[0], code=first.code, now=clock.now() + timedelta(minutes=6))
        == "won"
    )
    assert len(outbox(session, purpose="offer_withdrawn")) == 5
    assert run_due_dispatch_work(database, now=clock.now() + timedelta(minutes=10), policy=POLICY).waves == 0


def test_the_deadline_alerts_once_while_the_waves_go_on(
    database: Database, session: Session, clock: Any, started: Any
) -> None:
    case, dispatch, _people = started
    session.execute(
        update(Dispatch)
        .where(Dispatch.id == dispatch.id)
        .values(deadline_at=clock.now() + timedelta(minutes=4))
    )
    report = run_due_dispatch_work(database, now=clock.now() + timedelta(minutes=5), policy=POLICY)
    assert report.deadline_alerts == 1 and report.waves == 1
    session.refresh(dispatch)
    assert dispatch.status is DispatchStatus.ACTIVE and dispatch.unfilled_alert_sent
    alerts = outbox(session, purpose="unfilled_alert")
    assert len(alerts) == 2 and "(6 angefragt, 0 abgelehnt)" in alerts[0].body  # after this run's wave
    run_due_dispatch_work(database, now=clock.now() + timedelta(minutes=15), policy=POLICY)
    assert len(outbox(session, purpose="unfilled_alert")) == 2  # once per dispatch, also when it runs out


def test_two_workers_claiming_the_same_wave_send_it_once(
    database: Database, session: Session, clock: Any, started: Any
) -> None:
    from dispatch.waves import WaveReport

    _case, dispatch, _people = started
    seen = dispatch.next_wave_at
    assert seen is not None
    now = clock.now() + timedelta(minutes=5)
    first, second = WaveReport(), WaveReport()
    with database.unit_of_work() as s:
        _run_wave(s, dispatch_id=dispatch.id, seen=seen, now=now, policy=POLICY, report=first)
    with database.unit_of_work() as s:  # the other worker read the same due time before the first committed
        _run_wave(s, dispatch_id=dispatch.id, seen=seen, now=now, policy=POLICY, report=second)
    assert (first.waves, second.waves, second.skipped) == (1, 0, 1)
    assert len(_offers(session, dispatch)) == 6


@pytest.mark.parametrize("failure", ["outbox_failed", "callback_undelivered", "callback_failed"])
def test_an_undeliverable_offer_goes_to_the_next_candidate_at_once(
    database: Database, session: Session, clock: Any, started: Any, failure: str
) -> None:
    case, dispatch, people = started
    bounced = _offers(session, dispatch)[1]
    values: dict[str, Any] = (
        {"status": OutboxStatus.FAILED, "last_error": "permanent error: 21610"}
        if failure == "outbox_failed"
        else {
            "status": OutboxStatus.SENT,
            "provider_sid": "SM" + "b" * 32,
            "delivery_status": failure.removeprefix("callback_"),
        }
    )
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == bounced.outbox_message_id).values(**values)
    )

    now = clock.now() + timedelta(seconds=30)
    report = handle_undeliverable_offers(database, now=now, policy=POLICY)
    assert (report.undeliverable, report.replacements) == (1, 1)
    session.refresh(bounced)
    assert bounced.status is OfferStatus.UNDELIVERABLE
    offers = _offers(session, dispatch)
    best_left = find_ranked_candidates(
        session, case=case, now=now, exclude=[o.caregiver_id for o in offers[:3]]
    )[0]
    assert len(offers) == 4 and offers[3].caregiver_id == best_left.caregiver_id and offers[3].wave == 1
    assert outbox(session, to=best_left.phone, purpose="offer")
    assert handle_undeliverable_offers(database, now=now, policy=POLICY).replacements == 0  # once
    assert f"offer:{bounced.id}:undeliverable" in [e.key for e in case.events]


def test_when_every_offer_bounced_and_nobody_is_left_the_dispatch_ends_on_the_next_run(
    database: Database, session: Session, clock: Any
) -> None:
    now = clock.now()
    make_roster(session, now=now)
    only = make_caregiver(session, postcode="30159", now=now)
    case = make_child_case(session, now=now)
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=POLICY)
    (offer,) = _offers(session, dispatch)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == offer.outbox_message_id)
        .values(status=OutboxStatus.FAILED)
    )
    later = now + timedelta(seconds=10)
    assert handle_undeliverable_offers(database, now=later, policy=POLICY).replacements == 0
    session.refresh(dispatch)
    assert dispatch.next_wave_at == later
    assert run_due_dispatch_work(database, now=later, policy=POLICY).exhausted == 1
    assert len(outbox(session, purpose="unfilled_alert")) == 2
    assert only.id == offer.caregiver_id


def test_worker_lock_only_one_holder_and_the_other_takes_over_when_it_dies(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only; on SQLite no worker lock is needed")
    from worker.runner import PostgresAdvisoryLock

    first, second = PostgresAdvisoryLock(engine, key=4242_0001), PostgresAdvisoryLock(engine, key=4242_0001)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.acquire() is True  # still ours on the next tick
        assert second.acquire() is False
        assert first._connection is not None
        first._connection.invalidate()  # the process dies: its connection closes
        first._connection = None
        # PostgreSQL frees the lock once the dead connection's server process has exited (a moment
        # later): the standby gets it within a few of its ticks.
        deadline = time.monotonic() + 5
        while not second.acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.held
        assert first.acquire() is False
        second.release()
        assert first.acquire() is True
    finally:
        first.release()
        second.release()


def test_worker_lock_on_sqlite_is_a_no_op(tmp_path: Any) -> None:
    from worker.runner import WorkerLock, worker_lock_for

    lock = worker_lock_for(Database(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    assert (
        type(lock) is WorkerLock
        and lock.acquire()
        and worker_lock_for(Database(session_factory=cast(Any, object()))).acquire()
    )


def test_a_standby_worker_does_not_tick(app: Any, engine: Engine, gateway: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only")
    from worker.runner import PostgresAdvisoryLock, _tick

    holder, standby = PostgresAdvisoryLock(engine), PostgresAdvisoryLock(engine)
    try:
        assert holder.acquire()
        report = _tick(app, standby)
        assert report.worker == "standby" and report.results == {}
        holder.release()
        report = _tick(app, standby)
        assert "dispatch_waves" in report.results
    finally:
        holder.release()
        standby.release()


def test_growing_waves_double_each_wave(database: Database, session: Session, clock: Any) -> None:
    now = clock.now()
    make_roster(session, now=now)
    for index in range(12):
        make_caregiver(session, postcode=["30159", "30161", "30163", "30165"][index % 4], now=now)
    case = make_child_case(session, now=now)
    growing = replace(POLICY, wave_size=2, kind="growing")
    dispatch = start_dispatch(session, case=case, now=now, started_by="cli", policy=growing)
    session.commit()
    run_due_dispatch_work(database, now=now + timedelta(minutes=5), policy=growing)
    run_due_dispatch_work(database, now=now + timedelta(minutes=10), policy=growing)
    waves = [o.wave for o in _offers(session, dispatch)]
    assert [waves.count(w) for w in (1, 2, 3)] == [2, 4, 6]  # 2, 4, then the 6 left (8 would be next)
