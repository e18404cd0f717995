"""The one-sentence case summary a coordinator hears before taking a call, or reads in an SMS.

A caller recognised as a registered family (fields "known_family" true, or the case flag
"known_family") is announced first: "Bekannte Familie, Kind, 3 Jahre, …". A caller who chose
another language than German (field "language") is named before everything else, so the
coordinator knows before she takes the call: "Anruferin spricht Türkisch. Kind, …".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import SupportsIndex, SupportsInt

from core.languages import DEFAULT as GERMAN
from core.languages import LANGUAGES
from core.languages import name as language_name
from core.vocabulary import CARE_FOR, CASE_FLAG, REASON, URGENCY, care_level_words, word

STYLES = ("speech", "sms")
#: The flags the summary mentions (the others are on the case page): what changes the coordinator's reply.
NOTED_FLAGS = ("child_over_13", "outside_region", "company_postcode", "menu_incomplete", "non_member_municipality")

_WORDS: dict[str, dict[str, object]] = {
    "de": {
        "caller_type": {"employer": "Anruf eines Arbeitgebers", "caregiver": "Anruf einer Betreuungskraft"},
        "children": "{n} Kinder",
        "youngest": "jüngstes {age}",
        "age_speech": {0: "unter 1 Jahr", 1: "1 Jahr"},
        "age_speech_n": "{n} Jahre",
        "age_sms": {0: "unter 1 J."},
        "age_sms_n": "{n} J.",
        "postcode_speech": "Postleitzahl {digits}",
        "note": "Hinweis",
        "nothing": "Keine Angaben",
        "speaks": "Anruferin spricht {language}",
    },
    "en": {
        "caller_type": {"employer": "Call from an employer", "caregiver": "Call from a carer"},
        "children": "{n} children",
        "youngest": "youngest {age}",
        "age_speech": {0: "under 1", 1: "1 year old"},
        "age_speech_n": "{n} years old",
        "age_sms": {0: "under 1"},
        "age_sms_n": "aged {n}",
        "postcode_speech": "postcode {digits}",
        "note": "Note",
        "nothing": "No details",
        "speaks": "Caller speaks {language}",
    },
}


def describe_case(fields: Mapping[str, object], *, language: str = "de", style: str = "speech") -> str:
    """Return the case in one sentence (style "speech") or one compact line (style "sms")."""
    if language not in _WORDS:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(_WORDS)}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; known: {', '.join(STYLES)}")
    words = {**_WORDS[language], "language": language,
             "child": _care_for("child", language), "eldercare": _care_for("eldercare", language)}
    speech = style == "speech"
    parts = [
        word(CASE_FLAG, "known_family", language, mid_sentence=True) if _known_family(fields) else None,
        _lookup(words["caller_type"], fields.get("caller_type")),
        *_who(fields, words, speech),
        _place(fields, words, speech),
        word(URGENCY, fields.get("urgency"), language, mid_sentence=True),
        word(REASON, fields.get("reason"), language, mid_sentence=True),
    ]
    text = ", ".join(part for part in parts if part)
    notes = [note for flag in _flags(fields)
             if flag in NOTED_FLAGS and (note := word(CASE_FLAG, flag, language, mid_sentence=True))]
    if not text:
        text = str(words["nothing"])
    if notes:
        text += f". {words['note']}: {', '.join(notes)}" if speech else f", {', '.join(notes)}"
    speaks = _speaks(fields, words, language)
    if speaks and not speech:
        text = f"{speaks}, {text}"
    text = text[0].upper() + text[1:]
    if speaks and speech:
        text = f"{speaks}. {text}"
    return f"{text}." if speech else text


def _speaks(fields: Mapping[str, object], words: Mapping[str, object], language: str) -> str | None:
    """Name the caller's language when it is one of the hotline's others than German."""
    spoken = _value(fields.get("language"))
    if not isinstance(spoken, str) or spoken == GERMAN or spoken not in LANGUAGES:
        return None
    return str(words["speaks"]).format(language=language_name(spoken, language))


def _care_for(care_type: str, language: str) -> str:
    return word(CARE_FOR, care_type, language) or care_type


def _who(fields: Mapping[str, object], words: Mapping[str, object], speech: bool) -> list[str]:
    """Describe whom the care is for: the children and the youngest's age, or the relative."""
    care_type = _value(fields.get("care_type"))
    children = _int(fields.get("children"))
    age = _int(fields.get("child_age"))
    if care_type == "eldercare":
        level = _int(fields.get("care_level"))
        if level is None:
            return [str(words["eldercare"])]
        return [str(words["eldercare"]), str(care_level_words(level, str(words["language"])))]
    if care_type != "child" and children is None and age is None:
        return []
    age_text = None if age is None else _age(age, words, speech)
    if children is not None and children > 1:
        who = str(words["children"]).format(n=children)
        return [who] + ([str(words["youngest"]).format(age=age_text)] if age_text else [])
    who = str(words["child"])
    if speech:
        return [who] + ([age_text] if age_text else [])
    return [f"{who} {age_text}" if age_text else who]


def _age(age: int, words: Mapping[str, object], speech: bool) -> str:
    named = words["age_speech" if speech else "age_sms"]
    assert isinstance(named, dict)
    if age in named:
        return str(named[age])
    return str(words["age_speech_n" if speech else "age_sms_n"]).format(n=age)


def _place(fields: Mapping[str, object], words: Mapping[str, object], speech: bool) -> str | None:
    """Describe the postcode (spoken digit by digit) and the municipality."""
    postcode = fields.get("postcode")
    municipality = fields.get("municipality")
    code = str(postcode) if postcode else None
    if speech:
        parts = [str(words["postcode_speech"]).format(digits=" ".join(code)) if code else None]
        parts.append(str(municipality) if municipality else None)
        return ", ".join(p for p in parts if p) or None
    return " ".join(p for p in (code, str(municipality) if municipality else None) if p) or None


def _known_family(fields: Mapping[str, object]) -> bool:
    """Return True when the caller is a registered family (the field, or the case flag)."""
    return fields.get("known_family") is True or "known_family" in _flags(fields)


def _flags(fields: Mapping[str, object]) -> list[str]:
    flags = fields.get("flags") or ()
    if isinstance(flags, str):
        flags = [flags]
    if not isinstance(flags, Iterable):
        raise TypeError(f"flags must be a list, not {type(flags).__name__}")
    return [str(_value(flag)) for flag in flags]


def _lookup(table: object, value: object) -> str | None:
    assert isinstance(table, dict)
    found = table.get(_value(value))
    return str(found) if found else None


def _value(value: object) -> object:
    """Accept enum members as well as their plain values."""
    return getattr(value, "value", value)


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | bytes | bytearray | SupportsInt | SupportsIndex):
        return None  # int() would refuse it with a TypeError
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
