"""Call-backs from the queue: placed by the worker in queue order when a coordinator is free, once across
workers, the family's leg settled on the entry (called back, one retry after a timer in the database, failed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.database import Database
from messaging.outbox import deliver_due_messages
from models import Case, CaseEvent, OutboxMessage, QueueEntry, QueueKind, QueueState
from routing import waiting
from routing.queue_callbacks import QUEUE_RETRY_AFTER, place_due_callbacks
from routing.waiting import QueueLimits
from telephony.gateway import SimulatorGateway
from tests.factories import ANNA, BEN, make_case, make_roster
from tests.helpers import PUBLIC_BASE_URL, twilio_post, twiml

HOTLINE = "+4951187654321"


def _enter(session: Session, now: Any, sid: str, *, callback: bool) -> QueueEntry:
    entry = waiting.enter_queue(session, case=make_case(session, now=now, call_sid=sid), now=now, limits=QueueLimits())
    if callback:
        assert waiting.choose_callback(session, entry=entry, now=now)
    return entry


def _worker_tick(database: Database, clock: Any) -> int:
    """One worker's tick: a fresh session each time, like a worker process (re)started."""
    with database.unit_of_work() as session:
        return place_due_callbacks(session, now=clock.now(), public_base_url=PUBLIC_BASE_URL, hotline_number=HOTLINE)


def _calls(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "call")
                                .order_by(OutboxMessage.id)))


def _entry(session: Session, entry_id: int) -> QueueEntry:
    session.expire_all()
    entry = session.get(QueueEntry, entry_id)
    assert entry is not None
    return entry


def _deliver(database: Database, clock: Any) -> SimulatorGateway:
    gateway = SimulatorGateway()
    deliver_due_messages(database, gateway, now=clock.now(), default_from=HOTLINE,
                         status_callback_url=PUBLIC_BASE_URL + "/sms/status")
    return gateway


def test_a_restarted_worker_places_the_call_backs_in_queue_order_once(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    start = clock.now()
    make_roster(session, now=start)
    line = _enter(session, start, "CAline1", callback=False)
    clock.advance(minutes=1)
    first = _enter(session, clock.now(), "CAcbq1", callback=True)
    clock.advance(minutes=1)
    second = _enter(session, clock.now(), "CAcbq2", callback=True)
    session.commit()
    # Anna and Ben are free: the caller on the line is first (her own loop turn rings Anna), the first
    # call-back gets Ben; the second keeps her place until someone is free.
    assert _worker_tick(database, clock) == 1
    assert _worker_tick(database, clock) == 0  # a second worker (or the next tick) places nothing twice
    (call,) = _calls(session)
    assert call.to_number == BEN and call.purpose == "queue_callback"
    assert call.twiml_url == f"{PUBLIC_BASE_URL}/voice/callback/{first.case_id}"
    assert _entry(session, first.id).state is QueueState.OFFERED
    assert _entry(session, second.id).state is QueueState.WAITING
    assert _entry(session, line.id).state is QueueState.WAITING  # the worker never rings for a caller on the line
    # The worker restarts: the next one finds everything in the database and places the call.
    gateway = _deliver(database, clock)
    (placed,) = gateway.calls
    assert placed["to"] == BEN
    # Ben hears the summary, the family answers herself: called back.
    root = twiml(twilio_post(client, f"/voice/callback/{first.case_id}/dialed",
                             {"CallSid": str(placed["sid"]), "DialCallStatus": "completed", "DialBridged": "true"}))
    assert [c.tag for c in root] == ["Hangup"]
    done = _entry(session, first.id)
    assert done.state is QueueState.CALLED_BACK and done.entered_at == start + timedelta(minutes=1)
    kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == first.case_id))]
    assert "queue_called_back" in kinds


def test_a_family_missed_is_retried_once_after_the_timer_then_the_case_is_flagged(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq3", callback=True)
    session.commit()
    assert _worker_tick(database, clock) == 1
    sid = str(_deliver(database, clock).calls[0]["sid"])
    root = twiml(twilio_post(client, f"/voice/callback/{entry.case_id}/dialed",
                             {"CallSid": sid, "DialCallStatus": "no-answer"}))
    assert "In 5 Minuten versucht die Hotline es noch einmal" in (root.find("Say").text or "")
    waited = _entry(session, entry.id)
    assert waited.state is QueueState.WAITING and waited.kind is QueueKind.CALLBACK
    assert waited.retry_at == clock.now() + QUEUE_RETRY_AFTER and waited.attempts == 1
    assert len(_calls(session)) == 1  # no outbox retry: the queue's timer decides
    # Before the timer she takes nobody from a caller on the line behind her.
    clock.advance(minutes=1)
    behind = _enter(session, clock.now(), "CAline2", callback=False)
    session.commit()
    assert _worker_tick(database, clock) == 0
    with database.unit_of_work() as s:
        assert [a.entry_id for a in waiting.assignments(s, now=clock.now())] == [behind.id]
    clock.advance(seconds=QUEUE_RETRY_AFTER.total_seconds())
    assert _worker_tick(database, clock) == 1
    calls = _calls(session)
    assert len(calls) == 2 and _entry(session, entry.id).attempts == 2
    sid = str(_deliver(database, clock).calls[0]["sid"])
    root = twiml(twilio_post(client, f"/voice/callback/{entry.case_id}/dialed",
                             {"CallSid": sid, "DialCallStatus": "busy"}))
    assert "der Fall ist für einen Rückruf markiert" in (root.find("Say").text or "")
    assert _entry(session, entry.id).state is QueueState.FAILED
    case = session.get(Case, entry.case_id)
    assert case is not None and case.needs_callback is True
    clock.advance(seconds=QUEUE_RETRY_AFTER.total_seconds())
    assert _worker_tick(database, clock) == 0


def test_a_coordinator_who_does_not_answer_her_phone_costs_the_family_nothing(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq4", callback=True)
    session.commit()
    assert _worker_tick(database, clock) == 1
    offered_to = _entry(session, entry.id).offered_to
    assert offered_to == ANNA
    twilio_post(client, f"/voice/callback/{entry.case_id}/status", {"CallSid": "CAcoord", "CallStatus": "no-answer"})
    back = _entry(session, entry.id)
    assert back.state is QueueState.WAITING and back.attempts == 0 and back.declined_by == ANNA
    assert _worker_tick(database, clock) == 1  # Ben gets her at once (Anna is paused for her)
    assert _entry(session, entry.id).offered_to == BEN


def test_the_worker_tick_places_it_and_twilio_accepts_the_call(
    app: Any, session: Session, database: Database, clock: Any, twilio_gateway: Any, twilio_standin: Any,
    twilio_openapi: Any,
) -> None:
    from tests.fixtures_twilio import assert_accepted_by_twilio_api
    from worker.jobs import TICK_JOBS, deliver_outbox_job, queue_callbacks_job, tick_job

    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq5", callback=True)
    session.commit()
    services = app.extensions["fluxx"]
    assert TICK_JOBS.index(queue_callbacks_job) < TICK_JOBS.index(deliver_outbox_job)  # placed in the same tick
    report = tick_job(services, jobs=[queue_callbacks_job], name="test")
    assert report.results == {"queue_callbacks": "placed=1"}
    assert _entry(session, entry.id).state is QueueState.OFFERED
    deliver_due_messages(database, twilio_gateway, now=clock.now(), default_from=HOTLINE,
                         status_callback_url=PUBLIC_BASE_URL + "/sms/status")
    (request,) = [r for r in twilio_standin.requests if r.path.endswith("/Calls.json")]
    assert_accepted_by_twilio_api(request, twilio_openapi)
    assert request.param("To") == ANNA and request.param("From") == HOTLINE
    assert request.param("Url") == f"{PUBLIC_BASE_URL}/voice/callback/{entry.case_id}"
    assert request.param("MachineDetection") == "Enable"


def test_a_closed_case_or_a_family_reached_otherwise_is_not_called_back_from_the_queue(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    from models import CaseStatus
    from routing.callbacks import finish_callback

    make_roster(session, now=clock.now())
    closed = _enter(session, clock.now(), "CAcbq6", callback=True)
    reached = _enter(session, clock.now(), "CAcbq7", callback=True)
    case = session.get(Case, closed.case_id)
    assert case is not None
    case.status = CaseStatus.CLOSED
    other = session.get(Case, reached.case_id)
    assert other is not None
    # A coordinator called that family from the dashboard ("Zurückrufen") and reached her.
    finish_callback(session, case=other, call_sid="CAdash", dial_status="completed", dial_bridged="true",
                    now=clock.now())
    session.commit()
    assert _worker_tick(database, clock) == 0
    assert _calls(session) == []
    assert _entry(session, closed.id).state is QueueState.LEFT
    assert _entry(session, reached.id).state is QueueState.CALLED_BACK


def test_a_coordinator_hanging_up_during_the_summary_gives_the_family_to_the_next_at_once(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    """Twilio never runs the family's <Dial>, so only her call's final status tells: no 10-minute stale wait."""
    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq6", callback=True)
    session.commit()
    assert _worker_tick(database, clock) == 1
    sid = str(_deliver(database, clock).calls[0]["sid"])
    assert _entry(session, entry.id).offered_to == ANNA
    root = twiml(twilio_post(client, f"/voice/callback/{entry.case_id}", {"CallSid": sid, "AnsweredBy": "human"}))
    assert root.find("Dial") is not None  # the summary, then the family's number
    clock.advance(seconds=8)
    twilio_post(client, f"/voice/callback/{entry.case_id}/status", {"CallSid": sid, "CallStatus": "completed"})
    back = _entry(session, entry.id)
    assert back.state is QueueState.WAITING and back.attempts == 0 and back.declined_by == ANNA
    assert back.retry_at is None and back.entered_at < clock.now()  # her place, not a retry
    assert _worker_tick(database, clock) == 1  # Ben gets her now
    assert _entry(session, entry.id).offered_to == BEN
    twilio_post(client, f"/voice/callback/{entry.case_id}/status", {"CallSid": sid, "CallStatus": "completed"})
    assert _entry(session, entry.id).offered_to == BEN  # a repeated delivery of Anna's end changes nothing


def test_the_end_of_a_call_back_that_rang_the_family_changes_nothing(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq7", callback=True)
    session.commit()
    assert _worker_tick(database, clock) == 1
    sid = str(_deliver(database, clock).calls[0]["sid"])
    twilio_post(client, f"/voice/callback/{entry.case_id}", {"CallSid": sid, "AnsweredBy": "human"})
    twilio_post(client, f"/voice/callback/{entry.case_id}/dialed",
                {"CallSid": sid, "DialCallStatus": "no-answer", "DialBridged": "false"})
    settled = _entry(session, entry.id)
    assert settled.state is QueueState.WAITING and settled.attempts == 1
    clock.advance(seconds=QUEUE_RETRY_AFTER.total_seconds())
    assert _worker_tick(database, clock) == 1  # the second attempt is being placed ...
    twilio_post(client, f"/voice/callback/{entry.case_id}/status", {"CallSid": sid, "CallStatus": "completed"})
    again = _entry(session, entry.id)  # ... when the first call's end is reported, late: it stays placed
    assert again.state is QueueState.OFFERED and again.attempts == 2


def test_her_end_reported_before_the_familys_result_still_rings_nobody_twice(
    session: Session, database: Database, clock: Any, client: Any
) -> None:
    """Callbacks may come out of order: the family's result after her call's end adds no outbox retry."""
    make_roster(session, now=clock.now())
    entry = _enter(session, clock.now(), "CAcbq8", callback=True)
    session.commit()
    assert _worker_tick(database, clock) == 1
    sid = str(_deliver(database, clock).calls[0]["sid"])
    twilio_post(client, f"/voice/callback/{entry.case_id}/status", {"CallSid": sid, "CallStatus": "completed"})
    twilio_post(client, f"/voice/callback/{entry.case_id}/dialed",
                {"CallSid": sid, "DialCallStatus": "no-answer", "DialBridged": "false"})
    assert _entry(session, entry.id).state is QueueState.WAITING
    assert len(_calls(session)) == 1  # the queue places it again; no second call through the outbox
