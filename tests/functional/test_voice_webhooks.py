"""The voice webhooks over HTTP: signed requests in, TwiML parsed as XML and checked verb by verb."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Case, CaseEvent, OutboxMessage
from tests.factories import ANNA, BEN, CARLA, PARENT, make_roster
from tests.helpers import twilio_post, twiml, verbs

CALL = "CA" + "a" * 32


def call(client: Any, path: str, **params: str) -> Any:
    """Post a signed webhook for the test call."""
    base = {"CallSid": CALL, "From": PARENT, "To": "+4951187654321", "CallStatus": "in-progress"}
    return twilio_post(client, path, {**base, **params})


def press(client: Any, step: str, digits: str | None, attempt: int = 1) -> Any:
    """Answer one menu question (None = silence)."""
    extra = {"Digits": digits} if digits is not None else {}
    return twiml(call(client, f"/voice/gather/{step}/{attempt}", **extra))


def walk(client: Any, keys: list[tuple[str, str]]) -> Any:
    """Start a call and answer each question in turn; return the last TwiML."""
    root = twiml(call(client, "/voice/incoming"))
    for step, digits in keys:
        root = press(client, step, digits)
    return root


HAPPY = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]


@pytest.fixture
def roster(session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())


def test_unsigned_request_is_refused(client: Any) -> None:
    response = client.post("/voice/incoming", data={"CallSid": CALL})
    assert response.status_code == 403


def test_wrongly_signed_request_is_refused(client: Any) -> None:
    response = twilio_post(client, "/voice/incoming", {"CallSid": CALL}, token="not-the-token")
    assert response.status_code == 403


def test_signature_is_checked_against_public_base_url(client: Any) -> None:
    # Behind a proxy the app sees http://localhost, but Twilio signed the public https URL.
    response = twilio_post(client, "/voice/incoming", {"CallSid": CALL}, base="http://localhost")
    assert response.status_code == 403


def test_second_token_is_accepted_during_rotation(app: Any, settings: Any) -> None:
    services = app.extensions["fluxx"]
    services.settings = settings.with_overrides(
        twilio_account_sid="AC" + "1" * 32, twilio_auth_token="new-token", twilio_auth_token_secondary="old-token"
    )
    client = app.test_client()
    assert twilio_post(client, "/voice/fallback", {"CallSid": CALL}, token="old-token").status_code == 200
    assert twilio_post(client, "/voice/fallback", {"CallSid": CALL}, token="new-token").status_code == 200
    assert twilio_post(client, "/voice/fallback", {"CallSid": CALL}, token="other").status_code == 403


def test_welcome_menu_lets_the_caller_press_keys_while_it_speaks(client: Any, roster: None) -> None:
    root = twiml(call(client, "/voice/incoming"))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action").endswith("/voice/gather/caller_type/1")
    assert gather.get("actionOnEmptyResult") == "true"
    says = gather.findall("Say")
    assert says, "the prompt is spoken inside <Gather>, so keys interrupt it"
    german = [s for s in says if s.get("language") == "de-DE"]
    assert german == says[: len(german)] and all(s.get("voice") == "Polly.Vicki" for s in german)
    # After the German question, each other offered language offers itself in its own voice and tag.
    offers = says[len(german):]
    assert [(s.text, s.get("language"), s.get("voice")) for s in offers[:1]] == [
        ("For English, press 9.", "en-GB", "Polly.Amy")]


def test_happy_path_rings_the_primary_on_duty_with_screening(client: Any, roster: None, runner: Any) -> None:
    root = walk(client, HAPPY)
    assert verbs(root)[-1] == "Dial"
    dial = root.find("Dial")
    numbers = [n.text for n in dial.findall("Number")]
    assert numbers == [ANNA]  # not Ben (backup), not Carla (off duty)
    number = dial.find("Number")
    assert "/voice/screen/" in number.get("url")
    assert dial.get("action").endswith("/voice/dial/primary")
    assert dial.get("callerId") == PARENT  # the coordinator sees who is calling
    assert int(dial.get("timeout")) == 20

    listed = json.loads(runner.invoke(args=["cases", "list", "--json"]).output)
    case = listed[0]
    assert {k: case[k] for k in ("care_type", "children", "child_age", "postcode", "municipality",
                                  "urgency", "reason", "caller_type", "caller", "language", "status")} == {
        "care_type": "child", "children": 1, "child_age": 3, "postcode": "30159", "municipality": "Hannover",
        "urgency": "now", "reason": "regular_care_failure", "caller_type": "parent", "caller": PARENT,
        "language": "de", "status": "open",
    }


def test_postcode_is_read_back_with_its_municipality(client: Any, roster: None) -> None:
    root = walk(client, HAPPY[:4])
    root = press(client, "postcode", "30159")
    text = " ".join(s.text or "" for s in root.iter("Say"))
    assert "3 0 1 5 9" in text and "Hannover" in text


def test_zero_reaches_a_person_at_once(client: Any, roster: None) -> None:
    root = walk(client, [("caller_type", "0")])
    assert [n.text for n in root.find("Dial").findall("Number")] == [ANNA]


def test_zero_in_the_middle_of_the_menu_reaches_a_person(client: Any, roster: None) -> None:
    root = walk(client, [("caller_type", "1"), ("care_type", "1"), ("children", "0")])
    assert root.find("Dial") is not None


def test_silence_is_asked_once_more_then_put_through(client: Any, roster: None) -> None:
    twiml(call(client, "/voice/incoming"))
    again = press(client, "caller_type", None, attempt=1)
    assert again.find("Gather").get("action").endswith("/voice/gather/caller_type/2")
    through = press(client, "caller_type", None, attempt=2)
    assert through.find("Dial") is not None


def test_garbage_keys_are_asked_again_then_put_through(client: Any, roster: None) -> None:
    twiml(call(client, "/voice/incoming"))
    assert press(client, "caller_type", "*7").find("Gather") is not None
    assert press(client, "caller_type", "5" * 5000, attempt=2).find("Dial") is not None


def test_english_after_nine(client: Any, roster: None, session: Any) -> None:
    twiml(call(client, "/voice/incoming"))
    root = press(client, "caller_type", "9")
    says = list(root.iter("Say"))
    assert says and all(s.get("language").startswith("en-") for s in says)
    press(client, "caller_type", "9")  # Twilio delivers the switch twice: still one switch
    root = press(client, "caller_type", "1")
    assert all(s.get("language").startswith("en-") for s in root.iter("Say"))
    case = session.scalars(select(Case)).one()
    assert (case.language, case.caller_type.value) == ("en", "parent")  # her answer after the switch is kept
    keys = session.scalars(select(CaseEvent.key).where(CaseEvent.key.like("gather:caller_type:%"))).all()
    assert sorted(keys) == ["gather:caller_type:1", "gather:caller_type:1:language:en"]


def test_an_english_employer_is_tagged_too(client: Any, roster: None, session: Any) -> None:
    root = walk(client, [("caller_type", "9"), ("caller_type", "2")])
    assert root.find("Dial") is not None
    assert session.scalars(select(Case)).one().caller_type.value == "employer"


def test_employer_goes_straight_to_a_coordinator_tagged(client: Any, roster: None, session: Any) -> None:
    root = walk(client, [("caller_type", "2")])
    assert root.find("Dial") is not None
    assert session.scalars(select(Case)).one().caller_type.value == "employer"


def test_repeated_delivery_of_a_step_changes_nothing_twice(client: Any, roster: None, session: Any) -> None:
    walk(client, HAPPY[:2])
    first = press(client, "children", "2")
    second = press(client, "children", "2")
    assert [e.tag for e in first.iter()] == [e.tag for e in second.iter()]
    keys = session.scalars(select(CaseEvent.key).where(CaseEvent.key == "gather:children:1")).all()
    assert keys == ["gather:children:1"]


@pytest.mark.parametrize("params", [
    {"From": ""},
    {"From": "anonymous"},
    {"From": "+266696687"},
    {"From": "<script>alert(1)</script>"},
    {"SpeechResult": "<Say>hä?</Say> ünïcødé 🙂"},
    {"Digits": "1" * 5000},
    {"Digits": "ä"},
])
def test_odd_parameters_get_valid_twiml(client: Any, roster: None, params: dict[str, str]) -> None:
    root = twiml(call(client, "/voice/incoming", **params))
    assert verbs(root)
    root = twiml(call(client, "/voice/gather/caller_type/1", **params))
    assert verbs(root)


def test_withheld_number_is_stored_as_null_and_the_office_line_shown(client: Any, roster: None, session: Any,
                                                                       settings: Any) -> None:
    twiml(call(client, "/voice/incoming", From="anonymous"))
    root = twiml(call(client, "/voice/gather/caller_type/1", From="anonymous", Digits="0"))
    assert session.scalars(select(Case)).one().caller is None
    assert root.find("Dial").get("callerId") == settings.hotline_number


def _screen(client: Any, case_id: int, leg: str, to: str, digits: str | None) -> Any:
    leg_params = {"CallSid": leg, "ParentCallSid": CALL, "To": to, "From": PARENT, "CallStatus": "in-progress"}
    screening = twiml(twilio_post(client, f"/voice/screen/{case_id}", leg_params))
    extra = {"Digits": digits} if digits is not None else {}
    return screening, twiml(twilio_post(client, f"/voice/screen/{case_id}/answer", {**leg_params, **extra}))


def test_screening_tells_the_coordinator_the_case_and_bridges_on_one(client: Any, roster: None,
                                                                       session: Any) -> None:
    walk(client, HAPPY)
    case = session.scalars(select(Case)).one()
    screening, answer = _screen(client, case.id, "CA" + "b" * 32, ANNA, "1")
    summary = " ".join(s.text or "" for s in screening.iter("Say"))
    assert "3 0 1 5 9" in summary and "Hannover" in summary and "1" in summary
    assert screening.find("Gather").get("numDigits") == "1"
    assert verbs(answer) == []  # an empty document bridges the call
    root = twiml(call(client, "/voice/dial/primary", DialCallStatus="completed", DialBridged="true",
                      DialCallSid="CA" + "b" * 32))
    assert verbs(root) == ["Hangup"]
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.coordinator == ANNA
    assert case.connected_at is not None


def test_a_mailbox_that_never_presses_one_does_not_count(client: Any, roster: None, session: Any) -> None:
    walk(client, HAPPY)
    case = session.scalars(select(Case)).one()
    _, answer = _screen(client, case.id, "CA" + "c" * 32, ANNA, None)
    assert verbs(answer)[-1] == "Hangup"
    root = twiml(call(client, "/voice/dial/primary", DialCallStatus="completed", DialBridged="false",
                      DialCallSid="CA" + "c" * 32))
    assert [n.text for n in root.find("Dial").findall("Number")] == [BEN]
    session.expire_all()
    assert session.get(Case, case.id).coordinator is None


def test_no_answer_escalates_primary_backup_office_voicemail(client: Any, roster: None, session: Any,
                                                              settings: Any) -> None:
    walk(client, HAPPY)
    backup = twiml(call(client, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false"))
    assert [n.text for n in backup.find("Dial").findall("Number")] == [BEN]
    office = twiml(call(client, "/voice/dial/backup", DialCallStatus="no-answer", DialBridged="false"))
    assert [n.text for n in office.find("Dial").findall("Number")] == [settings.fallback_number]
    mailbox = twiml(call(client, "/voice/dial/fallback", DialCallStatus="busy", DialBridged="false"))
    assert "Record" in verbs(mailbox)
    record = mailbox.find("Record")
    assert record.get("recordingStatusCallback").endswith("/voice/recording")
    spoken = " ".join(s.text or "" for s in mailbox.iter("Say"))
    assert "1 1 2" in spoken  # spoken digit by digit

    case = session.scalars(select(Case)).one()
    assert case.needs_callback
    alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "voicemail_alert")).all()
    assert sorted(a.to_number for a in alerts) == [ANNA, BEN]
    assert all(case.reference in a.body and PARENT in a.body for a in alerts)
    assert CARLA not in {a.to_number for a in alerts}

    done = twiml(call(client, f"/voice/voicemail/{case.id}", RecordingSid="RE" + "1" * 32,
                      RecordingUrl="https://api.twilio.com/rec", RecordingDuration="17"))
    assert verbs(done)[-1] == "Hangup"
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.voicemail_sid == "RE" + "1" * 32 and case.voicemail_seconds == 17


def test_a_coordinator_on_a_call_is_not_rung_for_the_next(client: Any, roster: None, session: Any) -> None:
    walk(client, HAPPY)
    case = session.scalars(select(Case)).one()
    _screen(client, case.id, "CA" + "d" * 32, ANNA, "1")
    second = {"CallSid": "CA" + "e" * 32, "From": "+4915199999999", "To": "+4951187654321"}
    twiml(twilio_post(client, "/voice/incoming", second))
    root = twiml(twilio_post(client, "/voice/gather/caller_type/1", {**second, "Digits": "0"}))
    assert [n.text for n in root.find("Dial").findall("Number")] == [BEN]
    # Anna's call ends: she is free again.
    twilio_post(client, "/voice/leg-status", {"CallSid": "CA" + "d" * 32, "CallStatus": "completed"})
    third = {"CallSid": "CA" + "f" * 32, "From": "+4915188888888", "To": "+4951187654321"}
    twiml(twilio_post(client, "/voice/incoming", third))
    root = twiml(twilio_post(client, "/voice/gather/caller_type/1", {**third, "Digits": "0"}))
    assert [n.text for n in root.find("Dial").findall("Number")] == [ANNA]


def test_nobody_on_the_roster_rings_the_office_then_voicemail(client: Any) -> None:
    root = walk(client, [("caller_type", "0")])
    assert [n.text for n in root.find("Dial").findall("Number")] == ["+495111680000"]


def test_caller_who_hangs_up_while_waiting_is_flagged_for_a_call_back(client: Any, roster: None,
                                                                        session: Any) -> None:
    walk(client, HAPPY)
    assert verbs(twiml(call(client, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false",
                            CallStatus="completed"))) == ["Hangup"]
    call(client, "/voice/status", CallStatus="completed")
    case = session.scalars(select(Case)).one()
    assert case.needs_callback and "hung_up_waiting" in case.flags


def test_fallback_touches_no_database(app: Any) -> None:
    class Broken:
        def unit_of_work(self) -> Any:
            raise AssertionError("the fallback must not touch the database")

    app.extensions["fluxx"].database = Broken()
    root = twiml(twilio_post(app.test_client(), "/voice/fallback", {"CallSid": CALL}))
    dial = root.find("Dial")
    assert [n.text for n in dial.findall("Number")] == ["+495111680000"]
    assert dial.get("action") == "https://hotline.example.org/voice/fallback/after-dial"
    after = twiml(twilio_post(app.test_client(), "/voice/fallback/after-dial",
                              {"CallSid": CALL, "DialCallStatus": "no-answer"}))
    assert "Record" in verbs(after)


def test_dead_database_still_dials_the_fallback(app: Any) -> None:
    from sqlalchemy.exc import OperationalError

    class Unreachable:
        def unit_of_work(self) -> Any:
            raise OperationalError("connect", {}, Exception("connection refused"))

    app.extensions["fluxx"].database = Unreachable()
    client = app.test_client()
    for path in ("/voice/incoming", "/voice/gather/caller_type/1", "/voice/dial/primary"):
        root = twiml(twilio_post(client, path, {"CallSid": CALL, "From": PARENT, "Digits": "1"}))
        assert [n.text for n in root.find("Dial").findall("Number")] == ["+495111680000"], path


def test_number_of_events_grows_with_the_call(client: Any, roster: None, session: Any) -> None:
    walk(client, HAPPY)
    count = session.scalar(select(func.count()).select_from(CaseEvent))
    assert count >= len(HAPPY) + 2  # received, each answer, connect, dial stage


def test_the_caller_is_thanked_for_her_message_even_when_the_case_is_unknown(client: Any) -> None:
    root = twiml(call(client, "/voice/voicemail/999999", RecordingSid="RE" + "2" * 32))
    assert verbs(root) == ["Say", "Hangup"]
    assert "Danke" in (root.find("Say").text or "")
