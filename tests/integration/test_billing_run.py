"""The monthly billing run on a real database, with a frozen clock: every rule of issue 6 pinned."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.demo import DEMO_FAMILY_PHONE, load_demo_billing
from billing.employers import link_case_to_employer
from billing.exports import accounting_csv, invoice_csv_for
from billing.families import find_family_by_phone, register_family
from billing.hours import MISSING_END, enter_care_times
from billing.invoice_pdf import FONT_DIR, invoice_pdf, unicode_font_available
from billing.run import IN_PROGRESS, MonthNotOver, find_invoice_lines, get_invoice_by_number, run_billing
from billing.tariffs import NoTariff, define_tariff, rate_on
from core.clock import berlin
from models import (
    BillingRun,
    CareSession,
    CaseStatus,
    Employer,
    EmployerStatement,
    Invoice,
    InvoiceLine,
)
from tests.factories import make_case

_sids = count(1)
DECEMBER = berlin(2026, 12, 2, 9, 0)


def new_case(session: Session, *, now: datetime, **fields: Any) -> Any:
    """Add an assigned case (its call at `now`)."""
    values: dict[str, Any] = {"status": CaseStatus.ASSIGNED, "assigned_at": now, "parent_name": "Petra",
                              "address": "Podbielskistr. 1, 30163 Hannover"}
    values.update(fields)
    return make_case(session, now=now, call_sid=f"CA{next(_sids):032d}", caller=None, **values)


def add_care(session: Session, case: Any, start: datetime | None, end: datetime | None,
             flag: str | None = None) -> CareSession:
    """Add a care session with given times."""
    care = CareSession(case_id=case.id, caregiver_id=case.caregiver_id, started_at=start, ended_at=end,
                       source="coordinator", flag=flag, created_at=start or end, updated_at=start or end)
    session.add(care)
    session.flush()
    return care


def counts(session: Session) -> tuple[int, ...]:
    """Return how many runs, invoices, lines and statements exist."""
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (BillingRun, Invoice, InvoiceLine, EmployerStatement)
    )


@pytest.fixture
def demo(session: Session) -> dict[str, int]:
    """The demo's tariffs (5/3/2), memberships, employers and family."""
    return load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))


@pytest.fixture
def klinikum(session: Session, demo: dict[str, int]) -> Employer:
    """The yearly-fee partner employer of the demo."""
    return session.scalars(select(Employer).where(Employer.contract_number == "FX-2019-004")).one()


@pytest.fixture
def baeckerei(session: Session, demo: dict[str, int]) -> Employer:
    """The monthly-fee partner employer of the demo."""
    return session.scalars(select(Employer).where(Employer.contract_number == "FX-2024-017")).one()


# --- the month and the run itself --------------------------------------------------------------


def test_a_month_that_is_not_over_cannot_be_billed(session: Session, demo: Any) -> None:
    with pytest.raises(MonthNotOver):
        run_billing(session, month="2026-11", now=berlin(2026, 11, 30, 23, 59))
    assert counts(session) == (0, 0, 0, 0)


def test_one_case_three_started_hours_at_the_regular_rate(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 11, 3, 13, 30))
    add_care(session, case, berlin(2026, 11, 3, 14, 5), berlin(2026, 11, 3, 16, 50))
    report = run_billing(session, month="2026-11", now=DECEMBER)
    assert not report.already_run
    [summary] = report.invoices
    assert (summary.number, summary.total, summary.recipient) == ("2026-0001", Decimal("15.00"), "Petra")
    invoice = get_invoice_by_number(session, "2026-0001")
    assert invoice is not None and invoice.case_id == case.id and invoice.family_id is None
    [line] = find_invoice_lines(session, invoice=invoice)
    assert (line.service_date, line.hours, line.tariff_code, line.hourly_rate, line.amount) == (
        date(2026, 11, 3), Decimal("3.00"), "regular", Decimal("5.00"), Decimal("15.00"))
    assert line.description == f"Kinderbetreuung 14:05–16:50 Uhr (Fall {case.reference})"
    assert isinstance(invoice.total, Decimal)


def test_a_tariff_change_mid_month_applies_from_its_day(session: Session, demo: Any) -> None:
    define_tariff(session, code="regular", name="Regeltarif ab 15.11.", hourly_rate=Decimal("6.50"),
                  valid_from=date(2026, 11, 15))
    case = new_case(session, now=berlin(2026, 11, 14, 8, 0))
    add_care(session, case, berlin(2026, 11, 14, 9, 0), berlin(2026, 11, 14, 11, 0))
    add_care(session, case, berlin(2026, 11, 15, 9, 0), berlin(2026, 11, 15, 11, 0))
    # A session that starts the evening before the change is billed at the old rate, all of it.
    add_care(session, case, berlin(2026, 11, 14, 22, 0), berlin(2026, 11, 15, 1, 0))
    run_billing(session, month="2026-11", now=DECEMBER)
    invoice = get_invoice_by_number(session, "2026-0001")
    assert invoice is not None
    lines = find_invoice_lines(session, invoice=invoice)
    assert [(str(li.service_date), li.hourly_rate, li.amount) for li in lines] == [
        ("2026-11-14", Decimal("5.00"), Decimal("10.00")),
        ("2026-11-14", Decimal("5.00"), Decimal("15.00")),
        ("2026-11-15", Decimal("6.50"), Decimal("13.00")),
    ]
    assert rate_on(session, code="regular", day=date(2026, 11, 15)).hourly_rate == Decimal("6.50")


def test_a_session_across_midnight_belongs_to_the_day_it_started(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 11, 30, 21, 0))
    add_care(session, case, berlin(2026, 11, 30, 22, 30), berlin(2026, 12, 1, 1, 15))  # 2:45 -> 3 hours
    later = new_case(session, now=berlin(2026, 11, 30, 23, 0))
    add_care(session, later, berlin(2026, 12, 1, 0, 30), berlin(2026, 12, 1, 2, 0))  # December's
    report = run_billing(session, month="2026-11", now=DECEMBER)
    [summary] = report.invoices
    [line] = find_invoice_lines(session, invoice=session.get_one(Invoice, summary.invoice_id))
    assert (line.service_date, line.hours, line.amount) == (date(2026, 11, 30), Decimal("3.00"), Decimal("15.00"))
    assert "22:30–01.12. 01:15 Uhr" in line.description


def test_dst_fall_back_night_bills_the_extra_hour(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 10, 24, 23, 0))
    add_care(session, case, berlin(2026, 10, 25, 0, 30), berlin(2026, 10, 25, 4, 30))  # five real hours
    report = run_billing(session, month="2026-10", now=berlin(2026, 11, 2, 9, 0))
    assert report.invoices[0].total == Decimal("25.00")


def test_dst_spring_forward_night_bills_one_hour_less(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 3, 28, 23, 0))
    add_care(session, case, berlin(2026, 3, 29, 0, 30), berlin(2026, 3, 29, 4, 30))  # three real hours
    report = run_billing(session, month="2026-03", now=berlin(2026, 4, 1, 9, 0))
    assert report.invoices[0].total == Decimal("15.00")


def test_partner_rate_until_the_contract_ends_mid_month_then_regular(
    session: Session, baeckerei: Employer, clock: Any
) -> None:
    baeckerei.ends_on = date(2026, 11, 15)
    case = new_case(session, now=berlin(2026, 11, 10, 7, 0))
    link_case_to_employer(session, case=case, employer=baeckerei, now=berlin(2026, 11, 10, 7, 5))
    add_care(session, case, berlin(2026, 11, 10, 8, 0), berlin(2026, 11, 10, 12, 0))
    add_care(session, case, berlin(2026, 11, 20, 8, 0), berlin(2026, 11, 20, 10, 0))
    report = run_billing(session, month="2026-11", now=DECEMBER)
    lines = find_invoice_lines(session, invoice=session.get_one(Invoice, report.invoices[0].invoice_id))
    assert [(li.tariff_code, li.hourly_rate, li.amount) for li in lines] == [
        ("partner", Decimal("3.00"), Decimal("12.00")),
        ("regular", Decimal("5.00"), Decimal("10.00")),
    ]
    statement = next(s for s in report.statements if s.contract_number == "FX-2024-017")
    # 120 € a month, contract for 15 of November's 30 days.
    assert (statement.fee, statement.prorated) == (Decimal("60.00"), True)
    assert (statement.cases, statement.care_hours) == (1, Decimal("6.00"))
    assert statement.number.startswith("AG-2026-")
    # No December statement: the contract is over.
    december = run_billing(session, month="2026-12", now=berlin(2027, 1, 4, 9, 0))
    assert all(s.contract_number != "FX-2024-017" for s in december.statements)


def test_the_yearly_fee_is_a_twelfth_and_usage_is_anonymous(session: Session, klinikum: Employer) -> None:
    for day in (3, 4):
        case = new_case(session, now=berlin(2026, 11, day, 7, 0), employer_id=klinikum.id, parent_name="Ayşe")
        add_care(session, case, berlin(2026, 11, day, 8, 0), berlin(2026, 11, day, 9, 30))
    report = run_billing(session, month="2026-11", now=DECEMBER)
    statement = next(s for s in report.statements if s.contract_number == "FX-2019-004")
    assert (statement.fee, statement.prorated, statement.cases, statement.care_hours) == (
        Decimal("500.00"), False, 2, Decimal("4.00"))
    row = session.get_one(EmployerStatement, statement.statement_id)
    assert not any("Ayşe" in str(value) for value in vars(row).values())  # no names, only counts


def test_a_re_run_changes_nothing(session: Session, klinikum: Employer) -> None:
    case = new_case(session, now=berlin(2026, 11, 3, 7, 0), employer_id=klinikum.id)
    add_care(session, case, berlin(2026, 11, 3, 8, 0), berlin(2026, 11, 3, 9, 30))
    first = run_billing(session, month="2026-11", now=DECEMBER)
    before = counts(session)
    # Care entered after the run does not sneak into the billed month.
    late = new_case(session, now=berlin(2026, 11, 5, 7, 0))
    add_care(session, late, berlin(2026, 11, 5, 8, 0), berlin(2026, 11, 5, 9, 0))
    again = run_billing(session, month="2026-11", now=DECEMBER + timedelta(days=3))
    assert again.already_run and not first.already_run
    assert counts(session) == before
    assert [(i.number, i.total) for i in again.invoices] == [(i.number, i.total) for i in first.invoices]
    assert [(s.number, s.fee) for s in again.statements] == [(s.number, s.fee) for s in first.statements]
    assert again.ran_at == first.ran_at
    # ... it goes into the next month's run instead, with the next number.
    december = run_billing(session, month="2026-12", now=berlin(2027, 1, 4, 9, 0))
    assert [i.number for i in december.invoices] == ["2027-0001"]


def test_advice_is_free(session: Session, demo: Any) -> None:
    advice = new_case(session, now=berlin(2026, 11, 3, 7, 0), status=CaseStatus.CLOSED)
    report = run_billing(session, month="2026-11", now=DECEMBER)
    assert report.invoices == []
    assert session.scalars(select(Invoice).where(Invoice.case_id == advice.id)).all() == []


def test_flagged_sessions_are_listed_not_billed_and_billed_once_fixed(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 11, 3, 7, 0))
    no_start = add_care(session, case, None, berlin(2026, 11, 3, 12, 0), flag="missing_start")
    too_long = add_care(session, case, berlin(2026, 11, 4, 8, 0), berlin(2026, 11, 5, 8, 0), flag="longer_than_16h")
    forgotten = add_care(session, case, berlin(2026, 11, 6, 8, 0), None)  # ENDE never came
    running = add_care(session, case, berlin(2026, 12, 1, 23, 0) - timedelta(days=1), None)  # 30.11. 23:00
    report = run_billing(session, month="2026-11", now=berlin(2026, 12, 1, 6, 0))
    assert report.invoices == []
    assert {(f.care_session_id, f.flag) for f in report.flagged} == {
        (no_start.id, "missing_start"), (too_long.id, "longer_than_16h"), (forgotten.id, MISSING_END),
        (running.id, IN_PROGRESS),
    }
    assert forgotten.flag == MISSING_END and running.flag is None  # only the forgotten end is stored

    # The coordinator fixes the times in December: the next run bills them (at the day's tariff).
    fix_at = berlin(2026, 12, 3, 10, 0)
    enter_care_times(session, case=case, care_session=no_start, started_at=berlin(2026, 11, 3, 9, 0),
                     ended_at=berlin(2026, 11, 3, 12, 0), now=fix_at)
    enter_care_times(session, case=case, care_session=too_long, started_at=too_long.started_at,
                     ended_at=too_long.ended_at, now=fix_at, confirmed=True)
    assert no_start.flag is None and too_long.flag is None and forgotten.flag == MISSING_END
    december = run_billing(session, month="2026-12", now=berlin(2027, 1, 4, 9, 0))
    [invoice] = december.invoices
    assert (invoice.lines, invoice.total) == (2, Decimal("135.00"))  # 3 h, and 24 h the coordinator confirmed
    assert {f.care_session_id for f in december.flagged} == {forgotten.id, running.id}
    assert running.flag == MISSING_END  # by January, its end is missing too


def test_one_invoice_per_family_one_per_unregistered_case_numbered_in_a_row(
    session: Session, klinikum: Employer
) -> None:
    family = register_family(session, name="Familie Kaya", phones=["0151 23456789"], now=berlin(2026, 1, 2),
                             registered_on=date(2026, 1, 2), address="Lister Meile 3, 30161 Hannover",
                             tariff_code="student")
    first = new_case(session, now=berlin(2026, 11, 2, 7, 0), family_id=family.id)
    second = new_case(session, now=berlin(2026, 11, 20, 7, 0), family_id=family.id, tariff_code="aktivpass")
    stranger = new_case(session, now=berlin(2026, 11, 9, 7, 0), parent_name=None)
    define_tariff(session, code="aktivpass", name="HannoverAktivPass", hourly_rate=Decimal("1.00"),
                  valid_from=date(2026, 1, 1))
    add_care(session, first, berlin(2026, 11, 2, 8, 0), berlin(2026, 11, 2, 10, 0))
    add_care(session, second, berlin(2026, 11, 20, 8, 0), berlin(2026, 11, 20, 10, 0))
    add_care(session, stranger, berlin(2026, 11, 9, 8, 0), berlin(2026, 11, 9, 9, 0))
    report = run_billing(session, month="2026-11", now=DECEMBER)
    assert [(i.number, i.recipient, i.total, i.lines) for i in report.invoices] == [
        ("2026-0001", "Familie Kaya", Decimal("6.00"), 2),  # student 2 x 2 € + AktivPass 2 x 1 €
        ("2026-0002", f"Familie (Fall {stranger.reference})", Decimal("5.00"), 1),
    ]
    kaya = get_invoice_by_number(session, "2026-0001")
    assert kaya is not None and kaya.family_id == family.id and kaya.recipient_address.startswith("Lister Meile")


def test_invoice_numbers_continue_after_the_highest_ever_issued(session: Session, demo: Any) -> None:
    for month, day in (("2026-10", berlin(2026, 10, 5, 8)), ("2026-11", berlin(2026, 11, 5, 8))):
        case = new_case(session, now=day)
        add_care(session, case, day, day + timedelta(hours=1))
        run_billing(session, month=month, now=day.replace(day=1) + timedelta(days=40))
    assert session.scalars(select(Invoice.number).order_by(Invoice.number)).all() == ["2026-0001", "2026-0002"]


def test_a_missing_tariff_stops_the_run_with_a_clear_message(session: Session, demo: Any) -> None:
    case = new_case(session, now=berlin(2026, 11, 3, 7, 0), tariff_code="aktivpass")
    add_care(session, case, berlin(2026, 11, 3, 8, 0), berlin(2026, 11, 3, 9, 0))
    with pytest.raises(NoTariff, match="aktivpass"):
        run_billing(session, month="2026-11", now=DECEMBER)
    with pytest.raises(NoTariff, match="2015"):
        rate_on(session, code="regular", day=date(2015, 12, 31))


# --- the files ---------------------------------------------------------------------------------


@pytest.fixture
def billed(session: Session, klinikum: Employer) -> Invoice:
    """November billed: the demo family (Klinikum) with two days of care, and one other case."""
    family = find_family_by_phone(session, DEMO_FAMILY_PHONE)
    assert family is not None
    family_case = new_case(session, now=berlin(2026, 11, 3, 7, 0), family_id=family.id, employer_id=klinikum.id)
    add_care(session, family_case, berlin(2026, 11, 3, 8, 0), berlin(2026, 11, 3, 11, 30))
    add_care(session, family_case, berlin(2026, 11, 17, 14, 0), berlin(2026, 11, 17, 15, 0))
    other = new_case(session, now=berlin(2026, 11, 9, 7, 0), parent_name="Jörg")
    add_care(session, other, berlin(2026, 11, 9, 8, 0), berlin(2026, 11, 9, 9, 0))
    run_billing(session, month="2026-11", now=DECEMBER)
    invoice = get_invoice_by_number(session, "2026-0001")
    assert invoice is not None
    return invoice


def test_the_invoice_pdf_with_dejavu(billed: Invoice) -> None:
    if not unicode_font_available(FONT_DIR):
        pytest.skip("fonts-dejavu-core is not installed here")
    pdf = invoice_pdf(billed)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"DejaVu" in pdf and b"Rechnung 2026-0001" in pdf  # the font is embedded; the number is the title
    assert len(pdf) > 5_000


def test_the_invoice_pdf_falls_back_to_helvetica_without_dejavu(billed: Invoice, tmp_path: Path) -> None:
    pdf = invoice_pdf(billed, font_dir=tmp_path)  # an empty folder: no TTF
    assert pdf.startswith(b"%PDF-") and b"Helvetica" in pdf and b"DejaVu" not in pdf
    assert b"Rechnung 2026-0001" in pdf and len(pdf) > 1_000


def test_the_fallback_pdf_prints_any_name(session: Session, billed: Invoice, tmp_path: Path) -> None:
    billed.recipient_name = "Familie Yıldız-Nguyễn – „Test“ €"
    assert invoice_pdf(billed, font_dir=tmp_path).startswith(b"%PDF-")
    if unicode_font_available(FONT_DIR):
        assert invoice_pdf(billed).startswith(b"%PDF-")


def test_the_pdf_is_the_same_each_time(billed: Invoice, tmp_path: Path) -> None:
    assert invoice_pdf(billed, font_dir=tmp_path) == invoice_pdf(billed, font_dir=tmp_path)


def test_the_invoice_csv_parses_with_semicolons_and_decimal_commas(session: Session, billed: Invoice) -> None:
    text = invoice_csv_for(session, billed)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Rechnungsnummer", "Datum", "Leistung", "Stunden", "Tarif", "Stundensatz", "Betrag"]
    assert rows[1][:2] == ["2026-0001", "03.11.2026"]
    assert rows[1][3:] == ["4,00", "partner", "3,00", "12,00"]
    assert rows[-1][2:] == ["Gesamtbetrag", "", "", "", "15,00"]


def test_the_accounting_export_has_a_row_per_invoice_and_statement(session: Session, billed: Invoice) -> None:
    text = accounting_csv(session, month="2026-11")
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert [(r["Belegart"], r["Belegnummer"], r["Betrag"]) for r in rows] == [
        ("RE", "2026-0001", "15,00"),
        ("RE", "2026-0002", "5,00"),
        ("AG", "AG-2026-0001", "500,00"),
        ("AG", "AG-2026-0002", "120,00"),
    ]
    first = rows[0]
    assert (first["Belegdatum"], first["Faellig"], first["Leistungszeitraum"]) == ("02.12.2026", "16.12.2026", "11/2026")
    assert first["Debitor"] == "Familie Yıldız-Bauer" and first["Debitor_Referenz"] == f"F{billed.family_id}"
    assert rows[2]["Debitor_Referenz"] == "FX-2019-004"
    assert accounting_csv(session, month="2026-10") == "\ufeff" + ";".join(
        ["Belegart", "Belegnummer", "Belegdatum", "Faellig", "Leistungszeitraum", "Debitor", "Debitor_Referenz",
         "Anschrift", "Betrag", "Waehrung", "Kostenstelle", "Sachkonto", "Buchungstext"]) + "\r\n"
