"""Who may do what, seen from the browser: coordinators are kept off lead-only pages; CSRF is checked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, sign_in

pytestmark = pytest.mark.browser

#: Lead-only pages (dashboard.auth.lead_required): changing the roster, caregivers, users, partners; billing.
LEAD_ONLY = ["/roster/shifts/new", "/roster/import", "/caregivers/1/edit", "/users", "/employers/new", "/tariffs",
             "/billing", "/doctor"]


def served(live: LiveApp, paths: list[str]) -> list[str]:
    """Return the paths, failing when the app does not serve one of them with GET (a missing page fails)."""
    adapter = live.app.url_map.bind("localhost")
    for path in paths:
        adapter.match(path, method="GET")  # raises NotFound / MethodNotAllowed
    return paths


def test_a_coordinator_cannot_reach_lead_only_pages(page: Any, live_app: LiveApp) -> None:
    paths = served(live_app, LEAD_ONLY)
    sign_in(page, live_app, live_app.coordinator)
    for path in paths:
        assert page.goto(live_app.url + path).status == 403, path
    sign_in(page, live_app)  # the lead may
    for path in paths:
        assert page.goto(live_app.url + path).status == 200, path


def test_the_simulator_needs_a_sign_in(page: Any, live_app: LiveApp) -> None:
    page.goto(live_app.url + "/simulator")
    page.wait_for_url("**/login?next=*")
    expect(page.get_by_label("Benutzername")).to_be_visible()


def test_a_form_posted_without_its_csrf_token_is_refused(page: Any, live_app: LiveApp) -> None:
    sign_in(page, live_app)
    page.goto(live_app.url + "/simulator")
    # The sign-out form, stripped of its token: refused, and the user stays signed in.
    page.evaluate("() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    with page.expect_navigation() as posted:
        page.get_by_role("button", name="Abmelden").click()
    assert posted.value.status == 400
    expect(page.locator("body")).to_contain_text("CSRF")
    assert page.goto(live_app.url + "/simulator").status == 200
    # The sign-in form too.
    page.context.clear_cookies()
    page.goto(live_app.url + "/login")
    page.evaluate("() => document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Benutzername").fill(live_app.lead[0])
    page.get_by_label("Passwort").fill(live_app.lead[1])
    with page.expect_navigation() as posted:
        page.get_by_role("button", name="Anmelden").click()
    assert posted.value.status == 400
