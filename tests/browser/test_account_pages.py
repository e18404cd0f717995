"""The sign-in page after a wrong password, *Mein Konto* and a user's edit page, on a phone and a desk.

Each is checked with the accessibility rules of test_accessibility.py (axe-core) and must not scroll
sideways at 375 px. The shared live app is not disturbed: no one signs out, no real user is locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import User
from tests.browser.conftest import LiveApp, sign_in
from tests.browser.test_accessibility import AXE_RULES, axe_script, some_case_id

pytestmark = pytest.mark.browser
WIDTHS = [375, 1280]


@pytest.fixture
def fresh(browser: Any) -> Iterator[Any]:
    """Return a function making a page in a new context (own cookies) of a given width, CSP bypassed for axe."""
    contexts: list[Any] = []

    def make(width: int) -> Any:
        ctx = browser.new_context(locale="de-DE", viewport={"width": width, "height": 800}, bypass_csp=True)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def assert_accessible_and_narrow(page: Any) -> None:
    """Run axe with the project's rules, and check nothing is wider than the screen."""
    page.add_script_tag(path=str(axe_script()))
    violations = page.evaluate(
        """async (wanted) => {
             const known = new Set(axe.getRules().map(r => r.ruleId));
             const result = await axe.run(document, {runOnly: {type: "rule", values: wanted.filter(r => known.has(r))},
                                                     resultTypes: ["violations"]});
             return result.violations.map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
           }""",
        AXE_RULES,
    )
    assert violations == []
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"content is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_wrong_password_keeps_the_name_and_says_how_many_tries_are_left(fresh: Any, live_sqlite: LiveApp,
                                                                          width: int) -> None:
    page = fresh(width)
    page.goto(live_sqlite.url + "/login")
    page.get_by_label("Benutzername").fill(f"gast-{width}")  # nobody's name: no real user gets locked
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Noch 4 Versuche")
    expect(page.get_by_label("Benutzername")).to_have_value(f"gast-{width}")
    expect(page.get_by_label("Passwort")).to_be_focused()
    assert_accessible_and_narrow(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_my_account_sets_her_phone_and_call_back_becomes_possible(fresh: Any, live_sqlite: LiveApp,
                                                                  width: int) -> None:
    page = fresh(width)
    sign_in(page, live_sqlite, live_sqlite.coordinator)
    case_url = f"{live_sqlite.url}/cases/{some_case_id(live_sqlite)}"
    page.goto(case_url)
    expect(page.get_by_role("button", name="Zurückrufen")).to_be_disabled()
    expect(page.locator("#callback-hint")).to_contain_text("Hinterlegen Sie Ihre Telefonnummer unter Mein Konto")
    page.get_by_role("link", name="Hinterlegen Sie Ihre Telefonnummer unter Mein Konto.").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="Mein Konto")).to_be_visible()
    assert_accessible_and_narrow(page)
    page.get_by_label("Eigenes Telefon (für Rückrufe)").fill("12")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#phone-error")).to_contain_text("gültige Telefonnummer")
    assert_accessible_and_narrow(page)  # the error state too
    page.get_by_label("Eigenes Telefon (für Rückrufe)").fill("0151 2345 6789")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Telefonnummer ist gespeichert")
    page.goto(case_url)
    expect(page.get_by_role("button", name="Zurückrufen")).to_be_enabled()
    page.goto(live_sqlite.url + "/account")
    page.get_by_label("Eigenes Telefon (für Rückrufe)").fill("")  # as it was, for the other tests
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gelöscht")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_lead_edits_a_user_on_a_phone_and_at_the_desk(fresh: Any, live_sqlite: LiveApp, width: int) -> None:
    services = live_sqlite.services
    with services.database.unit_of_work() as s:
        cora = s.scalars(select(User).where(User.username == live_sqlite.coordinator[0])).one()
        cora_id, cora_name = cora.id, cora.name
    page = fresh(width)
    sign_in(page, live_sqlite)
    page.goto(live_sqlite.url + "/users")
    assert_accessible_and_narrow(page)
    page.get_by_role("link", name=f"Bearbeiten {cora_name}").click()
    page.wait_for_url(f"**/users/{cora_id}/edit")
    expect(page.get_by_label("Name")).to_have_value(cora_name)
    assert_accessible_and_narrow(page)
    page.get_by_label("Name").fill(cora_name)
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/users")
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
