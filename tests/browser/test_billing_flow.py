"""The newcomer's story of issue 6, in the browser: an employee of a partner employer calls, the case shows
her registered family and employer at once, she gets a caregiver, the hours come in by SMS, the month is
billed, and the invoice and the report open.

The live app runs on the system clock. For the hours and the finished month, the test puts a clock in
its place that runs with the system clock but can be moved forward (three hours of care, then into the
next month), and puts the system clock back at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from billing.demo import DEMO_FAMILY_NAME, DEMO_FAMILY_PHONE
from core.clock import BERLIN, berlin
from tests.browser.conftest import LiveApp, sign_in
from tests.browser.test_accessibility import AXE_RULES, axe_script
from tests.browser.test_simulator import (
    accept_an_offer,
    call_and_reach_a_coordinator,
    case_of,
    open_simulator,
)

pytestmark = pytest.mark.browser


class AdvanceableClock:
    """The real clock plus an offset a test moves forward."""

    def __init__(self, real: Any) -> None:
        """Run with `real` until moved."""
        self.real = real
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Return the real time plus the offset (aware UTC)."""
        return self.real.now() + self.offset

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by a timedelta given as keywords; return the new time."""
        self.offset += timedelta(**kwargs)
        return self.now()

    def move_to(self, at: datetime) -> None:
        """Move forward to an aware time."""
        self.offset += at - self.now()


@pytest.fixture
def clock(live_app: LiveApp) -> Iterator[AdvanceableClock]:
    """Give the live app (pages, webhooks and worker) an advanceable clock; restore the real one after."""
    services = live_app.services
    real = services.clock
    services.clock = AdvanceableClock(real)
    try:
        yield services.clock
    finally:
        services.clock = real


def first_of_next_month(at: datetime) -> datetime:
    """Return 09:00 in Hannover on the 2nd of the month after `at` (its month is over then)."""
    local = at.astimezone(BERLIN)
    following = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return berlin(following.year, following.month, 2, 9, 0)


def test_a_partner_employees_call_is_dispatched_timed_by_sms_billed_and_invoiced(
    context: Any, browser: Any, live_app: LiveApp, clock: AdvanceableClock
) -> None:
    desk = context.new_page()
    sign_in(desk, live_app, live_app.coordinator)

    # The registered family calls the hotline from its number; the coordinator on duty takes the call.
    phone = context.new_page()
    open_simulator(phone, live_app)
    call_and_reach_a_coordinator(phone, live_app, DEMO_FAMILY_PHONE)
    case = case_of(live_app, DEMO_FAMILY_PHONE)
    month = f"{clock.now().astimezone(BERLIN):%Y-%m}"

    # The case shows the known family, its address and its employer at once.
    desk.goto(f"{live_app.url}/cases/{case.id}")
    family = desk.locator(".known-family")
    expect(family).to_contain_text("bekannte Familie")
    expect(family).to_contain_text(DEMO_FAMILY_NAME)
    expect(family).to_contain_text("Lister Meile 12, 30161 Hannover")
    expect(family).to_contain_text("Nordstadt-Klinikum gGmbH")
    expect(desk.locator("#abrechnung")).to_contain_text("Verknüpft mit Nordstadt-Klinikum gGmbH")

    # Dispatch; a caregiver says JA in the simulator.
    desk.get_by_role("button", name="Vermitteln", exact=True).click()
    expect(desk.locator("h1")).to_contain_text("wird vermittelt")
    caregiver = accept_an_offer(phone)
    expect(caregiver).to_contain_text("Sie haben den Einsatz")
    number = caregiver.get_attribute("data-number")
    code = re.search(r"Antworten Sie JA (\w+)", caregiver.inner_text()).group(1)

    def text(message: str) -> None:
        caregiver.get_by_label(f"Antwort als diese Nummer {number}").fill(message)
        caregiver.get_by_role("button", name="Senden", exact=True).click()

    # She texts START when she arrives and ENDE three hours later.
    expect(caregiver).to_contain_text(f"START {code}")  # the hint how to record the hours
    text(f"START {code}")
    expect(caregiver).to_contain_text("Beginn")
    expect(caregiver.locator(".sim-messages")).to_contain_text("notiert")
    clock.advance(hours=3)
    text(f"ENDE {code}")
    expect(caregiver.locator(".sim-messages")).to_contain_text("Betreuungszeit 3:00 Std.")

    desk.reload()
    care = desk.locator("#betreuungszeiten")
    expect(care.locator("tbody tr")).to_have_count(1)
    expect(care.locator("tbody tr")).to_contain_text("3:00 Std.")
    expect(care.locator("tbody tr")).to_contain_text("in Ordnung")

    # Next month the lead bills the month: three hours at the partner rate of 3 € make 9,00 €.
    clock.move_to(first_of_next_month(clock.now()))
    office = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    try:
        lead = office.new_page()
        sign_in(lead, live_app)
        lead.get_by_role("button", name="Menü").click()  # on a phone the menu folds behind its button
        lead.get_by_role("link", name="Abrechnung", exact=True).click()
        lead.wait_for_url("**/billing")
        expect(lead.locator("#month-heading")).to_contain_text(month[:4])
        lead.get_by_role("button", name=f"Abrechnung für {month} erstellen").click()
        expect(lead.locator(".flash")).to_contain_text("abgerechnet:")
        row = lead.locator("tr", has_text=DEMO_FAMILY_NAME)
        expect(row).to_contain_text("9,00 €")

        # The invoice PDF is made on request; its URL carries an id only.
        href = row.get_by_role("link", name=re.compile("^PDF")).get_attribute("href")
        assert re.fullmatch(r"/billing/invoices/\d+\.pdf", href), href
        pdf = lead.request.get(live_app.url + href)
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF")
        assert re.search(r'filename="Rechnung-\d{4}-\d{4}\.pdf"', pdf.headers["content-disposition"])

        # A second click (a stale tab) changes nothing and says so.
        lead.goto(f"{live_app.url}/billing?month={month}")
        expect(lead.get_by_role("button", name=f"Abrechnung für {month} erstellen")).to_have_count(0)
        again = lead.request.post(
            f"{live_app.url}/billing/run",
            form={
                "month": month,
                "csrf_token": lead.locator("input[name=csrf_token]").first.get_attribute("value"),
            },
        )  # follows the redirect back to the billing page, which shows the message
        assert again.ok and "nichts geändert" in again.text()
        lead.reload()
        expect(lead.locator("tr", has_text=DEMO_FAMILY_NAME)).to_have_count(1)

        # The report.
        report = lead.request.get(f"{live_app.url}/reports")
        assert report.status == 200, f"/reports answered {report.status}"
        lead.goto(f"{live_app.url}/reports")
        expect(lead.locator("h1")).to_be_visible()
    finally:
        office.close()


#: The billing and partner pages, each checked with axe-core and on a 375 px screen (a family at run time).
BILLING_PAGES = [
    "/billing",
    "/tariffs",
    "/members",
    "/employers",
    "/employers/new",
    "/families",
    "/families/{family_id}",
    "/families/new",
]


@pytest.fixture
def office_page(browser: Any, lead_state: dict[str, Any]) -> Iterator[Any]:
    """A page signed in as the lead, CSP bypassed to inject axe-core (as in test_accessibility)."""
    ctx = browser.new_context(
        locale="de-DE", viewport={"width": 1280, "height": 800}, bypass_csp=True, storage_state=lead_state
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def open_billing_page(page: Any, live: LiveApp, path: str) -> None:
    """Open a billing or partner page as the lead; the demo family fills in {family_id}."""
    from sqlalchemy import select

    from models import Family

    with live.services.database.unit_of_work() as s:
        family_id = s.scalars(select(Family.id).order_by(Family.id)).first()
    response = page.goto(live.url + path.format(family_id=family_id))
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"


@pytest.mark.parametrize("name", BILLING_PAGES)
def test_billing_pages_have_labels_contrast_and_focus(
    office_page: Any, live_sqlite: LiveApp, name: str
) -> None:
    script = axe_script()
    open_billing_page(office_page, live_sqlite, name)
    office_page.add_script_tag(path=str(script))
    violations = office_page.evaluate(
        """async (wanted) => {
             const known = new Set(axe.getRules().map(r => r.ruleId));
             const result = await axe.run(document, {runOnly: {type: "rule", values: wanted.filter(r => known.has(r))},
                                                     resultTypes: ["violations"]});
             return result.violations.map(v => ({id: v.id, help: v.help,
                                                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
           }""",
        AXE_RULES,
    )
    assert violations == [], "\n".join(
        f"{v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in violations
    )


@pytest.mark.parametrize("name", BILLING_PAGES)
def test_billing_pages_do_not_scroll_sideways_on_a_phone(
    office_page: Any, live_sqlite: LiveApp, name: str
) -> None:
    office_page.set_viewport_size({"width": 375, "height": 740})
    open_billing_page(office_page, live_sqlite, name)
    widths = office_page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name}: content is {widths[0]} px wide on a {widths[1]} px screen"
