"""A caller's language through the signed voice webhooks: who rings first, what the coordinator hears, the queue.

The roster holds the coordinators' languages by phone (issue 14). A caller who chose her language
at the first question is put through to a coordinator who speaks it when the hotline has a choice,
and never waits longer for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.languages import LANGUAGES
from core.settings import Settings
from roster.languages import store_languages
from tests.factories import ANNA, BEN, make_shift
from tests.functional.test_queue_webhooks import (
    TODAY_KEYS,
    case_of,
    dialled,
    hang_up_leg,
    post,
    start,
    take,
    wait_url,
)

DERYA = "+4915700000004"  # primary, speaks Turkish
KARIM = "+4915700000005"  # primary, speaks Arabic
TURKISH = [("caller_type", "4"), *TODAY_KEYS]
ARABIC = [("caller_type", "5"), *TODAY_KEYS]
POLISH = [("caller_type", "8"), *TODAY_KEYS]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """All seven languages offered."""
    return settings.with_overrides(languages=LANGUAGES)


def roster(session: Any, now: Any, *people: tuple[str, str, str]) -> None:
    """Put (phone, role, name) on duty around `now`."""
    for phone, role, name in people:
        make_shift(session, phone=phone, role=role, name=name, starts_at=now - timedelta(hours=2))


@pytest.fixture
def anna_derya_ben(session: Any, clock: Any) -> None:
    """Anna and Derya on duty as primaries (Derya speaks Turkish), Ben as backup."""
    roster(session, clock.now(), (ANNA, "primary", "Anna Albers"), (DERYA, "primary", "Derya Demir"),
           (BEN, "backup", "Ben Brandt"))
    store_languages(session, languages={DERYA: ("de", "tr"), BEN: ("de", "en")}, now=clock.now())


def dial_of(root: Any) -> Any:
    dial = root.find("Dial")
    assert dial is not None
    return dial


def test_a_turkish_caller_rings_the_turkish_speaking_coordinator_first_and_hears_no_extra_wait(
        client: Any, session: Any, clock: Any, anna_derya_ben: None) -> None:
    german = start(client, 1)
    assert dialled(german) == [ANNA, DERYA]  # the usual order: by name among the primaries

    turkish = start(client, 2, TURKISH)
    assert case_of(session, 2).language == "tr"
    assert dialled(turkish) == [DERYA, ANNA]  # Derya first; Anna still rings in the same stage
    assert dial_of(turkish).get("timeout") == dial_of(german).get("timeout")

    # Derya answers and hears, in German, that the caller speaks Turkish, before she takes her.
    leg = {"CallSid": "CL-derya-2", "ParentCallSid": str(case_of(session, 2).call_sid), "To": DERYA, "From": "+49"}
    screening = post(client, f"/voice/screen/{case_of(session, 2).id}", 2, **leg)
    said = " ".join(s.text or "" for s in screening.iter("Say"))
    assert said.startswith("Fluxx-Anruf. Anruferin spricht Türkisch. Kind, 3 Jahre")
    german_screening = post(client, f"/voice/screen/{case_of(session, 1).id}", 1,
                            **{**leg, "CallSid": "CL-anna-1", "ParentCallSid": str(case_of(session, 1).call_sid)})
    assert "spricht" not in " ".join(s.text or "" for s in german_screening.iter("Say"))


def test_nobody_on_duty_speaks_polish_the_usual_order_and_stages(
        client: Any, session: Any, clock: Any, anna_derya_ben: None) -> None:
    polish = start(client, 1, POLISH)
    assert case_of(session, 1).language == "pl"
    assert dialled(polish) == [ANNA, DERYA]
    again = post(client, "/voice/dial/primary", 1, DialCallStatus="no-answer")
    assert dialled(again) == [BEN]  # then the backup, as for anybody: no stage added, none skipped


@pytest.fixture
def anna_and_karim_talking(client: Any, session: Any, clock: Any) -> None:
    """Anna and Karim (who speaks Arabic) on duty, each talking to a German caller (1 and 2)."""
    roster(session, clock.now(), (ANNA, "primary", "Anna Albers"), (KARIM, "primary", "Karim Khalil"))
    store_languages(session, languages={KARIM: ("ar", "de")}, now=clock.now())
    assert dialled(start(client, 1)) == [ANNA, KARIM]
    take(client, session, 1, ANNA, "CL-anna-1")
    clock.advance(seconds=30)
    assert dialled(start(client, 2)) == [KARIM]
    take(client, session, 2, KARIM, "CL-karim-2")
    clock.advance(seconds=30)


def test_a_queued_arabic_caller_is_offered_to_the_arabic_speaker_when_two_are_free(
        client: Any, session: Any, clock: Any, anna_and_karim_talking: None) -> None:
    start(client, 3, ARABIC)
    assert case_of(session, 3).dial_stage == "queue" and case_of(session, 3).language == "ar"
    assert dialled(post(client, wait_url(session, 3), 3)) == []  # both talking
    hang_up_leg(client, "CL-anna-1")
    hang_up_leg(client, "CL-karim-2")
    clock.advance(seconds=20)
    assert dialled(post(client, wait_url(session, 3), 3)) == [KARIM]  # not Anna, first in the usual order


def test_a_queued_german_caller_gets_the_first_free_as_always(
        client: Any, session: Any, clock: Any, anna_and_karim_talking: None) -> None:
    start(client, 3)
    hang_up_leg(client, "CL-anna-1")
    hang_up_leg(client, "CL-karim-2")
    clock.advance(seconds=20)
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]


def test_with_one_free_coordinator_the_arabic_caller_does_not_wait_for_the_speaker(
        client: Any, session: Any, clock: Any, anna_and_karim_talking: None) -> None:
    start(client, 3, ARABIC)
    hang_up_leg(client, "CL-anna-1")  # Karim still talks
    clock.advance(seconds=20)
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]
