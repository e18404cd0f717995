"""The outbox: enqueue once, deliver at most once, retry what failed, settle what a crash left behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import FrozenClock
from core.container import Services
from core.database import Database
from core.settings import Settings
from messaging.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    deliver_due_messages,
    enqueue_sms,
    record_delivery_status,
)
from models.outbox import OutboxMessage, OutboxStatus, WorkerHeartbeat
from telephony.gateway import SendError, SimulatorGateway
from telephony.twilio_rest import TwilioRestGateway
from tests.fixtures_twilio import assert_accepted_by_twilio_api
from tests.twilio_standin import TwilioStandIn
from worker.jobs import tick_job

TO = "+4915112345678"
HOTLINE = "+4951187654321"
CALLBACK = "https://hotline.example.org/sms/status"


def queue(session: Session, clock: FrozenClock, key: str = "offer:1", **overrides: Any) -> OutboxMessage:
    """Queue one SMS with defaults and commit it to the test's transaction."""
    values: dict[str, Any] = {"to": TO, "body": "Angebot 4711: JA 4711 / NEIN 4711", "purpose": "offer"}
    values.update(overrides)
    message = enqueue_sms(session, dedupe_key=key, now=clock.now(), **values)
    session.commit()
    return message


def deliver(database: Database, gateway: Any, clock: FrozenClock, **kwargs: Any):
    """Run one delivery at the clock's time with the hotline's defaults."""
    return deliver_due_messages(
        database,
        gateway,
        now=clock.now(),
        default_from=HOTLINE,
        status_callback_url=CALLBACK,
        **kwargs,
    )


def reload(session: Session, message: OutboxMessage) -> OutboxMessage:
    """Return the row as the database has it now."""
    session.expire_all()
    row = session.get(OutboxMessage, message.id)
    assert row is not None
    return row


# -- enqueue ------------------------------------------------------------------------------------


def test_enqueue_is_idempotent_on_the_dedupe_key(session: Session, clock: FrozenClock) -> None:
    first = enqueue_sms(
        session, to=TO, body="Hallo", purpose="offer", dedupe_key="offer:7:cg:3", now=clock.now()
    )
    second = enqueue_sms(
        session,
        to="+4915100000000",
        body="anders",
        purpose="offer",
        dedupe_key="offer:7:cg:3",
        now=clock.now() + timedelta(minutes=5),
    )
    assert second.id == first.id
    assert (second.to_number, second.body) == (TO, "Hallo")
    assert session.scalars(select(OutboxMessage)).all() == [first]
    assert first.status is OutboxStatus.PENDING
    assert first.next_attempt_at == clock.now()
    assert first.attempts == 0


def test_enqueue_flushes_but_does_not_commit(session: Session, clock: FrozenClock) -> None:
    enqueue_sms(
        session, to=TO, body="Hallo", purpose="offer", dedupe_key="offer:rolled-back", now=clock.now()
    )
    session.rollback()
    assert session.scalars(select(OutboxMessage)).all() == []


# -- delivery -----------------------------------------------------------------------------------


def test_deliver_with_the_simulator(session: Session, database: Database, clock: FrozenClock) -> None:
    gateway = SimulatorGateway()
    message = queue(session, clock)
    own_sender = queue(session, clock, "offer:2", from_number="+4951100000001")

    report = deliver(database, gateway, clock)

    assert report.sent == 2
    assert [m["from"] for m in gateway.sent] == [HOTLINE, "+4951100000001"]
    row = reload(session, message)
    assert row.status is OutboxStatus.SENT
    assert row.provider_sid == gateway.sent[0]["sid"]
    assert row.sent_at == clock.now()
    assert row.attempts == 1
    assert row.lease_until is None
    assert reload(session, own_sender).status is OutboxStatus.SENT
    assert deliver(database, gateway, clock).sent == 0  # nothing is sent twice
    assert len(gateway.sent) == 2


def test_messages_not_yet_due_wait(session: Session, database: Database, clock: FrozenClock) -> None:
    gateway = SimulatorGateway()
    queue(session, clock)
    clock.advance(seconds=-1)
    assert deliver(database, gateway, clock).sent == 0
    assert gateway.sent == []


def test_batch_limits_one_run(session: Session, database: Database, clock: FrozenClock) -> None:
    gateway = SimulatorGateway()
    for n in range(5):
        queue(session, clock, f"offer:{n}")
    assert deliver(database, gateway, clock, batch=3).sent == 3
    assert deliver(database, gateway, clock, batch=3).sent == 2


def test_deliver_through_the_standin(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
    twilio_openapi: object,
) -> None:
    message = queue(session, clock)
    report = deliver(database, twilio_gateway, clock)
    assert report.sent == 1
    [request] = twilio_standin.message_requests()
    assert request.param("From") == HOTLINE
    assert request.param("StatusCallback") == CALLBACK
    assert_accepted_by_twilio_api(request, twilio_openapi)
    assert reload(session, message).provider_sid == twilio_standin.messages[0]["sid"]


def test_server_error_is_retried_later_with_backoff(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("500", times=2)

    assert deliver(database, twilio_gateway, clock).retried == 1
    row = reload(session, message)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=10)
    assert "HTTP 500" in (row.last_error or "")

    clock.advance(seconds=9)
    assert deliver(database, twilio_gateway, clock).retried == 0  # not due yet
    clock.advance(seconds=1)
    assert deliver(database, twilio_gateway, clock).retried == 1
    assert reload(session, message).next_attempt_at == clock.now() + timedelta(seconds=30)

    clock.advance(seconds=30)
    assert deliver(database, twilio_gateway, clock).sent == 1
    row = reload(session, message)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert len(twilio_standin.messages) == 1


def test_too_many_requests_waits_as_long_as_twilio_asks(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("429", retry_after=300)
    deliver(database, twilio_gateway, clock)
    row = reload(session, message)
    assert row.status is OutboxStatus.PENDING
    assert row.next_attempt_at == clock.now() + timedelta(seconds=300)


@pytest.mark.parametrize("code", [21211, 21610])
def test_rejected_numbers_fail_for_good(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
    code: int,
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("error", code=code)
    assert deliver(database, twilio_gateway, clock).failed == 1
    row = reload(session, message)
    assert row.status is OutboxStatus.FAILED
    assert str(code) in (row.last_error or "")
    clock.advance(hours=2)
    deliver(database, twilio_gateway, clock)
    assert len(twilio_standin.message_requests()) == 1


def test_transient_failures_give_up_after_max_attempts(
    session: Session, database: Database, clock: FrozenClock
) -> None:
    class Down:
        calls = 0

        def send_sms(self, **_: object) -> str:
            Down.calls += 1
            raise SendError("HTTP 503", transient=True)

    message = queue(session, clock)
    for _ in range(MAX_ATTEMPTS + 3):
        deliver(database, Down(), clock)
        clock.advance(hours=2)
    row = reload(session, message)
    assert row.status is OutboxStatus.FAILED
    assert Down.calls == MAX_ATTEMPTS == row.attempts
    assert "gave up" in (row.last_error or "")


def test_a_timeout_whose_message_got_through_is_not_sent_again(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("hang", seconds=3, create=True)  # Twilio took it, but answered too late

    assert deliver(database, twilio_gateway, clock).retried == 1
    assert reload(session, message).status is OutboxStatus.PENDING
    clock.advance(minutes=1)
    report = deliver(database, twilio_gateway, clock)

    assert report.reconciled == 1 and report.sent == 0
    assert len(twilio_standin.messages) == 1
    assert len(twilio_standin.message_requests("POST")) == 1
    row = reload(session, message)
    assert row.status is OutboxStatus.SENT
    assert row.provider_sid == twilio_standin.messages[0]["sid"]


def test_a_timeout_whose_message_was_lost_is_sent_again(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("hang", seconds=3)
    deliver(database, twilio_gateway, clock)
    clock.advance(minutes=1)
    assert deliver(database, twilio_gateway, clock).sent == 1
    assert len(twilio_standin.messages) == 1
    assert reload(session, message).status is OutboxStatus.SENT


# -- the crash window ---------------------------------------------------------------------------


def crash_while_sending(session: Session, clock: FrozenClock, message: OutboxMessage) -> None:
    """Leave the row as a worker that died after claiming it would."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=OutboxStatus.SENDING, attempts=1, lease_until=clock.now() + LEASE)
    )
    session.commit()


def test_expired_lease_without_lookup_is_failed_for_a_human(
    session: Session, database: Database, clock: FrozenClock
) -> None:
    gateway = SimulatorGateway()
    message = queue(session, clock)
    crash_while_sending(session, clock, message)

    assert deliver(database, gateway, clock).unknown == 0  # lease still running: hands off
    clock.advance(seconds=LEASE.total_seconds() + 1)
    report = deliver(database, gateway, clock)

    assert report.unknown == 1
    assert gateway.sent == []
    row = reload(session, message)
    assert row.status is OutboxStatus.FAILED
    assert "delivery unknown" in (row.last_error or "") and "not resent" in (row.last_error or "")


def test_expired_lease_found_at_twilio_is_recorded_as_sent(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    crash_while_sending(session, clock, message)
    sid = twilio_gateway.send_sms(
        to=TO, body=message.body, from_=HOTLINE, status_callback=None
    )  # the lost send
    clock.advance(minutes=5)

    report = deliver(database, twilio_gateway, clock)

    assert report.reconciled == 1
    assert len(twilio_standin.message_requests("POST")) == 1
    row = reload(session, message)
    assert (row.status, row.provider_sid) == (OutboxStatus.SENT, sid)


def test_expired_lease_not_found_at_twilio_is_sent_once(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    crash_while_sending(session, clock, message)
    clock.advance(minutes=5)

    report = deliver(database, twilio_gateway, clock)
    assert (report.requeued, report.sent) == (1, 1)  # looked up first, then sent in the same run
    assert deliver(database, twilio_gateway, clock).sent == 0
    assert len(twilio_standin.messages) == 1
    assert reload(session, message).status is OutboxStatus.SENT


def test_expired_lease_lookup_down_keeps_the_row_for_later(
    session: Session,
    database: Database,
    clock: FrozenClock,
    twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    message = queue(session, clock)
    crash_while_sending(session, clock, message)
    clock.advance(minutes=5)
    twilio_standin.fail_next("500")

    deliver(database, twilio_gateway, clock)

    row = reload(session, message)
    assert row.status is OutboxStatus.SENDING
    assert row.lease_until == clock.now() + LEASE
    assert twilio_standin.message_requests("POST") == []


# -- status callbacks ---------------------------------------------------------------------------


def test_delivery_status_only_moves_forward(session: Session, database: Database, clock: FrozenClock) -> None:
    gateway = SimulatorGateway()
    message = queue(session, clock)
    deliver(database, gateway, clock)
    sid = gateway.sent[0]["sid"]
    assert sid is not None

    def status(value: str, error: str | None = None) -> str | None:
        row = record_delivery_status(
            session, message_sid=sid, status=value, error_code=error, now=clock.now()
        )
        assert row is not None and row.id == message.id
        return row.delivery_status

    assert status("queued") == "queued"
    assert status("sent") == "sent"
    assert status("delivered") == "delivered"
    assert status("sent") == "delivered"  # late callback changes nothing
    assert status("delivered") == "delivered"  # repeated callback is harmless
    assert status("undelivered", "30003") == "delivered"
    assert (
        record_delivery_status(
            session, message_sid="SMunknown", status="sent", error_code=None, now=clock.now()
        )
        is None
    )


def test_undelivered_keeps_twilios_error(session: Session, database: Database, clock: FrozenClock) -> None:
    gateway = SimulatorGateway()
    message = queue(session, clock)
    deliver(database, gateway, clock)
    row = record_delivery_status(
        session,
        message_sid=gateway.sent[0]["sid"] or "",
        status="undelivered",
        error_code="30003",
        now=clock.now(),
    )
    assert row is not None
    assert row.delivery_status == "undelivered"
    assert "30003" in (row.last_error or "")
    assert reload(session, message).status is OutboxStatus.SENT


# -- two workers --------------------------------------------------------------------------------


@pytest.fixture
def committing_database(engine: Engine) -> Iterator[Database]:
    """A Database that really commits; removes the rows the test committed."""
    yield Database(session_factory=sessionmaker(engine, expire_on_commit=False))
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key.like("race:%")))


def test_two_workers_never_send_the_same_row(
    engine: Engine, committing_database: Database, clock: FrozenClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (TEST_DATABASE_URL); SQLite serializes all writers")
    with committing_database.unit_of_work() as session:
        for n in range(40):
            enqueue_sms(
                session, to=TO, body=f"race {n}", purpose="test", dedupe_key=f"race:{n}", now=clock.now()
            )

    sent: list[str] = []
    lock = threading.Lock()

    class SlowGateway:
        def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
            time.sleep(0.005)
            with lock:
                sent.append(body)
                return f"SMrace{len(sent):04d}"

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            while deliver_due_messages(
                committing_database,
                SlowGateway(),
                now=clock.now(),
                default_from=HOTLINE,
                status_callback_url=None,
                batch=10,
            ).sent:
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(sent) == sorted(f"race {n}" for n in range(40))
    with committing_database.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("race:%"))).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        assert all(row.attempts == 1 for row in rows)


# -- the worker ---------------------------------------------------------------------------------


def test_tick_delivers_and_writes_the_heartbeat(
    session: Session, database: Database, clock: FrozenClock, settings: Settings
) -> None:
    gateway = SimulatorGateway()
    services = Services(settings=settings, database=database, clock=clock, gateway=gateway, extras={})
    message = queue(session, clock)

    report = tick_job(services, name="test-worker")

    assert report.errors == {}
    assert report.results["deliver_outbox"].sent == 1
    assert gateway.sent[0]["from"] == settings.hotline_number
    assert reload(session, message).status is OutboxStatus.SENT
    assert session.get(WorkerHeartbeat, "test-worker").last_tick_at == clock.now()

    clock.advance(seconds=2)
    tick_job(services, name="test-worker")
    session.expire_all()
    assert session.get(WorkerHeartbeat, "test-worker").last_tick_at == clock.now()


def test_tick_runs_the_other_jobs_when_one_fails(
    session: Session, database: Database, clock: FrozenClock, settings: Settings
) -> None:
    services = Services(
        settings=settings, database=database, clock=clock, gateway=SimulatorGateway(), extras={}
    )
    seen: list[datetime] = []

    def broken_job(_services: Services, _now: datetime) -> None:
        raise RuntimeError("boom")

    def fine_job(_services: Services, now: datetime) -> str:
        seen.append(now)
        return "ok"

    report = tick_job(services, jobs=[broken_job, fine_job], name="test-worker")
    assert report.errors == {"broken": "RuntimeError"}
    assert report.results == {"fine": "ok"}
    assert seen == [clock.now()]
    assert session.get(WorkerHeartbeat, "test-worker") is not None


def test_worker_command_once(runner, session: Session, clock: FrozenClock, gateway: SimulatorGateway) -> None:
    message = queue(session, clock)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output
    assert "+49151" not in result.output
    assert len(gateway.sent) == 1
    assert reload(session, message).status is OutboxStatus.SENT
    assert session.scalars(select(WorkerHeartbeat)).first() is not None


def test_worker_process_ticks_until_sigterm(tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from sqlalchemy import create_engine

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, PYTHONPATH=root)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=root, env=env, check=True, capture_output=True, timeout=60)
    process = subprocess.Popen(
        [*flask, "worker", "--interval", "0.2"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    engine = create_engine(url)
    try:

        def ticked() -> bool:
            with engine.connect() as conn:
                return conn.execute(select(WorkerHeartbeat.name)).first() is not None

        deadline = time.monotonic() + 20
        while not ticked() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert ticked(), process.stdout.read() if process.poll() is not None else "no heartbeat"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
    assert process.returncode == 0, output
    assert "worker stopped" in output


# -- a slow batch: leases from the clock at each claim ------------------------------------------


class SlowProvider:
    """One provider (like Twilio) behind two workers' gateways. Worker A's sends each take 10 s of the
    controllable clock; while A is busy with its 15th send (150 s after its tick began, longer than
    LEASE), worker B runs a tick of its own. A message becomes visible to lookups only once its send
    returned, as at Twilio while a request is still in flight."""

    def __init__(self, clock: FrozenClock, second_worker: Callable[[], None]) -> None:
        self.clock = clock
        self.second_worker = second_worker
        self.sent: list[str] = []
        self.visible: dict[str, str] = {}
        self.a_sends = 0

    def gateway(self, name: str) -> Any:
        provider = self

        class Gateway:
            def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
                if name == "A":
                    provider.clock.advance(seconds=10)  # a slow answer, just under the request timeout
                    provider.a_sends += 1
                    if provider.a_sends == 15:
                        provider.second_worker()
                provider.sent.append(body)
                sid = f"SM{len(provider.sent):032d}"
                provider.visible[sid] = body
                return sid

            def find_recent_sms(self, *, to: str, body: str, since: datetime) -> str | None:
                return next((sid for sid, text in provider.visible.items() if text == body), None)

        return Gateway()


def test_a_slow_batch_claims_each_row_with_a_fresh_lease_so_a_second_worker_sends_nothing_twice(
    session: Session, database: Database, clock: FrozenClock
) -> None:
    assert timedelta(seconds=20 * 10) > LEASE  # the batch takes longer than a lease
    for n in range(20):
        queue(session, clock, f"slow:{n}", body=f"Angebot {n}")

    def worker_b() -> None:
        deliver_due_messages(database, provider.gateway("B"), now=clock.now(), default_from=HOTLINE,
                             status_callback_url=None, worker="B", clock=clock.now)

    provider = SlowProvider(clock, worker_b)
    deliver_due_messages(database, provider.gateway("A"), now=clock.now(), default_from=HOTLINE,
                         status_callback_url=None, worker="A", clock=clock.now)
    deliver_due_messages(database, provider.gateway("B"), now=clock.now(), default_from=HOTLINE,
                         status_callback_url=None, worker="B", clock=clock.now)

    assert sorted(provider.sent) == sorted(f"Angebot {n}" for n in range(20))  # each exactly once
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("slow:%"))).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert len({row.provider_sid for row in rows}) == 20
