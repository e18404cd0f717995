"""Partner employers, registered families, member municipalities and tariffs, edited in the dashboard.

Leads change them; coordinators may look employers and families up (they need them on the phone) but
get 403 on every change. Real sign-in, real CSRF tokens.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from billing import load_demo_billing, run_billing
from billing.families import find_family_by_phone, find_family_phones
from models import Employer, Family, MemberMunicipality, Tariff
from tests.functional.test_board import PASSWORD, csrf_from, sign_in


@pytest.fixture
def demo(session: Any, clock: Any) -> None:
    load_demo_billing(session, now=clock.now())
    for username, role in (("lea", "lead"), ("clara", "coordinator")):
        create_user(
            session, username=username, name=username.title(), role=role, password=PASSWORD, now=clock.now()
        )


@pytest.fixture
def lead(app: Any, demo: None) -> Any:
    client = app.test_client()
    sign_in(client, "lea")
    return client


@pytest.fixture
def coordinator(app: Any, demo: None) -> Any:
    client = app.test_client()
    sign_in(client, "clara")
    return client


def post(client: Any, url: str, data: dict[str, str], page: str | None = None) -> Any:
    """Post a form with the CSRF token taken from a page (the form's own, or any signed-in page)."""
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def employer_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "Stadtwerke Musterhausen GmbH",
        "contract_number": "FX-2026-031",
        "starts_on": "2026-12-01",
        "ends_on": "2028-11-30",
        "fee_period": "monthly",
        "fee_amount": "1.250,50",
        "headcount_tier": "251 bis 500 Beschäftigte",
        "contact_name": "Frau Krause",
        "contact_email": "personal@stadtwerke.example",
        "contact_phone": "0511 1234567",
    }
    form.update(overrides)
    return form


def test_a_coordinator_sees_employers_and_families_but_changes_nothing(
    coordinator: Any, session: Any
) -> None:
    employers = coordinator.get("/employers").get_data(as_text=True)
    assert "Nordstadt-Klinikum gGmbH" in employers and "FX-2019-004" in employers
    assert "gilt heute" in employers and "6.000,00 €" in employers
    assert "Bearbeiten" not in employers and "/employers/new" not in employers
    families = coordinator.get("/families").get_data(as_text=True)
    assert "Familie Yıldız-Bauer" in families and "01511 2340001" in families
    family = session.scalars(select(Family)).one()
    detail = coordinator.get(f"/families/{family.id}").get_data(as_text=True)
    assert "Elif" in detail and "Erdnussallergie" in detail and "Oma Bauer" in detail
    employer = session.scalars(select(Employer)).first()
    token = csrf_from(coordinator.get("/employers").get_data(as_text=True))
    for method, url in (
        ("GET", "/employers/new"),
        ("POST", "/employers/new"),
        ("GET", f"/employers/{employer.id}/edit"),
        ("POST", f"/employers/{employer.id}/edit"),
        ("GET", "/families/new"),
        ("POST", "/families/new"),
        ("GET", f"/families/{family.id}/edit"),
        ("POST", f"/families/{family.id}/edit"),
        ("GET", "/members"),
        ("POST", "/members"),
        ("GET", "/tariffs"),
        ("POST", "/tariffs"),
    ):
        data = {**employer_form(), "csrf_token": token} if method == "POST" else None
        response = coordinator.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
    assert session.scalars(select(Employer).where(Employer.contract_number == "FX-2026-031")).first() is None


def test_a_lead_adds_an_employer_with_a_german_amount(lead: Any, session: Any) -> None:
    response = post(lead, "/employers/new", employer_form())
    assert response.status_code == 302
    employer = session.scalars(select(Employer).where(Employer.contract_number == "FX-2026-031")).one()
    assert employer.fee_amount == Decimal("1250.50") and employer.fee_period == "monthly"
    assert employer.ends_on == date(2028, 11, 30) and employer.contact_phone == "+495111234567"
    listing = lead.get("/employers").get_data(as_text=True)
    assert "1.250,50 € monatlich" in listing and "beginnt später" in listing


def test_employer_form_errors_are_shown_in_german_and_nothing_is_saved(lead: Any, session: Any) -> None:
    response = post(
        lead,
        "/employers/new",
        employer_form(name="", fee_amount="viel", ends_on="2026-01-01"),
        page="/employers/new",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte ausfüllen." in page
    assert "Bitte einen Betrag in Euro eingeben" in page
    assert "Das Vertragsende liegt vor dem Vertragsbeginn." in page
    assert 'aria-invalid="true"' in page
    duplicate = post(
        lead, "/employers/new", employer_form(contract_number="FX-2019-004"), page="/employers/new"
    )
    assert duplicate.status_code == 422
    assert "Die Vertragsnummer FX-2019-004 ist schon vergeben" in duplicate.get_data(as_text=True)
    assert session.scalars(select(Employer).where(Employer.name.like("Stadtwerke%"))).first() is None


def test_a_lead_edits_an_employer(lead: Any, session: Any) -> None:
    employer = session.scalars(select(Employer).where(Employer.contract_number == "FX-2024-017")).one()
    form = lead.get(f"/employers/{employer.id}/edit").get_data(as_text=True)
    assert 'value="Leinebäckerei Hoffmann GmbH"' in form and 'value="120,00"' in form
    response = post(
        lead,
        f"/employers/{employer.id}/edit",
        employer_form(
            name="Leinebäckerei Hoffmann GmbH",
            contract_number="FX-2024-017",
            starts_on="01.03.2024",
            ends_on="31.12.2027",
            fee_amount="130",
        ),
    )
    assert response.status_code == 302
    session.refresh(employer)
    assert employer.ends_on == date(2027, 12, 31) and employer.fee_amount == Decimal("130.00")


def test_a_lead_registers_a_family_with_numbers_in_any_notation(lead: Any, session: Any) -> None:
    employer = session.scalars(select(Employer).where(Employer.contract_number == "FX-2019-004")).one()
    response = post(
        lead,
        "/families/new",
        {
            "name": "Familie Schulz",
            "phones": "0151 2345 6789\n+49 (511) 98 76 54\n01512345 6789",
            "address": "Podbielskistraße 5, 30163 Hannover",
            "postcode": "30163",
            "employer_id": str(employer.id),
            "tariff_code": "student",
            "children": "Mia, 2022\nLuca 2019",
            "pickup_authorised": "Opa Schulz",
            "notes": "",
        },
    )
    assert response.status_code == 302
    family = find_family_by_phone(session, "+4915123456789")
    assert family is not None and family.name == "Familie Schulz"
    assert find_family_phones(session, family=family) == ["+4915123456789", "+49511987654"]
    assert family.children == [
        {"first_name": "Mia", "birth_year": 2022},
        {"first_name": "Luca", "birth_year": 2019},
    ]
    assert family.tariff_code == "student" and family.employer_id == employer.id
    assert "Familie Schulz" in lead.get(response.headers["Location"]).get_data(as_text=True)


def test_a_number_belongs_to_one_family_only(lead: Any, session: Any) -> None:
    response = post(
        lead, "/families/new", {"name": "Familie Doppelt", "phones": "0151 12340001"}, page="/families/new"
    )
    assert response.status_code == 422
    assert "gehört schon zu einer anderen Familie" in response.get_data(as_text=True)
    bad = post(
        lead,
        "/families/new",
        {"name": "Familie Falsch", "phones": "12", "children": "Mia"},
        page="/families/new",
    )
    page = bad.get_data(as_text=True)
    assert "Vorname und Geburtsjahr" in page
    assert session.scalars(select(Family).where(Family.name.like("Familie %sch%"))).first() is None


def test_a_lead_edits_a_family_and_replaces_its_numbers(lead: Any, session: Any) -> None:
    family = session.scalars(select(Family)).one()
    form = lead.get(f"/families/{family.id}/edit").get_data(as_text=True)
    assert "01511 2340001" in form and "Elif 2021" in form
    response = post(
        lead,
        f"/families/{family.id}/edit",
        {
            "name": "Familie Yıldız-Bauer",
            "phones": "0151 12340009",
            "address": "Lister Meile 14, 30161 Hannover",
            "postcode": "30161",
            "employer_id": "",
            "tariff_code": "",
            "children": "Elif 2021\nJonas 2023\nEmma 2026",
            "pickup_authorised": "",
            "notes": "Elif: Erdnussallergie.",
        },
    )
    assert response.status_code == 302
    session.refresh(family)
    assert find_family_phones(session, family=family) == ["+4915112340009"]
    assert find_family_by_phone(session, "+4915112340001") is None
    assert (
        family.employer_id is None
        and len(family.children) == 3
        and family.address.startswith("Lister Meile 14")
    )


def test_members_offer_only_the_regions_municipalities_and_refuse_overlaps(lead: Any, session: Any) -> None:
    page = lead.get("/members").get_data(as_text=True)
    assert page.count('<option value="') == 21 + 1  # the 21 municipalities and "bitte wählen"
    assert "Wedemark" in page and "Burgwedel" in page
    ok = post(
        lead, "/members", {"municipality": "Wedemark", "starts_on": "2027-01-01", "ends_on": "2028-12-31"}
    )
    assert ok.status_code == 302
    assert session.scalars(
        select(MemberMunicipality).where(MemberMunicipality.municipality == "Wedemark")
    ).one()
    outside = post(lead, "/members", {"municipality": "Celle", "starts_on": "2027-01-01"})
    assert outside.status_code == 422
    assert "Bitte eine Kommune der Region Hannover wählen." in outside.get_data(as_text=True)
    overlap = post(lead, "/members", {"municipality": "Garbsen", "starts_on": "2026-06-01", "ends_on": ""})
    assert overlap.status_code == 422
    assert "schon Mitglied" in overlap.get_data(as_text=True)


def test_tariffs_show_todays_rate_and_a_new_rate_starts_on_a_day(lead: Any, session: Any) -> None:
    page = lead.get("/tariffs").get_data(as_text=True)
    assert "Heute gültig: 5,00 € pro Stunde" in page and "Heute gültig: 3,00 € pro Stunde" in page
    response = post(
        lead,
        "/tariffs",
        {"code": "regular", "name": "Regeltarif", "hourly_rate": "5,50", "valid_from": "2027-01-01"},
    )
    assert response.status_code == 302
    rates = session.scalars(select(Tariff).where(Tariff.code == "regular").order_by(Tariff.valid_from)).all()
    assert [r.hourly_rate for r in rates] == [Decimal("5.00"), Decimal("5.50")]
    assert "Heute gültig: 5,00 € pro Stunde" in lead.get("/tariffs").get_data(as_text=True)
    aktivpass = post(
        lead,
        "/tariffs",
        {"code": "aktivpass", "name": "HannoverAktivPass", "hourly_rate": "1", "valid_from": "2026-11-01"},
    )
    assert aktivpass.status_code == 302
    wrong = post(
        lead, "/tariffs", {"code": "Aktiv Pass!", "name": "", "hourly_rate": "-1", "valid_from": "x"}
    )
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "Kleinbuchstaben" in text and "Betrag in Euro" in text and "Bitte ein Datum eingeben" in text


def test_a_rate_for_a_billed_month_is_refused(lead: Any, session: Any, clock: Any) -> None:
    run_billing(session, month="2026-10", now=clock.now())
    response = post(
        lead,
        "/tariffs",
        {"code": "partner", "name": "Partner", "hourly_rate": "2,50", "valid_from": "2026-10-15"},
    )
    assert response.status_code == 422
    assert "Bis 31.10.2026 ist schon abgerechnet" in response.get_data(as_text=True)
    assert "abgerechnet, unveränderlich" in lead.get("/tariffs").get_data(as_text=True)
