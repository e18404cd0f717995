"""The words for the coded values of a case, German and English: one table per concept, used everywhere.

The voice summary, the coordinators' SMS, the dashboard, the CSV exports and the command line all
name an urgency, a reason, a caller, a status or a flag from these tables, so a value reads the same
wherever a person meets it. The keys are the values stored (models.case enums, case flags); a test
keeps them in step. The reasons are worded as the voice menu offers them (ivr/prompts).

Words are written as a label shows them; `word(..., mid_sentence=True)` gives the English form for
inside a sentence (German keeps its capitals).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

Language = Literal["de", "en"]


class Word(NamedTuple):
    """One value's words: German (the product's language) and English."""

    de: str
    en: str


UNKNOWN = Word("unbekannt", "unknown")

URGENCY: Mapping[str, Word] = {
    "now": Word("sofort", "now"),
    "today": Word("heute", "today"),
    "tomorrow": Word("morgen", "tomorrow"),
    "later": Word("später", "later"),
}

REASON: Mapping[str, Word] = {
    "regular_care_failure": Word("Betreuung ausgefallen", "Usual care unavailable"),
    "accident_illness": Word("Unfall oder Krankheit", "Accident or illness"),
    "work_emergency": Word("Notfall bei der Arbeit", "Emergency at work"),
    "other": Word("anderer Grund", "Other reason"),
}

CALLER_TYPE: Mapping[str, Word] = {
    "parent": Word("Eltern / Angehörige", "Parents / relatives"),
    "employer": Word("Arbeitgeber", "Employer"),
    "caregiver": Word("Betreuungskraft", "Caregiver"),
}

#: Whom the care is for (case page, menu answers, voice summary).
CARE_FOR: Mapping[str, Word] = {
    "child": Word("Kind", "Child"),
    "eldercare": Word("Angehörige", "Relative"),
}

#: A relative's care level (Pflegegrad 1-5); 0 means the caller said she does not know it.
CARE_LEVEL = Word("Pflegegrad {n}", "care level {n}")
CARE_LEVEL_UNKNOWN = Word("Pflegegrad unbekannt", "care level unknown")

#: The kind of care, as the reports count it.
CARE_TYPE: Mapping[str, Word] = {
    "child": Word("Kinderbetreuung", "Childcare"),
    "eldercare": Word("Betreuung von Angehörigen", "Care for relatives"),
}

CASE_STATUS: Mapping[str, Word] = {
    "open": Word("offen", "open"),
    "dispatching": Word("wird vermittelt", "being dispatched"),
    "assigned": Word("vermittelt", "dispatched"),
    "closed": Word("abgeschlossen", "closed"),
    "cancelled": Word("storniert", "cancelled"),
}

#: An SMS offer's state, as the case page and the caregiver's page show it.
OFFER_STATUS: Mapping[str, Word] = {
    "open": Word("wartet auf Antwort", "awaiting reply"),
    "accepted": Word("zugesagt", "accepted"),
    "declined": Word("abgesagt", "declined"),
    "expired": Word("abgelaufen", "expired"),
    "withdrawn": Word("zurückgezogen", "withdrawn"),
    "taken": Word("zu spät zugesagt", "accepted too late"),
    "undeliverable": Word("nicht zustellbar", "undeliverable"),
}

CASE_FLAG: Mapping[str, Word] = {
    "child_over_13": Word("Kind über 13", "Child over 13"),
    "outside_region": Word("außerhalb der Region", "Outside the region"),
    "company_postcode": Word("Firmen-Postleitzahl angegeben", "Business postcode given"),
    "menu_incomplete": Word("Menü nicht beendet", "Menu not completed"),
    "after_hours": Word("außerhalb der Servicezeit", "Outside service hours"),
    "hung_up_waiting": Word("aufgelegt beim Warten", "Hung up while waiting"),
    "fallback_voicemail": Word("Sprachnachricht über die Notfall-Ansage", "Voicemail via the emergency message"),
    "known_family": Word("bekannte Familie", "known family"),
    "non_member_municipality": Word("Kommune ist kein Fluxx-Mitglied", "Municipality is not a Fluxx member"),
}


def care_level_words(level: int | None, language: str = "de") -> str | None:
    """Return "Pflegegrad 2", or "Pflegegrad unbekannt" for 0 (not known); None when it was not asked."""
    if level is None:
        return None
    found = CARE_LEVEL if level else CARE_LEVEL_UNKNOWN
    return (found.en if language == "en" else found.de).format(n=level)


def word(
    table: Mapping[str, Word],
    value: object,
    language: str = "de",
    *,
    default: str | None = None,
    mid_sentence: bool = False,
) -> str | None:
    """Return the word for a coded value (an enum or its string) in `language`; `default` when unknown."""
    key = getattr(value, "value", value)
    found = table.get(key) if isinstance(key, str) else None
    if found is None:
        return default
    text = found.en if language == "en" else found.de
    if mid_sentence and language == "en" and text[:1].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]
    return text
