"""Caregiver pages through the Flask client: list and filters, detail, lead-only editing, opt-out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from accounts import create_user
from caregivers.editing import add_unavailability_period
from models import Caregiver, Dispatch, Offer, OfferStatus
from tests.factories import make_case
from tests.functional.test_dashboard_auth import csrf_from, sign_in
from tests.integration.test_caregiver_editing import add_caregiver

PASSWORD = "richtig-lang-genug"
FORM = {
    "name": "Marta Kowalski", "phone": "0171 39200101", "postcode": "30159", "max_distance_km": "7,5",
    "min_age": "1", "max_age": "6", "languages": "pl, de", "eldercare": "1", "active": "1",
    "police_certificate_date": "2024-05-02", "first_aid_date": "02.05.2025",
}


@pytest.fixture
def as_lead(client: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="lea", name="Lea Lead", role="lead", password=PASSWORD, now=clock.now())
    assert sign_in(client, "lea", PASSWORD).status_code == 302
    return client


@pytest.fixture
def as_coordinator(client: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="kim", name="Kim K.", role="coordinator", password=PASSWORD, now=clock.now())
    assert sign_in(client, "kim", PASSWORD).status_code == 302
    return client


@pytest.fixture
def marta(session: Any, clock: Any) -> Caregiver:
    return add_caregiver(session, phone="+4917139200101", now=clock.now(), name="Marta Kowalski")


@pytest.fixture
def inge(session: Any, clock: Any) -> Caregiver:
    return add_caregiver(session, phone="+4917139200106", now=clock.now(), name="Inge Brockmann",
                         postcode="30880", min_age=6, max_age=13, eldercare=True,
                         police_certificate_date=date(2021, 12, 10), opted_out=True)


def test_the_list_shows_state_and_checks(as_coordinator: Any, marta: Caregiver, inge: Caregiver) -> None:
    html = as_coordinator.get("/caregivers").get_data(as_text=True)
    assert "Marta Kowalski" in html and "Inge Brockmann" in html
    assert "abgemeldet (STOP)" in html
    assert "läuft bald ab" in html and "bis 10.12.2026" in html
    assert 'class="responsive caregiver-table"' in html and 'data-label="Führungszeugnis"' in html


@pytest.mark.parametrize("query,shown,hidden", [
    ("municipality=Laatzen", "Inge Brockmann", "Marta Kowalski"),
    ("age=3", "Marta Kowalski", "Inge Brockmann"),
    ("eldercare=yes", "Inge Brockmann", "Marta Kowalski"),
    ("eldercare=no", "Marta Kowalski", "Inge Brockmann"),
    ("checks=due", "Inge Brockmann", "Marta Kowalski"),
])
def test_filters(as_coordinator: Any, marta: Caregiver, inge: Caregiver, query: str, shown: str, hidden: str) -> None:
    html = as_coordinator.get(f"/caregivers?{query}").get_data(as_text=True)
    assert f">{shown}</a>" in html and f">{hidden}</a>" not in html


def test_the_detail_page_shows_checks_unavailability_offers_and_assignments(
    as_coordinator: Any, session: Any, clock: Any, marta: Caregiver
) -> None:
    now = clock.now()
    case = make_case(session, now=now - timedelta(days=2))
    dispatch = Dispatch(case_id=case.id, deadline_at=now, started_at=now - timedelta(days=2), started_by="cli")
    session.add(dispatch)
    session.flush()
    session.add(Offer(dispatch_id=dispatch.id, case_id=case.id, caregiver_id=marta.id, code="K7", wave=1, rank=1,
                      status=OfferStatus.ACCEPTED, created_at=now - timedelta(days=2),
                      responded_at=now - timedelta(days=2) + timedelta(minutes=4)))
    case.caregiver_id, case.assigned_at = marta.id, now - timedelta(days=2)
    add_unavailability_period(session, caregiver_id=marta.id, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 5),
                              reason="holiday")
    html = as_coordinator.get(f"/caregivers/{marta.id}").get_data(as_text=True)
    assert "0171 39200101" in html
    assert "Urlaub" in html and "01.12.2026" in html
    assert "Angebote der letzten 30 Tage" in html and case.reference in html and "zugesagt" in html
    assert html.count(f">{case.reference}<") + html.count(f"{case.reference}</td>") >= 2  # offer and assignment
    assert "Daten bearbeiten" not in html and "Entfernen" not in html and "csrf_token\" value" in html
    assert f"/caregivers/{marta.id}/opt-out" not in html


def test_an_unknown_caregiver_is_404(as_coordinator: Any) -> None:
    assert as_coordinator.get("/caregivers/999999").status_code == 404


@pytest.mark.parametrize("method,path", [
    ("get", "/caregivers/{id}/edit"), ("post", "/caregivers/{id}/edit"), ("post", "/caregivers/{id}/opt-out"),
    ("post", "/caregivers/{id}/unavailability"), ("post", "/caregivers/{id}/unavailability/1/delete"),
])
def test_a_coordinator_cannot_edit(as_coordinator: Any, session: Any, marta: Caregiver, method: str, path: str) -> None:
    token = csrf_from(as_coordinator.get(f"/caregivers/{marta.id}").get_data(as_text=True))
    url = path.format(id=marta.id)
    data = {**FORM, "csrf_token": token, "opted_out": "1", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}
    response = as_coordinator.get(url) if method == "get" else as_coordinator.post(url, data=data)
    assert response.status_code == 403
    session.refresh(marta)
    assert marta.name == "Marta Kowalski" and not marta.opted_out and marta.unavailability == []


def test_a_lead_edits_a_caregiver(as_lead: Any, session: Any, marta: Caregiver) -> None:
    form = as_lead.get(f"/caregivers/{marta.id}/edit").get_data(as_text=True)
    assert 'value="0171 39200101"' in form and 'for="first_aid_date"' in form
    response = as_lead.post(f"/caregivers/{marta.id}/edit", data={**FORM, "csrf_token": csrf_from(form)})
    assert response.status_code == 302
    session.refresh(marta)
    assert marta.max_distance_km == 7.5 and marta.languages == ["pl", "de"] and marta.eldercare
    assert (marta.min_age, marta.max_age, marta.first_aid_date) == (1, 6, date(2025, 5, 2)) and marta.active
    as_lead.post(f"/caregivers/{marta.id}/edit", data={**FORM, "active": "", "csrf_token": csrf_from(form)})
    session.refresh(marta)
    assert not marta.active and marta.left_at is not None


def test_editing_shows_each_problem_at_its_field(as_lead: Any, session: Any, marta: Caregiver) -> None:
    token = csrf_from(as_lead.get(f"/caregivers/{marta.id}/edit").get_data(as_text=True))
    response = as_lead.post(f"/caregivers/{marta.id}/edit",
                            data={**FORM, "phone": "0511 123456", "min_age": "9", "max_age": "4", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="phone-error"' in html and "Festnetznummer" in html
    assert 'id="max_age-error"' in html and 'aria-invalid="true"' in html
    assert "Das Höchstalter 4 liegt unter dem Mindestalter 9." in html and 'id="name-error"' not in html
    session.refresh(marta)
    assert marta.phone == "+4917139200101" and marta.min_age == 0


def test_in_english_the_problems_are_explained_in_english(as_lead: Any, marta: Caregiver) -> None:
    as_lead.get("/lang/en")
    token = csrf_from(as_lead.get(f"/caregivers/{marta.id}/edit").get_data(as_text=True))
    html = as_lead.post(f"/caregivers/{marta.id}/edit",
                        data={**FORM, "phone": "0511 123456", "csrf_token": token}).get_data(as_text=True)
    assert 'id="phone-error"' in html and "landline" in html and "Festnetznummer" not in html


def test_opt_out_and_back_in(as_lead: Any, session: Any, clock: Any, marta: Caregiver) -> None:
    page = as_lead.get(f"/caregivers/{marta.id}").get_data(as_text=True)
    assert "Abmelden (keine Angebote mehr)" in page
    token = csrf_from(page)
    assert as_lead.post(f"/caregivers/{marta.id}/opt-out", data={"csrf_token": token, "opted_out": "1"}).status_code == 302
    session.refresh(marta)
    assert marta.opted_out and marta.opted_out_at == clock.now()
    page = as_lead.get(f"/caregivers/{marta.id}").get_data(as_text=True)
    assert "abgemeldet" in page and "seit 23.11.2026 10:00" in page and "Wieder anmelden" in page
    assert as_lead.post(f"/caregivers/{marta.id}/opt-out", data={"csrf_token": token, "opted_out": "0"}).status_code == 302
    session.refresh(marta)
    assert not marta.opted_out


def test_a_lead_adds_and_removes_unavailability(as_lead: Any, session: Any, marta: Caregiver) -> None:
    token = csrf_from(as_lead.get(f"/caregivers/{marta.id}").get_data(as_text=True))
    url = f"/caregivers/{marta.id}/unavailability"
    bad = as_lead.post(url, data={"csrf_token": token, "starts_on": "2026-12-05", "ends_on": "2026-12-01",
                                  "reason": "sick"}, follow_redirects=True)
    assert "Der letzte Tag liegt vor dem ersten." in bad.get_data(as_text=True)
    assert as_lead.post(url, data={"csrf_token": token, "starts_on": "2026-12-01", "ends_on": "2026-12-05",
                                   "reason": "sick"}).status_code == 302
    session.refresh(marta)
    (period,) = marta.unavailability
    assert period.reason == "sick"
    assert as_lead.post(f"{url}/{period.id}/delete", data={"csrf_token": token}).status_code == 302
    session.refresh(marta)
    assert marta.unavailability == []
