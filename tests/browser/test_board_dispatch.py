"""The whole story in the browser: a call shows up on the board by itself, is dispatched, and accepted."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, sign_in
from tests.browser.test_simulator import (
    accept_an_offer,
    call_and_reach_a_coordinator,
    case_of,
    open_simulator,
)

pytestmark = pytest.mark.browser


def test_a_call_appears_on_the_board_is_dispatched_and_a_caregiver_accepts(
    context: Any, live_app: LiveApp
) -> None:
    caller = "+4915112340003"
    board = context.new_page()
    sign_in(board, live_app, live_app.coordinator)  # a coordinator, as on a night shift
    board.goto(live_app.url + "/board")
    board.evaluate("() => { window.notReloaded = true; }")  # gone if the page were loaded again

    # A parent calls, in the simulator in a second tab; the coordinator on duty takes the call.
    phone = context.new_page()
    open_simulator(phone, live_app)
    call_and_reach_a_coordinator(phone, live_app, caller)
    case = case_of(live_app, caller)

    row = board.locator(f"tr[data-case='{case.id}']")
    expect(row).to_contain_text(case.reference)
    expect(row).to_contain_text("Hannover")
    assert board.evaluate("() => window.notReloaded === true"), (
        "the board reloaded instead of updating itself"
    )

    # Dispatch from the case page.
    page = context.new_page()
    page.goto(live_app.url + "/board")
    page.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/cases/{case.id}")
    page.get_by_role("button", name="Vermitteln", exact=True).click()
    expect(page.locator("h1")).to_contain_text("wird vermittelt")

    # A caregiver accepts in the simulator; the case is hers, on the board (by itself) and the case page.
    accepted = accept_an_offer(phone)
    expect(accepted).to_contain_text("Sie haben den Einsatz")
    expect(row.locator(".badge.ok")).to_be_visible()  # the accepted offer, marked as good news
    expect(row).to_contain_text("vermittelt")
    assert board.evaluate("() => window.notReloaded === true")
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("vermittelt")
    assert case_of(live_app, caller).status.value == "assigned"
