"""insert_ignore tells a first insert from a repeat on both databases (webhook idempotency rests on it)."""

from typing import Any

from cases.events import EventKind
from core.database import insert_ignore
from models import InboundMessage
from tests.factories import make_case


def test_second_insert_of_the_same_key_reports_false(session: Any, clock: Any) -> None:
    row = {"message_sid": "SM" + "1" * 32, "from_number": None, "body": "JA", "received_at": clock.now()}
    assert insert_ignore(session, InboundMessage.__table__, row, ["message_sid"]) is True
    assert insert_ignore(session, InboundMessage.__table__, row, ["message_sid"]) is False


def test_record_event_recognises_a_repeated_delivery(session: Any, clock: Any) -> None:
    from cases.service import record_event

    case = make_case(session, now=clock.now())
    assert record_event(session, case, key="gather:postcode:1", kind=EventKind.MENU_ANSWER, now=clock.now()) is True
    assert record_event(session, case, key="gather:postcode:1", kind=EventKind.MENU_ANSWER, now=clock.now()) is False
