"""The job SMS: every template fits two segments with worst-case values, and an offer names nobody."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.offers import call_parent_text, offer_text, parent_text, unfilled_text, winner_text
from messaging.texts import TEXTS_DIR, describe_when, gsm_safe, job_text, sms_segments
from models import Caregiver, CareType, Case, Urgency

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
LONGEST_PLACE = ("31535", "Neustadt am Rübenberge")


def _case(**fields: object) -> Case:
    values: dict[str, object] = {
        "reference": "K7Q2",
        "caller": "+4915112345678",
        "care_type": CareType.CHILD,
        "children": 1,
        "child_age": 3,
        "postcode": "30159",
        "municipality": "Hannover",
        "urgency": Urgency.NOW,
        "language": "de",
        "flags": [],
    }
    values.update(fields)
    return Case(**values)


def test_sms_segments_gsm7() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2
    assert sms_segments("a" * 307) == 3
    assert sms_segments("Größe ÄÖÜ äöü ß é" + "a" * 143) == 1  # umlauts and ß are GSM-7
    assert sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2  # extension: two septets each


def test_sms_segments_ucs2() -> None:
    assert sms_segments("ş" * 70) == 1
    assert sms_segments("ş" * 71) == 2
    assert sms_segments("ş" * 134) == 2
    assert sms_segments("ş" * 135) == 3
    assert sms_segments("a" * 60 + "–") == 1 and sms_segments("a" * 70 + "–") == 2  # a dash forces UCS-2


def test_gsm_safe_keeps_umlauts_and_replaces_lookalikes() -> None:
    assert gsm_safe("Müller–Şahin „Ağaç“ Łódź") == 'Müller-Sahin "Agac" Lodz'
    assert gsm_safe("Straße 5") == "Straße 5"


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    def shape(data: object, prefix: str = "") -> dict[str, object]:
        out: dict[str, object] = {}
        if isinstance(data, dict):
            for k, v in data.items():
                out.update(shape(v, f"{prefix}{k}."))
        elif isinstance(data, str):
            out[prefix] = set(re.findall(r"{(\w+)}", data))
        elif isinstance(data, list):
            out[prefix] = len(data)
        else:  # the review mark
            out[prefix] = type(data)
        return out

    de = tomllib.loads((TEXTS_DIR / "de.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((TEXTS_DIR / "en.toml").read_text(encoding="utf-8"))
    assert shape(de) == shape(en)


WORST_OFFERS = [
    _case(
        children=9,
        child_age=0,
        postcode=LONGEST_PLACE[0],
        municipality=LONGEST_PLACE[1],
        urgency=Urgency.LATER,
        care_starts_at=NOW + timedelta(days=6, hours=3),
        expected_hours=12.5,
    ),
    _case(
        care_type=CareType.ELDERCARE,
        care_level=5,
        children=None,
        child_age=None,
        postcode=LONGEST_PLACE[0],
        municipality=LONGEST_PLACE[1],
        urgency=Urgency.LATER,
        expected_hours=None,
    ),
    _case(urgency=None, child_age=None, children=None, care_type=None),
]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("case", WORST_OFFERS)
def test_every_offer_fits_two_segments_and_is_gsm7(case: Case, language: str) -> None:
    text = offer_text(case, code="99", language=language, now=NOW)
    assert sms_segments(text) <= 2 and gsm_safe(text) == text, text
    assert "JA 99" in text and "NEIN 99" in text


def test_an_offer_names_neither_the_family_nor_its_number() -> None:
    case = _case(
        parent_name="Sabine",
        address="Lange Laube 12",
        caller="+4915112345678",
        care_starts_at=NOW + timedelta(hours=4),
        expected_hours=3,
    )
    text = offer_text(case, code="12", language="de", now=NOW)
    assert text == (
        "Fluxx-Anfrage: Kind 3 J. in 30159 Hannover, heute ab 14:00, ca. 3 Std. "
        "Übernehmen Sie? Antworten Sie JA 12 oder NEIN 12."
    )
    assert "Sabine" not in text and "Laube" not in text and "1234" not in text


def test_english_offer() -> None:
    case = _case(children=2, child_age=4, urgency=Urgency.TOMORROW, expected_hours=2.5)
    assert offer_text(case, code="42", language="en", now=NOW) == (
        "Fluxx request: 2 children, youngest aged 4 in 30159 Hannover, tomorrow, about 2.5 h. "
        "Can you take it? Reply JA 42 to accept or NEIN 42 to decline."
    )


def test_eldercare_offer_names_the_care_level() -> None:
    case = _case(care_type=CareType.ELDERCARE, care_level=3, child_age=None, children=None)
    assert "Angehörige, Pflegegrad 3 in 30159 Hannover" in offer_text(case, code="12", language="de", now=NOW)


def test_when_in_berlin_time() -> None:
    def when(start: datetime | None, urgency: str | None = "today") -> str:
        return describe_when(urgency=urgency, care_starts_at=start, now=NOW, language="de")

    assert when(None, "now") == "sofort" and when(None, None) == "Zeit nach Absprache"
    assert when(NOW + timedelta(minutes=10)) == "sofort"
    assert when(datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN)) == "heute ab 16:30"
    assert when(datetime(2026, 11, 24, 7, 0, tzinfo=BERLIN)) == "morgen ab 07:00"
    assert when(datetime(2026, 11, 27, 8, 0, tzinfo=BERLIN)) == "am Fr 27.11. ab 08:00"


@pytest.mark.parametrize("language", ["de", "en"])
def test_winner_details_fit_even_with_a_long_name_and_address(language: str) -> None:
    case = _case(
        parent_name="Şükriye-Ağaoğlu " * 4,
        address="Ferdinand-Wallbrecht-Straße 123, Hinterhaus, 4. OG links, "
        "bei Öztürk-Kowalczyk, Klingel defekt – bitte anrufen, Zugang über den Hof neben der Bäckerei "
        "an der Ecke, dann die zweite Tür rechts",
        postcode=LONGEST_PLACE[0],
        municipality=LONGEST_PLACE[1],
    )
    text = winner_text(case, language=language)
    assert sms_segments(text) <= 2, text
    assert "+4915112345678" in text and "K7Q2" in text and "31535 Neustadt am Rübenberge" in text
    assert "Ferdinand-Wallbrecht-Straße 123" in text and "..." in text


def test_winner_details_without_name_or_address_say_what_follows() -> None:
    text = winner_text(_case(), language="de")
    assert "die Familie" in text and "Adresse folgt von der Koordination" in text
    assert sms_segments(text) <= 2


def test_parent_coordinator_and_short_texts_fit() -> None:
    long_name = "Maximiliane-Wilhelmine Alexandra von und zu Hohenzollern-Sigmaringen"
    caregiver = Caregiver(name=long_name, phone="+4917612345678")
    for case in (_case(), _case(language="en")):
        text = parent_text(case, caregiver=caregiver)
        assert sms_segments(text) <= 2 and "Maximiliane-Wilhelmine" in text and "Hohenzollern" not in text
    assert sms_segments(call_parent_text(_case(caller="+49511123456"), caregiver=caregiver)) <= 2
    flags = ["child_over_13", "outside_region", "company_postcode", "menu_incomplete"]
    text = unfilled_text(
        _case(children=9, flags=flags, postcode=LONGEST_PLACE[0], municipality=LONGEST_PLACE[1]),
        asked=120,
        declined=99,
    )
    assert sms_segments(text) <= 2 and text.startswith(
        "Fluxx: Fall K7Q2 ist noch offen: keine Betreuungskraft gefunden (120 angefragt, 99 abgelehnt)."
    )
    for language in ("de", "en"):
        for key in ("taken", "withdrawn_filled", "withdrawn_other"):
            assert sms_segments(job_text(key, language=language, code="99")) == 1
        text = job_text(
            "backed_out",
            language=language,
            reference="K7Q2",
            caregiver=long_name,
            caregiver_phone="+4917612345678",
            phone="+4915112345678",
            shrink=("caregiver",),
        )
        assert sms_segments(text) <= 2
