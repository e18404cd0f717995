"""Sign-in attempts (user names, addresses) are deleted after 24 hours, by the worker's tick (PRIVACY.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from accounts import LoginThrottled, authenticate
from models import LoginAttempt


def test_the_tick_deletes_attempts_older_than_24_hours_and_keeps_younger(app: Any, session: Any,
                                                                         clock: Any) -> None:
    from worker.jobs import tick_job

    services = app.extensions["fluxx"]
    for age in (timedelta(hours=24, seconds=1), timedelta(hours=23, minutes=59)):
        session.add(LoginAttempt(username="kim", remote_addr="203.0.113.9", at=clock.now() - age, succeeded=False))
    session.flush()

    report = tick_job(services).results["login_attempts"]
    assert report.deleted == 1
    kept = session.scalars(select(LoginAttempt.at)).all()
    assert [at.replace(tzinfo=None) for at in kept] == [(clock.now() - timedelta(hours=23, minutes=59)).replace(tzinfo=None)]
    assert tick_job(services).results["login_attempts"].deleted == 0  # running twice changes nothing
    clock.advance(minutes=2)
    assert tick_job(services).results["login_attempts"].deleted == 1


def test_what_retention_deletes_the_throttle_no_longer_needs(session: Any, clock: Any) -> None:
    """A lockout never depends on an attempt older than the retention: deleting it changes nothing."""
    for _ in range(12):  # up to the longest wait, 15 minutes
        try:
            authenticate(session, username="kim", password="falsch", remote_addr="203.0.113.9", now=clock.now())
        except LoginThrottled as exc:
            clock.set(exc.locked_until)
    clock.advance(hours=24)
    assert authenticate(session, username="kim", password="falsch", remote_addr="203.0.113.9",
                        now=clock.now()).state.tries_left == 4
