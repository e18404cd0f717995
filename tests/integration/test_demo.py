"""The demo on a real database: marked rows, loaded only where no real data is, removed without a trace."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo import DemoRefused, load_demo, real_data_found, remove_demo
from models import (
    Caregiver,
    Case,
    CoordinatorLanguages,
    Employer,
    Family,
    MemberMunicipality,
    Shift,
    Tariff,
    User,
)
from roster.languages import find_languages, set_languages
from tests.factories import make_case, make_shift
from tests.factories_dispatch import make_caregiver

PASSWORD = "demo-passwort-123"


def count(session: Session, model: Any, **where: Any) -> int:
    """Count the rows of a model, optionally filtered by column values."""
    statement = select(func.count()).select_from(model)
    for column, value in where.items():
        statement = statement.where(getattr(model, column) == value)
    return session.scalar(statement) or 0


def test_every_row_the_demo_makes_is_marked(session: Session, clock: Any) -> None:
    result = load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    assert result.shifts == 90 and result.caregivers == 20 and result.lead_password == PASSWORD
    for model in (Shift, Caregiver, User, Family, Employer, Tariff, MemberMunicipality):
        assert count(session, model) > 0, model
        assert count(session, model, demo=False) == 0, model
    lead = session.scalars(select(User)).one()
    assert lead.phone is not None  # call-back can ring her in the simulator
    assert real_data_found(session) == []


def test_a_second_load_adds_nothing_and_no_second_lead(session: Session, clock: Any) -> None:
    load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    again = load_demo(session, now=clock.now(), lead_password="anders-passwort-1", simulator_mode=True)
    assert (again.shifts, again.caregivers, any(again.billing.values()), again.lead_password) == (0, 0, False, None)
    assert count(session, User) == 1


@pytest.mark.parametrize("real", ["shift", "caregiver"])
def test_load_refuses_a_database_with_real_data(session: Session, clock: Any, real: str) -> None:
    if real == "shift":
        make_shift(session, starts_at=clock.now())
    else:
        make_caregiver(session, now=clock.now())
    with pytest.raises(DemoRefused, match="echte Daten"):
        load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    assert count(session, Shift, demo=True) == 0 and count(session, User) == 0


def test_load_refuses_outside_simulator_mode(session: Session, clock: Any) -> None:
    with pytest.raises(DemoRefused, match="Simulator"):
        load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=False)
    assert count(session, Shift) == 0


def test_calls_made_while_trying_the_demo_do_not_stop_its_renewal(session: Session, clock: Any) -> None:
    load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    make_case(session, now=clock.now())  # a simulated call
    clock.advance(days=20)
    assert load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True).shifts > 0


def test_remove_deletes_the_demo_and_leaves_every_real_row(session: Session, clock: Any) -> None:
    load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    # The office starts for real beside the demo: its own shift, caregiver and a real call.
    shift = make_shift(session, phone="+4915111111111", starts_at=clock.now())
    dora = make_caregiver(session, now=clock.now())
    case = make_case(session, now=clock.now())
    removed = remove_demo(session)
    assert removed["shifts"] == 90 and removed["caregivers"] == 20 and removed["users"] == 1
    session.expire_all()
    assert session.scalars(select(Shift)).all() == [shift]
    assert session.scalars(select(Caregiver)).all() == [dora]
    assert session.scalars(select(Case)).all() == [case]
    for model in (User, Family, Employer, Tariff, MemberMunicipality, CoordinatorLanguages):
        assert count(session, model) == 0, model
    assert remove_demo(session)["shifts"] == 0  # twice is harmless


def test_the_history_fills_every_report_month_obeys_retention_and_tops_up(session: Session, clock: Any) -> None:
    from gdpr.retention import months_before
    from models import BillingRun, EmployerStatement, Invoice
    from reports import compile_report, parse_period, present

    load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True, history=True,
              retention_months=12)
    now = clock.now()  # Monday 23 November 2026
    report = compile_report(session, period=parse_period("2025-11", "2026-10", now=now))
    totals = {row.month: present(row.figures) for row in report.rows if row.dimension == "total"}
    for month in report.period.months:  # every month shows its real shape, nothing hides behind "<3"
        assert int(totals[month]["calls"]) >= 20, month
        assert totals[month]["caregiver_median"] and totals[month]["care_hours"] not in ("", "0,0"), month
    assert sum(int(n) for n in report.wait_histogram) == int(totals["total"]["filled"])
    assert {row.value for row in report.rows if row.dimension == "municipality"} >= {"Hannover", "Laatzen"}

    # Retention as real data: cases closed before the cut-off are anonymised, and still counted above.
    cutoff = months_before(now, 12)
    old = session.scalars(select(Case).where(Case.closed_at < cutoff)).all()
    assert old and all(c.anonymised_at and c.caller is None and c.call_sid is None for c in old)
    recent = session.scalars(select(Case).where(Case.closed_at >= cutoff)).all()
    assert recent and not any(c.anonymised_at for c in recent)
    assert all(c.demo for c in [*old, *recent])
    assert count(session, Invoice) > 100 and count(session, Invoice, demo=False) == 0
    assert count(session, EmployerStatement) > 0 and count(session, BillingRun, demo=False) == 0
    assert real_data_found(session) == []

    cases = count(session, Case)
    again = load_demo(session, now=now, lead_password=PASSWORD, simulator_mode=True, history=True)
    assert again.history["cases"] == 0 and count(session, Case) == cases  # loading twice adds nothing
    clock.advance(days=10)
    later = load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True, history=True)
    assert 0 < later.history["cases"] < 60  # only the ten days since
    assert later.history["invoices"] > 0  # November is over now and billed

    removed = remove_demo(session)
    assert removed["cases"] == cases + later.history["cases"]
    for model in (Case, Invoice, EmployerStatement, BillingRun, Family):
        assert count(session, model) == 0, model


def test_the_demo_coordinators_speak_languages_and_a_leads_change_stays(session: Session, clock: Any) -> None:
    load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True)
    deniz = "+4915735991042"  # Deniz Aydın
    assert find_languages(session, phones=[deniz]) == {deniz: ("de", "tr")}
    set_languages(session, phone=deniz, text="de;tr;ar", now=clock.now())
    clock.advance(days=20)
    assert load_demo(session, now=clock.now(), lead_password=PASSWORD, simulator_mode=True).shifts > 0
    assert find_languages(session, phones=[deniz]) == {deniz: ("de", "tr", "ar")}
