"""Hostile and broken input on every Twilio webhook: never a 5xx, always valid TwiML, nothing stored twice.

The property tests sign every random request as Twilio would (otherwise they would only test the
403) and send it twice: the second delivery must leave the same row counts as the first. Budgets
are fixed and derandomized, so CI runs the same examples every time (about 15 s per backend).
"""

from __future__ import annotations

import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app import MAX_REQUEST_BYTES
from ivr.menu import Step
from models import InboundMessage
from models.base import Base
from routing.dialplan import StageKind
from routing.twiml import render_fallback
from tests.factories import PARENT, make_case, make_roster
from tests.factories_dispatch import DORA, make_caregiver
from tests.helpers import PUBLIC_BASE_URL, TEST_TOKEN, sign

CALL = "CA" + "f" * 32
HOTLINE = "+4951187654321"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- What a valid answer looks like ---

#: TwiML voice verbs, and the nouns each verb may hold (text-only elements hold nothing).
VERBS: dict[str, set[str]] = {
    "Say": set(), "Play": set(), "Pause": set(), "Hangup": set(), "Redirect": set(), "Reject": set(),
    "Record": set(), "Gather": {"Say", "Play", "Pause"}, "Dial": {"Number", "Client", "Sip", "Conference", "Queue"},
}
NOUNS = {"Number", "Client", "Sip", "Conference", "Queue"}


def assert_valid_voice_twiml(response: Any, path: str) -> ET.Element:
    """Fail unless the response is a 200 TwiML <Response> made only of known verbs, properly nested."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype in ("text/xml", "application/xml")
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    # Only an accepted screening, and a call-back's family answering herself, end with an empty document
    # (it bridges the call).
    if "/screen" not in path and not path.endswith("/family"):
        assert len(root) > 0, "a voice answer without a verb hangs up on the caller"
    for verb in root:
        assert verb.tag in VERBS, verb.tag
        for child in verb:
            assert child.tag in VERBS[verb.tag], f"<{child.tag}> inside <{verb.tag}>"
            assert len(child) == 0 or child.tag not in NOUNS
    return root


def assert_empty_twiml(response: Any) -> None:
    """Fail unless the response is a 200 <Response/> with no verbs (status callbacks, SMS)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype in ("text/xml", "application/xml")
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    assert list(root) == []


class _Errors(logging.Handler):
    """Collect every ERROR (or worse) record: a handler that failed, however well its answer looks."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_error_logged() -> Iterator[None]:
    """Fail when anything below logs an error: the never-drop wrapper turns any exception into valid
    TwiML, so a valid answer alone proves nothing about the handler behind it."""
    collector = _Errors()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    failures = [f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
                for r in collector.records]
    assert failures == [], failures


# --- Signed requests with arbitrary (also repeated) parameters ---


def signed_post(client: Any, path: str, pairs: list[tuple[str, str]]) -> Any:
    """POST form pairs (keys may repeat) with the signature Twilio would compute for them."""
    signature = RequestValidator(TEST_TOKEN).compute_signature(PUBLIC_BASE_URL + path, MultiDict(pairs))
    return client.post(path, data=urlencode(pairs), headers={"X-Twilio-Signature": signature},
                       content_type="application/x-www-form-urlencoded")


def raw_post(client: Any, path: str, body: bytes, content_type: str,
             signed_params: dict[str, str] | None = None) -> Any:
    """POST a raw body, signed over the parameters the app will parse from it."""
    headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, signed_params or {})}
    return client.post(path, data=body, headers=headers, content_type=content_type)


def row_counts(connection: Connection) -> dict[str, int]:
    """Return the number of rows in every table."""
    return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables}


# Text a form can carry: any code point but lone surrogates (which UTF-8 cannot encode).
LONE_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
any_text = st.text(st.characters(blacklist_categories=LONE_SURROGATES), max_size=40)
hostile = st.one_of(
    any_text,
    st.sampled_from(["", " ", "\x00", "\r\n", "\x1b[31m", "<Say>x</Say>", "]]>", "&amp;&", "' OR 1=1 --",
                     "%s%s%n", "{0}", "\u202e", "\ufeff", "😀" * 5, "𝟘𝟙𝟚", "٣٠١٥٩", "1" * 5000]),
    st.text(st.characters(blacklist_categories=LONE_SURROGATES), min_size=1000, max_size=4000),
)
digits = st.one_of(st.from_regex(r"\A[0-9*#]{0,8}\Z"), st.sampled_from(["1", "9", "0", "30159", "#", "3#"]), hostile)
phone = st.one_of(st.sampled_from([PARENT, "+4951187654321", "+4915700000001", "0511 1234567", "anonymous",
                                   "+266696687", "client:Anonymous", "+49"]), hostile)
sid = st.one_of(st.just(CALL), st.from_regex(r"\A(CA|SM|RE)[0-9a-f]{32}\Z"), hostile)
status = st.one_of(st.sampled_from(["queued", "ringing", "in-progress", "completed", "busy", "no-answer",
                                    "failed", "canceled", "delivered", "undelivered", "sent", "absent"]), hostile)
boolean = st.one_of(st.sampled_from(["true", "false", "TRUE", ""]), hostile)

#: Twilio's parameter names, each with values of its shape and hostile ones.
PARAMS: dict[str, st.SearchStrategy[str]] = {
    "CallSid": sid, "ParentCallSid": sid, "DialCallSid": sid, "MessageSid": sid, "RecordingSid": sid,
    "AccountSid": sid, "From": phone, "To": phone, "Called": phone, "Caller": phone, "Digits": digits,
    "CallStatus": status, "DialCallStatus": status, "MessageStatus": status, "RecordingStatus": status,
    "DialBridged": boolean, "RecordingUrl": st.one_of(st.just("https://api.twilio.com/rec/RE1"), hostile),
    "RecordingDuration": st.one_of(st.integers(-10**20, 10**20).map(str), hostile),
    "ErrorCode": st.one_of(st.sampled_from(["30003", "21610", "21211"]), hostile),
    "Body": st.one_of(st.sampled_from(["JA", "NEIN", "JA 1234", "ja!!", "SENDEN FX-1", "STOP", "START", "HILFE", "SENDEN 1", "ja 1"]), hostile),
    "NumMedia": st.one_of(st.just("0"), hostile), "SpeechResult": hostile,
}


#: A Twilio request as it usually looks (for the live call, the hotline, a caregiver's SMS).
TYPICAL = {"CallSid": CALL, "AccountSid": "AC" + "0" * 32, "From": PARENT, "To": HOTLINE, "Called": HOTLINE,
           "CallStatus": "in-progress", "Digits": "1", "DialCallStatus": "completed", "DialBridged": "true",
           "DialCallSid": "CA" + "d" * 32, "ParentCallSid": CALL, "RecordingSid": "RE" + "e" * 32,
           "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "12",
           "RecordingStatus": "completed", "MessageSid": "SM" + "5" * 32, "MessageStatus": "delivered",
           "Body": "JA", "NumMedia": "0"}


@st.composite
def form_pairs(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Draw a Twilio-like form: typical values, some dropped (CallSid too), some hostile, repeated keys, junk keys."""
    pairs: list[tuple[str, str]] = []
    for name, typical in TYPICAL.items():
        choice = draw(st.sampled_from(["typical", "typical", "shaped", "hostile", "missing"]))
        if choice == "typical":
            pairs.append((name, typical))
        elif choice == "shaped":
            pairs.append((name, draw(PARAMS[name])))
        elif choice == "hostile":
            pairs.append((name, draw(hostile)))
    for name in draw(st.lists(st.sampled_from(sorted(PARAMS)), max_size=2)):  # repeated keys
        pairs.append((name, draw(PARAMS[name])))
    pairs += draw(st.lists(st.tuples(any_text.filter(bool), hostile), max_size=2))
    return draw(st.permutations(pairs))


#: -1 stands for the live call's case id (ids differ between backends).
number_in_path = st.one_of(st.just(-1), st.integers(0, 5), st.integers(0, 10**30), st.just(2**63), st.just(2**31))
name_in_path = st.from_regex(r"\A[a-z_0-9]{1,60}\Z")

#: Every webhook Twilio may call, as a path strategy; the flag says whether it answers a caller.
VOICE_PATHS = st.one_of(
    st.just("/voice/incoming"),
    st.builds("/voice/gather/{}/{}".format, st.one_of(st.sampled_from([s.value for s in Step]), name_in_path),
              number_in_path),
    st.builds("/voice/dial/{}".format, st.one_of(st.sampled_from([k.value for k in StageKind]), name_in_path)),
    st.builds("/voice/voicemail/{}".format, number_in_path),
    st.builds("/voice/screen/{}".format, number_in_path),
    st.builds("/voice/screen/{}/answer".format, number_in_path),
    st.sampled_from(["/voice/fallback", "/voice/fallback/after-dial", "/voice/fallback/screen",
                     "/voice/fallback/screen-answer", "/voice/fallback/recorded"]),
    st.builds("/voice/callback/{}".format, number_in_path),
    st.builds("/voice/callback/{}/dialed".format, number_in_path),
    st.builds("/voice/callback/{}/family".format, number_in_path),
)
CALLBACK_PATHS = st.one_of(
    st.sampled_from(["/voice/leg-status", "/voice/status", "/voice/recording", "/sms/status", "/sms/incoming",
                     "/sms/fallback"]),
    st.builds("/voice/callback/{}/status".format, st.integers(1, 5)),
)
ALL_PATHS = ["/voice/incoming", "/voice/gather/caller_type/1", "/voice/gather/postcode/2", "/voice/dial/primary",
             "/voice/screen/1", "/voice/screen/1/answer", "/voice/leg-status", "/voice/status",
             "/voice/recording", "/voice/voicemail/1", "/voice/fallback", "/voice/fallback/after-dial",
             "/voice/fallback/screen", "/voice/fallback/screen-answer", "/voice/fallback/recorded",
             "/sms/incoming", "/sms/fallback", "/sms/status", "/voice/callback/1", "/voice/callback/1/dialed",
             "/voice/callback/1/status", "/voice/callback/1/family"]
VOICE_ANSWERS = [p for p in ALL_PATHS if p.startswith("/voice/") and p not in
                 ("/voice/leg-status", "/voice/status", "/voice/recording", "/voice/callback/1/status")]


@pytest.fixture
def live_call(session: Any, clock: Any) -> int:
    """A roster on duty and a call in the middle of the menu, so random requests reach deep code."""
    make_roster(session, now=clock.now())
    make_caregiver(session, now=clock.now())
    case = make_case(session, now=clock.now(), call_sid=CALL)
    session.commit()
    return case.id


# --- The properties ---


@FUZZ
@given(path=VOICE_PATHS, pairs=form_pairs())
def test_voice_webhooks_always_answer_with_valid_twiml_and_store_nothing_twice(
    client: Any, connection: Connection, live_call: int, path: str, pairs: list[tuple[str, str]]
) -> None:
    path = path.replace("/-1", f"/{live_call}")
    with no_error_logged():
        if not_an_id(path):  # Twilio only requests the ids our TwiML names: anything else is 404 (issue 10 §1)
            assert signed_post(client, path, pairs).status_code == 404, path
            return
        assert_valid_voice_twiml(signed_post(client, path, pairs), path)
        after_first = row_counts(connection)
        assert_valid_voice_twiml(signed_post(client, path, pairs), path)
    assert row_counts(connection) == after_first


def not_an_id(path: str) -> bool:
    """Return True when a number in the path is no id (ids are 1..2^31-1): such a URL matches no route."""
    return any(part.isdigit() and not 1 <= int(part) <= 2**31 - 1 for part in path.split("/"))


@FUZZ
@given(path=CALLBACK_PATHS, pairs=form_pairs())
def test_status_callbacks_and_sms_answer_empty_twiml_and_store_nothing_twice(
    client: Any, connection: Connection, live_call: int, path: str, pairs: list[tuple[str, str]]
) -> None:
    with no_error_logged():
        assert_empty_twiml(signed_post(client, path, pairs))
        after_first = row_counts(connection)
        assert_empty_twiml(signed_post(client, path, pairs))
    assert row_counts(connection) == after_first


#: Well-formed requests for each voice answer that must be handled by the webhook itself.
WELL_FORMED = {
    "/voice/incoming": {},
    "/voice/gather/caller_type/1": {"Digits": "1"},
    "/voice/dial/primary": {"DialCallStatus": "no-answer", "DialBridged": "false"},
    "/voice/screen/{case}": {},
    "/voice/screen/{case}/answer": {"Digits": "1"},
}


def test_a_well_formed_request_is_answered_by_its_webhook_not_by_the_fallback(
    client: Any, live_call: int, settings: Any
) -> None:
    fallback = str(render_fallback(settings))
    for template, extra in WELL_FORMED.items():
        path = template.format(case=live_call)
        with no_error_logged():
            response = signed_post(client, path, list({**TYPICAL, **extra}.items()))
        assert_valid_voice_twiml(response, path)
        assert response.get_data(as_text=True) != fallback, f"{path} answered with the fallback"


# --- Raw bodies the form parser sees before any view (all webhooks in one app, to stay fast) ---


def assert_valid_answer(response: Any, path: str) -> None:
    """Fail unless the response is what this webhook must always answer: TwiML for a call, or empty TwiML."""
    if path in VOICE_ANSWERS:
        assert_valid_voice_twiml(response, path)
    else:
        assert_empty_twiml(response)


def test_a_body_over_the_size_limit_is_refused_with_413(client: Any) -> None:
    params = {"CallSid": CALL, "Body": "x" * MAX_REQUEST_BYTES}
    body = urlencode(params).encode()
    for path in ALL_PATHS:
        unsigned = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert unsigned.status_code == 413, path
        signed = raw_post(client, path, body, "application/x-www-form-urlencoded", params)
        assert signed.status_code == 413, path
        multipart = client.post(path, data={"CallSid": CALL, "f": (io.BytesIO(b"x" * MAX_REQUEST_BYTES), "f.bin")},
                                content_type="multipart/form-data")
        assert multipart.status_code == 413, path


def test_a_streamed_body_without_length_over_the_limit_is_never_read_whole(client: Any) -> None:
    params = {"CallSid": CALL, "Body": "x" * MAX_REQUEST_BYTES}
    body = urlencode(params).encode()
    for path in ("/voice/incoming", "/sms/incoming"):
        # Chunked transfer (no usable Content-Length): Werkzeug stops reading at MAX_CONTENT_LENGTH, so
        # the parameters are cut and even Twilio's signature over the whole body no longer matches.
        response = client.post(
            path, input_stream=io.BytesIO(body), environ_base={"wsgi.input_terminated": True},
            headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked",
                     "X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params)})
        assert response.status_code in (403, 413), path


def test_a_body_just_under_the_limit_is_read(client: Any, live_call: int) -> None:
    params = {"CallSid": CALL, "From": PARENT, "Junk": "x" * (MAX_REQUEST_BYTES - 200)}
    assert len(urlencode(params)) <= MAX_REQUEST_BYTES
    root = assert_valid_voice_twiml(signed_post(client, "/voice/incoming", list(params.items())), "/voice/incoming")
    assert root[0].tag == "Gather"


def test_invalid_utf8_in_the_body_never_fails(client: Any, live_call: int) -> None:
    raw = b"CallSid=" + CALL.encode() + b"&From=%2B49\xff\xfe151&Digits=\xc3\x28&Body=\xed\xa0\x80"
    escaped = b"CallSid=" + CALL.encode() + b"&From=%FF%FE&Digits=%C3%28&Body=%ED%A0%80"
    # Percent-escaped invalid UTF-8 survives decoding as the escape itself.
    parsed = {"CallSid": CALL, "From": "%FF%FE", "Digits": "%C3(", "Body": "%ED%A0%80"}
    meant = {"CallSid": CALL, "From": "+49\ufffd\ufffd151"}
    for path in ALL_PATHS:
        # Werkzeug cannot decode the raw body and reads no parameters at all: that empty form is signed.
        assert_valid_answer(raw_post(client, path, raw, "application/x-www-form-urlencoded"), path)
        # Signed over what the sender meant, it is refused, never a crash.
        assert raw_post(client, path, raw, "application/x-www-form-urlencoded", meant).status_code == 403, path
        assert_valid_answer(raw_post(client, path, escaped, "application/x-www-form-urlencoded", parsed), path)


WRONG_BODIES = [
    (b'{"CallSid": "' + CALL.encode() + b'", "From": "' + PARENT.encode() + b'"}', "application/json"),
    (b"CallSid=" + CALL.encode(), "text/plain"),
    (b"<xml><CallSid>x</CallSid></xml>", "application/xml"),
    (b'--b\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\nCA1\r\n--b', "multipart/form-data; boundary=b"),
    (b'--b\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\nCA1\r\n--b--\r\n', "multipart/form-data"),
    (b"\x00" * 100, "application/octet-stream"),
    (b"CallSid=" + CALL.encode(), ""),
]


def test_wrong_content_types_never_fail(client: Any, live_call: int) -> None:
    for path in ALL_PATHS:
        for body, content_type in WRONG_BODIES:
            # None of these bodies yields form parameters, so a signature over the bare URL is the valid one.
            assert_valid_answer(raw_post(client, path, body, content_type), path)
            assert client.post(path, data=body, content_type=content_type).status_code == 403, path


def test_a_multipart_form_is_read_like_a_urlencoded_one(client: Any, live_call: int) -> None:
    params = {"CallSid": CALL, "From": PARENT}
    response = client.post("/voice/incoming", data=params, content_type="multipart/form-data",
                           headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/voice/incoming", params)})
    assert assert_valid_voice_twiml(response, "/voice/incoming")[0].tag == "Gather"


def test_other_methods_are_refused_with_405(client: Any) -> None:
    for path in ALL_PATHS:
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            assert client.open(path, method=method).status_code == 405, (method, path)


def test_a_nul_character_costs_the_caller_not_her_menu_nor_the_sms_its_processing(
    client: Any, session: Any, live_call: int
) -> None:
    # PostgreSQL text cannot hold NUL: a value carrying one used to fail the unit of work, so the
    # caller heard the fallback instead of the menu and the SMS was dropped.
    call = [("CallSid", "CA" + "7" * 32 + "\x00"), ("From", PARENT + "\x00")]
    root = assert_valid_voice_twiml(signed_post(client, "/voice/incoming", call), "/voice/incoming")
    assert root[0].tag == "Gather"
    sms = [("MessageSid", "SM" + "7" * 32), ("From", DORA), ("To", HOTLINE), ("Body", "HILFE\x00")]
    assert_empty_twiml(signed_post(client, "/sms/incoming", sms))
    stored = session.scalars(select(InboundMessage).where(InboundMessage.message_sid == "SM" + "7" * 32)).one()
    assert stored.body == "HILFE"
