"""The case timeline in words: one description per event kind, kept as data (EventKind -> describer).

A describer gets the event's facts (its detail and the names of the people it mentions) and returns
German text through gettext. Every EventKind has one; tests/unit/test_timeline_words.py keeps the
table complete, so a new kind cannot reach the page as a bare code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from cases.events import EventKind
from dashboard.words import (
    answer_label,
    call_status_label,
    care_flag_label,
    field_label,
    stage_label,
    step_label,
)
from messaging.texts import describe_no_match
from models import CaseEvent


@dataclass(frozen=True)
class EventFacts:
    """What a description may use: the event's detail and display names ("cg:7" and phones -> name)."""

    detail: Mapping[str, Any]
    names: Mapping[str, str]

    def get(self, key: str, default: Any = None) -> Any:
        """Return one detail field."""
        return self.detail.get(key, default)

    @property
    def by(self) -> Any:
        """Return who acted (a user name, or "sms")."""
        return self.detail.get("by")

    @property
    def caregiver(self) -> str:
        """Return the caregiver's name, or her number in the register."""
        cid = self.detail.get("caregiver")
        return self.names.get(f"cg:{cid}", _("Betreuungskraft #%(id)s", id=cid))

    @property
    def coordinator(self) -> str:
        """Return the coordinator's name, or the end of her number."""
        return self.person(self.detail.get("coordinator"))

    @property
    def stage(self) -> str:
        """Return the dial stage in words."""
        return stage_label(self.detail.get("stage"))

    @property
    def status(self) -> str:
        """Return the Twilio call state in words."""
        return call_status_label(self.detail.get("status"))

    def person(self, phone: Any) -> str:
        """Return the name behind a phone number, or its last three digits."""
        return self.names.get(str(phone), _("Nummer endet auf %(tail)s", tail=str(phone)[-3:]) if phone else "—")


Describe = Callable[[EventFacts], str]


def _menu_answer(e: EventFacts) -> str:
    answers = e.get("answers") or {}
    if not answers and e.get("language"):
        return _("Menü: Sprache gewählt: %(language)s", language=answer_label("language", e.get("language")))
    if not answers and e.get("why") == "asked_for_person":
        return _("Menü: %(step)s – möchte mit einer Person sprechen (0)", step=step_label(str(e.get("step"))))
    if not answers:
        return _("Menü: %(step)s – keine gültige Eingabe", step=step_label(str(e.get("step"))))
    said = "; ".join(f"{step_label(k)}: {answer_label(k, v)}" for k, v in answers.items())
    return _("Menü: %(answers)s", answers=said)


def _dial_stage(e: EventFacts) -> str:
    numbers = e.get("numbers") or []
    if e.get("stage") == "voicemail" or not numbers:
        return _("Stufe %(stage)s", stage=e.stage)
    return _("Klingelt bei %(who)s (%(stage)s)", who=", ".join(e.person(n) for n in numbers), stage=e.stage)


def _queue_entered(e: EventFacts) -> str:
    if e.get("again"):
        return _("Zurück in der Warteschlange (Platz behalten)")
    return _("In der Warteschlange, Platz %(position)s", position=e.get("position") or "?")


def _queue_position_announced(e: EventFacts) -> str:
    if e.get("minutes"):
        return _(
            "Angesagt: Platz %(position)s, etwa %(minutes)s Minuten", position=e.get("position"), minutes=e.get("minutes")
        )
    return _("Angesagt: Platz %(position)s", position=e.get("position"))


def _queue_left(e: EventFacts) -> str:
    return {
        "hung_up": _("Warteschlange verlassen: aufgelegt"),
        "voicemail": _("Warteschlange verlassen: Sprachnachricht gewählt"),
        "callback": _("Rückruf gewählt: wartet ohne Leitung, Platz behalten"),
        "max_wait": _("Längste Wartezeit erreicht: weiter zum Büro bzw. zur Sprachnachricht"),
        "closed": _("Servicezeit zu Ende: weiter zum Büro bzw. zur Sprachnachricht"),
        "callback_failed": _("Rückruf: Familie zweimal nicht erreicht, Fall zum Rückruf markiert"),
        "case_finished": _("Warteschlange verlassen: Fall abgeschlossen oder storniert"),
    }.get(str(e.get("why")), _("Warteschlange verlassen"))


def _dispatch_started(e: EventFacts) -> str:
    by = str(e.get("started_by") or "")
    who = by.split(":", 1)[1] if by.startswith("dashboard:") else by
    return _(
        "Vermittlung gestartet von %(who)s (%(n)s passende Betreuungskräfte)", who=who, n=e.get("candidates", 0)
    )


def _no_match(e: EventFacts) -> str:
    return describe_no_match(dict(e.detail), language="en" if str(get_locale()) == "en" else "de")


def _care_ended(e: EventFacts) -> str:
    if e.get("flag"):
        return _("Betreuung beendet (ENDE per SMS), bitte prüfen: %(why)s", why=care_flag_label(e.get("flag")))
    return _("Betreuung beendet (ENDE per SMS)")


#: One description per kind. Fixed texts are lambdas too, so gettext runs in the request's language.
DESCRIPTIONS: dict[EventKind, Describe] = {
    # The call
    EventKind.CALL_RECEIVED: lambda e: (
        _("Anruf eingegangen") if e.get("open", True) else _("Anruf eingegangen (außerhalb der Servicezeit)")
    ),
    EventKind.MENU_ANSWER: _menu_answer,
    EventKind.MENU_DONE: lambda e: _("Menü beendet, Anruf wird durchgestellt"),
    EventKind.DIAL_STAGE: _dial_stage,
    EventKind.SCREENING: lambda e: _("%(who)s hat abgenommen und hört die Zusammenfassung", who=e.coordinator),
    EventKind.COORDINATOR_ACCEPTED: lambda e: _("%(who)s hat das Gespräch angenommen", who=e.coordinator),
    EventKind.COORDINATOR_DECLINED: lambda e: _("Gespräch nicht angenommen (keine 1 gedrückt)"),
    EventKind.DIAL_RESULT: lambda e: (
        _("%(stage)s: erreicht", stage=e.stage)
        if e.get("reached")
        else _("%(stage)s: nicht erreicht (%(status)s)", stage=e.stage, status=e.status)
    ),
    EventKind.VOICEMAIL_OFFERED: lambda e: _("Sprachnachricht angeboten"),
    EventKind.VOICEMAIL_RECORDED: lambda e: _(
        "Sprachnachricht aufgezeichnet (%(s)s Sek.)", s=e.get("seconds") or "?"
    ),
    EventKind.CALL_STATUS: lambda e: _("Anruf: %(status)s", status=e.status),
    EventKind.COORDINATORS_ALERTED: lambda e: ngettext(
        "%(num)s Koordinatorin per SMS benachrichtigt",
        "%(num)s Koordinatorinnen per SMS benachrichtigt",
        len(e.get("recipients") or []),
    ),
    # The queue
    EventKind.QUEUE_ENTERED: _queue_entered,
    EventKind.QUEUE_POSITION_ANNOUNCED: _queue_position_announced,
    EventKind.QUEUE_LEFT: _queue_left,
    EventKind.QUEUE_DEQUEUED: lambda e: (
        _("Rückruf an der Reihe (Versuch %(n)s): klingelt bei %(who)s", n=e.get("attempt"), who=e.coordinator)
        if e.get("callback")
        else _("Aus der Warteschlange: klingelt bei %(who)s", who=e.coordinator)
    ),
    EventKind.QUEUE_CALLED_BACK: lambda e: _("Rückruf aus der Warteschlange"),
    # Dispatch
    EventKind.AUTO_DISPATCH_STARTED: lambda e: _("Automatische Vermittlung gestartet"),
    EventKind.AUTO_DISPATCH_SKIPPED: lambda e: _("Automatische Vermittlung übersprungen: keine passende Betreuungskraft"),
    EventKind.AUTO_DISPATCH_REFUSED: lambda e: _("Automatische Vermittlung nicht möglich"),
    EventKind.AUTO_DISPATCH_FAILED: lambda e: _("Automatische Vermittlung nicht möglich"),
    EventKind.DISPATCH_STARTED: _dispatch_started,
    EventKind.DISPATCH_WAVE: lambda e: _(
        "Welle %(wave)s: %(n)s Anfragen verschickt", wave=e.get("wave"), n=len(e.get("offers") or [])
    ),
    EventKind.OFFER_SENT: lambda e: _("Anfrage an %(who)s (Code %(code)s)", who=e.caregiver, code=e.get("code")),
    EventKind.OFFER_DECLINED: lambda e: _("%(who)s hat abgesagt", who=e.caregiver),
    EventKind.OFFER_ACCEPTED: lambda e: _("%(who)s hat zugesagt", who=e.caregiver),
    EventKind.OFFER_TAKEN: lambda e: _(
        "%(who)s hat zugesagt, aber der Einsatz war schon vergeben", who=e.caregiver
    ),
    EventKind.OFFER_WITHDRAWN: lambda e: _("Anfrage an %(who)s zurückgezogen", who=e.caregiver),
    EventKind.OFFER_UNDELIVERABLE: lambda e: _("Anfrage an %(who)s nicht zustellbar", who=e.caregiver),
    EventKind.CAREGIVER_BACKED_OUT: lambda e: _("%(who)s hat nach der Zusage abgesagt", who=e.caregiver),
    EventKind.DISPATCH_FILLED: lambda e: _("Vermittlung erfolgreich: Einsatz vergeben"),
    EventKind.NO_MATCH: _no_match,
    EventKind.DISPATCH_EXHAUSTED: lambda e: _("Vermittlung beendet: niemand mehr anzufragen"),
    EventKind.DISPATCH_EXPIRED: lambda e: _("Vermittlung beendet: Frist abgelaufen"),
    EventKind.DISPATCH_CANCELLED: lambda e: _("Vermittlung abgebrochen"),
    EventKind.PARENT_NOTIFIED: lambda e: _("Familie per SMS benachrichtigt"),
    EventKind.PARENT_CALL_REQUESTED: lambda e: _(
        "Familie hat keine Handynummer: bitte anrufen und Bescheid geben"
    ),
    EventKind.FAMILY_SMS_UNDELIVERED: lambda e: _(
        "SMS an die Familie nicht zustellbar: bitte anrufen und Bescheid geben"
    ),
    # The coordinator's hand
    EventKind.ASSIGNED_BY_HAND: lambda e: _(
        "Von Hand an %(who)s vergeben (durch %(by)s)", who=e.caregiver, by=e.by
    ),
    EventKind.REDISPATCH_REQUESTED: lambda e: _("Neu vermitteln (durch %(by)s)", by=e.by),
    EventKind.CASE_EDITED: lambda e: _(
        "Angaben geändert durch %(by)s: %(fields)s",
        by=e.by,
        fields=", ".join(field_label(f) for f in e.get("fields") or []),
    ),
    EventKind.CASE_CLOSED: lambda e: _("Fall abgeschlossen (durch %(by)s)", by=e.by),
    EventKind.CASE_CANCELLED: lambda e: (
        _("Fall storniert (durch %(by)s); die Betreuungskraft wurde per SMS informiert", by=e.by)
        if e.get("caregiver_told")
        else _("Fall storniert (durch %(by)s)", by=e.by)
    ),
    EventKind.CALLBACK_REQUESTED: lambda e: _("Rückruf angefordert von %(by)s", by=e.by),
    EventKind.CALLBACK_ANSWERED: lambda e: _("Rückruf: Koordinatorin hat abgenommen, die Familie wird angerufen"),
    EventKind.CALLBACK_MAILBOX: lambda e: (
        _("Rückruf: Mailbox der Familie, nicht verbunden")
        if e.get("leg") == "family"
        else _("Rückruf: Mailbox der Koordinatorin, Anruf beendet")
    ),
    EventKind.CALLBACK_RESULT: lambda e: (
        _("Rückruf: mit der Familie gesprochen")
        if e.get("reached")
        else _("Rückruf: Familie nicht erreicht (%(status)s), zweiter Versuch geplant", status=e.status)
        if e.get("retry_at")
        else _("Rückruf: Familie nicht erreicht (%(status)s), kein weiterer Versuch, Fall zum Rückruf markiert",
               status=e.status)
        if e.get("gave_up")
        else _("Rückruf: Familie nicht erreicht (%(status)s)", status=e.status)
    ),
    EventKind.CALLBACK_CALL_STATUS: lambda e: _("Rückruf-Anruf: %(status)s", status=e.status),
    # Billing
    EventKind.FAMILY_RECOGNISED: lambda e: _("Anruf von einer angemeldeten Familie"),
    EventKind.NON_MEMBER_MUNICIPALITY: lambda e: _(
        "%(m)s ist an diesem Tag kein Fluxx-Mitglied", m=e.get("municipality")
    ),
    EventKind.EMPLOYER_LINKED: lambda e: _(
        "Mit Partnerunternehmen verknüpft (Vertrag %(nr)s)", nr=e.get("contract_number")
    ),
    EventKind.EMPLOYER_UNLINKED: lambda e: _(
        "Verknüpfung mit dem Partnerunternehmen entfernt (durch %(by)s)", by=e.by
    ),
    EventKind.TARIFF_SET: lambda e: _(
        "Tarif auf %(code)s gesetzt (durch %(by)s)", code=e.get("tariff_code") or _("automatisch"), by=e.by
    ),
    EventKind.CARE_STARTED: lambda e: _("Betreuung begonnen (START per SMS)"),
    EventKind.CARE_ENDED: _care_ended,
    EventKind.CARE_TIMES_ENTERED: lambda e: (
        _("Betreuungszeiten geprüft und bestätigt (durch %(by)s)", by=e.by)
        if e.get("confirmed")
        else _("Betreuungszeiten eingetragen (durch %(by)s)", by=e.by)
    ),
    # Retention
    EventKind.VOICEMAIL_DELETED: lambda e: _("Sprachnachricht nach Ablauf der Aufbewahrungsfrist gelöscht"),
}


def describe_event(event: CaseEvent, names: Mapping[str, str]) -> str:
    """Return a timeline entry in words; `names` maps caregiver ids ("cg:7") and phones to names."""
    facts = EventFacts(detail=event.detail or {}, names=names)
    try:
        describe = DESCRIPTIONS[EventKind(event.kind)]
    except ValueError:  # a kind written by a newer version, or by hand: show the code readably
        return event.kind.replace("_", " ")
    return describe(facts)
