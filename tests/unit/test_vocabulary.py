"""One vocabulary for the case's coded values: complete, and the same words in voice, SMS, dashboard and exports."""

from __future__ import annotations

import tomllib
from enum import Enum
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from core.vocabulary import (
    CALLER_TYPE,
    CARE_FOR,
    CARE_TYPE,
    CASE_FLAG,
    CASE_STATUS,
    OFFER_STATUS,
    REASON,
    URGENCY,
    word,
)
from dashboard.words import (
    caller_type_label,
    care_type_label,
    flag_label,
    offer_status_label,
    reason_label,
    status_label,
    urgency_label,
)
from ivr.summary import NOTED_FLAGS, describe_case
from models import CallerType, CareType, CaseStatus, OfferStatus, Reason, Urgency
from reports.export import value_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "dashboard" / "translations")
    Babel(app)
    return app


@pytest.mark.parametrize(
    ("table", "enum"),
    [(URGENCY, Urgency), (REASON, Reason), (CALLER_TYPE, CallerType), (CARE_FOR, CareType),
     (CARE_TYPE, CareType), (CASE_STATUS, CaseStatus), (OFFER_STATUS, OfferStatus)],
)
def test_every_stored_value_has_its_words(table: dict[str, object], enum: type[Enum]) -> None:
    assert set(table) == {member.value for member in enum}


def test_every_noted_flag_has_words() -> None:
    assert set(NOTED_FLAGS) <= set(CASE_FLAG)


def test_the_reasons_are_worded_as_the_menu_offers_them() -> None:
    for language in ("de", "en"):
        prompt = tomllib.loads((ROOT / "ivr" / "prompts" / f"{language}.toml").read_text())["reason"]["text"]
        assert str(word(REASON, "accident_illness", language)) in prompt


def test_an_enum_member_and_its_value_find_the_same_word() -> None:
    assert word(URGENCY, Urgency.NOW) == word(URGENCY, "now") == "sofort"
    assert word(URGENCY, None) is None and word(URGENCY, "soon", default="-") == "-"


def test_english_inside_a_sentence_starts_small_german_keeps_its_capitals() -> None:
    assert word(REASON, "work_emergency", "en", mid_sentence=True) == "emergency at work"
    assert word(REASON, "work_emergency", "de", mid_sentence=True) == "Notfall bei der Arbeit"


@pytest.mark.parametrize("language", ["de", "en"])
def test_dashboard_summary_and_report_use_the_same_words(app: Flask, language: str) -> None:
    with app.test_request_context(), force_locale(language):
        for reason in Reason:
            label = reason_label(reason.value)
            assert label == word(REASON, reason, language)
            spoken = describe_case({"reason": reason.value}, language=language, style="sms")
            assert spoken.lower() == label.lower()
        for urgency in Urgency:
            assert urgency_label(urgency.value) == word(URGENCY, urgency, language)
        for status in CaseStatus:
            assert status_label(status.value) == word(CASE_STATUS, status, language)
        for caller in CallerType:
            assert caller_type_label(caller.value) == word(CALLER_TYPE, caller, language)
        for care in CareType:
            assert care_type_label(care.value) == word(CARE_TYPE, care, language)
        for offer in OfferStatus:
            assert offer_status_label(offer.value) == word(OFFER_STATUS, offer, language)
        for flag in CASE_FLAG:
            assert flag_label(flag) == word(CASE_FLAG, flag, language)
        flagged = describe_case({"urgency": "now", "flags": ["non_member_municipality"]}, language=language, style="sms")
        assert flagged.endswith(str(word(CASE_FLAG, "non_member_municipality", language, mid_sentence=True)))
    assert value_name("reason", "accident_illness") == "Unfall oder Krankheit"
    assert value_name("care_type", "eldercare") == "Betreuung von Angehörigen"


@pytest.mark.parametrize(("language", "level", "text"), [
    ("de", 2, "Angehörige, Pflegegrad 2"), ("de", 0, "Angehörige, Pflegegrad unbekannt"),
    ("en", 2, "Relative, care level 2"), ("en", 0, "Relative, care level unknown"), ("de", None, "Angehörige"),
])
def test_a_relatives_care_level_reads_the_same_on_the_page_and_in_the_summary(
    app: Flask, language: str, level: int | None, text: str
) -> None:
    from dashboard.words import care_label

    with app.test_request_context(), force_locale(language):
        assert care_label("eldercare", None, None, level) == text
    fields = {"care_type": "eldercare", "care_level": level}
    assert describe_case(fields, language=language, style="sms") == text
