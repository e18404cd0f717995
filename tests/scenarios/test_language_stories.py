"""A call in each of the seven languages, end to end through the signed webhooks and the Twilio stand-in.

The parent presses her language's key at the first question and answers the menu; the coordinator
on duty who speaks her language rings first and hears, in German, which language the caller speaks;
she takes the call, then texts SENDEN <reference>; the worker sends the offers through the REST
gateway to the local stand-in; a caregiver who speaks the family's language answers yes by SMS;
and the family's confirmation arrives in the language of the call, within two SMS segments.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.languages import KEY_OF, LANGUAGES, name
from core.settings import Settings
from messaging.texts import MAX_SEGMENTS
from models import Offer
from roster.languages import store_languages
from tests.factories import ANNA, make_shift
from tests.functional.test_queue_webhooks import case_of, dialled, parent, post, sid
from tests.helpers import twilio_post, twiml
from tests.integration.test_offers import make_caregiver
from tests.twilio_standin import TwilioStandIn
from worker.jobs import tick_job

ROOT = Path(__file__).resolve().parents[2]
ZORA = "+4915700000009"  # primary on duty; speaks German and the caller's language
MENU = [("care_type", "1"), ("children", "1"), ("child_age", "3"), ("postcode", "30159"), ("urgency", "1"),
        ("reason", "1")]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """All seven languages offered (the default)."""
    return settings.with_overrides(languages=LANGUAGES)


@pytest.fixture
def gateway(twilio_gateway: Any) -> Any:
    """The app's gateway is the real REST gateway, pointed at the stand-in."""
    return twilio_gateway


def _fixed_start(language: str) -> str:
    """The family confirmation's words before its first placeholder, as the office wrote them."""
    texts = tomllib.loads((ROOT / "messaging" / "texts" / f"{language}.toml").read_text(encoding="utf-8"))
    return str(texts["parent_confirmation"]).split("{", 1)[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_call_in_each_language_reaches_a_coordinator_who_speaks_it_and_the_family_reads_its_sms_in_it(
    app: Any, client: Any, session: Any, clock: Any, settings: Settings, twilio_standin: TwilioStandIn,
    language: str,
) -> None:
    now = clock.now()
    make_shift(session, phone=ANNA, role="primary", name="Anna Albers", starts_at=now - timedelta(hours=2))
    make_shift(session, phone=ZORA, role="primary", name="Zora Zimmer", starts_at=now - timedelta(hours=2))
    store_languages(session, languages={ZORA: ("de", language)}, now=now)
    speaker = make_caregiver(session, name="Mira Nowak", postcode="30159", languages=[language, "de"], now=now)
    session.commit()

    # The first question is German, followed by each other language offering itself in its own voice.
    root = post(client, "/voice/incoming", 1)
    offers = {s.get("language"): s.text for s in root.iter("Say")}
    assert set(offers) == {settings.language_tag(code) for code in LANGUAGES}
    if language != "de":
        assert KEY_OF[language] in offers[settings.language_tag(language)]
        root = post(client, "/voice/gather/caller_type/1", 1, Digits=KEY_OF[language])
    # From here on she hears her language, in its voice.
    root = post(client, "/voice/gather/caller_type/1", 1, Digits="1")
    says = list(root.iter("Say"))
    assert says and all(s.get("language") == settings.language_tag(language) for s in says)
    assert all(s.get("voice") == settings.voice(language) for s in says)
    for step, digits in MENU:
        root = post(client, f"/voice/gather/{step}/1", 1, Digits=digits)
    case = case_of(session, 1)
    assert case.language == language

    # Both primaries ring at once; the one who speaks her language is named first (German: the usual order).
    assert dialled(root) == ([ANNA, ZORA] if language == "de" else [ZORA, ANNA])

    # Zora answers: the summary is German and names the caller's language unless it is German.
    leg = {"CallSid": "CL-zora", "ParentCallSid": sid(1), "To": ZORA, "From": parent(1)}
    screening = " ".join(s.text or "" for s in twiml(twilio_post(client, f"/voice/screen/{case.id}", leg)).iter("Say"))
    assert screening.startswith("Fluxx-Anruf.")
    assert (f"Anruferin spricht {name(language)}." in screening) is (language != "de")
    twiml(twilio_post(client, f"/voice/screen/{case.id}/answer", {**leg, "Digits": "1"}))
    post(client, "/voice/dial/primary", 1, DialCallStatus="completed", DialBridged="true", DialCallDuration="240")

    # After the call she sends the case to the caregivers by SMS; the worker sends through the stand-in.
    response = twilio_post(client, "/sms/incoming", {"MessageSid": "SM" + "a" * 32, "From": ZORA,
                                                     "Body": f"SENDEN {case.reference}"})
    assert response.status_code == 200
    tick_job(app.extensions["fluxx"])
    [offer_sms] = [m["body"] for m in twilio_standin.messages if m["to"] == speaker.phone]
    assert offer_sms.startswith("Fluxx")

    code = session.scalars(select(Offer.code).where(Offer.caregiver_id == speaker.id)).one()
    response = twilio_post(client, "/sms/incoming", {"MessageSid": "SM" + "b" * 32, "From": speaker.phone,
                                                     "Body": f"JA {code}"})
    assert response.status_code == 200
    tick_job(app.extensions["fluxx"])
    tick_job(app.extensions["fluxx"])

    [confirmation] = [m["body"] for m in twilio_standin.messages if m["to"] == parent(1)]
    assert confirmation.startswith(_fixed_start(language)) and case.reference in confirmation
    assert ("Gute Nachricht" in confirmation) is (language == "de")
    assert twilio_standin.segments_to(parent(1)) and max(twilio_standin.segments_to(parent(1))) <= MAX_SEGMENTS
    # Messages to the coordinators stay German, whatever the family's language.
    assert [m["body"] for m in twilio_standin.messages if m["to"] in (ANNA, ZORA)] == [
        f"Fall {case.reference}: Anfrage an 1 Betreuungskraft verschickt."]
