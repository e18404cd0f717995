"""The phone simulator in a real browser: a call through the menu to a coordinator, SMS both ways."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Case
from tests.browser.conftest import LiveApp, sign_in

pytestmark = pytest.mark.browser

MENU = ["1", "1", "1", "3#", "30159", "1", "1"]  # care, child, one child, aged 3, postcode, now, regular care
#: `UPDATE_SCREENSHOTS=1 python -m pytest -m browser tests/browser/test_simulator.py` renews it.
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "simulator.png"


def open_simulator(page: Any, live: LiveApp) -> None:
    """Open the simulator with the browser's speech switched off (the text is shown anyway)."""
    page.goto(live.url + "/simulator")
    page.get_by_label("Ansagen vorlesen (Sprachausgabe des Browsers)").uncheck()


def answer(page: Any, keys: str) -> None:
    """Wait until the hotline listens, then press the keys on the on-screen keypad."""
    page.wait_for_selector("#simulator[data-state=gather]")
    for key in keys:
        page.locator(f".sim-key[data-key='{key}']").click()


def call_and_reach_a_coordinator(page: Any, live: LiveApp, caller: str) -> str:
    """Call from `caller`, walk the menu, let the first coordinator take the call; return her number."""
    page.get_by_label("Ihre Nummer (Anrufer/in)").fill(caller)
    page.get_by_role("button", name="Hotline anrufen").click()
    expect(page.locator("#sim-prompt")).to_contain_text("Willkommen")
    for keys in MENU:
        answer(page, keys)
    ring = page.locator("#sim-ring button[data-answer]").first
    ring.wait_for()
    number = ring.get_attribute("data-answer")
    ring.click()
    expect(page.locator("#sim-summary")).to_contain_text("3 0 1 5 9")  # the screening reads the postcode
    if os.environ.get("UPDATE_SCREENSHOTS") and live.backend == "sqlite":
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOT))  # the README's picture: a call at the coordinator's screening
    page.get_by_role("button", name="1 drücken (annehmen)").click()
    expect(page.locator("#sim-coord-status")).to_contain_text("Verbunden")
    page.get_by_role("button", name="Gespräch beenden").click()
    page.wait_for_selector("#simulator[data-state=ended]")
    return number


#: An offer in any of the seven languages: each says JA <code> (the demo's caregivers read German, English,
#: Arabic, Turkish ... first).
OFFER = re.compile(r"\bJA (\d+)\b")


def accept_an_offer(page: Any) -> Any:
    """Wait for a new offer SMS on a caregiver's phone and answer it with JA <code>; return that phone.

    A caregiver whose offer is German is preferred (the stories go on in German), any other when none is.
    """
    newest_is_offer = page.locator(".sim-messages > li:first-child", has_text=OFFER)
    page.locator(".sim-phone-card", has=newest_is_offer).first.wait_for()
    german = page.locator(".sim-phone-card",
                          has=page.locator(".sim-messages > li:first-child", has_text="Antworten Sie JA"))
    first = german.first if german.count() else page.locator(".sim-phone-card", has=newest_is_offer).first
    number = first.get_attribute("data-number")
    phone = page.locator(f".sim-phone-card[data-number='{number}']")  # pinned: cards reorder as SMS arrive
    # The worker ticks: the offer turns from pending to sent without reloading.
    expect(phone.locator("li[data-status=sent]").first).to_be_visible()
    code = OFFER.search(phone.locator(".sim-messages > li:first-child").inner_text()).group(1)
    phone.get_by_label(f"Antwort als diese Nummer {number}").fill(f"JA {code}")
    phone.get_by_role("button", name="Senden", exact=True).click()
    return phone


def case_of(live: LiveApp, caller: str) -> Case:
    """Return the newest case of a caller."""
    with live.services.database.unit_of_work() as s:
        return s.scalars(select(Case).where(Case.caller == caller).order_by(Case.id.desc())).first()


def test_a_call_reaches_the_coordinator_who_then_dispatches_by_sms(page: Any, live_app: LiveApp) -> None:
    caller = "+4915112340001"
    sign_in(page, live_app)
    open_simulator(page, live_app)
    coordinator = call_and_reach_a_coordinator(page, live_app, caller)
    expect(page.locator("#sim-log")).to_contain_text("Anruf beendet")

    case = case_of(live_app, caller)
    assert (case.postcode, case.municipality, case.coordinator) == ("30159", "Hannover", coordinator)

    # The coordinator texts SENDEN <reference> from her phone: offers go out to caregivers.
    page.get_by_label("Von Nummer").fill(coordinator)
    page.get_by_label("Text (z. B. JA 12 oder SENDEN K7Q2)").fill(f"SENDEN {case.reference}")
    page.get_by_role("button", name="SMS an die Hotline senden").click()
    offer = accept_an_offer(page)
    expect(offer).to_contain_text(case.reference)  # the winner's details, in her language, name the case
    assert case_of(live_app, caller).status.value == "assigned"


def test_the_simulator_is_not_there_with_twilio_credentials(live_app: LiveApp) -> None:
    from app import create_app

    settings = live_app.services.settings.with_overrides(
        twilio_account_sid="AC" + "1" * 32, twilio_auth_token="real-token"
    )
    real = create_app({"SECRET_KEY": "x"}, settings=settings, database=live_app.services.database)
    client = real.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/relay", json={"path": "/voice/incoming"}).status_code in (400, 404)


def test_the_relay_forwards_only_webhooks(page: Any, live_app: LiveApp) -> None:
    sign_in(page, live_app)
    open_simulator(page, live_app)
    token = page.locator("#simulator").get_attribute("data-csrf")

    def relay(path: str, headers: dict[str, str] | None = None) -> Any:
        return page.request.post(
            live_app.url + "/simulator/relay",
            data={"path": path, "params": {}},
            headers=headers if headers is not None else {"X-CSRFToken": token},
        )

    assert relay("/voice/fallback").json()["status"] == 200
    assert relay("/sms/status").status == 400
    assert relay("/simulator/messages").status == 400
    assert relay("/voice/../simulator/messages").status == 400
    assert relay("https://elsewhere.example.org/voice/fallback").status == 400
    assert relay("/voice/fallback", headers={}).status == 400  # no CSRF token
    assert re.search(r"<Response", relay("/voice/fallback").json()["body"])


def test_mailboxes_and_nobody_answering_end_in_the_voicemail(page: Any, live_sqlite: LiveApp) -> None:
    caller = "+4915112340002"
    sign_in(page, live_sqlite)
    open_simulator(page, live_sqlite)
    page.get_by_label("Ihre Nummer (Anrufer/in)").fill(caller)
    page.get_by_role("button", name="Hotline anrufen").click()
    answer(page, "0")  # a person now
    page.get_by_role(
        "button", name=re.compile("^Mailbox nimmt ab")
    ).first.click()  # her mailbox cannot take it
    state = page.locator("#simulator")
    deadline = time.monotonic() + 30  # polled under a deadline: a story that never reaches the mailbox fails
    while (current := state.get_attribute("data-state")) != "record":
        assert time.monotonic() < deadline, f"the voicemail never started (simulator state {current!r})"
        # Ring out the backup and the office line; skip the prompts in between.
        if current == "ringing" and page.locator("#sim-nobody").count():
            page.locator("#sim-nobody").click()
        elif current == "speaking":
            page.get_by_role("button", name="Stille (nichts drücken)").click()
        page.wait_for_timeout(50)
    page.get_by_label("Ihre Nachricht (wird nur simuliert, nicht aufgenommen)").fill(
        "Bitte rufen Sie zurück, Maria"
    )
    page.get_by_role("button", name="Nachricht beenden (#)").click()
    page.wait_for_selector("#simulator[data-state=ended]")
    expect(page.locator("#sim-log")).to_contain_text("Nachricht hinterlassen")
    expect(page.locator("#sim-log")).to_contain_text("Die Mailbox hat abgenommen.")
    expect(page.locator("#sim-log")).to_contain_text("Nicht angenommen")
    case = case_of(live_sqlite, caller)
    assert case.needs_callback and case.voicemail_sid


def test_several_callers_at_once_wait_in_the_queue_while_the_coordinator_talks(page: Any, live_app: LiveApp) -> None:
    sign_in(page, live_app)
    open_simulator(page, live_app)
    page.get_by_label("Ihre Nummer (Anrufer/in)").fill("0151 44556677")
    page.get_by_role("button", name="Hotline anrufen").click()
    for keys in MENU:
        answer(page, keys)
    page.locator("#sim-ring button[data-answer]").first.click()
    page.get_by_role("button", name="1 drücken (annehmen)").click()
    expect(page.locator("#sim-coord-status")).to_contain_text("Verbunden")  # she talks, and keeps talking

    def wait_in_queue(row: Any) -> None:
        """Let every coordinator rung for her not answer, until she waits in the queue."""
        deadline = time.monotonic() + 60
        while "Platz" not in (row.locator(".sim-extra-state").text_content() or ""):
            assert time.monotonic() < deadline, row.text_content()
            nobody = row.get_by_role("button", name="Niemand nimmt ab")
            if nobody.count():
                nobody.click()
            page.wait_for_timeout(200)

    add = page.get_by_role("button", name="Weitere Anruferin dazu")
    add.click()
    first = page.locator("#sim-extras li[data-extra='1']")
    wait_in_queue(first)
    expect(first.locator(".sim-extra-state")).to_contain_text("Platz 1")
    add.click()
    second = page.locator("#sim-extras li[data-extra='2']")
    wait_in_queue(second)
    expect(second.locator(".sim-extra-state")).to_contain_text("Platz")

    page.get_by_role("button", name="Gespräch beenden").click()  # the coordinator is free again
    take = first.locator("button", has_text="Abnehmen").first
    take.wait_for(timeout=30_000)  # the first waiting caller's next turn rings her
    take.click()
    expect(first.locator(".sim-extra-state")).to_contain_text("Verbunden")
    for row in (first, second):
        row.get_by_role("button", name="Auflegen").click()
        expect(row).to_have_attribute("data-state", "ended")
    with live_app.services.database.unit_of_work() as s:
        assert len(s.scalars(select(Case).where(Case.caller.like("+4915120%"))).all()) == 2


def test_a_call_back_rings_the_coordinators_phone_then_the_family(page: Any, live_sqlite: LiveApp) -> None:
    """The hotline's call to a coordinator's phone is answered on her card; after the summary the family rings."""
    from datetime import timedelta

    from cases.events import EventKind
    from cases.service import open_case_for_call
    from messaging.outbox import enqueue_call
    from models import CaseEvent
    from roster.queries import find_coordinator_names
    from routing.callbacks import callback_url

    family = "+4915166554433"
    services = live_sqlite.services
    with services.database.unit_of_work() as s:
        now = services.clock.now()
        case = open_case_for_call(s, call_sid="CA" + "7" * 32, caller=family, now=now)
        case.postcode = "30159"
        phone = sorted(find_coordinator_names(s, start=now - timedelta(hours=1), end=now + timedelta(hours=1)))[0]
        s.flush()
        enqueue_call(s, to=phone, twiml_url=callback_url(services.settings.public_base_url or live_sqlite.url, case.id),
                     purpose="callback", dedupe_key=f"browser-callback:{case.id}", now=now, case_id=case.id,
                     from_number=None, note=f"Rückruf Fall {case.reference}")
        case_id = case.id
    sign_in(page, live_sqlite)
    open_simulator(page, live_sqlite)
    take = page.locator(f".sim-phone-card[data-number='{phone}'] button[data-callback]")
    take.wait_for(timeout=15_000)  # the worker places the call, the card offers to answer it
    take.click()
    expect(page.locator("#sim-prompt")).to_contain_text("Rückruf für Fall")
    page.locator(f"#sim-ring button[data-answer='{family}']").click()
    expect(page.locator("#sim-coord-status")).to_contain_text("Verbunden mit der Familie")
    page.get_by_role("button", name="Gespräch beenden").click()
    page.wait_for_selector("#simulator[data-state=ended]")
    with services.database.unit_of_work() as s:
        results = [e.detail for e in s.query(CaseEvent).filter_by(case_id=case_id,
                                                                  kind=EventKind.CALLBACK_RESULT.value)]
    assert results and results[0]["reached"] is True


def test_the_language_offers_show_their_voice_and_a_language_key_continues_in_that_language(
        page: Any, live_sqlite: LiveApp) -> None:
    sign_in(page, live_sqlite)
    open_simulator(page, live_sqlite)
    expect(page.locator("#sim-languages li[data-language=en]")).to_contain_text("9")
    page.get_by_role("button", name="Hotline anrufen").click()
    offer = page.locator("#sim-log bdi[lang=en]", has_text="For English, press 9.")
    expect(offer).to_have_count(1, timeout=15_000)  # the German welcome offers English, in English's voice
    answer(page, "9")
    expect(page.locator("#sim-prompt[lang=en][dir=ltr]")).to_contain_text("Welcome")
    expect(page.locator("#sim-prompt-voice")).to_contain_text("en-GB · Polly.Amy")
    page.get_by_role("button", name="Auflegen").click()
    page.wait_for_selector("#simulator[data-state=ended]")
