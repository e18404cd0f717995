"""A family that called in Turkish or Arabic gets its SMS in that language, through the webhooks.

The worker sends with the real REST gateway to the local Twilio stand-in, which counts each SMS's
segments as Twilio does (GSM-7 or UCS-2, its own table); caregivers answer by SMS to
/sms/incoming, signed as Twilio signs. Anna and Ben coordinate, and hear everything in German.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.offers import start_dispatch
from dispatch.policy import DispatchPolicy
from messaging.texts import MAX_SEGMENTS
from models import Caregiver, Offer
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.helpers import twilio_post
from tests.integration.test_offers import make_caregiver, make_child_case
from tests.twilio_standin import TwilioStandIn
from worker.jobs import tick_job

#: The family's language, the caregiver's first language and yes, the confirmation's start, the
#: offer's words for the family's language, and the pointer a family gets when it answers its SMS.
STORIES = {
    "tr": ("JA", "Fluxx: İyi haber! Gülşen bakımı üstleniyor", "Aile Türkçe konuşuyor.",
           "Fluxx acil bakım hattının SMS numarası"),
    "ar": ("نعم", "Fluxx: خبر سار! وجدنا من يتولى الرعاية: Gülşen", "لغة الأسرة: العربية.",
           "هذا رقم الرسائل لخدمة الرعاية الطارئة Fluxx"),
}


@pytest.fixture
def gateway(twilio_gateway: Any) -> Any:
    """The app's gateway is the real REST gateway, pointed at the stand-in."""
    return twilio_gateway


def _tick(app: Any, times: int = 1) -> None:
    for _ in range(times):
        tick_job(app.extensions["fluxx"])


def _received(standin: TwilioStandIn, number: str) -> list[str]:
    return [m["body"] for m in standin.messages if m["to"] == number]


def _sms(client: Any, sid: str, sender: str, body: str) -> None:
    response = twilio_post(client, "/sms/incoming", {"MessageSid": "SM" + sid * 32, "From": sender, "Body": body})
    assert response.status_code == 200


@pytest.mark.parametrize("language", list(STORIES))
def test_a_family_that_called_in_its_language_gets_its_sms_in_it(
    app: Any, client: Any, session: Any, clock: Any, settings: Any, twilio_standin: TwilioStandIn, language: str
) -> None:
    """The family called in Turkish (Arabic). Gülşen, whose first language it is, and Dora, who reads
    German, get the offer, each in her own language and told the family's language. Gülşen answers
    yes (in Arabic, her own word for it); the family's confirmation arrives in its language, in its
    own letters, within two UCS-2 segments. Anna and Ben hear nothing (nothing is wrong), and when the
    family thanks by SMS, the pointer to the phone line comes back in its language too."""
    yes, confirmation, family_language, pointer = STORIES[language]
    now = clock.now()
    make_roster(session, now=now)
    gulsen = make_caregiver(session, name="Gülşen Yılmaz", postcode="30159", languages=[language, "de"], now=now)
    dora = make_caregiver(session, name="Dora Dietz", postcode="30161", languages=["de"], now=now)
    case = make_child_case(session, now=now, language=language)
    start_dispatch(session, case=case, now=now, started_by="test", policy=DispatchPolicy.from_settings(settings))
    session.flush()

    _tick(app)
    [offer_to_gulsen] = _received(twilio_standin, gulsen.phone)
    [offer_to_dora] = _received(twilio_standin, dora.phone)
    assert family_language in offer_to_gulsen
    assert "Familie spricht " in offer_to_dora and offer_to_dora.startswith("Fluxx-Anfrage:")
    assert max(twilio_standin.segments_to(gulsen.phone) + twilio_standin.segments_to(dora.phone)) <= MAX_SEGMENTS

    code = session.scalars(select(Offer.code).where(Offer.caregiver_id == gulsen.id)).one()
    _sms(client, "1", gulsen.phone, f"{yes} {code}")
    _tick(app, 2)

    [text] = _received(twilio_standin, PARENT)
    assert text.startswith(confirmation) and case.reference in text
    assert "Gülşen" in text  # her name in its own letters: the text is UCS-2 anyway
    assert twilio_standin.segments_to(PARENT)[0] <= MAX_SEGMENTS
    assert all(t.startswith("Fluxx") for t in _received(twilio_standin, gulsen.phone))
    assert _received(twilio_standin, ANNA) == [] and _received(twilio_standin, BEN) == []

    _sms(client, "2", PARENT, "Teşekkürler!" if language == "tr" else "شكرا جزيلا")
    _tick(app)
    assert _received(twilio_standin, PARENT)[-1].startswith(pointer)


def test_a_family_that_called_in_arabic_is_named_to_coordinators_in_german(
    app: Any, client: Any, session: Any, clock: Any, settings: Any, twilio_standin: TwilioStandIn
) -> None:
    """The family's number takes no SMS (a landline): Anna and Ben are asked, in German, to phone it."""
    now = clock.now()
    make_roster(session, now=now)
    gulsen: Caregiver = make_caregiver(session, name="Gülşen Yılmaz", postcode="30159", languages=["ar"], now=now)
    case = make_child_case(session, now=now, language="ar", caller="+49511123456")
    start_dispatch(session, case=case, now=now, started_by="test", policy=DispatchPolicy.from_settings(settings))
    session.flush()
    _tick(app)
    code = session.scalars(select(Offer.code).where(Offer.caregiver_id == gulsen.id)).one()
    _sms(client, "3", gulsen.phone, f"JA {code}")
    _tick(app, 2)
    for coordinator in (ANNA, BEN):
        [text] = _received(twilio_standin, coordinator)
        assert text.startswith(f"Fluxx: Fall {case.reference} ist vergeben an Gülsen Yilmaz")  # GSM-7
