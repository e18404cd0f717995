"""The dashboard's words for coded values: statuses, urgencies, reasons, flags, ages, times, stages.

The case's coded values (urgency, reason, caller, care, status, flags) come from the shared
vocabulary (core.vocabulary), in the request's language, so the dashboard names them as the voice
summary, the SMS and the exports do; the dashboard's own words are German msgids through gettext
(English in dashboard/translations/en).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from core.clock import BERLIN
from core.formats import datetime_de, time_de
from core.languages import name as language_name
from core.languages import text_direction
from core.vocabulary import (
    CALLER_TYPE,
    CARE_FOR,
    CARE_TYPE,
    CASE_FLAG,
    CASE_STATUS,
    OFFER_STATUS,
    REASON,
    UNKNOWN,
    URGENCY,
    care_level_words,
    word,
)


def language() -> str:
    """Return the request's language for the shared vocabulary: "en" or "de"."""
    return "en" if str(get_locale()) == "en" else "de"


def caller_language_label(code: str | None) -> str:
    """Return a caller language's name in the dashboard's language ("Türkisch", "Turkish"); German for none."""
    return language_name(code or "de", language())


def caller_language_native(code: str | None) -> str:
    """Return a caller language's name in itself ("Türkçe", "العربية")."""
    return language_name(code or "de", "native")


def caller_language_direction(code: str | None) -> str:
    """Return the HTML dir of text in a caller language: "rtl" for Arabic, else "ltr"."""
    return text_direction(code or "de")


def urgency_label(value: str | None) -> str:
    """Return the urgency in words."""
    return word(URGENCY, value, language()) or _unknown()


def reason_label(value: str | None) -> str:
    """Return the reason in words."""
    return word(REASON, value, language()) or _unknown()


def status_label(value: str | None) -> str:
    """Return a case status in words."""
    return word(CASE_STATUS, value, language()) or value or ""


def caller_type_label(value: str | None) -> str:
    """Return who called, in words."""
    return word(CALLER_TYPE, value, language()) or _unknown()


def care_for_label(value: str | None) -> str | None:
    """Return whom the care is for ("Kind", "Angehörige"); None for an unknown value."""
    return word(CARE_FOR, value, language())


def care_type_label(value: str | None) -> str:
    """Return the kind of care ("Kinderbetreuung", "Betreuung von Angehörigen")."""
    return word(CARE_TYPE, value, language()) or _unknown()


def flag_label(flag: str) -> str:
    """Return a case flag in words."""
    return word(CASE_FLAG, flag, language()) or flag


def _unknown() -> str:
    return UNKNOWN.en if language() == "en" else UNKNOWN.de


def age_label(age: int | None) -> str:
    """Return a child's age in words ("3 J.", "unter 1 J.")."""
    if age is None:
        return _("Alter unbekannt")
    if age == 0:
        return _("unter 1 J.")
    return _("%(n)s J.", n=age)


def care_label(
    care_type: str | None, children: int | None, child_age: int | None, care_level: int | None
) -> str:
    """Return whom the care is for: "Kind, 3 J.", "2 Kinder, jüngstes 3 J.", "Angehörige, Pflegegrad 2"."""
    if care_type == "eldercare":
        who = care_for_label(care_type) or _unknown()
        level = care_level_words(care_level, language())  # 0: the caller does not know it, as the summary says
        return f"{who}, {level}" if level else who
    if care_type == "child" or children or child_age is not None:
        if children and children > 1:
            if child_age is None:
                return _("%(n)s Kinder", n=children)
            return _("%(n)s Kinder, jüngstes %(age)s", n=children, age=age_label(child_age))
        if child_age is None:
            return care_for_label("child") or _unknown()
        return _("Kind, %(age)s", age=age_label(child_age))
    return _("unbekannt")


def waiting_label(waited: timedelta) -> str:
    """Return how long someone has waited: "seit 12 Min.", "seit 2 Std. 5 Min.", "seit 3 Tagen"."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 1:
        return _("seit weniger als 1 Min.")
    if minutes < 60:
        return _("seit %(m)s Min.", m=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _("seit %(h)s Std. %(m)s Min.", h=hours, m=rest)
    return _("seit %(d)s Tagen", d=hours // 24)


def duration_label(waited: timedelta) -> str:
    """Return a duration: "12 Min.", "2 Std. 5 Min."."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return _("%(m)s Min.", m=minutes)
    hours, rest = divmod(minutes, 60)
    return _("%(h)s Std. %(m)s Min.", h=hours, m=rest)


def local_time(at: datetime | None, *, with_date: bool = True) -> str:
    """Return a time in Hannover: "23.11.2026, 10:05" or "10:05"."""
    if at is None:
        return "—"
    local = at.astimezone(BERLIN)
    return datetime_de(local) if with_date else time_de(local)


def offer_status_label(value: str) -> str:
    """Return an offer's state in words."""
    return word(OFFER_STATUS, value, language()) or value


def dispatch_label(
    *,
    status: str,
    offers_open: int,
    offers_declined: int,
    offers_accepted: int,
    offers_total: int,
    dispatch_status: str | None,
) -> str:
    """Return the dispatch state of a case in words, from its offers and latest dispatch."""
    if offers_accepted or status == "assigned":
        return _("zugesagt")
    parts = []
    if offers_open:
        parts.append(ngettext("%(num)s Anfrage offen", "%(num)s Anfragen offen", offers_open))
    if offers_declined:
        parts.append(ngettext("%(num)s Absage", "%(num)s Absagen", offers_declined))
    if dispatch_status == "exhausted" and not offers_open:
        parts.append(_("niemand mehr anzufragen"))
    elif dispatch_status == "expired" and not offers_open:
        parts.append(_("Frist abgelaufen"))
    if parts:
        return " · ".join(parts)
    if dispatch_status == "active":
        return _("Vermittlung läuft")
    return _("noch nicht vermittelt")


def step_label(step: str) -> str:
    """Return a menu question's name."""
    labels = {
        "caller_type": _("Anliegen"),
        "care_type": _("Betreuung für"),
        "children": _("Anzahl Kinder"),
        "child_age": _("Alter des jüngsten Kindes"),
        "care_level": _("Pflegegrad"),
        "postcode": _("Postleitzahl"),
        "urgency": _("Dringlichkeit"),
        "reason": _("Grund"),
        "municipality": _("Ort"),
        "language": _("Sprache"),
    }
    return labels.get(step, step)


def answer_label(name: str, value: Any) -> str:
    """Return one menu answer in words."""
    if value is None:
        return _("keine Eingabe")
    if name == "caller_type":
        return caller_type_label(value)
    if name == "care_type":
        return care_for_label(value) or str(value)
    if name == "child_age":
        return age_label(int(value)) if str(value).isdigit() else str(value)
    if name == "urgency":
        return urgency_label(value)
    if name == "reason":
        return reason_label(value)
    if name == "language":
        return caller_language_label(str(value))
    return str(value)


def stage_label(stage: str | None) -> str:
    """Return a dial stage in words."""
    return {
        "primary": _("Dienst"),
        "backup": _("Vertretung"),
        "queue": _("Warteschlange"),
        "fallback": _("Koordinationsbüro"),
        "voicemail": _("Sprachnachricht"),
    }.get(stage or "", stage or "")


def field_label(name: str) -> str:
    """Return an editable field's name."""
    return {
        "parent_name": _("Vorname der Eltern"),
        "address": _("Adresse"),
        "care_starts_at": _("Beginn der Betreuung"),
        "expected_hours": _("Voraussichtliche Dauer"),
        "notes": _("Notizen"),
    }.get(name, name)


def call_status_label(status: str | None) -> str:
    """Return a Twilio call state in words."""
    return {
        "completed": _("beendet"),
        "busy": _("besetzt"),
        "no-answer": _("nicht angenommen"),
        "failed": _("fehlgeschlagen"),
        "canceled": _("abgebrochen"),
        "in-progress": _("verbunden"),
        "ringing": _("klingelt"),
        "queued": _("in Warteschlange"),
    }.get(status or "", status or _("unbekannt"))

def care_flag_label(flag: str | None) -> str:
    """Return what a care session's flag means and what to do, in plain German."""
    if flag is None:
        return ""
    return {
        "missing_start": _(
            "Beginn fehlt: Die Betreuungskraft hat ENDE ohne START geschickt. Bitte den Beginn eintragen."
        ),
        "missing_end": _(
            "Ende fehlt: Die Betreuung läuft seit über 16 Stunden ohne ENDE. Bitte das Ende eintragen."
        ),
        "end_before_start": _("Das Ende liegt nicht nach dem Beginn. Bitte die Zeiten korrigieren."),
        "longer_than_16h": _("Länger als 16 Stunden. Bitte prüfen; wenn es stimmt, bestätigen."),
        "start_before_request": _(
            "Der Beginn liegt mehr als eine Stunde vor dem Anruf. Bitte prüfen; wenn es stimmt, bestätigen."
        ),
        "end_in_future": _("Das Ende liegt in der Zukunft. Bitte korrigieren."),
        "in_progress": _("Die Betreuung läuft noch; sie wird im nächsten Monat abgerechnet."),
    }.get(flag, flag)
