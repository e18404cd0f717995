"""Tariffs as data: the rate valid on a day, who pays which tariff, euro rounding, employers' fees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.employers import contract_valid_on, month_bounds, monthly_fee
from billing.tariffs import (
    PARTNER,
    REGULAR,
    STUDENT,
    BillingError,
    money,
    price,
    tariff_code_for,
    tariff_valid_on,
)
from models import Case, Employer, Family, Tariff

TARIFFS = [
    Tariff(code=REGULAR, name="Regeltarif", hourly_rate=Decimal("5.00"), valid_from=date(2016, 1, 1)),
    Tariff(code=REGULAR, name="Regeltarif 2026", hourly_rate=Decimal("5.50"), valid_from=date(2026, 11, 15)),
    Tariff(code=PARTNER, name="Partner", hourly_rate=Decimal("3.00"), valid_from=date(2016, 1, 1),
           valid_to=date(2026, 12, 31)),
    Tariff(code="aktivpass", name="HannoverAktivPass", hourly_rate=Decimal("1.00"), valid_from=date(2026, 1, 1)),
]


def test_the_tariff_changes_on_its_first_day_mid_month() -> None:
    assert tariff_valid_on(TARIFFS, code=REGULAR, day=date(2026, 11, 14)).hourly_rate == Decimal("5.00")
    assert tariff_valid_on(TARIFFS, code=REGULAR, day=date(2026, 11, 15)).hourly_rate == Decimal("5.50")
    assert tariff_valid_on(TARIFFS, code=REGULAR, day=date(2027, 3, 1)).hourly_rate == Decimal("5.50")


def test_valid_to_is_inclusive_and_a_missing_tariff_is_none() -> None:
    assert tariff_valid_on(TARIFFS, code=PARTNER, day=date(2026, 12, 31)) is not None
    assert tariff_valid_on(TARIFFS, code=PARTNER, day=date(2027, 1, 1)) is None
    assert tariff_valid_on(TARIFFS, code=REGULAR, day=date(2015, 12, 31)) is None
    assert tariff_valid_on(TARIFFS, code=STUDENT, day=date(2026, 11, 1)) is None


def test_any_code_the_office_defines_works() -> None:
    assert tariff_valid_on(TARIFFS, code="aktivpass", day=date(2026, 11, 3)).hourly_rate == Decimal("1.00")


def _case(**fields: object) -> Case:
    return Case(**fields)


def test_the_coordinators_tariff_wins() -> None:
    family = Family(tariff_code=STUDENT)
    assert tariff_code_for(_case(tariff_code="aktivpass", employer_id=1), family, True) == "aktivpass"


def test_partner_when_the_employers_contract_is_valid_that_day() -> None:
    family = Family(tariff_code=STUDENT)
    assert tariff_code_for(_case(employer_id=1), family, True) == PARTNER
    # Contract over: the family's own tariff, else regular.
    assert tariff_code_for(_case(employer_id=1), family, False) == STUDENT
    assert tariff_code_for(_case(employer_id=1), None, False) == REGULAR


def test_family_tariff_then_regular() -> None:
    assert tariff_code_for(_case(), Family(tariff_code=STUDENT), False) == STUDENT
    assert tariff_code_for(_case(), Family(tariff_code=None), False) == REGULAR
    assert tariff_code_for(_case(), None, False) == REGULAR
    # An employer flag without a linked employer changes nothing.
    assert tariff_code_for(_case(), None, True) == REGULAR


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.005", "2.01"), ("2.004", "2.00"), ("0.125", "0.13"), ("-0.125", "-0.13"), (3, "3.00")],
)
def test_money_rounds_half_up_to_cents(value: str | int, expected: str) -> None:
    assert money(value) == Decimal(expected)
    assert isinstance(money(value), Decimal)


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        money(0.1)  # type: ignore[arg-type]  # deliberately a float: the test shows it is refused


def test_price_is_hours_times_rate_in_cents() -> None:
    assert price(hours=Decimal("3"), hourly_rate=Decimal("5.00")) == Decimal("15.00")
    assert price(hours=Decimal("0.25"), hourly_rate=Decimal("3.30")) == Decimal("0.83")  # 0.825 -> 0.83


def _employer(**fields: object) -> Employer:
    values: dict[str, object] = {
        "name": "Nordstadt-Klinikum", "contract_number": "FX-1", "starts_on": date(2019, 1, 1), "ends_on": None,
        "fee_period": "yearly", "fee_amount": Decimal("6000.00"),
    }
    values.update(fields)
    return Employer(**values)


def test_yearly_fee_is_a_twelfth_per_month() -> None:
    assert monthly_fee(_employer(), month="2026-11") == (Decimal("500.00"), False)
    assert monthly_fee(_employer(fee_amount=Decimal("1000.00")), month="2026-02") == (Decimal("83.33"), False)


def test_monthly_fee_prorated_by_days_when_the_contract_ends_mid_month() -> None:
    employer = _employer(fee_period="monthly", fee_amount=Decimal("120.00"), ends_on=date(2026, 11, 15))
    assert monthly_fee(employer, month="2026-11") == (Decimal("60.00"), True)  # 15 of 30 days
    assert monthly_fee(employer, month="2026-12") == (Decimal("0.00"), False)


def test_fee_prorated_when_the_contract_starts_mid_month() -> None:
    employer = _employer(fee_period="monthly", fee_amount=Decimal("310.00"), starts_on=date(2026, 12, 22))
    assert monthly_fee(employer, month="2026-12") == (Decimal("100.00"), True)  # 10 of 31 days


def test_contract_validity_is_inclusive() -> None:
    employer = _employer(starts_on=date(2026, 1, 1), ends_on=date(2026, 11, 15))
    assert not contract_valid_on(employer, date(2025, 12, 31))
    assert contract_valid_on(employer, date(2026, 1, 1))
    assert contract_valid_on(employer, date(2026, 11, 15))
    assert not contract_valid_on(employer, date(2026, 11, 16))


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "November", "2026-00", ""])
def test_a_month_is_yyyy_mm(month: str) -> None:
    with pytest.raises(BillingError):
        month_bounds(month)


def test_month_bounds() -> None:
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
