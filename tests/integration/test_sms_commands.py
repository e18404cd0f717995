"""Incoming SMS on a real database: every command, every answer, stored once, rate-limited."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from core.settings import Settings
from dispatch.sms_commands import REPLY_LIMIT_PER_HOUR
from dispatch.sms_inbox import handle_incoming_sms
from models import Caregiver, Case, CaseStatus, Dispatch, InboundMessage, Offer, OfferStatus, OutboxMessage
from tests.factories import ANNA, CARLA, PARENT, make_shift
from tests.factories_dispatch import (
    DORA,
    EVA,
    GRACE,
    make_caregiver,
    make_dispatchable_case,
    open_offer_of,
    start_test_dispatch,
)

STRANGER = "+4917699999999"
_sids = count(1)


def sms(
    session: Session,
    body: str,
    *,
    sender: str | None,
    now: datetime,
    settings: Settings,
    sid: str | None = None,
) -> InboundMessage | None:
    """Deliver one SMS as the webhook would; return its stored row, or None for a repeat."""
    sid = sid or f"SM{next(_sids):032d}"
    processed = handle_incoming_sms(
        session, message_sid=sid, from_raw=sender, body=body, now=now, settings=settings
    )
    if not processed:
        return None
    return session.scalars(select(InboundMessage).where(InboundMessage.message_sid == sid)).one()


def replies_to(session: Session, number: str) -> list[OutboxMessage]:
    """Return the automatic replies queued to a number, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_number == number, OutboxMessage.purpose.startswith("reply"))
            .order_by(OutboxMessage.id)
        )
    )


def outbox_to(session: Session, number: str) -> list[OutboxMessage]:
    """Return everything queued to a number, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_number == number).order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def now(clock: FrozenClock) -> datetime:
    """The frozen time of the test."""
    return clock.now()


@pytest.fixture
def dora(session: Session, now: datetime) -> Caregiver:
    """A German-speaking caregiver in Hannover-Mitte."""
    return make_caregiver(session, phone=DORA, now=now)


@pytest.fixture
def case(session: Session, now: datetime) -> Case:
    """A case at 30159 for a 3-year-old, needed now."""
    return make_dispatchable_case(session, now=now, call_sid="CA" + "a" * 32)


def dispatched(session: Session, now: datetime, settings: Settings, n: int = 1) -> list[Case]:
    """Return n cases, each dispatched (offers to every fitting caregiver in the first wave)."""
    cases = []
    for i in range(n):
        c = make_dispatchable_case(session, now=now, call_sid=f"CA{i:032d}")
        start_test_dispatch(session, case=c, now=now, settings=settings)
        cases.append(c)
    return cases


# --- stored once ------------------------------------------------------------------------------


def test_a_repeated_message_sid_changes_nothing(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    first = sms(session, "hilfe", sender=DORA, now=now, settings=settings, sid="SM" + "1" * 32)
    again = sms(
        session, "hilfe", sender=DORA, now=now + timedelta(seconds=5), settings=settings, sid="SM" + "1" * 32
    )

    assert first is not None and first.outcome == "help"
    assert again is None
    assert len(replies_to(session, DORA)) == 1
    assert session.scalars(select(InboundMessage)).all() == [first]


def test_a_repeated_stop_delivery_is_not_confirmed_twice(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    sms(session, "STOP", sender=DORA, now=now, settings=settings, sid="SM" + "2" * 32)
    assert sms(session, "STOP", sender=DORA, now=now, settings=settings, sid="SM" + "2" * 32) is None
    assert len(replies_to(session, DORA)) == 1


@pytest.mark.parametrize("sender", [None, "", "anonymous", "+266696687", "Unknown", "12"])
def test_a_withheld_or_invalid_sender_is_stored_and_not_answered(
    session: Session, now: datetime, settings: Settings, sender: str | None
) -> None:
    message = sms(session, "JA 12", sender=sender, now=now, settings=settings)

    assert message is not None
    assert message.from_number is None and message.outcome == "no_sender"
    assert session.scalars(select(OutboxMessage)).all() == []


def test_the_hotline_never_answers_itself(session: Session, now: datetime, settings: Settings) -> None:
    message = sms(session, "Hallo", sender=settings.hotline_number, now=now, settings=settings)
    assert message is not None and message.outcome == "own_number"
    assert session.scalars(select(OutboxMessage)).all() == []


# --- caregivers: JA -----------------------------------------------------------------------------


def test_ja_with_the_code_wins_the_job(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    offer = open_offer_of(session, case=c, caregiver=dora)

    message = sms(session, f"Ja {offer.code}", sender=DORA, now=now + timedelta(minutes=1), settings=settings)

    assert message is not None and message.outcome == "yes_won"
    session.refresh(offer)
    session.refresh(c)
    assert offer.status is OfferStatus.ACCEPTED
    assert c.status is CaseStatus.ASSIGNED and c.caregiver == DORA
    assert replies_to(session, DORA) == []  # the details come from dispatch.offers, not as a command reply
    assert len(outbox_to(session, DORA)) >= 2  # the offer, then the details
    assert outbox_to(session, PARENT)  # the parent is told


@pytest.mark.parametrize("body", ["ja", "JA!", "j", "yes", "Ja, gerne"])
def test_a_bare_ja_takes_her_only_open_offer(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, body: str
) -> None:
    (c,) = dispatched(session, now, settings)
    message = sms(session, body, sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome == "yes_won"
    session.refresh(c)
    assert c.caregiver == DORA


def test_compact_and_quoted_codes_are_understood(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    code = open_offer_of(session, case=c, caregiver=dora).code
    message = sms(session, f"'ja{code.lower()}'", sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome == "yes_won"


def test_a_second_ja_is_told_the_job_is_taken(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    make_caregiver(session, phone=EVA, now=now)
    (c,) = dispatched(session, now, settings)
    eva = session.scalars(select(Caregiver).where(Caregiver.phone == EVA)).one()
    eva_code = open_offer_of(session, case=c, caregiver=eva).code

    won = sms(session, "JA", sender=DORA, now=now, settings=settings)
    late = sms(session, f"JA {eva_code}", sender=EVA, now=now + timedelta(seconds=2), settings=settings)

    assert won is not None and won.outcome == "yes_won"
    assert late is not None and late.outcome in ("yes_taken", "yes_no_open_offer")
    session.refresh(c)
    assert c.caregiver == DORA


def test_a_bare_ja_with_two_open_offers_asks_which(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    first, second = dispatched(session, now, settings, n=2)
    codes = [open_offer_of(session, case=c, caregiver=dora).code for c in (first, second)]

    message = sms(session, "ja", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "yes_ambiguous"
    (reply,) = replies_to(session, DORA)
    assert reply.body.startswith("Sie haben mehrere offene Anfragen: bitte mit JA <Code> antworten, z. B. ")
    assert f"JA {codes[0]}" in reply.body and f"JA {codes[1]}" in reply.body and " oder " in reply.body
    assert reply.purpose.startswith("reply")
    assert all(o.status is OfferStatus.OPEN for o in session.scalars(select(Offer)))


def test_ja_with_an_unknown_code_names_her_open_codes(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    code = open_offer_of(session, case=c, caregiver=dora).code
    wrong = "99" if code != "99" else "98"

    message = sms(session, f"JA {wrong}", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "yes_unknown_code"
    (reply,) = replies_to(session, DORA)
    assert wrong in reply.body and code in reply.body
    session.refresh(c)
    assert c.caregiver is None


def test_ja_without_any_open_offer_is_answered_kindly(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    message = sms(session, "JA 12", sender=DORA, now=now, settings=settings)

    assert message is not None
    assert message.outcome in ("yes_no_open_offer", "yes_unknown_code")
    (reply,) = replies_to(session, DORA)
    assert "keine Anfrage offen" in reply.body and "0511 87654321" in reply.body


def test_an_opted_out_caregiver_saying_ja_is_told_how_to_start(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    sms(session, "STOP", sender=DORA, now=now, settings=settings)

    message = sms(session, "JA", sender=DORA, now=now + timedelta(minutes=1), settings=settings)

    assert message is not None and message.outcome == "yes_while_opted_out"
    assert "START" in replies_to(session, DORA)[-1].body
    session.refresh(c)
    assert c.caregiver is None


# --- caregivers: NEIN ---------------------------------------------------------------------------


def test_nein_declines_and_thanks(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    offer = open_offer_of(session, case=c, caregiver=dora)

    message = sms(session, f"NEIN {offer.code}", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "no_declined"
    session.refresh(offer)
    assert offer.status is OfferStatus.DECLINED
    assert [r.body for r in replies_to(session, DORA)] == ["Danke für die Rückmeldung."]


def test_nein_without_an_open_offer_still_thanks(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    message = sms(session, "nein", sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome == "no_no_open_offer"
    assert replies_to(session, DORA)[0].body.startswith("Danke für die Rückmeldung.")


def test_a_bare_nein_with_two_open_offers_asks_which(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    dispatched(session, now, settings, n=2)
    message = sms(session, "Nein danke", sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome == "no_ambiguous"
    assert "mit NEIN <Code> antworten, z. B. NEIN " in replies_to(session, DORA)[0].body


def test_nein_with_an_unknown_code(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    code = open_offer_of(session, case=c, caregiver=dora).code
    wrong = "99" if code != "99" else "98"
    message = sms(session, f"nein {wrong}", sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome == "no_unknown_code"
    assert open_offer_of(session, case=c, caregiver=dora).status is OfferStatus.OPEN


# --- caregivers: STOP, START, HILFE -------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "Stopp", "ABMELDEN", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"]
)
def test_stop_opts_out_and_is_confirmed_once(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, word: str
) -> None:
    message = sms(session, word, sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "opted_out"
    session.refresh(dora)
    assert dora.opted_out is True and dora.opted_out_at == now
    assert [r.body for r in replies_to(session, DORA)] == [
        "Sie erhalten keine Anfragen mehr. Mit START melden Sie sich wieder an."
    ]

    again = sms(session, "STOP", sender=DORA, now=now + timedelta(minutes=3), settings=settings)
    assert again is not None and again.outcome == "already_opted_out"
    assert len(replies_to(session, DORA)) == 1
    session.refresh(dora)
    assert dora.opted_out_at == now


def test_an_opted_out_caregiver_gets_no_further_offers(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    make_caregiver(session, phone=EVA, now=now)
    sms(session, "STOPP", sender=DORA, now=now, settings=settings)

    dispatched(session, now, settings)

    assert session.scalars(select(Offer.caregiver_id)).all() == [
        session.scalars(select(Caregiver.id).where(Caregiver.phone == EVA)).one()
    ]


@pytest.mark.parametrize("word", ["START", "anmelden", "UNSTOP"])
def test_start_opts_back_in_and_is_confirmed(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, word: str
) -> None:
    sms(session, "STOP", sender=DORA, now=now, settings=settings)
    message = sms(session, word, sender=DORA, now=now + timedelta(days=2), settings=settings)

    assert message is not None and message.outcome == "opted_in"
    session.refresh(dora)
    assert dora.opted_out is False and dora.opted_out_at is None
    assert "wieder Anfragen" in replies_to(session, DORA)[-1].body


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ("HILFE", "help"),
        ("?", "help"),
        ("info", "help"),
        ("Wie geht das?", "unknown"),
        ("👍", "unknown"),
        ("", "unknown"),
    ],
)
def test_help_and_anything_unrecognised_get_the_help_text(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, body: str, outcome: str
) -> None:
    message = sms(session, body, sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == outcome
    (reply,) = replies_to(session, DORA)
    assert "JA <Code>" in reply.body and "NEIN <Code>" in reply.body and "STOP" in reply.body
    assert "0511 87654321" in reply.body


def test_a_caregiver_whose_first_language_is_english_is_answered_in_english(
    session: Session, now: datetime, settings: Settings
) -> None:
    make_caregiver(session, phone=GRACE, now=now, languages=["en", "de"])
    sms(session, "help", sender=GRACE, now=now, settings=settings)
    sms(session, "STOP", sender=GRACE, now=now, settings=settings)

    help_text, stop_text = (r.body for r in replies_to(session, GRACE))
    assert help_text.startswith("Fluxx: accept an offer with YES <code>")
    assert stop_text == "You will not receive any more offers. Reply START to sign up again."


def test_a_caregiver_is_answered_in_her_first_language_or_german(
    session: Session, now: datetime, settings: Settings
) -> None:
    make_caregiver(session, phone=EVA, now=now, languages=["tr", "en"])
    sms(session, "hilfe", sender=EVA, now=now, settings=settings)
    assert replies_to(session, EVA)[0].body.startswith("Fluxx: Kabul JA <kod>, ret NEIN <kod>.")
    make_caregiver(session, phone=DORA, now=now, languages=["fr", "en"])  # no texts in French
    sms(session, "hilfe", sender=DORA, now=now, settings=settings)
    assert replies_to(session, DORA)[0].body.startswith("Fluxx: Anfrage annehmen")


# --- coordinators -------------------------------------------------------------------------------


def test_senden_starts_a_dispatch_and_confirms(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, case: Case
) -> None:
    make_caregiver(session, phone=EVA, now=now)
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))

    message = sms(session, f"SENDEN #{case.reference.lower()}", sender=ANNA, now=now, settings=settings)

    assert message is not None and message.outcome == "send_started"
    dispatch = session.scalars(select(Dispatch).where(Dispatch.case_id == case.id)).one()
    assert dispatch.started_by == "sms:+49…001"
    (reply,) = replies_to(session, ANNA)
    assert reply.body == f"Fall {case.reference}: Anfragen an 2 Betreuungskräfte verschickt."
    assert reply.case_id == case.id
    assert {m.to_number for m in session.scalars(select(OutboxMessage))} >= {DORA, EVA}


def test_senden_with_one_candidate_says_so_in_the_singular(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, case: Case
) -> None:
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))
    sms(session, f"senden {case.reference}", sender=ANNA, now=now, settings=settings)
    assert (
        replies_to(session, ANNA)[0].body
        == f"Fall {case.reference}: Anfrage an 1 Betreuungskraft verschickt."
    )


def test_senden_for_a_case_without_postcode_gives_the_reason(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))
    c = make_dispatchable_case(session, now=now, call_sid="CA" + "b" * 32, postcode=None)

    message = sms(session, f"SENDEN {c.reference}", sender=ANNA, now=now, settings=settings)

    assert message is not None and message.outcome == "send_refused"
    (reply,) = replies_to(session, ANNA)
    assert reply.body.startswith(f"Fall {c.reference}: Anfragen nicht verschickt. ")
    assert len(reply.body) > len(f"Fall {c.reference}: Anfragen nicht verschickt. ")
    assert session.scalars(select(Offer)).all() == []


def test_senden_twice_does_not_start_a_second_dispatch(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, case: Case
) -> None:
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))
    sms(session, f"SENDEN {case.reference}", sender=ANNA, now=now, settings=settings)
    second = sms(
        session, f"SENDEN {case.reference}", sender=ANNA, now=now + timedelta(minutes=1), settings=settings
    )

    assert second is not None and second.outcome in ("send_refused", "send_started")
    assert len(session.scalars(select(Offer)).all()) == 1


@pytest.mark.parametrize(
    ("body", "outcome", "text"),
    [
        ("SENDEN XXXX", "send_not_found", "Fall XXXX nicht gefunden. Bitte die Fallnummer prüfen."),
        ("SENDEN", "send_no_reference", "Bitte die Fallnummer angeben, z. B. SENDEN K7Q2."),
        ("Hallo", "coordinator_help", None),
        ("HILFE", "coordinator_help", None),
        ("JA 12", "coordinator_help", None),
    ],
)
def test_coordinator_errors_and_help(
    session: Session, now: datetime, settings: Settings, body: str, outcome: str, text: str | None
) -> None:
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))
    message = sms(session, body, sender=ANNA, now=now, settings=settings)

    assert message is not None and message.outcome == outcome
    (reply,) = replies_to(session, ANNA)
    assert reply.body == text if text else "SENDEN <Fallnummer>" in reply.body


@pytest.mark.parametrize(
    ("shift_start", "is_coordinator"),
    [
        (timedelta(days=-29), True),  # her last shift ended 29 days ago
        (timedelta(days=29), True),  # her next shift starts in 29 days
        (timedelta(days=-31), False),  # left the roster a month ago
        (timedelta(days=31), False),
    ],
)
def test_a_coordinator_is_a_roster_number_within_thirty_days(
    session: Session,
    now: datetime,
    settings: Settings,
    case: Case,
    shift_start: timedelta,
    is_coordinator: bool,
) -> None:
    make_shift(
        session, phone=CARLA, starts_at=now + shift_start, ends_at=now + shift_start + timedelta(hours=1)
    )
    message = sms(session, f"SENDEN {case.reference}", sender=CARLA, now=now, settings=settings)
    assert message is not None
    assert (message.outcome != "pointer") is is_coordinator


def test_a_coordinator_who_is_also_a_caregiver_answers_offers_as_a_caregiver(
    session: Session, now: datetime, settings: Settings
) -> None:
    make_shift(session, phone=DORA, starts_at=now - timedelta(hours=1))
    make_caregiver(session, phone=DORA, now=now)
    (c,) = dispatched(session, now, settings)

    assert sms(session, "JA", sender=DORA, now=now, settings=settings).outcome == "yes_won"
    other = make_dispatchable_case(session, now=now, call_sid="CA" + "c" * 32)
    message = sms(session, f"SENDEN {other.reference}", sender=DORA, now=now, settings=settings)
    assert message is not None and message.outcome in ("send_started", "send_refused")


# --- anybody else -------------------------------------------------------------------------------


def test_a_stranger_gets_one_pointer_a_day(session: Session, now: datetime, settings: Settings) -> None:
    first = sms(session, "Hallo, ist da jemand?", sender=STRANGER, now=now, settings=settings)
    second = sms(session, "Hallo??", sender=STRANGER, now=now + timedelta(hours=23), settings=settings)
    third = sms(
        session, "JA 12", sender=STRANGER, now=now + timedelta(hours=24, minutes=1), settings=settings
    )

    assert [m.outcome for m in (first, second, third) if m] == ["pointer", "pointer_suppressed", "pointer"]
    replies = replies_to(session, STRANGER)
    assert len(replies) == 2
    assert "0511 87654321" in replies[0].body
    assert replies[0].purpose == "reply_pointer"


def test_a_parent_replying_to_her_confirmation_gets_the_pointer(
    session: Session, now: datetime, settings: Settings
) -> None:
    message = sms(session, "Danke!", sender="0151 12345678", now=now, settings=settings)
    assert message is not None and message.from_number == PARENT and message.outcome == "pointer"


# --- rate limit ---------------------------------------------------------------------------------


def test_automatic_replies_are_limited_per_number_and_hour(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    outcomes = [
        sms(session, f"Autoreply {i}", sender=DORA, now=now + timedelta(minutes=i), settings=settings)
        for i in range(REPLY_LIMIT_PER_HOUR + 3)
    ]

    assert [m.outcome for m in outcomes if m] == ["unknown"] * REPLY_LIMIT_PER_HOUR + ["rate_limited"] * 3
    assert len(replies_to(session, DORA)) == REPLY_LIMIT_PER_HOUR
    assert session.scalars(select(InboundMessage)).all()[-1].body == f"Autoreply {REPLY_LIMIT_PER_HOUR + 2}"

    later = sms(session, "hilfe", sender=DORA, now=now + timedelta(hours=1, minutes=1), settings=settings)
    assert later is not None and later.outcome == "help"


def test_the_rate_limit_never_blocks_a_yes(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    (c,) = dispatched(session, now, settings)
    for i in range(REPLY_LIMIT_PER_HOUR):
        sms(session, f"?{i}", sender=DORA, now=now, settings=settings)

    message = sms(session, "JA", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "yes_won"
    session.refresh(c)
    assert c.caregiver == DORA


def test_a_stop_beyond_the_limit_still_opts_out(
    session: Session, now: datetime, settings: Settings, dora: Caregiver
) -> None:
    for i in range(REPLY_LIMIT_PER_HOUR):
        sms(session, f"?{i}", sender=DORA, now=now, settings=settings)
    message = sms(session, "STOP", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "rate_limited"
    session.refresh(dora)
    assert dora.opted_out is True


# --- failures -----------------------------------------------------------------------------------


def test_a_failure_while_acting_keeps_the_message(
    session: Session, now: datetime, settings: Settings, dora: Caregiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dispatch.sms_inbox

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dispatch.sms_inbox, "act_on_sms", broken)
    message = sms(session, "JA", sender=DORA, now=now, settings=settings)

    assert message is not None and message.outcome == "error"
    assert session.scalars(select(OutboxMessage)).all() == []
