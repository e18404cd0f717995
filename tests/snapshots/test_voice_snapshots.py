"""Snapshots of the TwiML of every menu path: every key at every question, silence, invalid keys twice,
English, the other languages, the dial stages, screening, voicemail, after hours, the static fallback and the
call-back legs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import BERLIN, FrozenClock
from core.languages import KEY_OF, name
from models import Case
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.helpers import twilio_post
from tests.snapshots.snapshot import assert_snapshot, normalise, normalise_json, xml_lines

HOTLINE = "+4951187654321"
#: The answers that lead to each question (German menu).
PREFIX = {
    "caller_type": [],
    "care_type": [("caller_type", "1")],
    "children": [("caller_type", "1"), ("care_type", "1")],
    "child_age": [("caller_type", "1"), ("care_type", "1"), ("children", "1")],
    "care_level": [("caller_type", "1"), ("care_type", "2")],
    "postcode": [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3")],
    "urgency": [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
                ("postcode", "30159")],
    "reason": [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
               ("postcode", "30159"), ("urgency", "1")],
}
HAPPY = [*PREFIX["reason"], ("reason", "1")]
#: What a caller may press at each question: every key, silence (None), an empty result, and
#: the longer answers each question knows.
KEYS: list[str | None] = [None, "", *"0123456789", "*", "#", "11", "1#", "abc"]
EXTRA = {
    "children": ["9", "12"],
    "child_age": ["0#", "12#", "13#", "14#", "99#", "123#"],
    "care_level": ["5", "6"],
    "postcode": ["30159", "30669", "30851", "30417", "10115", "3015", "301599", "00000"],
}


class Transcript:
    """Posts signed webhooks and writes down each request and the TwiML it got."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.parts: list[str] = []
        self._calls = count(1)

    def new_call(self) -> str:
        return f"CA{next(self._calls):032x}"

    def post(self, path: str, **params: str) -> str:
        response = twilio_post(self.client, path, params)
        shown = {k: v for k, v in params.items() if k not in ("CallSid", "From", "To")}
        body = response.get_data(as_text=True)
        self.parts.append(f"--- POST {normalise(path)} {urlencode(shown)}\n"
                          f"{response.status_code} {response.mimetype}\n{normalise(xml_lines(body))}\n")
        return body

    def call(self, call_sid: str, path: str, *, record: bool = True, **params: Any) -> str:
        base = {"CallSid": call_sid, "From": PARENT, "To": HOTLINE, "CallStatus": "in-progress"}
        if record:
            return self.post(path, **{**base, **params})
        return twilio_post(self.client, path, {**base, **params}).get_data(as_text=True)

    def walk(self, call_sid: str, keys: Sequence[tuple[str, str | None]], *, record_from: int = 0) -> None:
        """Start a call and answer in turn (None: silence); record from answer number `record_from`."""
        self.call(call_sid, "/voice/incoming", record=record_from == 0)
        for i, (step, digits) in enumerate(keys, start=1):
            extra = {} if digits is None else {"Digits": digits}
            self.call(call_sid, f"/voice/gather/{step}/1", record=i >= record_from, **extra)

    def note(self, text: str) -> None:
        self.parts.append(f"\n=== {text}\n")

    def text(self) -> str:
        return "".join(self.parts)


@pytest.fixture
def roster(session: Session, clock: FrozenClock) -> None:
    make_roster(session, now=clock.now())


@pytest.fixture
def transcript(client: Any) -> Transcript:
    return Transcript(client)


def test_every_key_at_every_question(transcript: Transcript, roster: None) -> None:
    for step, prefix in PREFIX.items():
        for digits in [*KEYS, *EXTRA.get(step, [])]:
            transcript.note(f"{step}, attempt 1: {'silence' if digits is None else repr(digits)}")
            transcript.walk(transcript.new_call(), [*prefix, (step, digits)], record_from=len(prefix) + 1)
    assert_snapshot("voice_menu_keys.txt", transcript.text())


def test_second_attempts(transcript: Transcript, roster: None) -> None:
    for step, prefix in PREFIX.items():
        for first, second in [(None, None), ("*", "*"), ("*", None), (None, "1"), ("*", "2"), ("*", "0")]:
            call_sid = transcript.new_call()
            transcript.note(f"{step}: {first!r} then {second!r}")
            transcript.walk(call_sid, prefix, record_from=len(prefix) + 1)
            transcript.call(call_sid, f"/voice/gather/{step}/1", **_digits(first))
            transcript.call(call_sid, f"/voice/gather/{step}/2", **_digits(second))
    call_sid = transcript.new_call()
    transcript.note("postcode: a company postcode, then a home one")
    transcript.walk(call_sid, PREFIX["postcode"], record_from=99)
    transcript.call(call_sid, "/voice/gather/postcode/1", Digits="30417")
    transcript.call(call_sid, "/voice/gather/postcode/2", Digits="30851")
    call_sid = transcript.new_call()
    transcript.note("postcode: a company postcode twice")
    transcript.walk(call_sid, PREFIX["postcode"], record_from=99)
    transcript.call(call_sid, "/voice/gather/postcode/1", Digits="30417")
    transcript.call(call_sid, "/voice/gather/postcode/2", Digits="30125")
    assert_snapshot("voice_menu_retries.txt", transcript.text())


def test_whole_calls_in_german_and_english(transcript: Transcript, roster: None, runner: Any,
                                           clock: FrozenClock) -> None:
    transcript.note("German, child: every answer")
    transcript.walk(transcript.new_call(), HAPPY)
    clock.advance(minutes=1)  # the case list is newest first
    transcript.note("German, eldercare: every answer")
    transcript.walk(transcript.new_call(), [("caller_type", "1"), ("care_type", "2"), ("care_level", "3"),
                                            ("postcode", "30669"), ("urgency", "2"), ("reason", "2")])
    clock.advance(minutes=1)
    transcript.note("English (9), child: every answer")
    transcript.walk(transcript.new_call(), [("caller_type", "9"), *HAPPY])
    clock.advance(minutes=1)
    transcript.note("English (9), eldercare, care level unknown (0), then silence twice at urgency")
    transcript.walk(transcript.new_call(), [("caller_type", "9"), ("caller_type", "1"), ("care_type", "2"),
                                            ("care_level", "0"), ("postcode", "30159"), ("urgency", None)])
    listed = runner.invoke(args=["cases", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert_snapshot("cases_from_calls.json", normalise_json(listed.output))
    transcript.note("English: every key at every question")
    for step, prefix in PREFIX.items():
        for digits in [None, *"0123456789", "*"]:
            transcript.note(f"English {step}: {'silence' if digits is None else repr(digits)}")
            transcript.walk(transcript.new_call(), [("caller_type", "9"), *prefix, (step, digits)],
                            record_from=len(prefix) + 2)
    transcript.note("English: outside the region, a company postcode, a shared postcode")
    for code in ("10115", "30417", "30669"):
        transcript.walk(transcript.new_call(), [("caller_type", "9"), *PREFIX["postcode"], ("postcode", code)],
                        record_from=len(PREFIX["postcode"]) + 2)
    assert_snapshot("voice_calls.txt", transcript.text())


def test_whole_calls_in_the_other_languages(transcript: Transcript, roster: None) -> None:
    for language in ("tr", "ar", "ru", "uk", "pl"):
        key = KEY_OF[language]
        transcript.note(f"{name(language, 'en')} ({key}), child: every answer")
        transcript.walk(transcript.new_call(), [("caller_type", key), *HAPPY])
        _dial_stages(transcript, language_keys=[("caller_type", key), *HAPPY], title=name(language, "en"))
    assert_snapshot("voice_calls_languages.txt", transcript.text())


def _digits(digits: str | None) -> dict[str, Any]:
    """The keys pressed as a webhook parameter (none: the caller stayed silent)."""
    return {} if digits is None else {"Digits": digits}


def _dial_stages(transcript: Transcript, *, language_keys: Sequence[tuple[str, str | None]], title: str) -> None:
    call_sid = transcript.new_call()
    transcript.note(f"{title}: nobody answers, primary -> backup -> office -> voicemail")
    transcript.walk(call_sid, language_keys, record_from=len(language_keys))
    transcript.call(call_sid, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
    transcript.call(call_sid, "/voice/dial/backup", DialCallStatus="busy", DialBridged="false")
    transcript.call(call_sid, "/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")
    transcript.call(call_sid, "/voice/voicemail/0", RecordingSid="RE" + "1" * 32,
                    RecordingUrl="https://api.twilio.com/rec", RecordingDuration="17")


def test_dial_stages_screening_and_voicemail(transcript: Transcript, roster: None, session: Session) -> None:
    _dial_stages(transcript, language_keys=HAPPY, title="German")
    _dial_stages(transcript, language_keys=[("caller_type", "9"), *HAPPY], title="English")
    # /voice/voicemail/0 above is an unknown case: the caller is thanked all the same.
    for who, keys in (("German", HAPPY), ("English", [("caller_type", "9"), *HAPPY])):
        call_sid = transcript.new_call()
        transcript.note(f"{who}: the voicemail of a known case")
        transcript.walk(call_sid, keys, record_from=99)
        case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
        transcript.call(call_sid, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false")
        transcript.call(call_sid, "/voice/dial/backup", DialCallStatus="no-answer", DialBridged="false")
        transcript.call(call_sid, "/voice/dial/fallback", DialCallStatus="failed", DialBridged="false")
        transcript.call(call_sid, f"/voice/voicemail/{case.id}", RecordingSid="RE" + "2" * 32,
                        RecordingUrl="https://api.twilio.com/rec2", RecordingDuration="9")

    call_sid = transcript.new_call()
    transcript.note("screening: the coordinator hears the case and presses 1; the call ends after the talk")
    transcript.walk(call_sid, HAPPY, record_from=99)
    case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
    leg = "CB" + "1" * 32
    transcript.post(f"/voice/screen/{case.id}", CallSid=leg, ParentCallSid=call_sid, To=ANNA)
    transcript.post(f"/voice/screen/{case.id}/answer", CallSid=leg, To=ANNA, Digits="1")
    transcript.call(call_sid, "/voice/dial/primary", DialCallStatus="completed", DialBridged="true",
                    DialCallSid=leg)
    transcript.post("/voice/leg-status", CallSid=leg, CallStatus="completed")
    transcript.call(call_sid, "/voice/status", CallStatus="completed")

    for answer in (None, "2", "#"):
        call_sid = transcript.new_call()
        transcript.note(f"screening: the coordinator does not press 1 ({answer!r}); the backup rings")
        transcript.walk(call_sid, HAPPY, record_from=99)
        case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
        leg = transcript.new_call()
        transcript.post(f"/voice/screen/{case.id}", CallSid=leg, ParentCallSid=call_sid, To=ANNA)
        transcript.post(f"/voice/screen/{case.id}/answer", CallSid=leg, To=ANNA,
                        **({} if answer is None else {"Digits": answer}))
        transcript.call(call_sid, "/voice/dial/primary", DialCallStatus="completed", DialBridged="false",
                        DialCallSid=leg)
        transcript.post(f"/voice/screen/{case.id}", CallSid=transcript.new_call(), ParentCallSid=call_sid, To=BEN)

    call_sid = transcript.new_call()
    transcript.note("the caller hangs up while it rings")
    transcript.walk(call_sid, HAPPY, record_from=99)
    transcript.call(call_sid, "/voice/dial/primary", DialCallStatus="no-answer", DialBridged="false",
                    CallStatus="completed")
    transcript.call(call_sid, "/voice/status", CallStatus="completed")
    transcript.post("/voice/recording", CallSid=transcript.new_call(), RecordingSid="RE" + "3" * 32,
                    RecordingStatus="completed", RecordingUrl="https://api.twilio.com/rec3", RecordingDuration="5")
    assert_snapshot("voice_dial_screening_voicemail.txt", transcript.text())


def test_nobody_on_the_roster(transcript: Transcript) -> None:
    call_sid = transcript.new_call()
    transcript.note("nobody on duty: the office, then voicemail")
    transcript.walk(call_sid, HAPPY, record_from=len(HAPPY))
    transcript.call(call_sid, "/voice/dial/fallback", DialCallStatus="no-answer", DialBridged="false")
    assert_snapshot("voice_no_roster.txt", transcript.text())


@pytest.mark.parametrize("when", [
    datetime(2026, 11, 29, 10, 0, tzinfo=BERLIN),  # a Sunday
    datetime(2026, 11, 28, 23, 30, tzinfo=BERLIN),  # Saturday night
    datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN),  # Christmas Day
], ids=["sunday", "saturday-night", "christmas"])
def test_after_hours(transcript: Transcript, clock: FrozenClock, session: Session, when: datetime) -> None:
    clock.set(when)
    make_roster(session, now=when)
    call_sid = transcript.new_call()
    transcript.note(f"closed at {when.isoformat()}")
    transcript.walk(call_sid, [])
    case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
    transcript.call(call_sid, f"/voice/voicemail/{case.id}", RecordingSid="RE" + "4" * 32, RecordingDuration="3")
    assert_snapshot(f"voice_closed_{when.date().isoformat()}_{when.hour:02d}.txt", transcript.text())


def test_static_fallback(transcript: Transcript) -> None:
    call_sid = transcript.new_call()
    transcript.note("the number's fallback URL")
    transcript.call(call_sid, "/voice/fallback")
    transcript.call(call_sid, "/voice/fallback/after-dial", DialCallStatus="completed", DialBridged="true")
    transcript.call(call_sid, "/voice/fallback/after-dial", DialCallStatus="no-answer")
    transcript.call(call_sid, "/voice/fallback/screen")
    transcript.call(call_sid, "/voice/fallback/screen-answer", Digits="1")
    transcript.call(call_sid, "/voice/fallback/screen-answer", Digits="2")
    transcript.call(call_sid, "/voice/fallback/screen-answer")
    transcript.call(call_sid, "/voice/fallback/recorded", RecordingSid="RE" + "5" * 32)
    transcript.note("requests the menu cannot place answer with the fallback")
    transcript.call(call_sid, "/voice/gather/nonsense/1", Digits="1")
    transcript.call(call_sid, "/voice/dial/nonsense")
    transcript.post("/voice/incoming", From=PARENT)
    assert_snapshot("voice_fallback.txt", transcript.text())


def test_call_back_legs(transcript: Transcript, session: Session, clock: FrozenClock) -> None:
    from tests.factories_dispatch import make_dispatchable_case

    case = make_dispatchable_case(session, now=clock.now(), call_sid="CA-callback", needs_callback=True)
    english = make_dispatchable_case(session, now=clock.now(), call_sid="CA-callback-en", language="en",
                                     care_type="eldercare", care_level=2, children=None, child_age=None)
    withheld = make_dispatchable_case(session, now=clock.now(), call_sid="CA-withheld", caller=None)
    session.commit()
    for title, target, answered_by in (("a person answers", case, "human"), ("English case", english, "human"),
                                       ("a mailbox answers", case, "machine_start"),
                                       ("no parent's number", withheld, "human")):
        transcript.note(f"call back: {title}")
        transcript.post(f"/voice/callback/{target.id}", CallSid=transcript.new_call(), AnsweredBy=answered_by)
    transcript.note("call back: unknown case")
    transcript.post("/voice/callback/999999", CallSid=transcript.new_call(), AnsweredBy="human")
    for answered_by in ("human", "machine_start"):
        transcript.note(f"call back: the family's phone answered by {answered_by}")
        transcript.post(f"/voice/callback/{case.id}/family", CallSid=transcript.new_call(), AnsweredBy=answered_by)
    for status in ("completed", "no-answer", "busy"):
        transcript.note(f"call back: the parent's leg ended {status}")
        transcript.post(f"/voice/callback/{case.id}/dialed", CallSid=transcript.new_call(), DialCallStatus=status)
    transcript.post(f"/voice/callback/{case.id}/status", CallSid=transcript.new_call(), CallStatus="no-answer")
    assert_snapshot("voice_callback.txt", transcript.text())
