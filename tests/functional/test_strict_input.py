"""Issue 10 §1, each case found: Unicode digits, huge ids and fullwidth postcodes meet one strict
input layer (core.inputs, core.url_ids) — a clear message or a 404, never a hang, a 500 or a
second bill."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from accounts import create_user
from billing import load_demo_billing
from billing.run import run_billing
from billing.tariffs import BillingError
from cases.service import CaseNotFound, require_case
from core.clock import berlin
from models import BillingRun, CareSession, Case, Employer, EmployerStatement, Family, Invoice
from tests.deadline import within
from tests.factories_dispatch import make_caregiver, make_dispatchable_case
from tests.functional.test_board import PASSWORD, csrf_from, sign_in
from tests.helpers import twilio_post

FULLWIDTH_NOVEMBER = "２０２６-１１"
ARABIC_INDIC_NOVEMBER = "٢٠٢٦-١١"
HUGE_IDS = (2**63, 2**63 + 1, 2**31, 10**30)


@pytest.fixture
def users(session: Any, clock: Any) -> None:
    load_demo_billing(session, now=clock.now())
    for username, role in (("lea", "lead"), ("clara", "coordinator")):
        create_user(session, username=username, name=username.title(), role=role, password=PASSWORD,
                     now=clock.now())


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
def case(session: Any, users: None) -> Case:
    """An October case with a caregiver and one finished care session (billable once October is over)."""
    opened = berlin(2026, 10, 14, 10, 0)
    case = make_dispatchable_case(session, now=opened, call_sid="CA-strict")
    caregiver = make_caregiver(session, now=opened)
    case.caregiver_id = caregiver.id
    session.add(CareSession(case_id=case.id, caregiver_id=caregiver.id, started_at=berlin(2026, 10, 14, 10, 30),
                            ended_at=berlin(2026, 10, 14, 12, 30), source="sms", created_at=opened, updated_at=opened))
    session.flush()
    return case


def post(client: Any, url: str, data: dict[str, str], page: str = "/board") -> Any:
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def counts(session: Any) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (BillingRun, Invoice, EmployerStatement, Family, Employer, CareSession))


# --- months: no endless loop, no second bill -----------------------------------------------------


@pytest.mark.parametrize("query", [f"/reports?to={FULLWIDTH_NOVEMBER}", f"/reports?from={FULLWIDTH_NOVEMBER}",
                                   f"/reports.csv?to={ARABIC_INDIC_NOVEMBER}",
                                   f"/reports.csv?from=2026-01&to={ARABIC_INDIC_NOVEMBER}",
                                   "/reports?from=2026-01&to=9999-12", "/reports?from=0001-01&to=2026-11"])
def test_a_month_in_foreign_digits_answers_at_once_with_a_message(coordinator: Any, query: str) -> None:
    with within(10, query):
        response = coordinator.get(query)
    assert response.status_code == 400
    assert "JJJJ-MM" in response.get_data(as_text=True) or "Höchstens" in response.get_data(as_text=True)


@pytest.mark.parametrize("month", [FULLWIDTH_NOVEMBER.replace("１１", "１０"), ARABIC_INDIC_NOVEMBER.replace("١١", "١٠"),
                                   "2026-10²"])
def test_billing_a_billed_month_again_in_other_digits_bills_nothing(
    lead: Any, case: Case, session: Any, month: str
) -> None:
    first = post(lead, "/billing/run", {"month": "2026-10"}, "/billing")
    assert first.status_code == 302
    billed = counts(session)
    assert billed[0] == 1 and billed[1] == 1 and billed[2] >= 1
    again = post(lead, "/billing/run", {"month": month}, "/billing")
    assert again.status_code == 302
    assert counts(session) == billed
    assert "JJJJ-MM" in lead.get(again.headers["Location"]).get_data(as_text=True)


def test_the_domain_normalises_the_month_it_bills(session: Any, case: Case, clock: Any) -> None:
    run_billing(session, month="2026-10", now=clock.now())
    again = run_billing(session, month="2026-10 ", now=clock.now())
    assert again.already_run and again.month == "2026-10"
    for month in ("２０２６-１０", "٢٠٢٦-١٠"):
        with pytest.raises(BillingError):
            run_billing(session, month=month, now=clock.now())
    assert session.scalar(select(func.count()).select_from(BillingRun)) == 1


def test_the_accounting_download_of_a_month_in_foreign_digits_is_not_found(lead: Any, case: Case) -> None:
    post(lead, "/billing/run", {"month": "2026-10"}, "/billing")
    assert lead.get("/billing/2026-10/accounting.csv").status_code == 200
    assert lead.get("/billing/２０２６-１０/accounting.csv").status_code == 404
    assert lead.get("/billing?month=２０２６-１０").status_code == 302


# --- superscripts and other digits in forms and filters: a message, no 500 ---------------------------


def test_a_superscript_age_filter_is_a_message(coordinator: Any) -> None:
    response = coordinator.get("/caregivers?age=²")
    assert response.status_code == 200
    assert "keine ganze Zahl" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["employer_id"])
def test_case_employer_form_with_superscripts(coordinator: Any, case: Case, session: Any, field: str) -> None:
    response = post(coordinator, f"/cases/{case.id}/employer", {field: "²"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Case, case.id).employer_id is None


@pytest.mark.parametrize("data", [
    {"start_date": "14.10.2026", "start_time": "1²:30", "end_date": "14.10.2026", "end_time": "13:00"},
    {"start_date": "²4.10.2026", "start_time": "10:30", "end_date": "14.10.2026", "end_time": "13:00"},
    {"start_date": "１４.１０.２０２６", "start_time": "10:30", "end_date": "14.10.2026", "end_time": "13:00"},
    {"start_date": "14.10.2026", "start_time": "10:30", "care_session_id": "²"},
    {"start_date": "14.10.2026", "start_time": "10:30", "care_session_id": str(2**63)},
])
def test_care_times_with_foreign_digits(coordinator: Any, case: Case, session: Any, data: dict[str, str]) -> None:
    before = counts(session)
    response = post(coordinator, f"/cases/{case.id}/care-times", data)
    assert response.status_code in (302, 404)
    assert counts(session) == before


@pytest.mark.parametrize("caregiver_id", ["²", "٣", str(2**63), str(2**31), "-1"])
def test_assigning_a_caregiver_by_a_foreign_or_huge_id(coordinator: Any, case: Case, session: Any,
                                                         caregiver_id: str) -> None:
    response = post(coordinator, f"/cases/{case.id}/assign", {"caregiver_id": caregiver_id})
    assert response.status_code < 500


def test_case_editing_with_superscripts(coordinator: Any, case: Case) -> None:
    response = post(coordinator, f"/cases/{case.id}/edit",
                    {"care_date": "²4.11.2026", "care_time": "1²:00", "expected_hours": "²"})
    assert response.status_code in (302, 422)


def test_caregiver_edit_with_superscripts(lead: Any, session: Any, clock: Any) -> None:
    caregiver = make_caregiver(session, now=clock.now())
    page = f"/caregivers/{caregiver.id}/edit"
    response = post(lead, page, {"name": "Dora", "phone": "0151 23456789", "postcode": "30159",
                                 "max_distance_km": "²", "min_age": "²", "max_age": "٣",
                                 "police_certificate_date": "²4.11.2026"}, page)
    assert response.status_code == 422
    session.expire_all()
    assert session.get(type(caregiver), caregiver.id).min_age == caregiver.min_age


def family_form(**overrides: str) -> dict[str, str]:
    return {"name": "Familie Schulz", "phones": "0151 2345 6789", "address": "", "postcode": "30163",
            "employer_id": "", "tariff_code": "", "children": "Mia 2022", "pickup_authorised": "", "notes": "",
            **overrides}


@pytest.mark.parametrize("overrides", [{"postcode": "３０１６３"}, {"postcode": "٣٠١٦٣"}, {"children": "Mia ²⁰²²"},
                                       {"children": "Mia ２０２２"}, {"employer_id": "²"},
                                       {"employer_id": str(2**63)}])
def test_a_new_family_with_foreign_digits_is_refused_and_nothing_saved(
    lead: Any, session: Any, overrides: dict[str, str]
) -> None:
    before = counts(session)
    response = post(lead, "/families/new", family_form(**overrides), "/families/new")
    assert response.status_code == 422
    assert "Bitte" in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_fullwidth_postcode_is_never_stored(lead: Any, session: Any) -> None:
    post(lead, "/families/new", family_form(postcode="３０１６３"), "/families/new")
    post(lead, "/families/new", family_form(), "/families/new")
    session.expire_all()
    assert [f.postcode for f in session.scalars(select(Family).where(Family.name == "Familie Schulz"))] == ["30163"]


# --- ids: out of range is a 404 everywhere ------------------------------------------------------------


def _id_rules(app: Any) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if any(type(conv).__name__ == "IdConverter" for conv in rule._converters.values())]


def _url(rule: Any, value: str) -> str:
    return re.sub(r"<[^>]+>", lambda m: value if ":" in m.group(0) else "x", rule.rule)


def test_every_int_route_uses_the_id_converter(app: Any) -> None:
    int_rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert int_rules and all(r in _id_rules(app) for r in int_rules)


@pytest.mark.parametrize("value", [*map(str, HUGE_IDS), "0", "٣", "３", "²"])
def test_an_out_of_range_id_is_not_found_on_every_page(lead: Any, app: Any, value: str) -> None:
    token = csrf_from(lead.get("/board").get_data(as_text=True))
    rules = _id_rules(app)
    assert any(r.rule.startswith("/voice/") for r in rules) and any(r.rule.startswith("/cases/") for r in rules)
    for rule in rules:
        url = _url(rule, value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/voice/"):
                response = twilio_post(lead, url, {"CallSid": "CA" + "0" * 32})
            else:
                response = lead.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)


def test_the_domain_refuses_a_huge_case_id(session: Any) -> None:
    for value in (2**63, 2**31):
        with pytest.raises(CaseNotFound):
            require_case(session, value)


def test_a_session_cookie_with_a_huge_user_id_is_signed_out(app: Any, users: None) -> None:
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(2**63)
        cookie["_fresh"] = True
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_employer_form_with_foreign_digits_is_refused_field_by_field(lead: Any, session: Any) -> None:
    before = counts(session)
    response = post(lead, "/employers/new", {"name": "Stadtwerke", "contract_number": "FX-2027-001",
                                             "starts_on": "０１.０１.２０２７", "ends_on": "²", "fee_period": "monthly",
                                             "fee_amount": "١٢٠"}, "/employers/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte ein Datum eingeben, z. B. 01.01.2027." in page
    assert "Bitte ein Datum eingeben oder leer lassen (unbefristet)." in page
    assert "Bitte einen Betrag in Euro eingeben" in page
    assert counts(session) == before
