"""A night shift on a phone (issue 11 §1, §2): 375 px and 1280 px, with the board as full as it gets.

A live app of its own (not the shared one) holds 20 cases with every badge at once, long names of
families, places, caregivers, coordinators and users, so every page is measured at its widest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, _start, sign_in
from tests.browser.test_accessibility import AXE_RULES, axe_script

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ALL_FLAGS = ["menu_incomplete", "non_member_municipality", "child_over_13", "outside_region", "company_postcode",
             "after_hours", "hung_up_waiting", "known_family"]
LONG_CAREGIVER = "Maximiliane-Josephine Hohenzollern-Sigmaringen-Wittelsbach"
LONG_PLACE = "Hannoversch Münden-Hedemünden-Laubach-Oberode"


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A live app whose board holds 20 cases with every badge and very long names."""
    live, stop = _start("sqlite", tmp_path_factory.mktemp("browser-phone"))
    _fill(live)
    yield live
    stop()


def _fill(live: LiveApp) -> None:
    from accounts import create_user
    from cases.service import open_case_for_call
    from models import CallerType, Caregiver, CareType, CaseStatus, Reason, Shift, ShiftRole, Urgency

    services = live.services
    now = services.clock.now()
    with services.database.unit_of_work() as s:
        caregiver = Caregiver(name=LONG_CAREGIVER, phone="+4917100000999", postcode="30159", max_distance_km=10.0,
                              min_age=0, max_age=13, eldercare=True, languages=["de", "en", "pl", "tr"], active=True,
                              opted_out=False, police_certificate_date=date(now.year - 1, 1, 1),
                              police_certificate_excluded=False, created_at=now, updated_at=now)
        s.add(caregiver)
        usual = Caregiver(name="Marta Kowalski", phone="+4917100000998", postcode="30159", max_distance_km=10.0,
                          min_age=0, max_age=13, eldercare=True, languages=["de", "pl"], active=True,
                          opted_out=False, police_certificate_date=date(now.year - 1, 1, 1),
                          police_certificate_excluded=False, created_at=now, updated_at=now)
        s.add(usual)
        s.add(Shift(name="Anna-Katharina Oberhausen-Schwarzenberg", phone="+4915700000077", role=ShiftRole.PRIMARY,
                    starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=7)))
        create_user(s, username="bernadette.koordination.nachtschicht", role="coordinator", now=now,
                    name="Bernadette-Charlotte von Hohenlohe-Langenburg", password="ein-langes-passwort-1")
        s.flush()
        for i in range(20):
            case = open_case_for_call(s, call_sid=f"CA{i:032x}", caller=f"+49151123400{i:02d}", now=now)
            case.caller_type, case.care_type = CallerType.PARENT, CareType.CHILD if i % 2 else CareType.ELDERCARE
            case.children, case.child_age, case.care_level = (3, 0, None) if i % 2 else (None, None, 0)
            case.postcode, case.municipality = ("34346", LONG_PLACE) if i in (1, 2, 3) else ("30159", "Hannover")
            case.urgency, case.reason = Urgency.NOW, Reason.REGULAR_CARE_FAILURE
            case.parent_name = "Friederike-Annemarie Müller-Lüdenscheidt"
            case.needs_callback, case.voicemail_sid = True, f"RE{i:032x}"
            # Three cases carry every badge at once; the others what a night brings: call back, voicemail, a flag.
            case.flags = list(ALL_FLAGS) if i in (1, 2, 3) else ["menu_incomplete"]
            case.language = "uk" if i in (1, 2, 3) else "ar" if i % 5 == 0 else "de"  # the language badge too
            if i % 4 == 0 or i == 1:  # assigned and still needing a call back: on the board, naming the caregiver
                who = caregiver if i == 1 else usual
                case.status, case.caregiver_id, case.assigned_at = CaseStatus.ASSIGNED, who.id, now
        s.flush()


def _pages(page: Any, live: LiveApp) -> list[str]:
    """Return every page a coordinator or lead opens: the menu's, a case, a caregiver, a user, an error."""
    page.goto(live.url + "/board")
    links = page.eval_on_selector_all("#main-menu a", "els => els.map(a => a.getAttribute('href'))")
    case = page.eval_on_selector(".board-table a", "a => a.getAttribute('href')")
    page.goto(live.url + "/caregivers")
    caregiver = page.eval_on_selector("main a[href^='/caregivers/']", "a => a.getAttribute('href')")
    return [*links, case, caregiver, "/gibt-es-nicht"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_no_page_scrolls_sideways_with_every_badge_and_long_names(context: Any, crowded: LiveApp,
                                                                  viewport: dict[str, int]) -> None:
    page = context.new_page()
    page.set_viewport_size(viewport)
    sign_in(page, crowded)
    paths = _pages(page, crowded)
    assert len(paths) >= 9, paths
    too_wide = {}
    for path in paths:
        page.goto(crowded.url + path)
        width, screen = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if width > screen:
            too_wide[path] = width
    page.goto(crowded.url + "/login")  # signed in, the sign-in page still shows
    assert not too_wide, f"wider than {viewport['width']} px: {too_wide}"


def test_signed_out_pages_fit_a_phone(page: Any, crowded: LiveApp) -> None:
    page.set_viewport_size(PHONE)
    for path in ("/login", "/gibt-es-nicht"):
        page.goto(crowded.url + path)
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_on_a_phone_the_menu_folds_behind_a_button_and_the_first_screen_shows_cases(
    page: Any, crowded: LiveApp
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, crowded)
    page.goto(crowded.url + "/board")
    button = page.get_by_role("button", name="Menü")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Dienstplan")).to_be_hidden()
    cards = page.locator(".board-table tbody tr")
    expect(cards).to_have_count(20)
    assert cards.nth(0).bounding_box()["y"] < PHONE["height"] / 3, "the first case starts on the first screen"
    typical = page.locator(".board-table tbody tr", has_not_text="bekannte Familie")  # all but the three crowded
    assert typical.count() == 17
    # One snapshot of the rows (the live board may replace them between two separate look-ups).
    measured = typical.evaluate_all("rows => rows.map(r => [r.getBoundingClientRect().height, r.innerText])")
    heights = [height for height, _ in measured]
    tallest = measured[heights.index(max(heights))][1]
    assert max(heights) <= PHONE["height"] / 3, f"a card is too tall for several per screen: {max(heights)} px: {tallest}"
    assigned = page.locator(".board-table tbody tr", has=page.locator(".b-caregiver"))
    expect(assigned).to_have_count(6)
    expect(assigned.filter(has_text="Marta Kowalski")).to_have_count(5)  # the assigned caregiver is named
    expect(assigned.filter(has_text=LONG_CAREGIVER)).to_have_count(1)
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="Dienstplan").click()
    page.wait_for_url("**/roster")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_on_a_wide_screen_the_menu_stays_open(page: Any, crowded: LiveApp) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, crowded)
    page.goto(crowded.url + "/board")
    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    expect(page.get_by_role("link", name="Dienstplan")).to_be_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_the_case_page_puts_the_actions_on_the_first_screen(page: Any, crowded: LiveApp,
                                                            viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, crowded)
    page.goto(crowded.url + "/board")
    page.locator(".board-table tbody tr:not(.urgent) a, .board-table tbody tr a").nth(1).click()
    page.wait_for_url("**/cases/*")
    for name in ("Vermitteln", "Zurückrufen", "Zuweisen"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport["height"], f"{name} is below the fold"
    box = page.get_by_text("Abschließen oder stornieren").bounding_box()
    assert box is not None and box["y"] <= viewport["height"] * 1.5


def test_the_roster_on_a_phone_opens_at_today(page: Any, crowded: LiveApp) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, crowded)
    page.goto(crowded.url + "/roster")
    first_day = page.locator(".roster-days > section").first
    expect(first_day.locator("h2 .badge")).to_have_text("heute")
    box = first_day.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], "today is on the first screen"
    page.set_viewport_size(DESKTOP)
    expect(page.locator(".roster-table")).to_be_visible()  # the wide screen keeps the week from Monday


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize("path", ["/board", "/gibt-es-nicht"])
def test_axe_finds_nothing_on_the_phone_board_and_the_error_page(browser: Any, crowded: LiveApp, path: str,
                                                                 viewport: dict[str, int]) -> None:
    script = axe_script()
    ctx = browser.new_context(locale="de-DE", viewport=viewport, bypass_csp=True)
    try:
        page = ctx.new_page()
        sign_in(page, crowded)
        page.goto(crowded.url + path)
        if viewport is PHONE:
            page.get_by_role("button", name="Menü").click()  # the open menu is checked too
        page.add_script_tag(path=str(script))
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
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_the_front_page_leads_to_the_sign_in_and_an_error_page_leads_back(page: Any, crowded: LiveApp,
                                                                          viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(crowded.url + "/")
    expect(page).to_have_url(crowded.url + "/login")
    sign_in(page, crowded)
    page.goto(crowded.url + "/")
    expect(page).to_have_url(crowded.url + "/board")
    page.goto(crowded.url + "/cases/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    page.get_by_role("link", name="Zur Live-Übersicht").click()
    expect(page).to_have_url(crowded.url + "/board")
