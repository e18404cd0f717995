"""The billing page (leads) and the case page's billing section (every coordinator), through the real
sign-in and CSRF tokens, with the clock frozen on Monday 23 November 2026."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from accounts import create_user
from billing import load_demo_billing, recognise_family
from billing.demo import DEMO_FAMILY_PHONE
from core.clock import berlin
from models import CareSession, Case, Employer, Invoice
from tests.factories_dispatch import make_caregiver, make_dispatchable_case
from tests.functional.test_board import PASSWORD, csrf_from, sign_in


@pytest.fixture
def users(session: Any, clock: Any) -> None:
    load_demo_billing(session, now=clock.now())
    for username, role in (("lea", "lead"), ("clara", "coordinator")):
        create_user(
            session, username=username, name=username.title(), role=role, password=PASSWORD, now=clock.now()
        )


@pytest.fixture
def lead(app: Any, users: None) -> Any:
    client = app.test_client()
    sign_in(client, "lea")
    return client


@pytest.fixture
def coordinator(app: Any, users: None) -> Any:
    client = app.test_client()
    sign_in(client, "clara")
    return client


@pytest.fixture
def october_case(session: Any, users: None) -> Case:
    """A call on 14 October from the registered family, cared for 10:30–13:10 (three started hours)."""
    opened = berlin(2026, 10, 14, 10, 0)
    case = make_dispatchable_case(session, now=opened, call_sid="CA-october", caller=DEMO_FAMILY_PHONE)
    recognise_family(session, case=case, now=opened)
    caregiver = make_caregiver(session, now=opened)
    case.caregiver_id = caregiver.id
    session.add(
        CareSession(
            case_id=case.id,
            caregiver_id=caregiver.id,
            started_at=berlin(2026, 10, 14, 10, 30),
            ended_at=berlin(2026, 10, 14, 13, 10),
            source="sms",
            flag=None,
            created_at=opened,
            updated_at=opened,
        )
    )
    session.flush()
    return case


@pytest.fixture
def todays_case(session: Any, clock: Any, users: None) -> Case:
    """A call this morning from an unknown number, with a caregiver on her way."""
    case = make_dispatchable_case(
        session, now=clock.now() - timedelta(hours=2), call_sid="CA-today", caller="+4917612345678"
    )
    case.caregiver_id = make_caregiver(session, phone="+4916000000099", now=clock.now()).id
    session.flush()
    return case


def post(client: Any, url: str, data: dict[str, str], page: str) -> Any:
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


# --- the case page --------------------------------------------------------------------------------------


def test_a_known_family_shows_at_once_on_the_case(coordinator: Any, october_case: Case) -> None:
    page = coordinator.get(f"/cases/{october_case.id}").get_data(as_text=True)
    assert "bekannte Familie" in page
    assert "Familie Yıldız-Bauer" in page and "Lister Meile 12, 30161 Hannover" in page
    assert "Nordstadt-Klinikum gGmbH" in page
    assert "Elif (2021)" in page
    assert "Verknüpft mit Nordstadt-Klinikum gGmbH (Vertrag FX-2019-004)" in page
    assert "automatisch (zurzeit: partner)" in page


def test_a_coordinator_links_the_case_to_an_employer_and_removes_it_again(
    coordinator: Any, todays_case: Case, session: Any
) -> None:
    url = f"/cases/{todays_case.id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "Keine angemeldete Familie unter dieser Nummer." in page
    bakery = session.scalars(select(Employer).where(Employer.contract_number == "FX-2024-017")).one()
    assert f'<option value="{bakery.id}"' in page  # its contract runs until the end of December
    response = post(coordinator, f"{url}/employer", {"employer_id": str(bakery.id)}, url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}#abrechnung")
    session.refresh(todays_case)
    assert todays_case.employer_id == bakery.id
    shown = coordinator.get(url).get_data(as_text=True)
    assert "Verknüpft mit Leinebäckerei Hoffmann GmbH" in shown and "automatisch (zurzeit: partner)" in shown
    post(coordinator, f"{url}/employer", {"employer_id": ""}, url)
    session.refresh(todays_case)
    assert todays_case.employer_id is None


def test_an_employer_without_a_valid_contract_cannot_be_linked(
    coordinator: Any, todays_case: Case, session: Any, clock: Any
) -> None:
    ended = Employer(
        name="Alte Firma",
        contract_number="FX-2010-001",
        starts_on=berlin(2010, 1, 1).date(),
        ends_on=berlin(2015, 12, 31).date(),
        fee_period="yearly",
        fee_amount=Decimal("100"),
        created_at=clock.now(),
    )
    session.add(ended)
    session.flush()
    url = f"/cases/{todays_case.id}"
    assert f'<option value="{ended.id}"' not in coordinator.get(url).get_data(as_text=True)
    response = post(coordinator, f"{url}/employer", {"employer_id": str(ended.id)}, url)
    assert "Bitte ein Partnerunternehmen mit gültigem Vertrag wählen." in coordinator.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    session.refresh(todays_case)
    assert todays_case.employer_id is None


def test_a_coordinator_chooses_the_tariff_from_the_existing_codes(
    coordinator: Any, todays_case: Case, session: Any
) -> None:
    url = f"/cases/{todays_case.id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "Studierende – student, 2,00 € pro Stunde" in page
    post(coordinator, f"{url}/tariff", {"tariff_code": "student"}, url)
    session.refresh(todays_case)
    assert todays_case.tariff_code == "student"
    refused = post(coordinator, f"{url}/tariff", {"tariff_code": "gratis"}, url)
    assert "Bitte einen Tarif aus der Liste wählen." in coordinator.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    session.refresh(todays_case)
    assert todays_case.tariff_code == "student"


def test_a_coordinator_enters_care_times_and_sees_the_hours_billed(
    coordinator: Any, todays_case: Case, session: Any
) -> None:
    url = f"/cases/{todays_case.id}"
    response = post(
        coordinator,
        f"{url}/care-times",
        {"start_date": "2026-11-23", "start_time": "08:20", "end_date": "23.11.2026", "end_time": "9.25"},
        url,
    )
    assert response.headers["Location"].endswith("#betreuungszeiten")
    care = session.scalars(select(CareSession).where(CareSession.case_id == todays_case.id)).one()
    assert care.flag is None and care.source == "coordinator"
    assert (care.started_at, care.ended_at) == (berlin(2026, 11, 23, 8, 20), berlin(2026, 11, 23, 9, 25))
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Betreuungszeit gespeichert." in page
    assert "23.11.2026, 08:20" in page and "2:00 Std." in page  # 65 minutes: two started hours


def test_implausible_times_are_flagged_in_plain_german_and_can_be_confirmed(
    coordinator: Any, todays_case: Case, session: Any
) -> None:
    url = f"/cases/{todays_case.id}"
    times = {"start_date": "2026-11-22", "start_time": "16:00", "end_date": "2026-11-23", "end_time": "09:30"}
    response = post(coordinator, f"{url}/care-times", times, url)
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gespeichert, aber noch nicht abrechenbar" in page
    assert "Länger als 16 Stunden. Bitte prüfen; wenn es stimmt, bestätigen." in page
    assert "Zeiten bestätigen" in page
    care = session.scalars(select(CareSession).where(CareSession.case_id == todays_case.id)).one()
    assert care.flag == "longer_than_16h"
    post(coordinator, f"{url}/care-times", {**times, "care_session_id": str(care.id), "confirmed": "1"}, url)
    session.refresh(care)
    assert care.flag is None


def test_care_times_refuse_what_cannot_be_read(coordinator: Any, todays_case: Case, session: Any) -> None:
    url = f"/cases/{todays_case.id}"
    for times, message in (
        ({"start_date": "2026-11-23", "start_time": ""}, "Bitte Datum und Uhrzeit angeben."),
        ({"start_date": "31.02.2026", "start_time": "10:00"}, "Bitte ein gültiges Datum"),
        ({"start_date": "2026-03-29", "start_time": "02:30"}, "wegen der Zeitumstellung"),
        ({}, "Bitte den Beginn der Betreuung eintragen."),
    ):
        response = post(coordinator, f"{url}/care-times", times, url)
        assert message in coordinator.get(response.headers["Location"]).get_data(as_text=True), times
    assert session.scalar(select(func.count()).select_from(CareSession)) == 0


# --- the billing page ----------------------------------------------------------------------------------


def test_a_coordinator_may_not_bill(coordinator: Any, october_case: Case) -> None:
    token = csrf_from(coordinator.get(f"/cases/{october_case.id}").get_data(as_text=True))
    assert coordinator.get("/billing").status_code == 403
    assert coordinator.post("/billing/run", data={"month": "2026-10", "csrf_token": token}).status_code == 403
    assert coordinator.get("/billing/2026-10/accounting.csv").status_code == 403
    assert "/billing" not in coordinator.get("/employers").get_data(as_text=True)


def test_the_run_button_bills_a_finished_month_once(lead: Any, october_case: Case, session: Any) -> None:
    page = lead.get("/billing").get_data(as_text=True)  # the previous month by default
    assert "Oktober 2026" in page and "Abrechnung für 2026-10 erstellen" in page
    first = post(lead, "/billing/run", {"month": "2026-10"}, "/billing")
    assert first.status_code == 302 and first.headers["Location"].endswith("/billing?month=2026-10")
    billed = lead.get(first.headers["Location"]).get_data(as_text=True)
    assert "Oktober 2026 abgerechnet: 1 Rechnungen, 2 Arbeitgeber-Abrechnungen." in billed
    invoice = session.scalars(select(Invoice)).one()
    assert invoice.total == Decimal("9.00")  # three started hours at the partner rate of 3 €
    assert invoice.number in billed and "Familie Yıldız-Bauer" in billed and "9,00 €" in billed
    assert "500,00 €" in billed and "120,00 €" in billed  # 6,000 € a year, 120 € a month
    assert "Abrechnung für 2026-10 erstellen" not in billed

    again = post(lead, "/billing/run", {"month": "2026-10"}, "/billing")  # a second click, e.g. a stale tab
    said = lead.get(again.headers["Location"]).get_data(as_text=True)
    assert "Oktober 2026 wurde schon am 23.11.2026, 10:00 abgerechnet; nichts geändert." in said
    assert session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_a_month_that_is_not_over_is_not_billed(lead: Any, session: Any) -> None:
    page = lead.get("/billing?month=2026-11").get_data(as_text=True)
    assert "Der Monat läuft noch; abrechnen ab 01.12.2026." in page
    response = post(lead, "/billing/run", {"month": "2026-11"}, "/billing")
    assert "November 2026 ist noch nicht vorbei; abrechnen ab 01.12.2026." in lead.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    nonsense = post(lead, "/billing/run", {"month": "November"}, "/billing")
    assert "Bitte den Monat als JJJJ-MM angeben" in lead.get(nonsense.headers["Location"]).get_data(
        as_text=True
    )


def test_downloads_are_made_on_request_with_types_and_filenames(
    lead: Any, october_case: Case, session: Any
) -> None:
    post(lead, "/billing/run", {"month": "2026-10"}, "/billing")
    page = lead.get("/billing?month=2026-10").get_data(as_text=True)
    invoice = session.scalars(select(Invoice)).one()
    links = set(re.findall(r'href="(/billing/[^"]+)"', page))
    assert {
        f"/billing/invoices/{invoice.id}.pdf",
        f"/billing/invoices/{invoice.id}.csv",
        "/billing/2026-10/accounting.csv",
    } <= links
    assert not any(re.search(r"\+?49\d{6,}|Yıldız|Bauer", link) for link in links)

    pdf = lead.get(f"/billing/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.mimetype == "application/pdf"
    assert f'filename="Rechnung-{invoice.number}.pdf"' in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "private, no-store"

    lines = lead.get(f"/billing/invoices/{invoice.id}.csv")
    assert lines.mimetype == "text/csv" and lines.headers["Content-Disposition"].startswith("attachment")
    assert "9,00" in lines.data.decode("utf-8-sig")

    statements = [
        lead.get(link).data.decode("utf-8-sig") for link in links if link.startswith("/billing/statements/")
    ]
    assert len(statements) == 2 and any(
        "Nordstadt-Klinikum gGmbH;FX-2019-004;500,00" in s for s in statements
    )
    accounting = lead.get("/billing/2026-10/accounting.csv")
    assert accounting.mimetype == "text/csv"
    assert accounting.data.decode("utf-8-sig").startswith("Belegart;Belegnummer")
    assert lead.get("/billing/2026-09/accounting.csv").status_code == 404  # never billed
    assert lead.get("/billing/invoices/999999.pdf").status_code == 404


def test_flagged_sessions_block_billing_and_link_to_their_case(
    lead: Any, october_case: Case, session: Any
) -> None:
    care = session.scalars(select(CareSession).where(CareSession.case_id == october_case.id)).one()
    care.ended_at, care.flag = None, "missing_end"
    session.flush()
    page = lead.get("/billing?month=2026-10").get_data(as_text=True)
    assert "Nicht abgerechnete Betreuungszeiten" in page
    assert f'href="/cases/{october_case.id}#betreuungszeiten"' in page
    assert "Ende fehlt" in page
    post(lead, "/billing/run", {"month": "2026-10"}, "/billing")
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert "Ende fehlt" in lead.get("/billing?month=2026-10").get_data(as_text=True)
