"""Money and dates in the house format, by Babel: the same text the hand-written formatting gave."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import BERLIN
from core.formats import amount_de, date_de, datetime_de, euro_de, time_de


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.5"), "1.234,50 €"),
        (Decimal("0"), "0,00 €"),
        (Decimal("-0.5"), "-0,50 €"),
        (Decimal("1234567.891"), "1.234.567,89 €"),
        (Decimal("2.345"), "2,35 €"),  # half up, as billing rounds money, not Babel's half to even
        (5, "5,00 €"),
    ],
)
def test_an_amount_reads_as_on_a_german_invoice(value: Decimal, text: str) -> None:
    assert euro_de(value) == text


def test_money_is_never_float() -> None:
    with pytest.raises(TypeError):
        amount_de(2.5)  # type: ignore[arg-type]  # the point of the test: a float is refused


@given(st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2))
def test_the_amount_is_the_hand_written_format(value: Decimal) -> None:
    plain = f"{value:,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    assert amount_de(value) == plain


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_a_date_reads_day_month_year(day: date) -> None:
    assert date_de(day) == day.strftime("%d.%m.%Y")


def test_the_money_limit_is_written_the_german_way_in_the_german_message() -> None:
    from core.inputs import InputError, parse_money

    with pytest.raises(InputError) as info:
        parse_money("1.000.000.000,00")
    assert "höchstens 99.999.999,99 €" in str(info.value)


# Hypothesis takes naive bounds; `timezones` makes every drawn instant aware (UTC).
NAIVE_FIRST, NAIVE_LAST = datetime(1971, 1, 1), datetime(2999, 12, 31)  # noqa: DTZ001


@given(st.datetimes(min_value=NAIVE_FIRST, max_value=NAIVE_LAST, timezones=st.just(UTC)))
def test_an_instant_reads_in_hannover_time(at: datetime) -> None:
    local = at.astimezone(BERLIN)
    assert time_de(at) == local.strftime("%H:%M")
    assert datetime_de(at) == local.strftime("%d.%m.%Y, %H:%M")


def test_the_clock_change_is_read_in_local_time() -> None:
    # 01:30 UTC on the last Sunday of March 2026 is 03:30 summer time in Hannover.
    assert datetime_de(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == "29.03.2026, 03:30"
