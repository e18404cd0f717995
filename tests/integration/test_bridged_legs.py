"""A coordinator's leg left `bridged` because both its status callbacks were lost: the worker asks Twilio
(through the stand-in) and ends it, or lets it expire; she is rung again afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from core.database import Database
from models import CoordinatorLeg, LegState
from routing.dialplan import StageKind
from routing.escalation import accept_screening, choose_next_stage
from routing.legs import CHECK_AFTER, MAX_BRIDGED, settle_bridged_legs
from routing.waiting import busy_coordinators
from telephony.gateway import SimulatorGateway
from telephony.twilio_rest import TwilioRestGateway
from tests.factories import ANNA, make_case, make_roster
from tests.fixtures_twilio import assert_accepted_by_twilio_api
from tests.twilio_standin import TwilioStandIn

LEG = "CA" + "a1" * 16
FIRST_CALL = "CA" + "1" * 32


def bridge_anna(session: Session, clock: FrozenClock) -> None:
    """Anna takes a call (she pressed 1); then every callback about it is lost."""
    make_roster(session, now=clock.now())
    case = make_case(session, now=clock.now(), call_sid=FIRST_CALL)
    accept_screening(session, case=case, leg_sid=LEG, coordinator=ANNA, now=clock.now())
    session.commit()
    assert busy_coordinators(session) == {ANNA}


def primary_numbers(session: Session, clock: FrozenClock, call_sid: str) -> tuple[str, ...]:
    """Return whom the next caller's first stage rings."""
    case = make_case(session, now=clock.now(), call_sid=call_sid)
    stage = choose_next_stage(session, case=case, after=None, now=clock.now(), fallback_number=None)
    return stage.numbers if stage.kind is StageKind.PRIMARY else ()


def leg(session: Session) -> CoordinatorLeg:
    """Return Anna's leg as the database has it."""
    session.expire_all()
    return session.scalars(select(CoordinatorLeg).where(CoordinatorLeg.leg_sid == LEG)).one()


def test_a_leg_whose_callbacks_were_lost_ends_when_twilio_says_the_call_is_over(
    session: Session, database: Database, clock: FrozenClock, twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn, twilio_openapi: object,
) -> None:
    bridge_anna(session, clock)
    assert ANNA not in primary_numbers(session, clock, "CA" + "2" * 32)  # busy: the next caller rings Ben

    twilio_standin.add_call(LEG, "in-progress")
    clock.advance(seconds=CHECK_AFTER.total_seconds() - 1)
    assert settle_bridged_legs(database, twilio_gateway, now=clock.now()).checked == 0  # too early to ask
    clock.advance(seconds=2)
    report = settle_bridged_legs(database, twilio_gateway, now=clock.now())
    assert (report.checked, report.ended) == (1, 0)  # still talking
    assert leg(session).state is LegState.BRIDGED and leg(session).checked_at == clock.now()
    [request] = twilio_standin.requests
    assert request.method == "GET" and request.path.endswith(f"/Calls/{LEG}.json")
    assert_accepted_by_twilio_api(request, twilio_openapi)
    assert settle_bridged_legs(database, twilio_gateway, now=clock.now()).checked == 0  # asked just now

    twilio_standin.add_call(LEG, "completed")  # she hung up; both callbacks were lost
    clock.advance(seconds=CHECK_AFTER.total_seconds())
    report = settle_bridged_legs(database, twilio_gateway, now=clock.now())
    assert (report.checked, report.ended) == (1, 1)
    assert leg(session).state is LegState.ENDED
    assert busy_coordinators(session) == set()
    assert ANNA in primary_numbers(session, clock, "CA" + "3" * 32)  # she is rung again


def test_a_call_twilio_does_not_know_ends_the_leg_and_trouble_asks_again_later(
    session: Session, database: Database, clock: FrozenClock, twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    bridge_anna(session, clock)
    clock.advance(seconds=CHECK_AFTER.total_seconds())
    twilio_standin.fail_next("500")
    report = settle_bridged_legs(database, twilio_gateway, now=clock.now())
    assert (report.unknown, report.ended) == (1, 0)
    assert leg(session).state is LegState.BRIDGED
    clock.advance(seconds=CHECK_AFTER.total_seconds())
    report = settle_bridged_legs(database, twilio_gateway, now=clock.now())  # 404: no such call
    assert report.ended == 1 and leg(session).state is LegState.ENDED


def test_without_a_way_to_ask_a_bridged_leg_expires_after_the_limit(
    session: Session, database: Database, clock: FrozenClock
) -> None:
    bridge_anna(session, clock)
    clock.advance(seconds=(MAX_BRIDGED - timedelta(seconds=1)).total_seconds())
    assert settle_bridged_legs(database, None, now=clock.now()).expired == 0
    assert leg(session).state is LegState.BRIDGED
    clock.advance(seconds=1)
    assert settle_bridged_legs(database, None, now=clock.now()).expired == 1
    assert leg(session).state is LegState.ENDED
    assert ANNA in primary_numbers(session, clock, "CA" + "4" * 32)


def test_a_callback_that_arrives_meanwhile_wins_and_ended_legs_are_never_asked_about(
    session: Session, database: Database, clock: FrozenClock, twilio_gateway: TwilioRestGateway,
    twilio_standin: TwilioStandIn,
) -> None:
    bridge_anna(session, clock)
    leg(session).state = LegState.ENDED
    session.commit()
    clock.advance(hours=5)
    assert settle_bridged_legs(database, twilio_gateway, now=clock.now()).summary() == (
        "checked=0 ended=0 expired=0 unknown=0")
    assert twilio_standin.requests == []


def test_the_worker_tick_runs_the_check(app: Any, session: Session, clock: FrozenClock) -> None:
    from worker.jobs import tick_job

    bridge_anna(session, clock)
    services = app.extensions["fluxx"]
    assert isinstance(services.gateway, SimulatorGateway)  # cannot ask: only the limit applies
    clock.advance(seconds=MAX_BRIDGED.total_seconds())
    report = tick_job(services, name="test")
    assert "bridged_legs" in report.results and not report.errors
    assert leg(session).state is LegState.ENDED and busy_coordinators(session) == set()
