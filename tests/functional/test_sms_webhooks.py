"""POST /sms/incoming over signed HTTP: always an empty TwiML 200; replies only ever through the outbox."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from dispatch.sms_commands import REPLY_LIMIT_PER_HOUR
from models import Caregiver, Case, Dispatch, InboundMessage, OfferStatus, OutboxMessage
from tests.factories import ANNA, make_shift
from tests.factories_dispatch import DORA, make_caregiver, make_dispatchable_case, open_offer_of
from tests.helpers import twilio_post, twiml, verbs

HOTLINE = "+4951187654321"
STRANGER = "+4917699999999"
_sids = count(1)


def text(client: Any, body: str, *, sender: str = DORA, sid: str | None = None, **extra: str) -> Any:
    """Post a signed incoming SMS as Twilio would; return the response."""
    params = {
        "MessageSid": sid or f"SM{next(_sids):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": HOTLINE,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    return twilio_post(client, "/sms/incoming", params)


def assert_empty_twiml(response: Any) -> None:
    """The answer Twilio gets: 200, a <Response/> with no verbs (no <Message>: replies go via the outbox)."""
    assert verbs(twiml(response)) == []


def replies_to(session: Session, number: str) -> list[OutboxMessage]:
    """Return the automatic replies queued to a number."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_number == number, OutboxMessage.purpose.startswith("reply"))
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def dora(session: Session, clock: FrozenClock) -> Caregiver:
    """A caregiver in Hannover-Mitte."""
    return make_caregiver(session, phone=DORA, now=clock.now())


def test_an_unsigned_sms_is_refused(client: Any, session: Session) -> None:
    response = client.post(
        "/sms/incoming", data={"MessageSid": "SM" + "0" * 32, "From": DORA, "Body": "STOP"}
    )
    assert response.status_code == 403
    assert session.scalars(select(InboundMessage)).all() == []


def test_a_wrongly_signed_sms_is_refused(client: Any, session: Session, dora: Caregiver) -> None:
    params = {"MessageSid": "SM" + "0" * 32, "From": DORA, "Body": "STOP"}
    response = twilio_post(client, "/sms/incoming", params, token="not-the-token")
    assert response.status_code == 403
    session.refresh(dora)
    assert dora.opted_out is False


@pytest.mark.parametrize(
    "body",
    [
        "",
        "JA 12",
        "x" * 5000,
        "🙂" * 2000,
        "<Response><Message>hi</Message></Response>",
        "<script>alert(1)</script>",
        "]]><!--",
        "\u202e\u0000\ufeff",
        "Ja & nein; DROP TABLE offers; --",
        "ＳＴＯＰ",
    ],
)
def test_every_answer_is_an_empty_twiml_200(
    client: Any, session: Session, dora: Caregiver, body: str
) -> None:
    response = text(client, body)

    assert_empty_twiml(response)
    message = session.scalars(select(InboundMessage)).one()
    assert len(message.body) <= 1600
    assert message.outcome not in (None, "stored", "error")


def test_a_body_of_5000_characters_is_cut_by_the_webhook(
    client: Any, session: Session, dora: Caregiver
) -> None:
    assert_empty_twiml(text(client, "JA " + "1" * 4997))
    message = session.scalars(select(InboundMessage)).one()
    assert len(message.body) == 1600 and message.outcome == "unknown"


def test_a_message_without_sid_or_sender_is_answered_and_ignored(client: Any, session: Session) -> None:
    assert_empty_twiml(twilio_post(client, "/sms/incoming", {"From": DORA, "Body": "STOP"}))
    assert_empty_twiml(text(client, "STOP", sender=""))
    message = session.scalars(select(InboundMessage)).one()
    assert message.from_number is None and message.outcome == "no_sender"
    assert session.scalars(select(OutboxMessage)).all() == []


def test_a_repeated_message_sid_changes_nothing(client: Any, session: Session, dora: Caregiver) -> None:
    sid = "SM" + "7" * 32
    for _ in range(3):
        assert_empty_twiml(text(client, "STOP", sid=sid))
    assert_empty_twiml(text(client, "START", sid=sid))  # same SID, other body: still the first message

    assert len(session.scalars(select(InboundMessage)).all()) == 1
    session.refresh(dora)
    assert dora.opted_out is True
    assert [r.body for r in replies_to(session, DORA)] == [
        "Sie erhalten keine Anfragen mehr. Mit START melden Sie sich wieder an."
    ]


def test_ja_over_the_webhook_assigns_the_case(
    client: Any, session: Session, clock: FrozenClock, dora: Caregiver
) -> None:
    case = make_dispatchable_case(session, now=clock.now(), call_sid="CA" + "d" * 32)
    make_shift(session, phone=ANNA, starts_at=clock.now() - timedelta(hours=1))

    assert_empty_twiml(text(client, f"SENDEN {case.reference}", sender=ANNA))
    offer = open_offer_of(session, case=case, caregiver=dora)
    clock.advance(minutes=2)
    sid = "SM" + "8" * 32
    assert_empty_twiml(text(client, f"ja {offer.code}", sid=sid))
    assert_empty_twiml(text(client, f"ja {offer.code}", sid=sid))  # Twilio retried

    session.refresh(offer)
    session.refresh(case)
    assert offer.status is OfferStatus.ACCEPTED and case.caregiver == DORA
    assert session.scalars(select(Dispatch)).one().started_by == "sms:+49…001"
    (confirmation,) = replies_to(session, ANNA)
    assert confirmation.body == f"Fall {case.reference}: Anfrage an 1 Betreuungskraft verschickt."
    assert replies_to(session, DORA) == []
    outcomes = [m.outcome for m in session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
    assert outcomes == ["send_started", "yes_won"]


def test_the_unknown_number_pointer_goes_out_once_a_day(
    client: Any, session: Session, clock: FrozenClock
) -> None:
    for _ in range(4):
        assert_empty_twiml(text(client, "Hallo?", sender=STRANGER))
        clock.advance(hours=2)
    clock.advance(hours=17)
    assert_empty_twiml(text(client, "Hallo?", sender="0176 99999999"))

    (pointer, again) = replies_to(session, STRANGER)
    assert "0511 87654321" in pointer.body and pointer.body == again.body
    outcomes = [m.outcome for m in session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
    assert outcomes == ["pointer"] + ["pointer_suppressed"] * 3 + ["pointer"]


def test_a_loop_with_an_autoresponder_is_cut_off(
    client: Any, session: Session, clock: FrozenClock, dora: Caregiver
) -> None:
    for i in range(REPLY_LIMIT_PER_HOUR + 10):
        assert_empty_twiml(text(client, f"Ich bin bis Montag nicht erreichbar. ({i})"))
        clock.advance(seconds=20)

    assert len(replies_to(session, DORA)) == REPLY_LIMIT_PER_HOUR
    outcomes = [m.outcome for m in session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
    assert outcomes.count("rate_limited") == 10


def test_a_coordinator_starts_a_dispatch_for_a_case_that_has_none(
    client: Any, session: Session, clock: FrozenClock
) -> None:
    case: Case = make_dispatchable_case(session, now=clock.now(), call_sid="CA" + "e" * 32, postcode=None)
    make_shift(session, phone=ANNA, starts_at=clock.now() - timedelta(hours=1))

    assert_empty_twiml(text(client, f"SENDEN {case.reference}", sender=ANNA))

    (answer,) = replies_to(session, ANNA)
    assert answer.body.startswith(f"Fall {case.reference}: Anfragen nicht verschickt.")
