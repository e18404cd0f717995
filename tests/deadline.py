"""A hard per-call time limit for tests: a request that hangs fails the test instead of the run.

pytest-timeout's signal method uses the same timer (SIGALRM); its remaining time is restored after
the block, so both limits hold.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator


class TooSlow(AssertionError):
    """The call did not finish within its limit."""


@contextlib.contextmanager
def within(seconds: float, what: str = "the call") -> Iterator[None]:
    """Raise TooSlow inside the block when it runs longer than `seconds` (main thread, Unix)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - pytest runs tests there
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"{what} took longer than {seconds} s")

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # give the outer timer (pytest-timeout) back what is left of it
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)
