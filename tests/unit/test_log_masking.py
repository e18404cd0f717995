"""No full phone number in the logs: the mask itself, and what a call, an SMS and the worker really log.

core.logs.MaskPhoneNumbers sits on the stderr handler that configure_logging installs, not on the
loggers, so the records pytest captures still hold the numbers: the tests check that handler's
formatted output, which is what reaches the operator's log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from core.logs import MaskPhoneNumbers, configure_logging, mask_phones_in
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.factories_dispatch import DORA, make_caregiver, make_dispatchable_case, start_test_dispatch
from tests.helpers import twilio_post

NUMBERS = [
    "+4915112345678", "+49 151 12345678", "+49 (0)151 12345678", "0151 12345678", "0151/12345678",
    "(0511) 1234567", "0511-1234567", "004915112345678", "4915112345678", "%2B4915112345678",
    "tel:+4915112345678", "Tel.0151 12345678",
]
NOT_NUMBERS = [
    "127.0.0.1:36401/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
    "http://localhost:5432/test_h8", "CA0123456789abcdef0123456789abcdef", "SM00000000000000000000000000000011",
    "2026-11-23 08:00:00+01:00", "23.11.2026 08:00", "20261123", "took 0.123456789 s", "3.0512345678", "case 12345",
    "FX-2026-0042", "v1.2.3", "10:05:30",
]


@pytest.mark.parametrize("text", NUMBERS)
def test_phone_numbers_in_any_notation_are_masked_to_their_last_digits(text: str) -> None:
    masked = mask_phones_in(f"call from {text} opened")
    assert "12345678" not in masked and "1234567" not in masked
    assert "…" in masked and masked.endswith(" opened")


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_ports_paths_sids_dates_and_decimals_stay_as_they_are(text: str) -> None:
    assert mask_phones_in(f"see {text} now") == f"see {text} now"


def mask_handler() -> logging.Handler:
    """Return the handler configure_logging installs on the root logger, the one that masks."""
    configure_logging()
    return next(h for h in logging.getLogger().handlers if any(isinstance(f, MaskPhoneNumbers) for f in h.filters))


def written(handler: logging.Handler, records: list[logging.LogRecord]) -> str:
    """Return what the handler writes for these records, with separators between digits removed."""
    lines = [handler.format(r) for r in records if handler.filter(r)]
    return re.sub(r"(?<=\d)[\s/().-]+(?=\d)", "", "\n".join(lines))


def test_a_traceback_is_masked_too() -> None:
    handler = mask_handler()
    try:
        raise ValueError("(IntegrityError) duplicate key [parameters: ('+4915112345678', 'CA1')]")
    except ValueError:
        record = logging.getLogger("test").makeRecord("test", logging.ERROR, __file__, 1, "failed for %s",
                                                      ("0151 12345678",), exc_info=__import__("sys").exc_info())
    out = written(handler, [record])
    assert "15112345678" not in out
    assert "Traceback" in out and "ValueError" in out and "+49…678" in out


def test_a_call_an_sms_and_the_worker_log_no_full_number(app: Any, client: Any, session: Any, clock: Any,
                                                        settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    from worker.jobs import tick_job

    handler = mask_handler()
    caplog.set_level(logging.DEBUG)
    services = app.extensions["fluxx"]
    make_roster(session, now=clock.now())
    call = {"CallSid": "CA" + "c" * 32, "From": PARENT, "To": settings.hotline_number}

    # A call through the menu to the primary, who does not answer; the backup screens and accepts.
    twilio_post(client, "/voice/incoming", call)
    for step, digits in [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
                         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]:
        twilio_post(client, f"/voice/gather/{step}/1", {**call, "Digits": digits})
    twilio_post(client, "/voice/dial/primary", {**call, "DialCallStatus": "no-answer", "DialCallSid": "CA" + "d" * 32})
    twilio_post(client, "/voice/status", {**call, "CallStatus": "completed"})

    # A dispatch: the worker sends the offer, the caregiver answers JA, the worker tells the family.
    make_caregiver(session, phone=DORA, now=clock.now())
    case = make_dispatchable_case(session, now=clock.now(), call_sid="CA" + "e" * 32, caller=PARENT)
    start_test_dispatch(session, case=case, now=clock.now(), settings=settings)
    session.commit()
    tick_job(services)
    sms = {"MessageSid": "SM" + "a" * 32, "From": DORA, "To": settings.hotline_number, "Body": "JA"}
    twilio_post(client, "/sms/incoming", sms)
    twilio_post(client, "/sms/incoming", {**sms, "MessageSid": "SM" + "b" * 32, "From": "+4917699999999"})
    tick_job(services)
    logging.getLogger("test").debug("ring %s then %s", ANNA, BEN)  # a careless line is masked too

    out = written(handler, caplog.records)
    assert "+49…678" in out and "+49…011" in out, "the numbers were logged, masked"
    for number in (PARENT, ANNA, BEN, DORA, "+4917699999999"):
        national_significant = number.removeprefix("+49")
        assert national_significant not in out, f"{number} appears in the log"
