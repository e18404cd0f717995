"""Two workers, one acting: kill -9 the active one mid-dispatch and the other takes over.

Both workers are `flask --app app worker --interval 0.5` processes on the same PostgreSQL; the
advisory lock lets only one of them tick (worker/runner.py). The SMS go to the Twilio stand-in,
which answers each after a short delay, so the test can kill the sender while one request is
still being answered: the classic crash window (Twilio accepted the SMS, the worker never learned
its SID). The outbox leaves that row `sending` until its lease (2 minutes) runs out, then asks
Twilio whether the message exists before sending anything again. The test does not wait two
minutes: it moves that one row's lease into the past, as if the time had passed.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from core.database import rowcount
from dispatch.offers import start_dispatch
from dispatch.policy import DispatchPolicy
from messaging.outbox import LEASE
from models import OutboxMessage, OutboxStatus, WorkerHeartbeat
from tests.integration.test_offers import make_caregiver, make_child_case
from tests.scaleout.conftest import HOTLINE, REQUIRES_POSTGRES, Instance, SlowStandIn, wait_until

pytestmark = REQUIRES_POSTGRES

CASES = 12
POLICY = DispatchPolicy(hotline_number=HOTLINE, wave_size=3)
#: The stand-in answers each SMS after this many seconds: 36 offers take the worker about 4 s.
LATENCY = 0.1
#: Kill the active worker while the stand-in answers this SMS (the crash window).
KILL_AT = 12
#: The promise: the other worker takes over within a minute.
TAKEOVER_LIMIT = 60.0


def _heartbeats(engine: Engine) -> dict[int, datetime]:
    """Return the last tick of each worker that ticked, by process id."""
    with engine.connect() as conn:
        rows = conn.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.last_tick_at)).all()
    return {int(name.rsplit(":", 1)[1]): at for name, at in rows}


def test_kill_9_the_active_worker_mid_dispatch_and_the_other_takes_over_sending_nothing_twice(
    instances: list[Instance],
    pg_engine: Engine,
    pg_sessions: sessionmaker[Session],
    standin: SlowStandIn,
    start_worker,
) -> None:
    """Twelve cases are being offered to caregivers (36 SMS queued) when the machine running the
    active worker dies. Within seconds the standby worker carries on: every caregiver gets each of
    her offers exactly once (the one SMS that was in flight when the worker died is found at
    Twilio, not sent again), and /healthz on either app instance shows the worker ticking."""
    standin.reset(latency=LATENCY, signal_at=KILL_AT)
    first = start_worker("worker-1")
    assert wait_until(lambda: first.pid in _heartbeats(pg_engine), timeout=20), first.output()
    second = start_worker("worker-2")
    assert wait_until(lambda: "worker started" in second.output(), timeout=20), second.output()
    # It stands by: for three of its ticks it never writes a heartbeat (polled, not slept).
    assert not wait_until(lambda: second.pid in _heartbeats(pg_engine), timeout=1.5), "only the lock holder ticks"
    assert set(_heartbeats(pg_engine)) == {first.pid}, "only the lock holder ticks"

    now = datetime.now(UTC)
    with pg_sessions.begin() as s:
        for k in range(3):
            make_caregiver(
                s, name=f"Helferin{k} Muster", phone=f"+49176{60000000 + k}", postcode="30159", now=now
            )
        for n in range(CASES):
            case = make_child_case(s, now=now, call_sid=f"CA{n + 7000:032d}", caller=f"+49151{40000000 + n}")
            start_dispatch(s, case=case, now=now, started_by="scaleout", policy=POLICY)
    with pg_sessions() as s:
        rows = {r.id: (r.to_number, r.body) for r in s.scalars(select(OutboxMessage))}
    assert len(rows) == 3 * CASES

    assert standin.arrived.wait(timeout=30), f"the worker never got to SMS {KILL_AT}:\n{first.output()}"
    os.kill(first.pid, signal.SIGKILL)  # while the stand-in is still answering that SMS
    killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
    first.popen.wait(timeout=10)
    posts_at_kill = len(standin.message_requests())

    assert wait_until(lambda: len(standin.message_requests()) > posts_at_kill, timeout=TAKEOVER_LIMIT), (
        f"nobody sent anything after the kill:\n{second.output()}"
    )
    sending_resumed = time.monotonic() - killed_at
    assert wait_until(lambda: second.pid in _heartbeats(pg_engine), timeout=TAKEOVER_LIMIT), second.output()
    first_tick = time.monotonic() - killed_at
    assert first_tick < TAKEOVER_LIMIT

    # Rows the dead worker claimed: still `sending` under a lease it took before it died.
    orphaned = (OutboxMessage.status == OutboxStatus.SENDING) & (
        OutboxMessage.lease_until < killed_wall + LEASE
    )

    def settled() -> bool:
        with pg_sessions() as s:
            unsent = s.scalar(select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT))
            return unsent == s.scalar(select(func.count()).where(orphaned))

    assert wait_until(settled, timeout=30, step=0.2), second.output()
    with pg_sessions.begin() as s:  # the crash window: fast-forward the dead worker's 2-minute lease
        orphans = rowcount(s.execute(
            update(OutboxMessage).where(orphaned).values(lease_until=text("now() - interval '1 second'"))
        ))
    assert orphans <= 1  # at most the one SMS that was in flight

    def all_sent() -> bool:
        with pg_sessions() as s:
            return set(s.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}

    assert wait_until(all_sent, timeout=30, step=0.2), second.output()

    posted = Counter((r.param("To"), r.param("Body")) for r in standin.message_requests())
    assert set(posted) == set(rows.values()) and set(posted.values()) == {1}, "every SMS sent exactly once"
    created = {m["sid"]: (m["to"], m["body"]) for m in standin.messages}
    with pg_sessions() as s:
        recorded = {r.id: r.provider_sid for r in s.scalars(select(OutboxMessage))}
        notes = [
            r.last_error
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.last_error.is_not(None)))
        ]
    assert {row_id: created[sid] for row_id, sid in recorded.items()} == rows  # each row has its own SMS
    if orphans:
        assert notes == ["found at the provider after an interrupted attempt"]

    for instance in instances:  # what the load balancer and monitoring see
        health = instance.healthz()
        assert health["database"] == "ok" and health["worker"] == "ok"
        assert datetime.fromisoformat(health["worker_last_tick"]) > killed_wall
    assert second.popen.poll() is None
    print(
        f"\nworker killed while SMS {KILL_AT} of {len(rows)} was in flight; the standby sent again after "
        f"{sending_resumed:.2f} s and recorded its first full tick after {first_tick:.2f} s; "
        f"{orphans} in-flight SMS found at the stand-in, 0 sent twice"
    )
    assert timedelta(seconds=first_tick) < timedelta(seconds=TAKEOVER_LIMIT)
