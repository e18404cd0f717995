"""Snapshots of the SMS the main flows produce: offers, JA/NEIN, taken and withdrawn, the family's
confirmation, care times, help and stop, the coordinators' alerts, hand assignment and cancellation."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from core.database import Database
from dispatch.manual import assign_by_hand, cancel_case
from dispatch.policy import DispatchPolicy
from dispatch.waves import run_due_dispatch_work
from models import Case, OutboxMessage
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.factories_dispatch import (
    DORA,
    EVA,
    FIONA,
    GRACE,
    make_caregiver,
    make_dispatchable_case,
    open_offer_of,
    start_test_dispatch,
)
from tests.helpers import twilio_post
from tests.snapshots.snapshot import assert_snapshot, normalise

HOTLINE = "+4951187654321"
STRANGER = "+4917699999999"
NAMES = {DORA: "Dora", EVA: "Eva", FIONA: "Fiona", GRACE: "Grace", ANNA: "Anna", BEN: "Ben", PARENT: "parent",
         STRANGER: "stranger"}


class Log:
    """Writes down each step and the SMS it queued (purpose, recipient, body), in order."""

    def __init__(self, session: Session, client: Any) -> None:
        self.session, self.client = session, client
        self.parts: list[str] = []
        self.seen = 0
        self._sids = count(1)

    def step(self, title: str) -> None:
        self.session.flush()
        self.session.expire_all()
        new = self.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[self.seen:]
        self.seen += len(new)
        self.parts.append(f"\n=== {title}\n")
        for m in new:
            who = NAMES.get(m.to_number, m.to_number)
            self.parts.append(f"[{m.purpose} {m.channel} to {who} {m.to_number}] {normalise(m.body)}\n")

    def sms(self, sender: str, body: str, *, clock: FrozenClock | None = None) -> None:
        """Receive an SMS; with `clock`, 13 minutes later (under the automatic replies' hourly limit)."""
        if clock is not None:
            clock.advance(minutes=13)
        self.session.commit()
        params = {"MessageSid": f"SM{next(self._sids):032x}", "AccountSid": "AC" + "0" * 32, "From": sender,
                  "To": HOTLINE, "Body": body, "NumMedia": "0"}
        response = twilio_post(self.client, "/sms/incoming", params)
        assert response.status_code == 200
        self.step(f"{NAMES.get(sender, sender)} texts {body!r} -> {response.get_data(as_text=True)}")

    def text(self) -> str:
        return "".join(self.parts)


@pytest.fixture
def policy(settings: Any) -> DispatchPolicy:
    return DispatchPolicy.from_settings(settings)


@pytest.fixture
def log(session: Session, client: Any) -> Log:
    return Log(session, client)


@pytest.fixture
def people(session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    make_roster(session, now=now)
    make_caregiver(session, phone=DORA, now=now, name="Dora Dachs")
    make_caregiver(session, phone=EVA, now=now, name="Eva Ernst", postcode="30161")
    make_caregiver(session, phone=GRACE, now=now, name="Grace Green", languages=["en", "de"], postcode="30169")


def test_offer_yes_no_and_care_times(session: Session, clock: FrozenClock, settings: Any, log: Log,
                                     people: None) -> None:
    now = clock.now()
    case = make_dispatchable_case(session, now=now, call_sid="CA-sms-1", address="Lange Laube 5, 30159 Hannover",
                                  parent_name="Petra Pauls", expected_hours=4.5)
    start_test_dispatch(session, case=case, now=now, settings=settings)
    log.step("dispatch started: offers to everyone who fits")
    from models import Caregiver

    by_phone = {c.phone: c for c in session.scalars(select(Caregiver))}
    codes = {p: open_offer_of(session, case=case, caregiver=by_phone[p]).code for p in (DORA, EVA, GRACE)}
    clock.advance(minutes=1)
    log.sms(GRACE, f"NEIN {codes[GRACE]}")
    clock.advance(minutes=1)
    log.sms(DORA, f"JA {codes[DORA]}")
    clock.advance(minutes=1)
    log.sms(EVA, f"ja {codes[EVA]}")
    log.sms(GRACE, f"YES {codes[GRACE]}")
    clock.advance(minutes=30)
    log.sms(DORA, f"START {codes[DORA]}")
    log.sms(DORA, f"START {codes[DORA]}")
    clock.advance(hours=4, minutes=10)
    log.sms(DORA, f"ENDE {codes[DORA]}")
    log.sms(DORA, f"ENDE {codes[DORA]}")
    log.sms(DORA, "ENDE 99")
    log.sms(DORA, "START 99")
    log.sms(DORA, f"NEIN {codes[DORA]}")
    log.sms(EVA, "JA")
    log.sms(EVA, "NEIN")
    log.sms(EVA, "JA 99")
    assert_snapshot("sms_flow_offer_yes_no.txt", log.text())


def test_help_stop_and_strangers(session: Session, clock: FrozenClock, settings: Any, log: Log,
                                 people: None) -> None:
    now = clock.now()
    two = [make_dispatchable_case(session, now=now, call_sid=f"CA-sms-two-{i}") for i in (1, 2)]
    for case in two:
        start_test_dispatch(session, case=case, now=now, settings=settings)
    log.step("two dispatches: two offers each")
    for body in ("HILFE", "help", "JA", "Ja, aber erst ab 10", "NEIN", "STOP", "JA 12", "START", "ENDE", "?"):
        log.sms(DORA, body, clock=clock)
    for body in ("Hallo?", "JA", "HILFE"):
        log.sms(STRANGER, body, clock=clock)
    for body in ("HILFE", "SENDEN", "SENDEN QQQQ", f"SENDEN {two[0].reference}", "Wer hat Dienst?"):
        log.sms(ANNA, body, clock=clock)
    for body in ("help", "STOP", "START", "JA"):
        log.sms(GRACE, body, clock=clock)
    assert_snapshot("sms_flow_help_stop.txt", log.text())


def test_hand_assignment_cancellation_and_alerts(session: Session, database: Database, clock: FrozenClock,
                                                 settings: Any, policy: DispatchPolicy, log: Log,
                                                 people: None) -> None:
    now = clock.now()
    from models import Caregiver

    dora = session.scalars(select(Caregiver).where(Caregiver.phone == DORA)).one()
    grace = session.scalars(select(Caregiver).where(Caregiver.phone == GRACE)).one()
    by_hand = make_dispatchable_case(session, now=now, call_sid="CA-sms-hand", parent_name="Paula",
                                     address="Königstr. 1, 30175 Hannover")
    assign_by_hand(session, case=by_hand, caregiver_id=dora.id, now=now, by="clara", policy=policy)
    log.step("a coordinator assigns Dora by hand")
    cancel_case(session, case=by_hand, now=now + timedelta(minutes=5), by="clara", policy=policy)
    log.step("the case is cancelled: Dora is told")

    landline = make_dispatchable_case(session, now=now, call_sid="CA-sms-landline", caller="+495111234567",
                                      language="en")
    assign_by_hand(session, case=landline, caregiver_id=grace.id, now=now, by="clara", policy=policy)
    log.step("a landline caller (English): the coordinators are asked to call the parent")

    withheld = make_dispatchable_case(session, now=now, call_sid="CA-sms-withheld", caller=None)
    assign_by_hand(session, case=withheld, caregiver_id=grace.id, now=now, by="clara", policy=policy)
    log.step("a withheld number")

    far = make_dispatchable_case(session, now=now, call_sid="CA-sms-far", postcode="31535",
                                 municipality="Neustadt am Rübenberge", care_type="eldercare", care_level=3,
                                 children=None, child_age=None)
    start_test_dispatch(session, case=far, now=now, settings=settings)
    log.step("nobody fits (eldercare, far away)")
    session.commit()
    for minutes in (5, 10, 20, 40, 80):
        run_due_dispatch_work(database, now=now + timedelta(minutes=minutes), policy=policy)
        log.step(f"the worker's dispatch work {minutes} minutes later")
    assert session.scalars(select(Case).where(Case.call_sid == "CA-sms-far")).one()
    assert_snapshot("sms_flow_manual_and_alerts.txt", log.text())


def test_voicemail_alert(session: Session, clock: FrozenClock, client: Any, log: Log, people: None) -> None:
    session.commit()
    base = {"CallSid": "CA" + "7" * 32, "From": PARENT, "To": HOTLINE, "CallStatus": "in-progress"}
    twilio_post(client, "/voice/incoming", base)
    for step, digits in (("caller_type", "1"), ("care_type", "1"), ("children", "2"), ("child_age", "0"),
                         ("postcode", "30669"), ("urgency", "3"), ("reason", "3")):
        twilio_post(client, f"/voice/gather/{step}/1", {**base, "Digits": digits})
    for stage in ("primary", "backup", "fallback"):
        twilio_post(client, f"/voice/dial/{stage}", {**base, "DialCallStatus": "no-answer", "DialBridged": "false"})
    log.step("nobody answered the caller: the coordinators on duty hear of the voicemail")
    assert_snapshot("sms_flow_voicemail_alert.txt", log.text())
