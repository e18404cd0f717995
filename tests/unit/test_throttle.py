"""Sign-in throttling: per user name and address with growing waits, a cap per address, others untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts.throttle import Attempt, pair_wait, throttle_state

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def failures(n: int, *, username: str = "lea", addr: str = "203.0.113.9", start: datetime | None = None,
             step: timedelta = timedelta(seconds=1)) -> list[Attempt]:
    first = start or NOW - n * step
    return [Attempt(username, addr, first + i * step, False) for i in range(n)]


def state(attempts: list[Attempt], username: str = "lea", addr: str = "203.0.113.9", now: datetime = NOW):
    return throttle_state(attempts, username=username, remote_addr=addr, now=now)


def test_waits_grow_from_30_seconds_doubling_up_to_15_minutes() -> None:
    assert [pair_wait(n) for n in range(4, 12)] == [
        timedelta(0), timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
        timedelta(minutes=8), timedelta(minutes=15), timedelta(minutes=15)]
    assert pair_wait(10_000) == timedelta(minutes=15)


def test_tries_left_count_down_before_the_first_wait() -> None:
    assert [state(failures(n)).tries_left for n in range(5)] == [5, 4, 3, 2, 1]
    assert not state(failures(4)).locked


def test_five_failures_lock_the_pair_for_30_seconds() -> None:
    attempts = failures(5)
    last = max(a.at for a in attempts)
    assert state(attempts, now=last + timedelta(seconds=29)).locked_until == last + timedelta(seconds=30)
    after = state(attempts, now=last + timedelta(seconds=30))
    assert not after.locked and after.tries_left == 1


def test_the_sixth_failure_locks_for_a_minute() -> None:
    attempts = failures(6, step=timedelta(seconds=40), start=NOW - timedelta(minutes=10))
    last = attempts[-1].at
    assert state(attempts, now=last).locked_until == last + timedelta(minutes=1)


def test_a_colleague_at_another_address_is_not_locked_out() -> None:
    attacker = failures(30, username="lea", addr="203.0.113.9")
    assert state(attacker, username="lea", addr="203.0.113.9").locked
    assert state(attacker, username="lea", addr="198.51.100.7").tries_left == 5


def test_someone_else_behind_the_same_address_is_not_locked_by_one_name() -> None:
    assert state(failures(5, username="lea"), username="kim").tries_left == 5


def test_an_address_is_capped_at_20_failures_in_15_minutes_whatever_the_names() -> None:
    attempts = [a for i in range(20) for a in failures(1, username=f"user{i}", start=NOW - timedelta(minutes=10))]
    capped = state(attempts, username="kim")
    assert capped.locked_until == NOW + timedelta(minutes=5)
    assert state(attempts, username="kim", now=NOW + timedelta(minutes=5)).tries_left == 5  # all 20 aged out
    assert state(attempts[:19], username="kim").tries_left == 1
    assert state(attempts, username="kim", addr="198.51.100.7").tries_left == 5


def test_a_success_ends_the_pairs_run_of_failures() -> None:
    attempts = failures(4) + [Attempt("lea", "203.0.113.9", NOW, True)]
    assert state(attempts, now=NOW + timedelta(seconds=1)).tries_left == 5


def test_old_failures_no_longer_count() -> None:
    assert state(failures(5, start=NOW - timedelta(hours=25))).tries_left == 5
