"""A caregiver's `JA` while the database is down is acted on once it is back, exactly once.

Twilio is the local stand-in (outbound SMS and the Messages list go there), the database fails on
demand (FlakyDatabase), the clock is frozen and the worker's tick runs as `flask --app app worker`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from dispatch.sms_recovery import RECONCILE_EVERY, spool_sms
from models import Case, CaseStatus, InboundMessage
from telephony.twilio_rest import TwilioRestGateway
from tests.factories import PARENT, make_roster
from tests.factories_dispatch import (
    DORA,
    make_caregiver,
    make_dispatchable_case,
    open_offer_of,
    start_test_dispatch,
)
from tests.fixtures_twilio import assert_accepted_by_twilio_api
from tests.helpers import twilio_post
from tests.scenarios.test_faults import FlakyDatabase
from tests.twilio_standin import TwilioStandIn
from worker.jobs import tick_job

HOTLINE = "+4951187654321"
SID = "SM" + "ab" * 16


@pytest.fixture
def gateway(twilio_gateway: TwilioRestGateway) -> TwilioRestGateway:
    """The app talks to the Twilio stand-in (sending and listing messages)."""
    return twilio_gateway


@pytest.fixture
def offered(app: Any, session: Session, clock: FrozenClock) -> tuple[Case, str]:
    """Dora has an SMS offer for Petra's case; return the case and the offer's code."""
    make_roster(session, now=clock.now())
    dora = make_caregiver(session, now=clock.now())
    case = make_dispatchable_case(session, now=clock.now(), call_sid="CA" + "5" * 32, caller=PARENT)
    start_test_dispatch(session, case=case, now=clock.now(), settings=app.extensions["fluxx"].settings)
    session.commit()
    tick_job(app.extensions["fluxx"], name="test")  # the offer goes out
    return case, open_offer_of(session, case=case, caregiver=dora).code


def sms(path: str, client: Any, body: str) -> Any:
    """Post Dora's SMS as Twilio would, to the number's SMS URL or its fallback URL."""
    return twilio_post(client, path, {"MessageSid": SID, "AccountSid": "AC" + "0" * 32, "From": DORA,
                                      "To": HOTLINE, "Body": body, "NumMedia": "0"})


def texts_to(standin: TwilioStandIn, number: str) -> list[str]:
    """Return the bodies of the SMS the hotline sent to a number."""
    return [m["body"] for m in standin.messages if m["to"] == number and m["direction"] == "outbound-api"]


def assert_assigned_once(session: Session, standin: TwilioStandIn, case: Case) -> None:
    """Dora has the job, Petra is told, each exactly once, and the SMS is recorded once."""
    session.expire_all()
    assert session.get_one(Case, case.id).status is CaseStatus.ASSIGNED
    assert sum("Petra" in body for body in texts_to(standin, DORA)) == 1  # the job's details
    told = [body for body in texts_to(standin, PARENT) if body.startswith("Fluxx: Gute Nachricht!")]
    assert len(told) == 1
    assert session.scalar(select(func.count()).select_from(InboundMessage)
                          .where(InboundMessage.message_sid == SID)) == 1


def test_a_yes_during_an_outage_goes_through_the_fallback_spool_and_counts_once(
    app: Any, client: Any, session: Session, clock: FrozenClock, offered: tuple[Case, str],
    twilio_standin: TwilioStandIn, twilio_openapi: object,
) -> None:
    case, code = offered
    services = app.extensions["fluxx"]
    flaky = FlakyDatabase(services.database)
    services.database = flaky

    flaky.down = True
    twilio_standin.add_inbound(sid=SID, from_=DORA, to=HOTLINE, body=f"JA {code}", at=clock.now())
    assert sms("/sms/incoming", client, f"JA {code}").status_code == 503  # so Twilio tries the fallback URL
    fallback = sms("/sms/fallback", client, f"JA {code}")
    assert fallback.status_code == 200 and b"<Message" not in fallback.get_data()
    assert [p.name for p in services.extras["sms_spool"].iterdir()] == [f"{SID}.json"]
    with pytest.raises(OperationalError):  # the worker cannot reach the database either
        tick_job(services, name="test")
    assert [p.name for p in services.extras["sms_spool"].iterdir()] == [f"{SID}.json"]  # kept for later

    clock.advance(seconds=30)
    flaky.down = False
    report = tick_job(services, name="test")
    assert not report.errors, report.errors
    assert list(services.extras["sms_spool"].iterdir()) == []
    tick_job(services, name="test")  # the replies go out
    assert_assigned_once(session, twilio_standin, case)

    # Twilio delivers the SMS once more, and the reconciliation sees it in Twilio's list: nothing new.
    sms("/sms/incoming", client, f"JA {code}")
    sms("/sms/fallback", client, f"JA {code}")
    for _ in range(3):
        clock.advance(seconds=RECONCILE_EVERY.total_seconds())
        tick_job(services, name="test")
    assert_assigned_once(session, twilio_standin, case)
    listing = [r for r in twilio_standin.message_requests("GET") if r.param("To") == HOTLINE]
    assert listing, "the worker asked Twilio for the SMS it received"
    for request in listing:
        assert_accepted_by_twilio_api(request, twilio_openapi)


def test_a_yes_that_reached_only_twilio_is_found_in_its_list_and_counts_once(
    app: Any, client: Any, session: Session, clock: FrozenClock, offered: tuple[Case, str],
    twilio_standin: TwilioStandIn,
) -> None:
    case, code = offered
    services = app.extensions["fluxx"]
    flaky = FlakyDatabase(services.database)
    services.database = flaky
    flaky.down = True
    twilio_standin.add_inbound(sid=SID, from_=DORA, to=HOTLINE, body=f"JA {code}", at=clock.now())
    assert sms("/sms/incoming", client, f"JA {code}").status_code == 503  # and the fallback failed too

    clock.advance(minutes=1)
    flaky.down = False
    clock.advance(seconds=RECONCILE_EVERY.total_seconds())
    assert not tick_job(services, name="test").errors
    tick_job(services, name="test")
    assert_assigned_once(session, twilio_standin, case)
    clock.advance(seconds=RECONCILE_EVERY.total_seconds())
    tick_job(services, name="test")
    assert_assigned_once(session, twilio_standin, case)


def test_the_spool_survives_a_repeat_and_keeps_what_it_cannot_hand_over(
    tmp_path: Any, clock: FrozenClock
) -> None:
    first = spool_sms(tmp_path, message_sid=SID, from_raw=DORA, to=HOTLINE, body="JA 1", received_at=clock.now())
    again = spool_sms(tmp_path, message_sid=SID, from_raw=DORA, to=HOTLINE, body="JA 1",
                      received_at=clock.now() + timedelta(seconds=5))
    assert first == again and [p.name for p in tmp_path.iterdir()] == [f"{SID}.json"]  # no temporary left
    odd = spool_sms(tmp_path, message_sid="../../etc/passwd", from_raw=None, to=None, body="", received_at=clock.now())
    assert odd.parent == tmp_path and odd.name.startswith("x")


def test_a_file_in_the_spool_that_is_no_spooled_sms_is_dropped_and_the_rest_handled(
    app: Any, session: Session, clock: FrozenClock, offered: tuple[Case, str], twilio_standin: TwilioStandIn
) -> None:
    from dispatch.sms_recovery import drain_sms_spool

    case, code = offered
    services = app.extensions["fluxx"]
    folder = services.extras["sms_spool"]
    (folder / "junk.json").write_text("{not json", "utf-8")
    spool_sms(folder, message_sid=SID, from_raw=DORA, to=HOTLINE, body=f"JA {code}", received_at=clock.now())
    report = drain_sms_spool(services.database, folder, now=clock.now(), settings=services.settings)
    assert (report.handled, report.waiting) == (1, 0) and list(folder.iterdir()) == []
    tick_job(services, name="test")
    assert_assigned_once(session, twilio_standin, case)
