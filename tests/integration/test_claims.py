"""core.claims: one conditional UPDATE decides who takes a row; of racing callers exactly one wins.

The race runs with threads, each with its own connection and transaction, committing for real, on
SQLite (writers queue behind BEGIN IMMEDIATE) and on PostgreSQL (the second writer waits for the
first's row lock, then re-checks the WHERE). What the race commits is deleted at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from core.claims import claim, claim_id
from models import OutboxMessage, OutboxStatus

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
RACERS = 8
ROUNDS = 10


def _message(key: str) -> OutboxMessage:
    return OutboxMessage(dedupe_key=key, purpose="test", to_number="+4915700000001", body="Hallo",
                         next_attempt_at=NOW, created_at=NOW)


def test_a_claim_moves_the_row_once(session: Session) -> None:
    message = _message("claim-once")
    session.add(message)
    pending = OutboxMessage.status == OutboxStatus.PENDING
    assert claim(session, message, pending, status=OutboxStatus.SENDING, attempts=1)
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)  # refreshed from the row
    assert not claim(session, message, pending, status=OutboxStatus.SENDING, attempts=2)
    assert message.attempts == 1


def test_a_lost_claim_shows_the_winners_values(session: Session, session_factory: sessionmaker[Session]) -> None:
    message = _message("claim-lost")
    session.add(message)
    session.flush()
    other = session_factory()
    try:
        assert claim_id(other, OutboxMessage, message.id, OutboxMessage.status == OutboxStatus.PENDING,
                        status=OutboxStatus.FAILED, last_error="taken elsewhere")
        other.commit()  # into the test's transaction, where `session` sees it
    finally:
        other.close()
    assert message.status is OutboxStatus.PENDING  # this session has not looked yet
    assert not claim(session, message, OutboxMessage.status == OutboxStatus.PENDING, status=OutboxStatus.SENDING)
    assert (message.status, message.last_error) == (OutboxStatus.FAILED, "taken elsewhere")


def test_pending_changes_are_flushed_before_the_update(session: Session) -> None:
    message = _message("claim-flush")
    session.add(message)
    session.flush()
    message.body = "geändert"  # not flushed yet: the claim must not lose it
    assert claim(session, message, OutboxMessage.status == OutboxStatus.PENDING, attempts=3)
    assert (message.body, message.attempts) == ("geändert", 3)


def test_a_claim_without_values_or_on_an_unsaved_row_is_a_mistake(session: Session) -> None:
    with pytest.raises(ValueError, match="must set something"):
        claim_id(session, OutboxMessage, 1)
    with pytest.raises(ValueError, match="not in the database"):
        claim(session, _message("claim-transient"), attempts=1)


@pytest.fixture
def committing(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit; what they leave behind is deleted afterwards."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as s:
        s.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key.like("claim-race-%")))


def test_of_racing_threads_exactly_one_wins(committing: sessionmaker[Session], backend: str) -> None:
    # On PostgreSQL every racer reads the row as pending before anyone writes. On SQLite the first
    # statement of a transaction takes the write lock (BEGIN IMMEDIATE), so racers start together and
    # then queue: each later one must find the row taken.
    read_first = backend == "postgresql"
    for n in range(ROUNDS):
        with committing.begin() as s:
            message = _message(f"claim-race-{n}")
            s.add(message)
            s.flush()
            row_id = message.id
        barrier = threading.Barrier(RACERS)
        wins: list[int] = []
        errors: list[BaseException] = []

        def race(racer: int, row_id: int = row_id, barrier: threading.Barrier = barrier, wins: list[int] = wins,
                 errors: list[BaseException] = errors) -> None:
            try:
                if not read_first:
                    barrier.wait(timeout=10)
                with committing() as s, s.begin():
                    mine = s.get_one(OutboxMessage, row_id)
                    if read_first:
                        barrier.wait(timeout=10)
                    if claim(s, mine, OutboxMessage.status == OutboxStatus.PENDING, status=OutboxStatus.SENDING,
                             attempts=racer, lease_until=NOW + timedelta(minutes=5)):
                        wins.append(racer)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(r,)) for r in range(1, RACERS + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert len(wins) == 1, wins
        with committing() as s:
            row = s.scalars(select(OutboxMessage).where(OutboxMessage.id == row_id)).one()
            assert (row.status, row.attempts) == (OutboxStatus.SENDING, wins[0])
