"""Every timeline event kind has its description, in German and English, and none shows as a bare code."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from cases.events import EventKind
from dashboard.timeline import DESCRIPTIONS, describe_event
from models import CaseEvent

# Rich details, so every branch of a describer finds what it reads.
DETAIL: dict[str, Any] = {
    "caregiver": 7, "coordinator": "+4915112345678", "numbers": ["+4915112345678"], "stage": "primary",
    "status": "no-answer", "by": "clara", "fields": ["notes"], "answers": {"urgency": "now"}, "step": "urgency",
    "recipients": ["+4915112345678"], "wave": 1, "offers": [1, 2], "code": "12", "candidates": 3,
    "started_by": "dashboard:clara", "municipality": "Laatzen", "contract_number": "K-1", "tariff_code": "B",
    "seconds": 12, "flag": "missing_start", "position": 2, "minutes": 5, "why": "hung_up",
}
NAMES = {"cg:7": "Dora Beispiel", "+4915112345678": "Anna Dienst"}


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "../../dashboard/translations"
    Babel(app)
    return app


def test_every_event_kind_has_a_description() -> None:
    assert set(DESCRIPTIONS) == set(EventKind)


@pytest.mark.parametrize("kind", list(EventKind))
@pytest.mark.parametrize("locale", ["de", "en"])
def test_each_description_is_words_not_the_code(app: Flask, kind: EventKind, locale: str) -> None:
    event = CaseEvent(kind=kind.value, detail=DETAIL)
    with app.test_request_context(), force_locale(locale):
        text = describe_event(event, NAMES)
        bare = describe_event(CaseEvent(kind=kind.value, detail={}), {})
    assert text and bare
    assert kind.value not in text and kind.value.replace("_", " ") not in text
    assert "%(" not in text and "%(" not in bare


def test_a_kind_unknown_to_this_version_is_shown_readably(app: Flask) -> None:
    with app.test_request_context():
        assert describe_event(CaseEvent(kind="from_the_future", detail={}), {}) == "from the future"


def test_the_stored_value_is_the_string_itself() -> None:
    # The case JSON, the metrics queries and every stored row rely on the values, not the member names.
    assert EventKind.DISPATCH_EXHAUSTED == "dispatch_exhausted"
    assert f"demo:{EventKind.CALL_RECEIVED}" == "demo:call_received"
    assert len({k.value for k in EventKind}) == len(EventKind)
    assert max(len(k.value) for k in EventKind) <= 40  # case_events.kind is String(40)


def test_descriptions_follow_the_request_language(app: Flask) -> None:
    event = CaseEvent(kind=EventKind.OFFER_DECLINED.value, detail=DETAIL)
    with app.test_request_context():
        with force_locale("de"):
            german = describe_event(event, NAMES)
        with force_locale("en"):
            english = describe_event(event, NAMES)
    assert german == "Dora Beispiel hat abgesagt"
    assert english != german and "Dora Beispiel" in english


@pytest.mark.parametrize(("kind", "detail", "german", "english"), [
    (EventKind.QUEUE_DEQUEUED, {"coordinator": "+4915112345678", "callback": True, "attempt": 2},
     "Rückruf an der Reihe (Versuch 2): klingelt bei Anna Dienst", "Call-back's turn (attempt 2): ringing Anna Dienst"),
    (EventKind.QUEUE_LEFT, {"why": "callback_failed"},
     "Rückruf: Familie zweimal nicht erreicht, Fall zum Rückruf markiert",
     "Call-back: family not reached twice, case flagged for a call-back"),
    (EventKind.CALLBACK_MAILBOX, {"leg": "family"}, "Rückruf: Mailbox der Familie, nicht verbunden",
     "Call-back: the family's mailbox answered, not connected"),
    (EventKind.CALLBACK_RESULT, {"status": "machine", "retry_at": "2026-12-03T09:00:00+00:00"},
     "Rückruf: Familie nicht erreicht (machine), zweiter Versuch geplant",
     "Call-back: family not reached (machine), a second attempt is planned"),
])
def test_call_backs_say_what_happened_to_the_family(
    app: Flask, kind: EventKind, detail: dict[str, Any], german: str, english: str
) -> None:
    event = CaseEvent(kind=kind.value, detail=detail)
    with app.test_request_context():
        with force_locale("de"):
            assert describe_event(event, NAMES) == german
        with force_locale("en"):
            assert describe_event(event, NAMES) == english


def test_a_language_choice_names_the_language_not_a_wrong_key(app: Flask) -> None:
    detail = {"step": "caller_type", "attempt": 1, "answers": {}, "flags": [], "language": "tr"}
    event = CaseEvent(kind=EventKind.MENU_ANSWER.value, detail=detail)
    with app.test_request_context():
        with force_locale("de"):
            assert describe_event(event, NAMES) == "Menü: Sprache gewählt: Türkisch"
        with force_locale("en"):
            assert describe_event(event, NAMES) == "Menu: chose a language: Turkish"
