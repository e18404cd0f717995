"""Faults, as the people involved experience them: the database blinks, callbacks come late or twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import Case, CaseEvent, CoordinatorLeg, LegState, OutboxMessage, OutboxStatus
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.helpers import twilio_post, twiml, verbs
from worker.jobs import tick_job


class FlakyDatabase:
    """The real test database, except while `down` is set: then every connection attempt fails."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = False

    @property
    def dialect_name(self) -> str:
        return str(self.real.dialect_name)

    def _fail_when_down(self) -> None:
        if self.down:
            raise OperationalError("connect", {}, Exception("could not connect to server: Connection refused"))

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        self._fail_when_down()
        with self.real.unit_of_work() as session:
            yield session

    @contextmanager
    def autocommit(self) -> Iterator[Any]:
        self._fail_when_down()
        with self.real.autocommit() as connection:
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        self._fail_when_down()
        with self.real.transaction() as connection:
            yield connection


def post(client: Any, path: str, call_sid: str = "CA" + "1" * 32, **params: str) -> Any:
    return twiml(twilio_post(client, path, {"CallSid": call_sid, "From": PARENT, "To": "+4951187654321", **params}))


def test_database_gone_mid_call_the_caller_reaches_the_office_and_nothing_is_half_written(
    app: Any, client: Any, session: Any, clock: Any, gateway: Any
) -> None:
    make_roster(session, now=clock.now())
    flaky = FlakyDatabase(app.extensions["fluxx"].database)
    app.extensions["fluxx"].database = flaky

    post(client, "/voice/incoming")
    post(client, "/voice/gather/caller_type/1", Digits="1")
    post(client, "/voice/gather/care_type/1", Digits="1")

    flaky.down = True  # the database blinks while she answers the next question
    root = post(client, "/voice/gather/children/1", Digits="2")
    assert [n.text for n in root.find("Dial").findall("Number")] == ["+495111680000"]  # the office rings
    after = twiml(twilio_post(client, "/voice/fallback/after-dial", {"CallSid": "CA" + "1" * 32,
                                                                      "DialCallStatus": "no-answer"}))
    assert "Record" in verbs(after)  # and if nobody answers there: the voicemail, not a dead line

    case = session.scalars(select(Case)).one()
    assert case.care_type.value == "child" and case.children is None  # kept what it had; nothing half-written
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.key == "gather:children:1")) == 0

    # A minute later the database is back: the next caller goes through the menu as usual.
    clock.advance(minutes=1)
    flaky.down = False
    root = post(client, "/voice/incoming", call_sid="CA" + "2" * 32)
    assert root.find("Gather") is not None
    root = post(client, "/voice/gather/caller_type/1", call_sid="CA" + "2" * 32, Digits="0")
    assert [n.text for n in root.find("Dial").findall("Number")] == [ANNA]


def test_worker_survives_a_database_outage_and_sends_what_waited(app: Any, client: Any, session: Any,
                                                                  clock: Any, gateway: Any) -> None:
    make_roster(session, now=clock.now())
    post(client, "/voice/incoming")
    post(client, "/voice/gather/caller_type/1", Digits="0")
    post(client, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
    post(client, "/voice/dial/backup", DialCallStatus="no-answer", DialBridged="false")
    post(client, "/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")  # voicemail: alerts queued

    flaky = FlakyDatabase(app.extensions["fluxx"].database)
    app.extensions["fluxx"].database = flaky
    flaky.down = True
    try:
        tick_job(app.extensions["fluxx"])
    except OperationalError:
        pass  # the scheduler logs it and ticks again in two seconds
    assert gateway.sent == []

    clock.advance(minutes=1)
    flaky.down = False
    tick_job(app.extensions["fluxx"])
    alerted = {m["to"] for m in gateway.sent if "Rückruf" in m["body"]}
    assert alerted == {ANNA, BEN}  # nothing lost
    pending = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.purpose == "voicemail_alert", OutboxMessage.status != OutboxStatus.SENT))
    assert pending == 0


def test_status_callbacks_twice_and_in_the_wrong_order(client: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    post(client, "/voice/incoming")
    post(client, "/voice/gather/caller_type/1", Digits="0")
    case = session.scalars(select(Case)).one()
    leg = {"CallSid": "CA" + "9" * 32, "ParentCallSid": "CA" + "1" * 32, "To": ANNA, "From": PARENT}

    # The leg's "completed" callback overtakes the screening answer: the leg must not come back to life.
    twilio_post(client, "/voice/leg-status", {**leg, "CallStatus": "completed"})
    twiml(twilio_post(client, f"/voice/screen/{case.id}", leg))
    twiml(twilio_post(client, f"/voice/screen/{case.id}/answer", {**leg, "Digits": "1"}))
    twilio_post(client, "/voice/leg-status", {**leg, "CallStatus": "completed"})  # and once more, late
    states = session.scalars(select(CoordinatorLeg.state)).all()
    assert states == [LegState.ENDED]  # Anna is free for the next caller

    # The dial result comes twice: one timeline entry, the same answer both times.
    first = post(client, "/voice/dial/primary", DialCallStatus="completed", DialBridged="true",
                 DialCallSid=leg["CallSid"])
    second = post(client, "/voice/dial/primary", DialCallStatus="completed", DialBridged="true",
                  DialCallSid=leg["CallSid"])
    assert verbs(first) == verbs(second) == ["Hangup"]
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.key == "dial:primary")) == 1

    # The call's "completed" arrives twice and late: recorded once; the time to a human stays as it was.
    clock.advance(minutes=10)
    for _ in range(2):
        twilio_post(client, "/voice/status", {"CallSid": "CA" + "1" * 32, "CallStatus": "completed"})
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.coordinator == ANNA and case.connected_at is not None
    assert case.call_ended_at - case.connected_at == timedelta(minutes=10)
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.key == "status:completed")) == 1
