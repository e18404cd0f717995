"""The demo as `make run` loads it, in a browser: live cases on a phone's board, a year in the reports.

`UPDATE_SCREENSHOTS=1 python -m pytest -m browser tests/browser/test_demo_screenshots.py` renews the
README's pictures docs/board-phone.png and docs/reports.png (re-run it after a layout change).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.clock import BERLIN
from models import Caregiver, Case, Offer
from tests.browser.conftest import LiveApp, sign_in
from tests.helpers import twilio_post, twiml

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 375, "height": 812}
CHILD_NOW = [("caller_type", "1"), ("care_type", "1"), ("children", "2"), ("child_age", "4"),
             ("postcode", "30161"), ("urgency", "1"), ("reason", "2")]
ELDER_TODAY = [("caller_type", "1"), ("care_type", "2"), ("care_level", "3"), ("postcode", "30880"),
               ("urgency", "2"), ("reason", "3")]
CHILD_TOMORROW = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "1"),
                  ("postcode", "31515"), ("urgency", "3"), ("reason", "1")]


def call(live: LiveApp, call_sid: str, caller: str, keys: list[tuple[str, str]], *, answered: bool) -> str:
    """Walk the voice menu through the webhooks; a coordinator takes the call or nobody does. Return the reference."""
    client = live.app.test_client()
    token = live.services.settings.simulator_auth_token
    base = {"CallSid": call_sid, "From": caller, "To": "+4951187654321"}

    def post(path: str, **params: str) -> Any:
        return twiml(twilio_post(client, path, {**base, **params}, token=token, base="http://localhost"))

    root = post("/voice/incoming")
    for step, digits in keys:
        root = post(f"/voice/gather/{step}/1", Digits=digits)
    with live.services.database.unit_of_work() as session:
        case = session.scalars(select(Case).where(Case.call_sid == call_sid)).one()
        case_id, reference = case.id, case.reference
    if answered:
        coordinator = root.find("Dial").find("Number").text
        leg = {**base, "CallSid": call_sid[:-4] + "beef", "ParentCallSid": call_sid, "To": coordinator}
        twiml(twilio_post(client, f"/voice/screen/{case_id}/answer", {**leg, "Digits": "1"}, token=token,
                          base="http://localhost"))
        # The conversation ends: the coordinator is free for the next caller (else the next one would queue).
        twilio_post(client, "/voice/leg-status", {**leg, "CallStatus": "completed"}, token=token, base="http://localhost")
        post("/voice/status", CallStatus="completed")
    else:
        for stage in ("primary", "backup", "fallback"):
            post(f"/voice/dial/{stage}", DialCallStatus="no-answer", DialBridged="false")
    return reference


@pytest.fixture(scope="module")
def live_cases(live_demo: LiveApp) -> list[str]:
    """Four calls of this morning on top of the history: dispatched, a call-back, just in, assigned."""
    first = call(live_demo, "CA" + "d1" * 16, "+4917139209001", CHILD_NOW, answered=True)
    dispatched = live_demo.app.test_cli_runner().invoke(args=["cases", "dispatch", first])
    assert dispatched.exit_code == 0, dispatched.output
    second = call(live_demo, "CA" + "d2" * 16, "+4917139209002", ELDER_TODAY, answered=False)
    third = call(live_demo, "CA" + "d3" * 16, "+4917139209003", CHILD_TOMORROW, answered=True)
    fourth = call(live_demo, "CA" + "d4" * 16, "+4917139209004", CHILD_NOW, answered=True)
    accept_first_offer(live_demo, fourth)
    return [first, second, third, fourth]


def accept_first_offer(live: LiveApp, reference: str) -> None:
    """Dispatch a case and let the first caregiver offered answer JA by SMS: the case is assigned."""
    dispatched = live.app.test_cli_runner().invoke(args=["cases", "dispatch", reference])
    assert dispatched.exit_code == 0, dispatched.output
    with live.services.database.unit_of_work() as session:
        phone, code = session.execute(
            select(Caregiver.phone, Offer.code).join(Offer, Offer.caregiver_id == Caregiver.id)
            .join(Case, Case.id == Offer.case_id).where(Case.reference == reference).order_by(Offer.rank)
        ).first()
    params = {"MessageSid": "SM" + "a4" * 16, "From": phone, "To": "+4951187654321", "Body": f"JA {code}"}
    response = twilio_post(live.app.test_client(), "/sms/incoming", params,
                           token=live.services.settings.simulator_auth_token, base="http://localhost")
    assert response.status_code == 200
    with live.services.database.unit_of_work() as session:
        assert session.scalars(select(Case.caregiver).where(Case.reference == reference)).one() == phone


def test_the_board_on_a_phone_shows_the_mornings_cases(browser: Any, live_demo: LiveApp,
                                                        live_cases: list[str]) -> None:
    context = browser.new_context(locale="de-DE", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_demo)
    page.goto(live_demo.url + "/board")
    for reference in live_cases:
        expect(page.get_by_text(reference, exact=True).first).to_be_visible()
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / "board-phone.png"))  # the first screen, as the phone shows it
    context.close()


def test_the_reports_show_a_year_of_demo_history(page: Any, live_demo: LiveApp) -> None:
    sign_in(page, live_demo)
    today = live_demo.services.clock.now().astimezone(BERLIN).date()
    last = today.replace(day=1) - timedelta(days=1)
    first = f"{last.year - 1:04d}-{last.month:02d}" if last.month == 12 else f"{last.year - 1:04d}-{last.month + 1:02d}"
    page.goto(f"{live_demo.url}/reports?from={first}&to={last:%Y-%m}")
    months = page.locator("#table-months tbody tr")
    expect(months).to_have_count(12)
    for row in range(12):  # every month shows its figures, none hides behind "<3"
        expect(months.nth(row).locator("td").first).not_to_have_text("<3")
        expect(months.nth(row).locator("td").first).not_to_have_text("0")
    expect(page.locator("#table-waits")).to_be_visible()
    assert "<3" not in page.locator("#table-waits").inner_text()  # the 90-minute chart has real bars
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.set_viewport_size({"width": 1280, "height": 1600})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / "reports.png"))
