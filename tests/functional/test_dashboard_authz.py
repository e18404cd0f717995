"""Every dashboard route, for every role: who may see it, who may change things, and nobody gets a 500."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from billing import load_demo_billing
from models import CalendarFeed, Caregiver, Employer, Family, Unavailability
from tests.factories import ANNA, make_case, make_shift

#: Pages anyone may open (the calendar feed is protected by its secret token instead).
PUBLIC = {"health.index", "health.healthz", "auth.login", "auth.set_language", "calendar.feed"}
#: Pages and actions only a lead may use: editing users, the roster and the caregivers; switching surge mode.
LEAD_ONLY = {
    "caregivers.edit", "caregivers.opt_out", "caregivers.add_period", "caregivers.remove_period",
    "roster.renew_feed", "roster.upload", "roster.remove_shift", "roster.edit_shift", "roster.new_shift",
    "roster.save_languages",
    "users.index", "users.create", "users.toggle_active", "users.new_password", "users.unlock_sign_in", "users.edit",
    "partners.new_employer", "partners.edit_employer", "partners.new_family", "partners.edit_family",
    "partners.members", "partners.tariffs",
    "billing.index", "billing.run", "billing.invoice_pdf_download", "billing.invoice_csv_download",
    "billing.statement_csv_download", "billing.accounting_download", "doctor.page",
    "board.switch_surge",
}
NOT_DASHBOARD = ("voice", "sms.", "assets.", "static")  # voice, voice_queue: Twilio webhooks


@pytest.fixture
def world(session: Any, clock: Any) -> dict[str, int | str]:
    now = clock.now()
    case = make_case(session, now=now, postcode="30159", municipality="Hannover", child_age=3)
    shift = make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1))
    person = Caregiver(name="Ayşe Demir", phone="+4915228817401", postcode="30159", max_distance_km=10.0,
                       min_age=0, max_age=13, eldercare=False, languages=["de"], active=True, opted_out=False,
                       police_certificate_excluded=False, created_at=now, updated_at=now)
    session.add(person)
    session.flush()
    period = Unavailability(caregiver_id=person.id, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3),
                            reason="holiday")
    feed = CalendarFeed(phone=ANNA, token="t" * 43, created_at=now)
    session.add_all([period, feed])
    for role in ("lead", "coordinator"):
        create_user(session, username=role, name=role.title(), role=role, password="ein-langes-passwort", now=now)
    session.flush()
    load_demo_billing(session, now=now)
    employer = session.scalars(select(Employer)).first()
    family = session.scalars(select(Family)).first()
    return {"employer_id": employer.id, "family_id": family.id, "invoice_id": 1, "statement_id": 1,
            "month": "2026-10", "case_id": case.id, "shift_id": shift.id, "caregiver_id": person.id, "period_id": period.id,
            "user_id": 1, "token": feed.token, "code": "de"}


def routes(app: Any, world: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every dashboard route, with real ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(NOT_DASHBOARD):
            continue
        values = {arg: world[arg] for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def token_of(client: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


def sign_in(client: Any, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": "ein-langes-passwort",
                                           "csrf_token": token_of(client)})
    assert response.status_code == 302


def request(client: Any, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_every_lead_only_route_is_marked_in_code(app: Any) -> None:
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "lead_only", False)}
    assert marked == LEAD_ONLY


def test_anonymous_visitors_only_reach_public_pages(app: Any, world: dict[str, Any]) -> None:
    client = app.test_client()
    token = token_of(client)
    for endpoint, method, url in routes(app, world):
        if endpoint == "auth.logout":
            continue  # it clears the session (and its CSRF token); signing out needs no protection
        response = request(client, method, url, token)
        assert response.status_code < 500, (endpoint, method, response.status_code)
        if endpoint in PUBLIC:
            continue
        refused = response.status_code in (401, 403, 404) or "/login" in response.headers.get("Location", "")
        assert refused, f"{method} {url} ({endpoint}) answered {response.status_code} without sign-in"


def test_a_coordinator_cannot_reach_lead_only_pages(app: Any, world: dict[str, Any]) -> None:
    client = app.test_client()
    sign_in(client, "coordinator")
    token = token_of(client)
    for endpoint, method, url in routes(app, world):
        if endpoint == "auth.logout":
            continue
        response = request(client, method, url, token)
        assert response.status_code < 500, (endpoint, method, response.status_code)
        if endpoint in LEAD_ONLY:
            assert response.status_code == 403, f"coordinator reached {method} {url}"
        else:
            assert response.status_code != 403, f"coordinator refused {method} {url}"
            assert "/login" not in response.headers.get("Location", ""), url


def test_a_lead_reaches_everything(app: Any, world: dict[str, Any]) -> None:
    client = app.test_client()
    sign_in(client, "lead")
    token = token_of(client)
    for endpoint, method, url in routes(app, world):
        if endpoint == "auth.logout":
            continue
        response = request(client, method, url, token)
        assert response.status_code < 500, (endpoint, method, response.status_code)
        assert response.status_code != 403, f"lead refused {method} {url}"


def test_no_personal_data_in_dashboard_urls(app: Any, world: dict[str, Any]) -> None:
    for _endpoint, _method, url in routes(app, world):
        assert not re.search(r"\+?49\d{6,}|\d{10,}", url), url
