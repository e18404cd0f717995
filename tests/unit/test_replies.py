"""parse_reply: every accepted variant, what is refused, and that it never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.replies import Reply, ReplyKind, parse_reply
from dispatch.sms_commands import fit_reason, load_command_texts, render_text
from messaging.texts import MAX_SEGMENTS, gsm7_septets, sms_segments

YES, NO, STOP, START, HELP, SEND, UNKNOWN = (
    ReplyKind.YES,
    ReplyKind.NO,
    ReplyKind.STOP,
    ReplyKind.START,
    ReplyKind.HELP,
    ReplyKind.SEND,
    ReplyKind.UNKNOWN,
)


@pytest.mark.parametrize(
    "text",
    [
        "JA 12",
        "Ja 12",
        "ja 12",
        "JA12",
        "ja12",
        "'ja 12'",
        '"JA 12"',
        "„Ja 12“",
        "j 12",
        "J12",
        " JA  12 ",
        "JA 12.",
        "Ja 12!",
        "JA #12",
        "JA-12",
        "ja: 12",
        "yes 12",
        "YES 12",
        "y 12",
        "ok 12",
        "OK12",
        "okay 12",
        "Ja gerne 12",
        "ja 12 danke",
        "JA\n12",
        "ＪＡ １２",
        "Ja 12 👍",
    ],
)
def test_yes_with_a_code(text: str) -> None:
    assert parse_reply(text) == Reply(YES, code="12")


@pytest.mark.parametrize(
    "text",
    [
        "ja",
        "JA",
        "Ja",
        "j",
        "J",
        "ja.",
        "Ja!",
        "JA!!!",
        "yes",
        "Y",
        "'ja'",
        "Ja, gerne",
        "ja bitte",
        "Ja 👍",
        "  ja  ",
    ],
)
def test_bare_yes(text: str) -> None:
    assert parse_reply(text) == Reply(YES)


@pytest.mark.parametrize(
    "text",
    [
        "NEIN 12",
        "nein 12",
        "Nein12",
        "n 12",
        "no 12",
        "NO 12",
        "nee 12",
        "Nein danke 12",
        "'nein 12'",
        "NEIN #12",
    ],
)
def test_no_with_a_code(text: str) -> None:
    assert parse_reply(text) == Reply(NO, code="12")


@pytest.mark.parametrize("text", ["nein", "NEIN", "Nein.", "n", "no", "Nein danke", "Leider nein", "nee"])
def test_bare_no(text: str) -> None:
    assert parse_reply(text) == Reply(NO)


def test_codes_are_upper_case_and_may_hold_letters() -> None:
    assert parse_reply("ja 7a") == Reply(YES, code="7A")
    assert parse_reply("JA 007") == Reply(YES, code="007")


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOPP",
        "stopp!",
        "ABMELDEN",
        "Abmelden bitte",
        "UNSUBSCRIBE",
        "STOPALL",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "'STOP'",
    ],
)
def test_stop_words_including_twilios_own(text: str) -> None:
    assert parse_reply(text) == Reply(STOP)


@pytest.mark.parametrize("text", ["START", "start", "Anmelden", "ANMELDEN", "UNSTOP", "Start!"])
def test_start_words(text: str) -> None:
    assert parse_reply(text) == Reply(START)


@pytest.mark.parametrize(
    "text", ["HILFE", "hilfe", "Hilfe?", "HELP", "help", "INFO", "info", "?", "??", " ? "]
)
def test_help_words(text: str) -> None:
    assert parse_reply(text) == Reply(HELP)


@pytest.mark.parametrize(
    "text",
    [
        "SENDEN K7Q2",
        "senden k7q2",
        "SENDEN #K7Q2",
        "Senden K7Q2.",
        "sendenK7Q2",
        "SENDEN: K7Q2",
        "senden k7 q2",
        "SEND K7Q2",
        "'SENDEN K7Q2'",
        "SENDEN  #k7q2 ",
    ],
)
def test_send_with_a_reference(text: str) -> None:
    assert parse_reply(text) == Reply(SEND, reference="K7Q2")


@pytest.mark.parametrize("text", ["SENDEN", "senden.", "Senden bitte"])
def test_send_without_a_reference(text: str) -> None:
    assert parse_reply(text) == Reply(SEND)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n",
        "ok",
        "OK",
        "Okay",
        "12",
        "#12",
        "danke",
        "Danke!",
        "👍",
        "🙂🙂",
        "Hallo",
        "JA 12 34",
        "Ja, aber erst ab 10 Uhr",
        "Stop texting me",
        "STOP 12",
        "hilfe 12",
        "jaja",
        "nein 123456789",
        "SENDEN K7Q2 K7Q3 extra",
        "<b>JA 12</b>",
        "JA 12; DROP TABLE offers",
        "yes 12 no 34",
        "x" * 1600,
        "ja " + "1" * 200,
        "\x00",
        "\u202eAJ",
        "Jа 12",  # the last one with a Cyrillic a
    ],
)
def test_anything_else_is_unknown(text: str) -> None:
    assert parse_reply(text).kind is UNKNOWN


def test_none_and_long_bodies_are_unknown() -> None:
    assert parse_reply(None) == Reply(UNKNOWN)
    assert parse_reply("JA 12 " + " " * 1594) == Reply(YES, code="12")
    assert parse_reply("JA 12 " + "🙂" * 800).kind is UNKNOWN


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=1600))
def test_parse_reply_never_raises(text: str) -> None:
    reply = parse_reply(text)
    assert isinstance(reply.kind, ReplyKind)
    assert reply.code is None or reply.kind in (YES, NO, ReplyKind.CARE_START, ReplyKind.CARE_END)
    assert reply.reference is None or reply.kind is SEND


@given(
    st.sampled_from(["JA", "ja", "Ja", "j", "yes", "NEIN", "n", "no"]),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    st.sampled_from(["", " ", "  ", "#", " #", "-", ": "]),
    st.sampled_from(["", ".", "!", " ", "!!"]),
)
def test_word_and_code_in_any_spacing(word: str, code: str, separator: str, end: str) -> None:
    reply = parse_reply(f"{word}{separator}{code}{end}")
    assert reply.kind in (YES, NO)
    assert reply.code == code


@pytest.mark.parametrize("text", ["SENDEN GERN", "senden gern", "SENDENGERN"])
def test_a_reference_that_spells_a_polite_word_is_still_a_reference(text: str) -> None:
    assert parse_reply(text) == Reply(SEND, reference="GERN")


# --- the command texts (messaging/texts/commands.*.toml) -------------------------------------------

SAMPLE_VALUES = {
    "hotline": "0511 87654321",
    "word": "NEIN",
    "examples": "NEIN 1234 oder NEIN 5678 oder NEIN 9012 oder NEIN 3456 oder NEIN 7890",
    "code": "123456",
    "codes": "1234, 5678, 9012, 3456, 7890",
    "reference": "K7Q2",
    "count": 12,
    "reason": "x" * 200,
    "time": "14:05",
    "duration": "16:00",
}


def _keys(texts: dict[str, Any]) -> set[str]:
    return {f"{section}.{name}" for section, names in texts.items() for name in names}


def test_english_has_every_caregiver_text_german_has() -> None:
    german, english = _keys(load_command_texts("de")), _keys(load_command_texts("en"))
    assert {k for k in german if k.startswith("caregiver.")} == english


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_command_text_fits_into_two_sms_segments(language: str) -> None:
    for key in _keys(load_command_texts("de")):
        body = render_text(key, language, **SAMPLE_VALUES)
        assert "{" not in body, key
        assert gsm7_septets(body) is not None, f"{key} needs UCS-2: {body!r}"
        assert sms_segments(body) <= MAX_SEGMENTS, key


def test_texts_fall_back_to_german() -> None:
    assert render_text("coordinator.no_reference", "en") == "Bitte die Fallnummer angeben, z. B. SENDEN K7Q2."
    assert render_text("coordinator.no_reference", "tr") == "Bitte die Fallnummer angeben, z. B. SENDEN K7Q2."
    assert render_text("caregiver.declined", "xx") == "Danke für die Rückmeldung."


def test_a_long_refusal_reason_is_shortened_and_made_gsm_safe() -> None:
    reason = fit_reason("Keine „passende“ Betreuungskraft – " + "sehr " * 100)
    assert len(reason) <= 200 and reason.endswith("...")
    assert gsm7_septets(reason) is not None
