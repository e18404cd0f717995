"""The one set of input rules (core.inputs): ASCII digits only, bounded, months by arithmetic,
clock changes refused with both readings."""

from __future__ import annotations

import sys
import time as walltime
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.inputs import (
    MAX_ID,
    InputError,
    Month,
    get_id,
    local_to_utc,
    month_range,
    normalize_month,
    parse_date,
    parse_int,
    parse_keys,
    parse_local,
    parse_money,
    parse_month,
    parse_phone,
    parse_postcode,
    parse_time,
    split_offset,
)

#: Every character that is a digit to `str.isdigit()` but not one of ASCII 0-9: fullwidth,
#: Arabic-Indic, Devanagari, superscripts, circled digits …
NON_ASCII_DIGITS = "".join(
    ch for ch in map(chr, range(0x80, sys.maxunicode + 1)) if ch.isdigit() or unicodedata.category(ch) == "Nd"
)
FOREIGN_DIGIT = st.sampled_from(NON_ASCII_DIGITS)


def with_one_foreign_digit(ascii_text: str) -> st.SearchStrategy[str]:
    """Return texts like `ascii_text` where one digit is swapped for a non-ASCII digit."""
    positions = [i for i, ch in enumerate(ascii_text) if ch.isdigit()]
    return st.tuples(st.sampled_from(positions), FOREIGN_DIGIT).map(
        lambda p: ascii_text[: p[0]] + p[1] + ascii_text[p[0] + 1:]
    )


def test_the_digit_classes_are_really_there() -> None:
    assert {"２", "٢", "²", "५", "①"} <= set(NON_ASCII_DIGITS)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_rule_accepts_a_single_non_ascii_digit(data: st.DataObject) -> None:
    for parse, sample in (
        (lambda t: parse_int(t, maximum=10**9), "2026"),
        (parse_month, "2026-11"),
        (parse_date, "24.11.2026"),
        (parse_date, "2026-11-24"),
        (parse_time, "14:30"),
        (parse_money, "1.234,50"),
        (parse_postcode, "30159"),
        (parse_phone, "0151 23456789"),
    ):
        text = data.draw(with_one_foreign_digit(sample))
        with pytest.raises(InputError):
            parse(text)
    assert get_id(data.draw(with_one_foreign_digit("12345"))) is None
    assert parse_keys(data.draw(with_one_foreign_digit("30159"))) == ""


@given(st.text(max_size=40))
def test_any_text_is_a_value_or_an_input_error_never_another_exception(text: str) -> None:
    for parse in (lambda t: parse_int(t, maximum=99), parse_month, parse_date, parse_time, parse_money,
                  parse_postcode, parse_phone, get_id, parse_keys, lambda t: parse_local(t, t)):
        try:
            parse(text)
        except InputError as exc:
            assert str(exc) and exc.english and exc.key


def test_numbers_are_bounded_before_they_are_converted() -> None:
    started = walltime.monotonic()
    with pytest.raises(InputError) as refused:
        parse_int("9" * 100_000, maximum=99)
    assert walltime.monotonic() - started < 0.5
    assert refused.value.key == "int.format"
    with pytest.raises(InputError, match="0 bis 99"):
        parse_int("100", maximum=99)
    assert parse_int(" 42 ", maximum=99) == 42
    assert parse_int("-3", minimum=-5, maximum=5) == -3
    with pytest.raises(InputError):
        parse_int("-3", maximum=5)


@pytest.mark.parametrize("text", ["0", "-1", str(MAX_ID + 1), str(2**63), "1e3", "", " ", "٣", "３", "²", "1.0", True])
def test_an_id_is_one_to_two_to_the_31_minus_one(text: object) -> None:
    assert get_id(text) is None  # type: ignore[arg-type]  # deliberately not only strings: True and others


def test_ids_in_range() -> None:
    assert get_id("1") == 1
    assert get_id(str(MAX_ID)) == MAX_ID
    assert get_id(7) == 7
    assert get_id(2**63) is None


@pytest.mark.parametrize("text", ["２０２６-１１", "٢٠٢٦-١١", "2026-13", "2026-00", "26-11", "2026/11", "0000-01",
                                  "9999-12", "2026-11-01", "2026-1x", "2026-1"])
def test_a_month_is_ascii_year_dash_month(text: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_month(text)
    assert "JJJJ-MM" in str(refused.value) and "YYYY-MM" in (refused.value.english or "")


def test_a_month_is_normalised_to_one_spelling() -> None:
    assert normalize_month(" 2026-01 ") == "2026-01"
    assert normalize_month("2026-11") == "2026-11"
    assert parse_month("2026-02").last_day == date(2026, 2, 28)
    assert parse_month("2028-02").last_day == date(2028, 2, 29)
    assert parse_month("2026-12").last_day == date(2026, 12, 31)


@given(st.integers(1900 * 12, 2199 * 12 + 11), st.integers(-40, 40))
def test_month_ranges_are_arithmetic(start: int, length: int) -> None:
    first = Month.from_index(start)
    last = Month.from_index(start + length)
    if length < 0:
        with pytest.raises(InputError, match="nach dem letzten"):
            month_range(first, last, max_months=36)
    elif length >= 36:
        with pytest.raises(InputError, match="Höchstens 36"):
            month_range(first, last, max_months=36)
    else:
        months = month_range(first, last, max_months=36)
        assert len(months) == length + 1 and months[0] == first and months[-1] == last
        assert all(b.index - a.index == 1 for a, b in zip(months, months[1:], strict=False))


def test_dates_and_times() -> None:
    assert parse_date("24.11.2026") == parse_date("2026-11-24") == date(2026, 11, 24)
    assert parse_time("9.05") == time(9, 5)
    assert parse_time("23:59:59") == time(23, 59, 59)
    for wrong in ("31.02.2026", "2026-13-01", "1.1.99999", "24.11.1066"):
        with pytest.raises(InputError):
            parse_date(wrong)
    for wrong in ("24:00", "12:60", "1230", "１２:３０", "12:3"):
        with pytest.raises(InputError):
            parse_time(wrong)


def test_money_in_german_and_plain_notation() -> None:
    assert parse_money("1.234,50") == Decimal("1234.50")
    assert parse_money("3,5 €") == Decimal("3.50")
    assert parse_money("6000") == Decimal("6000.00")
    assert parse_money("3.50") == Decimal("3.50")
    assert parse_money("1.234") == Decimal("1234.00")
    for wrong in ("-1", "1e3", "NaN", "Infinity", "3,555", "100000000", "٣"):
        with pytest.raises(InputError):
            parse_money(wrong)


def test_postcodes_phones_and_keys() -> None:
    assert parse_postcode(" 30159 ") == "30159"
    for wrong in ("３０１５９", "3015", "301599", "²0159"):
        with pytest.raises(InputError, match="fünf Ziffern"):
            parse_postcode(wrong)
    assert parse_phone("0151 23456789") == "+4915123456789"
    with pytest.raises(InputError):
        parse_phone("０１５１ ２３４５６７８９")
    assert parse_keys("12#") == "12#"
    assert parse_keys("1 2") == ""


# --- the clock changes ------------------------------------------------------------------------------

DST_AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET: 02:00-02:59 happens twice
DST_SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST: 02:00-02:59 does not exist


def test_dst_autumn_ambiguous_time_is_refused_with_both_readings() -> None:
    with pytest.raises(InputError) as refused:
        local_to_utc(DST_AUTUMN, time(2, 30))
    assert refused.value.key == "time.ambiguous"
    assert "02:30 MESZ" in str(refused.value) and "02:30 MEZ" in str(refused.value)
    assert "02:30 MESZ" in (refused.value.english or "")


def test_dst_autumn_a_chosen_reading_is_taken() -> None:
    first = local_to_utc(DST_AUTUMN, time(2, 30), offset=timedelta(hours=2))
    second = local_to_utc(DST_AUTUMN, time(2, 30), offset=timedelta(hours=1))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert parse_local("25.10.2026", "02:30 MEZ") == second
    assert parse_local("2026-10-25", "02:30 mesz") == first
    assert parse_local("2026-10-25", "02:30 +01:00") == second
    with pytest.raises(InputError, match="nicht mit dieser Zeitangabe"):
        local_to_utc(DST_AUTUMN, time(2, 30), offset=timedelta(hours=3))


def test_dst_spring_forward_gap_is_refused() -> None:
    with pytest.raises(InputError) as refused:
        local_to_utc(DST_SPRING, time(2, 30))
    assert refused.value.key == "time.skipped"


def test_ordinary_times_need_no_suffix_and_a_right_one_is_accepted() -> None:
    assert local_to_utc(date(2026, 11, 24), time(14, 30)) == datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    assert parse_local("24.11.2026", "14:30 MEZ") == datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    assert local_to_utc(DST_AUTUMN, time(1, 59)) == datetime(2026, 10, 24, 23, 59, tzinfo=UTC)
    assert local_to_utc(DST_AUTUMN, time(3, 0)) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_split_offset() -> None:
    assert split_offset("02:30 MEZ") == ("02:30", timedelta(hours=1))
    assert split_offset("02:30CEST") == ("02:30", timedelta(hours=2))
    assert split_offset("14:30") == ("14:30", None)
