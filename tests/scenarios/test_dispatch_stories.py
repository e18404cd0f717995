"""Stories of a dispatch: offers go out, time passes, phones buzz, somebody says yes.

The clock is frozen and moved by hand; the worker's tick runs the way `flask --app app worker`
runs it, and the simulator gateway records every SMS handed to it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from dispatch.offers import AcceptResult, accept_offer
from models import Caregiver, Case, Offer, OfferStatus
from telephony.gateway import SimulatorGateway
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.helpers import twilio_post
from tests.integration.test_offers import make_caregiver, make_child_case
from tests.scenarios.test_call_stories import HAPPY, Phone
from worker.jobs import tick_job

#: Five caregivers around Hannover-Mitte, nearest first as the matching ranks them.
POSTCODES = ["30159", "30161", "30171", "30169", "30419"]


def _setup(session: Any, clock: Any) -> tuple[Case, list[Caregiver]]:
    now = clock.now()
    make_roster(session, now=now)
    people = [
        make_caregiver(session, name=f"Frau{i} Muster", postcode=p, now=now) for i, p in enumerate(POSTCODES)
    ]
    return make_child_case(session, now=now), people


def _dispatch(runner: Any, case: Case) -> str:
    result = runner.invoke(args=["cases", "dispatch", case.reference])
    assert result.exit_code == 0, result.output
    return result.output


def _to(gateway: SimulatorGateway, number: str) -> list[str]:
    return [m["body"] or "" for m in gateway.sent if m["to"] == number]


def test_nobody_answers_the_next_wave_follows_then_the_coordinators_hear_once(
    app: Any, runner: Any, session: Any, clock: Any, gateway: SimulatorGateway
) -> None:
    case, people = _setup(session, clock)
    output = _dispatch(runner, case)
    assert f"Fall {case.reference}: Angebote an 3 Betreuungskräfte" in output
    assert "Nächste Welle um 10:05 Uhr" in output and people[0].phone not in output  # numbers are masked

    worker = app.extensions["fluxx"]
    tick_job(worker)  # the first offers are handed to the SMS gateway on the worker's next tick
    assert sorted(str(m["to"]) for m in gateway.sent) == sorted(p.phone for p in people[:3])
    assert all(
        m["body"].startswith("Fluxx-Anfrage: Kind 3 J. in 30159 Hannover, sofort") for m in gateway.sent
    )

    clock.advance(minutes=4, seconds=59)
    tick_job(worker)
    assert len(gateway.sent) == 3  # nobody is asked before the wait is over

    clock.advance(seconds=1)
    tick_job(worker)  # wave 2 is decided ...
    tick_job(worker)  # ... and sent
    assert [m["to"] for m in gateway.sent[3:]] == [people[3].phone, people[4].phone]

    clock.advance(minutes=5)
    tick_job(worker)
    tick_job(worker)
    alerts = [m for m in gateway.sent if m["to"] in (ANNA, BEN)]
    assert len(alerts) == 2
    assert (
        f"Fall {case.reference} ist noch offen: keine Betreuungskraft gefunden (5 angefragt, 0 abgelehnt)"
        in (alerts[0]["body"] or "")
    )

    clock.advance(hours=2)
    tick_job(worker)
    tick_job(worker)
    assert len(gateway.sent) == 7  # told once; nobody is texted again
    result = runner.invoke(args=["cases", "list", "--json"])
    assert json.loads(result.output)[0]["status"] == "open"  # back with the coordinators


def test_an_offer_that_cannot_be_delivered_goes_to_the_next_caregiver(
    app: Any, client: Any, runner: Any, session: Any, clock: Any, gateway: SimulatorGateway
) -> None:
    case, people = _setup(session, clock)
    _dispatch(runner, case)
    worker = app.extensions["fluxx"]
    tick_job(worker)
    bounced = next(m for m in gateway.sent if m["to"] == people[1].phone)

    clock.advance(seconds=20)  # Twilio reports that the SMS never reached her phone
    response = twilio_post(
        client,
        "/sms/status",
        {
            "MessageSid": str(bounced["sid"]),
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "To": people[1].phone,
        },
    )
    assert response.status_code in (200, 204)
    tick_job(worker)  # the bounced offer is replaced at once ...
    tick_job(worker)  # ... and the replacement sent
    assert _to(gateway, people[3].phone)  # the next in line, without waiting for wave 2
    offer = session.scalars(select(Offer).where(Offer.caregiver_id == people[1].id)).one()
    session.refresh(offer)
    assert offer.status is OfferStatus.UNDELIVERABLE
    tick_job(worker)
    assert len(gateway.sent) == 4


def test_a_failed_send_in_the_outbox_also_moves_on(app: Any, runner: Any, session: Any, clock: Any) -> None:
    class Refusing(SimulatorGateway):
        def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
            from telephony.gateway import SendError

            if to == people[0].phone:
                raise SendError("not a mobile number", code=21614, transient=False)
            return super().send_sms(to=to, body=body, from_=from_, status_callback=status_callback)

    case, people = _setup(session, clock)
    worker = app.extensions["fluxx"]
    worker.gateway = gateway = Refusing()
    _dispatch(runner, case)
    tick_job(worker)  # the first number is refused for good
    tick_job(worker)  # its offer is replaced by one to the next caregiver
    tick_job(worker)
    assert sorted(str(m["to"]) for m in gateway.sent) == sorted(p.phone for p in people[1:4])


def test_the_worker_restarts_mid_dispatch_nothing_is_lost_nothing_sent_twice(
    app: Any, runner: Any, session: Any, clock: Any, settings: Any, database: Any, gateway: SimulatorGateway
) -> None:
    from app import create_app

    case, people = _setup(session, clock)
    _dispatch(runner, case)
    tick_job(app.extensions["fluxx"])
    assert len(gateway.sent) == 3

    # The worker process dies; a new one starts, knowing nothing but the database.
    fresh_gateway = SimulatorGateway()
    restarted = create_app(
        {"TESTING": True}, settings=settings, database=database, clock=clock, gateway=fresh_gateway
    )
    tick_job(restarted.extensions["fluxx"])
    assert fresh_gateway.sent == []  # wave 1 is not sent again

    clock.advance(minutes=5)
    tick_job(restarted.extensions["fluxx"])
    tick_job(restarted.extensions["fluxx"])
    assert [m["to"] for m in fresh_gateway.sent] == [people[3].phone, people[4].phone]  # wave 2 was not lost


def test_a_yes_assigns_the_case_the_parent_is_told_and_the_others_are_withdrawn(
    app: Any, runner: Any, session: Any, clock: Any, gateway: SimulatorGateway
) -> None:
    case, people = _setup(session, clock)
    case.parent_name = "Sabine"
    _dispatch(runner, case)
    worker = app.extensions["fluxx"]
    tick_job(worker)
    assert json.loads(runner.invoke(args=["cases", "list", "--json"]).output)[0]["status"] == "dispatching"

    clock.advance(minutes=3)
    nina = people[1]
    assert accept_offer(session, caregiver=nina, code=None, now=clock.now()) is AcceptResult.WON
    tick_job(worker)

    details, hours_hint = _to(gateway, nina.phone)[1:]
    assert "Sabine" in details and PARENT in details and case.reference in details
    assert "START" in hours_hint and "ENDE" in hours_hint  # how she reports the hours worked
    (confirmation,) = _to(gateway, PARENT)
    assert confirmation.startswith(
        "Fluxx: Gute Nachricht! Frau1 übernimmt die Betreuung und ruft Sie gleich an."
    )
    for other in (people[0], people[2]):
        assert "ist vergeben" in _to(gateway, other.phone)[-1]
    listed = json.loads(runner.invoke(args=["cases", "list", "--json"]).output)[0]
    assert listed["status"] == "assigned" and listed["caregiver"] == nina.phone

    clock.advance(minutes=10)
    tick_job(worker)
    tick_job(worker)
    assert not _to(gateway, people[3].phone)  # no further wave after the yes


def test_an_english_speaking_caregiver_reads_her_offer_in_english(
    app: Any, runner: Any, session: Any, clock: Any, gateway: SimulatorGateway
) -> None:
    emma = make_caregiver(session, name="Emma Smith", postcode="30159", languages=["en"], now=clock.now())
    case = make_child_case(session, now=clock.now())
    _dispatch(runner, case)
    tick_job(app.extensions["fluxx"])
    (offer,) = _to(gateway, emma.phone)
    assert offer.startswith("Fluxx request: child aged 3 in 30159 Hannover, right now")


def test_dispatch_command_errors_are_clear(runner: Any, session: Any, clock: Any) -> None:
    case = make_child_case(session, now=clock.now(), postcode=None, municipality=None)
    result = runner.invoke(args=["cases", "dispatch", str(case.id)])
    assert result.exit_code != 0
    assert "ohne Postleitzahl in der Region kann nicht automatisch vermittelt werden; bitte Koordination" in (
        result.output
    )
    assert "nicht gefunden" in runner.invoke(args=["cases", "dispatch", "ZZZZ"]).output


def test_nobody_picks_up_at_night_so_the_urgent_case_is_offered_by_itself(
    app: Any, client: Any, session: Any, clock: Any, gateway: SimulatorGateway
) -> None:
    now = clock.now()
    make_roster(session, now=now)
    people = [make_caregiver(session, postcode=p, now=now) for p in POSTCODES[:2]]
    phone = Phone(client, "CA" + "e" * 32)
    phone.dial_in_and_answer(HAPPY)  # a 3-year-old at 30159, care needed now
    phone.post("/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
    phone.post("/voice/dial/backup", DialCallStatus="no-answer", DialBridged="false")
    phone.post("/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")

    tick_job(app.extensions["fluxx"])
    for person in people:
        assert _to(gateway, person.phone)[0].startswith("Fluxx-Anfrage: Kind 3 J. in 30159 Hannover, sofort")
    case = session.scalars(select(Case).where(Case.call_sid == "CA" + "e" * 32)).one()
    session.refresh(case)
    assert case.status.value == "dispatching" and case.needs_callback
