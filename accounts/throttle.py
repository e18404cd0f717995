"""Sign-in throttling as pure functions over recent attempts: who must wait, until when, tries left.

Two rules, so that guessing stays slow while a person with the right password on her own device
is not locked out by others:

- per user name *and* address: after PAIR_FREE_FAILURES failures in a row (since the pair's last
  success, within STREAK_WINDOW) the pair waits 30 s, then 1, 2, 4 ... minutes, at most 15;
- per address: at most ADDRESS_MAX_FAILURES failures in ADDRESS_WINDOW, whatever the names.

Other addresses are never affected, so nobody can lock a named colleague out from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

PAIR_FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
#: A run of failures of one pair older than this no longer counts (and the rows are deleted).
STREAK_WINDOW = timedelta(hours=24)
ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempt:
    """One recorded sign-in attempt, as plain values."""

    username: str
    remote_addr: str
    at: datetime
    succeeded: bool


@dataclass(frozen=True)
class ThrottleState:
    """What the sign-in page may do for one user name from one address right now."""

    locked_until: datetime | None
    #: Failures still allowed before the next wait (None while locked).
    tries_left: int | None

    @property
    def locked(self) -> bool:
        """Return True while sign-in must wait."""
        return self.locked_until is not None


def pair_wait(failures: int) -> timedelta:
    """Return how long a pair waits after this many failures in a row (zero below the free tries)."""
    if failures < PAIR_FREE_FAILURES:
        return timedelta(0)
    doublings = failures - PAIR_FREE_FAILURES
    if doublings >= 10:  # far beyond the cap; avoid huge powers
        return MAX_WAIT
    return min(FIRST_WAIT * (2 ** doublings), MAX_WAIT)


def pair_failures(attempts: Iterable[Attempt], *, username: str, remote_addr: str, now: datetime) -> list[datetime]:
    """Return the times of the pair's failures since its last success within the streak window, oldest first."""
    since = now - STREAK_WINDOW
    streak: list[datetime] = []
    for attempt in sorted(attempts, key=lambda a: a.at):
        if attempt.username != username or attempt.remote_addr != remote_addr or attempt.at < since:
            continue
        if attempt.succeeded:
            streak = []
        else:
            streak.append(attempt.at)
    return streak


def address_failures(attempts: Iterable[Attempt], *, remote_addr: str, now: datetime) -> list[datetime]:
    """Return the times of the address's failures within the address window, oldest first."""
    since = now - ADDRESS_WINDOW
    return sorted(a.at for a in attempts if a.remote_addr == remote_addr and not a.succeeded and a.at > since)


def throttle_state(attempts: Iterable[Attempt], *, username: str, remote_addr: str, now: datetime) -> ThrottleState:
    """Decide whether this user name may try to sign in from this address now, and how often more."""
    attempts = list(attempts)
    pair = pair_failures(attempts, username=username, remote_addr=remote_addr, now=now)
    address = address_failures(attempts, remote_addr=remote_addr, now=now)
    until: datetime | None = None
    if pair and len(pair) >= PAIR_FREE_FAILURES:
        pair_until = pair[-1] + pair_wait(len(pair))
        if pair_until > now:
            until = pair_until
    if len(address) >= ADDRESS_MAX_FAILURES:
        # the window slides: the address is free again when enough of its failures are older than it
        address_until = address[len(address) - ADDRESS_MAX_FAILURES] + ADDRESS_WINDOW
        if address_until > now:
            until = max(until, address_until) if until else address_until
    if until is not None:
        return ThrottleState(locked_until=until, tries_left=None)
    pair_left = PAIR_FREE_FAILURES - len(pair) if len(pair) < PAIR_FREE_FAILURES else 1
    return ThrottleState(locked_until=None, tries_left=min(pair_left, ADDRESS_MAX_FAILURES - len(address)))
