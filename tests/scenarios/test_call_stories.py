"""Stories from the operations manual: a call comes in, time passes, phones ring, texts arrive.

Each test reads as what the people involved experience. The clock is frozen and moved by hand;
the worker's tick is run the way `flask --app app worker` runs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Case, OutboxMessage, OutboxStatus, Shift
from tests.factories import ANNA, BEN, PARENT, make_shift
from tests.helpers import twilio_post, twiml, verbs
from worker.jobs import tick_job

BERLIN = ZoneInfo("Europe/Berlin")
HAPPY = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]


class Phone:
    """A parent's phone calling the hotline: every request signed as Twilio would sign it."""

    def __init__(self, client: Any, call_sid: str, caller: str | None = PARENT) -> None:
        self.client, self.call_sid, self.caller = client, call_sid, caller

    def post(self, path: str, **params: str) -> Any:
        base = {"CallSid": self.call_sid, "From": self.caller or "anonymous", "To": "+4951187654321"}
        return twiml(twilio_post(self.client, path, {**base, **params}))

    def dial_in_and_answer(self, keys: list[tuple[str, str]]) -> Any:
        root = self.post("/voice/incoming")
        for step, digits in keys:
            root = self.post(f"/voice/gather/{step}/1", Digits=digits)
        return root


def ringing(root: Any) -> list[str]:
    dial = root.find("Dial")
    return [n.text for n in dial.findall("Number")] if dial is not None else []


def test_monday_0300_berlin_nobody_answers_the_backup_rings_then_voicemail_alerts_both(
    app: Any, client: Any, session: Any, clock: Any, gateway: Any
) -> None:
    night = datetime(2026, 11, 23, 3, 0, tzinfo=BERLIN)
    clock.set(night)
    make_shift(session, phone=ANNA, role="primary", starts_at=night - timedelta(hours=3))
    make_shift(session, phone=BEN, role="backup", starts_at=night - timedelta(hours=3))

    phone = Phone(client, "CA" + "1" * 32)
    root = phone.dial_in_and_answer(HAPPY)
    assert ringing(root) == [ANNA]  # Anna is primary tonight

    clock.advance(seconds=20)  # her phone rings out
    root = phone.post("/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
    assert ringing(root) == [BEN]  # the backup's phone rings

    clock.advance(seconds=20)  # Ben's mailbox picks up but cannot press 1
    root = phone.post("/voice/dial/backup", DialCallStatus="completed", DialBridged="false")
    assert ringing(root) == ["+495111680000"]  # the coordination office

    clock.advance(seconds=20)
    root = phone.post("/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")
    assert "Record" in verbs(root)  # the caller is offered the voicemail, never dropped

    assert gateway.sent == []  # nothing is sent from inside a webhook
    tick_job(app.extensions["fluxx"])
    case = session.scalars(select(Case)).one()
    alerts = {m["to"]: m["body"] for m in gateway.sent if "Rückruf" in (m["body"] or "")}
    assert set(alerts) == {ANNA, BEN}
    assert case.reference in alerts[ANNA] and PARENT in alerts[ANNA] and "Hannover" in alerts[ANNA]
    assert case.needs_callback

    sent_before = len(gateway.sent)
    tick_job(app.extensions["fluxx"])  # the worker ticks again: nobody gets a second text
    assert len(gateway.sent) == sent_before
    rows = session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {OutboxStatus.SENT}


def test_shift_change_at_0800_rings_the_day_primary(client: Any, session: Any, clock: Any) -> None:
    handover = datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
    make_shift(session, phone=ANNA, role="primary", starts_at=handover - timedelta(hours=8), ends_at=handover)
    make_shift(session, phone=BEN, role="primary", starts_at=handover)

    clock.set(handover - timedelta(minutes=1))
    assert ringing(Phone(client, "CA" + "2" * 32).dial_in_and_answer([("caller_type", "0")])) == [ANNA]
    clock.set(handover)
    assert ringing(Phone(client, "CA" + "3" * 32).dial_in_and_answer([("caller_type", "0")])) == [BEN]


def _closed_path(client: Any, session: Any, clock: Any, at: datetime, call_sid: str) -> tuple[Any, Case]:
    clock.set(at)
    make_shift(session, phone=ANNA, role="primary", starts_at=at - timedelta(hours=1))
    root = Phone(client, call_sid).post("/voice/incoming")
    case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
    return root, case


def test_sunday_the_caller_hears_the_hours_112_and_116117_then_voicemail(
    app: Any, client: Any, session: Any, clock: Any, gateway: Any
) -> None:
    root, case = _closed_path(client, session, clock, datetime(2026, 11, 29, 10, 0, tzinfo=BERLIN), "CA" + "4" * 32)
    spoken = " ".join(s.text or "" for s in root.iter("Say"))
    assert "1 1 2" in spoken and "1 1 6 1 1 7" in spoken
    assert "Montag" in spoken or "montags" in spoken  # the hours are named
    assert "Record" in verbs(root) and root.find("Dial") is None
    assert case.needs_callback and "after_hours" in case.flags
    tick_job(app.extensions["fluxx"])
    assert gateway.sent == []  # nobody is woken outside service hours


def test_saturday_is_a_working_day_and_the_hotline_answers(client: Any, session: Any, clock: Any) -> None:
    root, _ = _closed_path(client, session, clock, datetime(2026, 11, 28, 23, 30, tzinfo=BERLIN), "CA" + "5" * 32)
    assert root.find("Gather") is not None


def test_christmas_day_is_a_lower_saxony_holiday_and_closed(client: Any, session: Any, clock: Any) -> None:
    root, case = _closed_path(client, session, clock, datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), "CA" + "6" * 32)
    assert root.find("Gather") is None and "Record" in verbs(root)
    assert "after_hours" in case.flags


def test_holiday_open_when_service_on_holidays_is_set(app: Any, client: Any, session: Any, clock: Any,
                                                      settings: Any) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(service_on_holidays=True)
    root, _ = _closed_path(client, session, clock, datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), "CA" + "7" * 32)
    assert root.find("Gather") is not None


def test_dst_spring_forward_night_shift_still_rings(client: Any, session: Any, clock: Any) -> None:
    # 29 March 2026: clocks jump from 02:00 to 03:00; a 22:00-06:00 shift lasts seven real hours.
    app = client.application
    app.extensions["fluxx"].settings = app.extensions["fluxx"].settings.with_overrides(service_hours="always")
    start, end = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)
    make_shift(session, phone=ANNA, role="primary", starts_at=start, ends_at=end)
    assert session.scalars(select(Shift)).one().ends_at - session.scalars(select(Shift)).one().starts_at == \
        timedelta(hours=7)
    clock.set(datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN))  # just after the jump
    assert ringing(Phone(client, "CA" + "8" * 32).dial_in_and_answer([("caller_type", "0")])) == [ANNA]
    clock.set(datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN))  # the shift is over: the office rings
    assert ringing(Phone(client, "CA" + "0" * 32).dial_in_and_answer([("caller_type", "0")])) == ["+495111680000"]


def test_dst_fall_back_the_repeated_hour_rings_the_night_primary(client: Any, session: Any, clock: Any) -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice (SERVICE_HOURS=always).
    app = client.application
    app.extensions["fluxx"].settings = app.extensions["fluxx"].settings.with_overrides(service_hours="always")
    start = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    make_shift(session, phone=ANNA, role="primary", starts_at=start, ends_at=datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN))
    second_two_thirty = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)  # 02:30 CET, the second time
    clock.set(second_two_thirty)
    assert ringing(Phone(client, "CA" + "9" * 32).dial_in_and_answer([("caller_type", "0")])) == [ANNA]


def test_voicemail_alert_reaches_the_coordinators_through_twilios_rest_api(
    app: Any, client: Any, session: Any, clock: Any, settings: Any, twilio_standin: Any, twilio_openapi: Any
) -> None:
    """With real credentials the worker sends the alerts to Twilio (here: the local stand-in)."""
    from telephony.twilio_rest import TwilioRestGateway
    from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, assert_accepted_by_twilio_api

    services = app.extensions["fluxx"]
    services.gateway = TwilioRestGateway.create(account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN,
                                                api_base=twilio_standin.base_url)
    make_shift(session, phone=ANNA, role="primary", starts_at=clock.now() - timedelta(hours=1))
    phone = Phone(client, "CA" + "c" * 32)
    phone.dial_in_and_answer(HAPPY)
    phone.post("/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
    root = phone.post("/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")
    assert "Record" in verbs(root)

    tick_job(services)
    posts = twilio_standin.message_requests("POST")
    assert len(posts) == 1
    for record in posts:
        assert_accepted_by_twilio_api(record, twilio_openapi)
    assert posts[0].param("To") == ANNA and posts[0].param("From") == settings.hotline_number
    assert posts[0].param("StatusCallback") == "https://hotline.example.org/sms/status"
    tick_job(services)
    assert len(twilio_standin.message_requests("POST")) == 1  # never twice
