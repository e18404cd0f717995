"""The seven caller languages over the voice webhooks: the German welcome offers each in its own voice,
its key answers in that language, and a withdrawn language is neither offered nor taken."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.languages import KEY_OF, LANGUAGES
from ivr.menu import Line
from ivr.prompts import load_prompts
from models import Case
from tests.factories import ANNA, PARENT, make_roster
from tests.helpers import twilio_post, twiml

CALL = "CA" + "b" * 32
OTHERS = [language for language in LANGUAGES if language != "de"]
#: The voice and <Say language> tag each language is spoken with by default (README, "Languages").
VOICES = {
    "de": ("Polly.Vicki", "de-DE"), "en": ("Polly.Amy", "en-GB"), "tr": ("Polly.Filiz", "tr-TR"),
    "ar": ("Polly.Zeina", "arb"), "ru": ("Polly.Tatyana", "ru-RU"), "uk": ("Google.uk-UA-Standard-A", "uk-UA"),
    "pl": ("Polly.Ewa", "pl-PL"),
}
HAPPY = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]


@pytest.fixture
def roster(session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())


def call(client: Any, path: str, **params: str) -> Any:
    """Post a signed webhook for the test call and return its TwiML."""
    base = {"CallSid": CALL, "From": PARENT, "To": "+4951187654321", "CallStatus": "in-progress"}
    return twiml(twilio_post(client, path, {**base, **params}))


def spoken(root: Any) -> list[tuple[str, str, str]]:
    """Return (text, voice, language tag) of every <Say>, in order."""
    return [(s.text or "", s.get("voice"), s.get("language")) for s in root.iter("Say")]


def said(language: str, *keys: str) -> list[tuple[str, str, str]]:
    """Return what the prompts `keys` of `language` sound like with that language's voice and tag."""
    prompts = load_prompts(language)
    return [(prompts.say(Line(key)).text, *VOICES[language]) for key in keys]


def offer_languages(app: Any, settings: Any, languages: tuple[str, ...]) -> None:
    """Set LANGUAGES for the following requests."""
    app.extensions["fluxx"].settings = settings.with_overrides(languages=languages)


def test_a_german_call_begins_with_one_offer_per_language_each_in_its_own_voice(client: Any, roster: None) -> None:
    root = call(client, "/voice/incoming")
    gather = root.find("Gather")
    assert gather is not None and gather.get("action").endswith("/voice/gather/caller_type/1")
    offers = [said(language, "language_choice")[0] for language in OTHERS]
    assert spoken(gather) == [*said("de", "welcome", "caller_type"), *offers]
    assert [text for text, *_ in offers] == ["For English, press 9.", "Türkçe için 4'e basın.", "للعربية، اضغط 5.",
                                             "По-русски — нажмите 6.", "Українською — натисніть 7.",
                                             "Polski — proszę nacisnąć 8."]


@pytest.mark.parametrize("language", OTHERS)
def test_a_language_key_at_the_first_question_asks_it_again_in_that_language(
        client: Any, roster: None, session: Any, language: str) -> None:
    call(client, "/voice/incoming")
    root = call(client, "/voice/gather/caller_type/1", Digits=KEY_OF[language])
    gather = root.find("Gather")
    assert gather is not None and gather.get("action").endswith("/voice/gather/caller_type/1")
    assert spoken(root) == said(language, "welcome", "caller_type")  # no offers: she has chosen
    assert session.scalars(select(Case.language).where(Case.call_sid == CALL)).one() == language


@pytest.mark.parametrize("language", OTHERS)
def test_a_call_in_each_language_reaches_the_coordinator_with_every_word_in_it(
        client: Any, roster: None, session: Any, language: str) -> None:
    call(client, "/voice/incoming")
    root = call(client, "/voice/gather/caller_type/1", Digits=KEY_OF[language])
    for step, digits in HAPPY:
        assert {(voice, tag) for _, voice, tag in spoken(root)} == {VOICES[language]}
        root = call(client, f"/voice/gather/{step}/1", Digits=digits)
    assert spoken(root) == said(language, "connecting")
    assert [n.text for n in root.find("Dial").findall("Number")] == [ANNA]
    case = session.scalars(select(Case).where(Case.call_sid == CALL)).one()
    assert (case.language, case.postcode, case.reason.value) == (language, "30159", "regular_care_failure")


def test_a_withdrawn_language_is_neither_offered_nor_taken(
        app: Any, settings: Any, client: Any, roster: None, session: Any) -> None:
    offer_languages(app, settings, ("de", "en", "tr"))
    root = call(client, "/voice/incoming")
    assert [tag for _, _, tag in spoken(root)] == ["de-DE", "de-DE", "en-GB", "tr-TR"]
    again = call(client, "/voice/gather/caller_type/1", Digits=KEY_OF["ar"])
    assert again.find("Gather").get("action").endswith("/voice/gather/caller_type/2")
    assert spoken(again) == [*said("de", "not_understood", "caller_type"), *said("en", "language_choice"),
                             *said("tr", "language_choice")]
    assert session.scalars(select(Case.language).where(Case.call_sid == CALL)).one() == "de"
    # An offered one is still taken on the second attempt.
    assert spoken(call(client, "/voice/gather/caller_type/2", Digits=KEY_OF["tr"])) == said(
        "tr", "welcome", "caller_type")


def test_only_german_offers_nothing_and_takes_no_language_key(
        app: Any, settings: Any, client: Any, roster: None) -> None:
    offer_languages(app, settings, ("de",))
    assert spoken(call(client, "/voice/incoming")) == said("de", "welcome", "caller_type")
    again = call(client, "/voice/gather/caller_type/1", Digits=KEY_OF["en"])
    assert spoken(again) == said("de", "not_understood", "caller_type")


def test_a_voice_setting_changes_the_voice_of_its_language_only(
        app: Any, settings: Any, client: Any, roster: None) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(voice_uk="Google.uk-UA-Wavenet-A")
    says = {tag: voice for _, voice, tag in spoken(call(client, "/voice/incoming"))}
    assert says["uk-UA"] == "Google.uk-UA-Wavenet-A" and says["ru-RU"] == "Polly.Tatyana"
