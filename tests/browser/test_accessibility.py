"""Accessibility basics on every page: labels, contrast and focus (axe-core), the keyboard, 375 px.

axe-core (npm package, fetched by `make browser-assets` into .cache/) is injected into each page
and run with the rules below only: the basics the issue asks for, not a full audit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Case
from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser

CACHE = Path(__file__).resolve().parents[2] / ".cache"
#: Labels and names, contrast, and what keyboard users need (focus order, reachable, nothing hidden).
AXE_RULES = [
    "label",
    "label-title-only",
    "form-field-multiple-labels",
    "select-name",
    "input-button-name",
    "button-name",
    "link-name",
    "aria-input-field-name",
    "aria-toggle-field-name",
    "image-alt",
    "color-contrast",
    "tabindex",
    "focus-order-semantics",
    "aria-hidden-focus",
    "scrollable-region-focusable",
    "nested-interactive",
    "frame-focusable-content",
    "bypass",
    "skip-link",
    "html-has-lang",
    "html-lang-valid",
    "valid-lang",
    "document-title",
    "duplicate-id-aria",
    "page-has-heading-one",
]
#: Each page: its path (a case page is found at run time), and the blueprint that serves it.
PAGES = {
    "login": ("/login", "auth"),
    "board": ("/board", "board"),
    "case": ("/cases/{case_id}", "cases"),
    "roster": ("/roster", "roster"),
    "caregivers": ("/caregivers", "caregivers"),
    "simulator": ("/simulator", "simulator"),
    "doctor": ("/doctor", "doctor"),
    "prompts": ("/prompts?language=ar", "prompts"),
}


def axe_script() -> Path:
    """Return axe-core's script, or skip (fail in CI) when `make browser-assets` has not fetched it."""
    found = sorted(CACHE.glob("axe-core-*.min.js"))
    if not found:
        message = "axe-core not fetched: run `make browser-assets` (needs npm)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found[-1]


def some_case_id(live: LiveApp) -> int:
    """Return a case to show, opening one as a call would when there is none yet."""
    from cases.service import open_case_for_call

    services = live.services
    with services.database.unit_of_work() as s:
        case = s.scalars(select(Case).order_by(Case.id)).first()
        if case is None:
            case = open_case_for_call(
                s, call_sid="CA" + "a" * 32, caller="+4915112349999", now=services.clock.now()
            )
            case.postcode, case.municipality = "30159", "Hannover"
            s.flush()
        return case.id


def open_page(page: Any, live: LiveApp, name: str) -> None:
    """Open one of PAGES (the lead's cookies are in the context); a page that is missing fails."""
    path, blueprint = PAGES[name]
    assert blueprint in live.app.blueprints, f"the {name} page (blueprint {blueprint!r}) is missing"
    response = page.goto(live.url + path.format(case_id=some_case_id(live) if "{case_id}" in path else 0))
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    assert "/login" not in page.url or name == "login"


@pytest.fixture
def page_as_lead(browser: Any, lead_state: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page signed in as the lead (the login page gets no cookies); CSP bypassed to inject axe-core.

    The app's own scripts are files, so bypassing the policy hides nothing the test checks.
    """
    state = None if request.node.callspec.params.get("name") == "login" else lead_state
    ctx = browser.new_context(
        locale="de-DE", viewport={"width": 1280, "height": 800}, bypass_csp=True, storage_state=state
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_label_contrast_or_focus_problems(
    page_as_lead: Any, live_sqlite: LiveApp, name: str
) -> None:
    script = axe_script()
    open_page(page_as_lead, live_sqlite, name)
    page_as_lead.add_script_tag(path=str(script))
    violations = page_as_lead.evaluate(
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


@pytest.mark.parametrize("name", list(PAGES))
def test_no_page_scrolls_sideways_on_a_phone(page_as_lead: Any, live_sqlite: LiveApp, name: str) -> None:
    page_as_lead.set_viewport_size({"width": 375, "height": 740})
    open_page(page_as_lead, live_sqlite, name)
    widths = page_as_lead.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name}: content is {widths[0]} px wide on a {widths[1]} px screen"


def test_the_keyboard_reaches_the_sign_in_form_and_focus_is_visible(page: Any, live_sqlite: LiveApp) -> None:
    page.goto(live_sqlite.url + "/login")
    page.get_by_role("heading", name="Anmelden").click()  # start from the page, not the autofocused field
    reached: list[str] = []
    for _ in range(15):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement; const style = getComputedStyle(el);
                       return {key: el === document.body ? "" : (el.id || (el.tagName + ':' + el.textContent.trim())),
                               outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2}; }"""
        )
        if focused["key"]:
            assert focused["outline"], f"focus is not visible on {focused['key']}"
            reached.append(focused["key"])
        if "A:Zum Inhalt springen" in reached and "BUTTON:Anmelden" in reached:
            break
    assert reached[:3] == ["username", "password", "BUTTON:Anmelden"], reached
    assert "A:Zum Inhalt springen" in reached, reached  # after the last field, Tab wraps to the skip link
