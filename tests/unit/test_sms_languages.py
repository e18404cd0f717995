"""SMS in the family's language: seven text files with the same keys, each text within two segments
(GSM-7 or UCS-2) filled with worst-case values, the offer naming the family's language."""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import dispatch.sms_commands
import messaging.texts
from cases.references import LENGTH as REFERENCE_LENGTH
from core.languages import LANGUAGES
from core.textfiles import load_toml
from dispatch.manual import cancelled_text
from dispatch.matching import rank_candidates
from dispatch.offers import CODES, caregiver_language, offer_text, parent_language, parent_text, winner_text
from dispatch.replies import parse_reply
from dispatch.sms_commands import MAX_CODES_LISTED, load_command_texts, render_text
from messaging.texts import (
    GERMAN_ONLY,
    MAX_SEGMENTS,
    TEXTS_DIR,
    find_text_problems,
    gsm7_septets,
    is_reviewed,
    job_text,
    load_job_texts,
    sms_segments,
)
from models import Caregiver, CareType, Case, Urgency
from ops.doctor import check_sms_texts
from tests.unit.test_matching import TODAY, candidate, needs

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
OTHERS = [language for language in LANGUAGES if language != "de"]
#: The longest municipality name of Region Hannover, with its postcode.
LONGEST_PLACE = {"postcode": "31535", "municipality": "Neustadt am Rübenberge"}
REFERENCE = "K" * REFERENCE_LENGTH
#: A caregiver's name with letters outside GSM-7 (so it would push a German text into UCS-2).
LONG_NAME = "Małgorzata-Şükriye Wiśniewska-Öztürk"
LONG_ADDRESS = (
    "Ferdinand-Wallbrecht-Straße 123, Hinterhaus, 4. OG links, bei Öztürk-Kowalczyk, Klingel defekt, "
    "bitte anrufen, Zugang über den Hof neben der Bäckerei"
)


def _case(**fields: object) -> Case:
    values: dict[str, object] = {
        "reference": REFERENCE,
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


def _worst_cases() -> Iterator[Case]:
    """Cases whose offers are longest: many children, a baby or a 13-year-old, eldercare, a date, long hours."""
    for days in range(2, 9):  # every weekday's name
        for child_age in (0, 13):
            yield _case(children=9, child_age=child_age, urgency=Urgency.LATER, expected_hours=12.5,
                        care_starts_at=NOW + timedelta(days=days, hours=3), **LONGEST_PLACE)
    for level in (None, 0, 5):
        yield _case(care_type=CareType.ELDERCARE, care_level=level, children=None, child_age=None,
                    urgency=Urgency.LATER, expected_hours=None, **LONGEST_PLACE)
    yield _case(care_type=None, children=None, child_age=None, urgency=None, expected_hours=None, **LONGEST_PLACE)


def _messages(language: str) -> dict[str, list[str]]:
    """Return every job SMS a person gets in `language`, by key, filled in with worst-case values."""
    caregiver = Caregiver(name=LONG_NAME, phone="+4917612345678")
    offers: dict[str, list[str]] = {"offer": [], "offer_language": []}
    for case in _worst_cases():
        for family in LANGUAGES:
            case.language = family
            offers["offer" if family == "de" else "offer_language"].append(
                offer_text(case, code="99", language=language, now=NOW))
    long_case = _case(parent_name=LONG_NAME, address=LONG_ADDRESS, **LONGEST_PLACE)
    return {
        **offers,
        "won": [winner_text(long_case, language=language), winner_text(_case(caller=None), language=language)],
        "hours_hint": [job_text("hours_hint", language=language, code="99")],
        "cancelled": [cancelled_text(long_case, language=language)],
        "taken": [job_text("taken", language=language, code="99")],
        "withdrawn_filled": [job_text("withdrawn_filled", language=language, code="99")],
        "withdrawn_other": [job_text("withdrawn_other", language=language, code="99")],
        "parent_confirmation": [
            parent_text(_case(language=language), caregiver=caregiver),
            parent_text(_case(language=language), caregiver=Caregiver(name="", phone="+4917612345678")),
        ],
    }


def _strings(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _strings(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield f"{prefix}{key}", value


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _german_only(key: str) -> bool:
    return any(key == k or key.startswith(f"{k}.") for k in GERMAN_ONLY)


@pytest.mark.parametrize("language", OTHERS)
def test_every_language_has_the_keys_and_placeholders_of_german(language: str) -> None:
    german = dict(_strings(load_job_texts("de")))
    other = dict(_strings(load_job_texts(language)))
    needed = {key for key in german if not _german_only(key)}
    assert needed <= set(other), f"{language}.toml lacks {sorted(needed - set(other))}"
    assert set(other) <= set(german), f"{language}.toml has keys German has not: {sorted(set(other) - set(german))}"
    for key, template in other.items():
        assert _placeholders(template) == _placeholders(german[key]), f"{language}.toml [{key}]"
    assert len(load_job_texts(language)["weekdays"]) == 7
    assert set(load_job_texts(language)["languages"]) == set(LANGUAGES)


@pytest.mark.parametrize("language", OTHERS)
def test_no_german_is_left_in_another_language(language: str) -> None:
    german = dict(_strings(load_job_texts("de"))) | {
        f"commands.{section}.{name}": text for section, names in load_command_texts("de").items()
        for name, text in names.items() if not name.endswith("_word")}
    other = dict(_strings(load_job_texts(language))) | {
        f"commands.{section}.{name}": text for section, names in load_command_texts(language).items()
        for name, text in names.items()}
    left = [key for key, text in other.items() if key != "decimal_mark" and german.get(key) == text]
    assert left == [], f"{language}: still German: {left}"


def test_every_text_file_carries_a_review_mark() -> None:
    for language in LANGUAGES:
        for path in (TEXTS_DIR / f"{language}.toml", TEXTS_DIR / f"commands.{language}.toml"):
            assert not path.is_file() or isinstance(load_toml(path).get("reviewed"), bool), path
    assert is_reviewed("de") and is_reviewed("en")
    assert not is_reviewed("xx")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_job_sms_fits_two_segments_filled_with_worst_case_values(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    messages = _messages(language)
    assert [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()] == []  # no German stand-in
    sent = {key for key, _ in _strings(load_job_texts(language)) if "." not in key and key != "decimal_mark" and not _german_only(key)}
    assert set(messages) == sent, "a new text needs its worst case here"
    for key, texts in messages.items():
        for text in texts:
            assert sms_segments(text) <= MAX_SEGMENTS, f"{language} {key} ({sms_segments(text)} segments): {text}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fixed_words_alone_fit_without_losing_their_letters(language: str, caplog: pytest.LogCaptureFixture) -> None:
    """Everything but the offer and the winner's details (long free text), filled in, keeps its own letters:
    GSM-7 in German and English, UCS-2 in the others (only the longest offers and addresses in Turkish
    and Polish may fall back to letters without accents)."""
    for key, texts in _messages(language).items():
        if key not in ("offer", "offer_language", "won"):
            for text in texts:
                assert (gsm7_septets(text) is not None) == (language in ("de", "en")), text
    template = str(load_job_texts(language)["parent_confirmation"])
    assert sms_segments(template.format(caregiver="Anna", reference=REFERENCE)) <= MAX_SEGMENTS
    everyday = offer_text(_case(language="ar"), code="12", language=language, now=NOW)
    assert sms_segments(everyday) <= MAX_SEGMENTS and (language in ("de", "en")) == (gsm7_septets(everyday) is not None)
    assert [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()] == []


#: The longest values an answer to a command is filled with (offer codes have two digits; a typed one up to six).
LONGEST_ANSWER_VALUES = {
    "hotline": "0511 87654321", "code": "12345X", "codes": ", ".join(CODES[-MAX_CODES_LISTED:]),
    "time": "23:59", "duration": "23:59", "word": "NEIN", "reference": REFERENCE, "count": 99, "reason": "x" * 200,
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_to_a_command_fits_two_segments(language: str) -> None:
    texts = load_command_texts(language)
    if language != "de":
        assert set(texts) <= {"caregiver", "stranger"}, "coordinators get German answers"
        german = load_command_texts("de")
        for section, names in texts.items():
            assert set(names) <= set(german[section])
            for name, template in names.items():
                assert _placeholders(template) == _placeholders(german[section][name]), f"{language} {section}.{name}"
    for section, names in texts.items():
        for name in names:
            values = dict(LONGEST_ANSWER_VALUES)
            said = render_text("caregiver.no_word", language)
            values["examples"] = f" {render_text('caregiver.or', language)} ".join(
                f"{said} {code}" for code in CODES[-MAX_CODES_LISTED:])
            body = render_text(f"{section}.{name}", language, **values)
            assert sms_segments(body) <= MAX_SEGMENTS, f"{language} {section}.{name} ({sms_segments(body)}): {body}"


def test_the_familys_confirmation_is_in_the_language_of_the_call_with_the_caregivers_own_letters() -> None:
    caregiver = Caregiver(name="Gülşen Yılmaz", phone="+4917612345678")
    turkish = parent_text(_case(language="tr"), caregiver=caregiver)
    assert turkish == "Fluxx: İyi haber! Gülşen bakımı üstleniyor ve sizi birazdan arayacak. Dosya numaranız: KKKK."
    assert "Gülşen" in parent_text(_case(language="ar"), caregiver=caregiver)
    german = parent_text(_case(language="de"), caregiver=caregiver)
    assert "Gülsen übernimmt" in german and gsm7_septets(german) is not None  # GSM-7: one letter less is cheaper
    assert parent_language(_case(language="uk")) == "uk" and parent_language(_case(language="xx")) == "de"


@pytest.mark.parametrize("language", ["ar", "ru", "uk"])
def test_the_winners_details_fit_ucs2_and_the_name_gives_way_to_the_address(language: str) -> None:
    everyday = winner_text(_case(parent_name="Małgorzata Wiśniewska", address="Ferdinand-Wallbrecht-Straße 123"),
                           language=language)
    assert sms_segments(everyday) <= MAX_SEGMENTS and gsm7_septets(everyday) is None
    assert "Małgorzata Wiśniewska" in everyday and "Ferdinand-Wallbrecht-Straße 123" in everyday
    worst = winner_text(_case(parent_name=LONG_NAME, address=LONG_ADDRESS, **LONGEST_PLACE), language=language)
    assert sms_segments(worst) == MAX_SEGMENTS
    assert "+4915112345678" in worst and REFERENCE in worst and "31535 Neustadt am Rübenberge" in worst
    assert "Ferdinand-Wallbrecht-Straße 123" in worst and "..." in worst


def test_a_latin_text_too_long_for_ucs2_is_sent_in_close_gsm7_letters() -> None:
    worst = next(_worst_cases())
    worst.language = "uk"
    text = offer_text(worst, code="99", language="pl", now=NOW)
    assert sms_segments(text) <= MAX_SEGMENTS and gsm7_septets(text) is not None and "Jezyk rodziny" in text


def test_the_offer_names_the_familys_language_in_the_caregivers_language() -> None:
    case = _case(language="tr", expected_hours=3)
    assert offer_text(case, code="12", language="de", now=NOW) == (
        "Fluxx-Anfrage: Kind 3 J. in 30159 Hannover, sofort, ca. 3 Std. Familie spricht Türkisch. "
        "Übernehmen Sie? Antworten Sie JA 12 oder NEIN 12."
    )
    case.language = "ar"
    assert "Язык семьи: арабский." in offer_text(case, code="12", language="ru", now=NOW)
    assert "Aile Arapça konuşuyor." in offer_text(case, code="12", language="tr", now=NOW)
    case.language = "de"  # German goes unsaid: every caregiver speaks it
    assert "spricht" not in offer_text(case, code="12", language="de", now=NOW)
    assert all(re.search(r"JA 12\b.*NEIN 12\b", offer_text(case, code="12", language=lang, now=NOW))
               for lang in LANGUAGES)


def test_a_caregiver_gets_her_sms_in_her_first_language_if_it_is_one_of_the_seven() -> None:
    def first(*languages: str) -> str:
        return caregiver_language(Caregiver(name="A", phone="+4917612345678", languages=list(languages)))

    assert [first(code, "de") for code in LANGUAGES] == list(LANGUAGES)
    assert first("UK") == "uk" and first("fr", "tr") == "de" and first() == "de"


@pytest.mark.parametrize("language", LANGUAGES)
def test_caregivers_who_speak_the_callers_language_come_first_among_equals(language: str) -> None:
    pool = [candidate(1, languages=("fr",)), candidate(2, languages=("de", language)), candidate(3, languages=("pl",))]
    ranked = rank_candidates(needs(language=language), pool, today=TODAY)
    assert ranked[0].caregiver_id == 2 and ranked[0].shares_language


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("EVET 12", "yes"), ("evet12", "yes"), ("HAYIR 12", "no"), ("hayır 12", "no"), ("Evet, teşekkürler 12", "yes"),
        ("TAK 12", "yes"), ("nie 12", "no"), ("Nie, dziękuję", "no"),
        ("ДА 12", "yes"), ("да12", "yes"), ("НЕТ 12", "no"), ("Нет, спасибо", "no"),
        ("ТАК 12", "yes"), ("Ні 12", "no"), ("ні12", "no"),
        ("نعم 12", "yes"), ("لا 12", "no"), ("نعم12", "yes"), ("شكرا، لا", "no"),
        ("JA 12", "yes"), ("NEIN 12", "no"), ("YES 12", "yes"), ("no 12", "no"),
    ],
)
def test_a_caregiver_may_answer_yes_or_no_in_her_language(text: str, kind: str) -> None:
    reply = parse_reply(text)
    assert reply.kind == kind and reply.code in ("12", None)


def test_a_sentence_in_another_language_is_still_no_answer() -> None:
    for text in ("Да, но только после 10", "Evet ama saat 10'dan sonra", "Tak, ale dopiero od 10"):
        assert parse_reply(text).kind == "unknown"


def test_a_language_file_broken_while_editing_sends_german_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The office saves tr.toml with a typo: the Turkish family still gets its confirmation (in
    German), caregivers their offers; the log says which file to fix. Arabic, edited with a
    placeholder renamed and the weekdays cut short, falls back per text."""
    folder = tmp_path / "texts"
    shutil.copytree(messaging.texts.TEXTS_DIR, folder)
    monkeypatch.setattr(messaging.texts, "TEXTS_DIR", folder)
    monkeypatch.setattr(dispatch.sms_commands, "TEXTS_DIR", folder)
    (folder / "tr.toml").write_text('offer = "Fluxx: {who}\n', encoding="utf-8")  # an unclosed quote
    arabic = (folder / "ar.toml").read_text(encoding="utf-8")
    arabic = arabic.replace("{caregiver}", "{name}").replace('weekdays = ["اثنين", ', "weekdays = [")
    (folder / "ar.toml").write_text(arabic, encoding="utf-8")
    caregiver = Caregiver(name="Gülşen Yılmaz", phone="+4917612345678")

    assert parent_text(_case(language="tr"), caregiver=caregiver).startswith("Fluxx: Gute Nachricht! Gülsen")
    assert offer_text(_case(), code="12", language="tr", now=NOW).startswith("Fluxx-Anfrage: Kind 3 J.")
    assert parent_text(_case(language="ar"), caregiver=caregiver).startswith("Fluxx: Gute Nachricht!")
    friday = _case(care_starts_at=datetime(2026, 11, 27, 8, 0, tzinfo=BERLIN))
    assert "Fr 27.11." in offer_text(friday, code="12", language="ar", now=NOW)
    assert any("tr" in r.getMessage() and "unusable" in r.getMessage() for r in caplog.records)
    assert not is_reviewed("tr")

    (folder / "commands.tr.toml").write_text("[caregiver\n", encoding="utf-8")
    assert render_text("caregiver.declined", "tr") == "Danke für die Rückmeldung."


def test_the_doctor_names_a_broken_sms_file_and_the_unreviewed_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_text_problems() == {}
    folder = tmp_path / "texts"
    shutil.copytree(messaging.texts.TEXTS_DIR, folder)
    monkeypatch.setattr(messaging.texts, "TEXTS_DIR", folder)
    polish = (folder / "pl.toml").read_text(encoding="utf-8").replace("{caregiver}", "{opiekunka}")
    (folder / "pl.toml").write_text(polish, encoding="utf-8")
    (folder / "commands.uk.toml").write_text("[caregiver\n", encoding="utf-8")
    problems = find_text_problems()
    assert set(problems) == {"pl", "uk"} and "parent_confirmation" in problems["pl"]
    result = check_sms_texts(problems=problems, unreviewed=())
    assert result.status == "warning" and "pl.toml" in result.en and "commands.uk.toml" in result.en
    assert check_sms_texts(problems={"de": "de.toml: broken"}, unreviewed=()).status == "error"
    fine = check_sms_texts(problems={}, unreviewed=["tr", "ar"])
    assert fine.status == "ok" and "Turkish, Arabic" in fine.en
