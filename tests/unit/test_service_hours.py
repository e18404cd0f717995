"""SERVICE_HOURS: parsing, opening on Berlin's wall clock, Lower Saxony holidays, spoken wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import berlin
from roster.service_hours import describe_service_hours, parse_service_hours

DEFAULT = parse_service_hours("mon-sat 00:00-24:00")
OFFICE = parse_service_hours("mon-fri 06:00-21:00, sat 08:00-14:00")


def is_open(hours, at: datetime, *, holidays: bool = False) -> bool:
    return hours.is_open(at, open_on_holidays=holidays)


# --- the default: working days around the clock -------------------------------------------

def test_monday_0300_berlin_is_open() -> None:
    assert is_open(DEFAULT, berlin(2026, 11, 23, 3, 0))


def test_saturday_is_a_working_day() -> None:
    assert is_open(DEFAULT, berlin(2026, 11, 28, 23, 59))


def test_sunday_closed() -> None:
    assert not is_open(DEFAULT, berlin(2026, 11, 29, 0, 0))
    assert not is_open(DEFAULT, berlin(2026, 11, 29, 23, 59))
    assert is_open(DEFAULT, berlin(2026, 11, 30, 0, 0))


def test_judged_on_berlin_wall_clock_not_utc() -> None:
    # Saturday 23:30 UTC is already Sunday 00:30 in Berlin.
    assert not is_open(DEFAULT, datetime(2026, 11, 28, 23, 30, tzinfo=UTC))
    # Sunday 23:30 UTC is Monday 00:30 in Berlin.
    assert is_open(DEFAULT, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError):
        DEFAULT.is_open(datetime(2026, 11, 23, 10, 0), open_on_holidays=False)  # noqa: DTZ001


# --- holidays in Lower Saxony -------------------------------------------------------------

def test_easter_monday_closed_in_lower_saxony() -> None:
    assert not is_open(DEFAULT, berlin(2026, 4, 6, 10, 0))


def test_good_friday_closed() -> None:
    assert not is_open(DEFAULT, berlin(2026, 4, 3, 10, 0))


def test_reformation_day_closed() -> None:
    # 31 October 2025 is a Friday; Reformation Day is a holiday in Lower Saxony since 2018.
    assert not is_open(DEFAULT, berlin(2025, 10, 31, 12, 0))


def test_corpus_christi_is_a_working_day_in_lower_saxony() -> None:
    # Fronleichnam is a holiday in Bavaria or NRW, not in Lower Saxony.
    assert is_open(DEFAULT, berlin(2026, 6, 4, 12, 0))


def test_christmas_eve_is_a_working_day() -> None:
    assert is_open(DEFAULT, berlin(2026, 12, 24, 18, 0))


def test_holiday_open_when_configured() -> None:
    assert is_open(DEFAULT, berlin(2026, 4, 6, 10, 0), holidays=True)


def test_holiday_closes_the_whole_calendar_day() -> None:
    assert is_open(DEFAULT, berlin(2026, 12, 24, 23, 59))
    assert not is_open(DEFAULT, berlin(2026, 12, 25, 0, 0))
    assert not is_open(DEFAULT, berlin(2026, 12, 26, 23, 59))


def test_always_is_open_on_sundays_and_holidays() -> None:
    always = parse_service_hours("always")
    assert is_open(always, berlin(2026, 11, 29, 3, 0))
    assert is_open(always, berlin(2026, 12, 25, 3, 0))


# --- office hours, ranges, midnight -------------------------------------------------------

def test_office_hours_edges() -> None:
    assert not is_open(OFFICE, berlin(2026, 11, 23, 5, 59))
    assert is_open(OFFICE, berlin(2026, 11, 23, 6, 0))
    assert is_open(OFFICE, berlin(2026, 11, 23, 20, 59))
    assert not is_open(OFFICE, berlin(2026, 11, 23, 21, 0))
    assert not is_open(OFFICE, berlin(2026, 11, 28, 7, 59))
    assert is_open(OFFICE, berlin(2026, 11, 28, 13, 59))
    assert not is_open(OFFICE, berlin(2026, 11, 28, 14, 0))


def test_one_minute_after_midnight_every_day() -> None:
    hours = parse_service_hours("mon-sun 00:00-00:01")
    assert is_open(hours, berlin(2026, 11, 29, 0, 0))
    assert not is_open(hours, berlin(2026, 11, 29, 0, 1))
    assert not is_open(hours, berlin(2026, 11, 28, 23, 59))


def test_end_before_start_runs_past_midnight() -> None:
    night = parse_service_hours("fri 22:00-06:00")
    assert not is_open(night, berlin(2026, 11, 27, 21, 59))
    assert is_open(night, berlin(2026, 11, 27, 22, 0))
    assert is_open(night, berlin(2026, 11, 28, 5, 59))
    assert not is_open(night, berlin(2026, 11, 28, 6, 0))
    assert not is_open(night, berlin(2026, 11, 27, 3, 0))


def test_sunday_night_runs_into_monday() -> None:
    night = parse_service_hours("sun 22:00-02:00")
    assert is_open(night, berlin(2026, 11, 30, 1, 0))
    assert not is_open(night, berlin(2026, 11, 23, 3, 0))


def test_range_wraps_around_the_week() -> None:
    weekend = parse_service_hours("sat-mon 09:00-17:00")
    assert is_open(weekend, berlin(2026, 11, 28, 10, 0))
    assert is_open(weekend, berlin(2026, 11, 29, 10, 0))
    assert is_open(weekend, berlin(2026, 11, 30, 10, 0))
    assert not is_open(weekend, berlin(2026, 11, 24, 10, 0))


def test_dst_spring_forward() -> None:
    # 29 March 2026, 02:00 CET jumps to 03:00 CEST; 06:00 stays 06:00 on the wall clock.
    hours = parse_service_hours("sun 06:00-07:00")
    assert is_open(hours, datetime(2026, 3, 29, 4, 30, tzinfo=UTC))  # 06:30 CEST
    assert not is_open(hours, datetime(2026, 3, 29, 5, 30, tzinfo=UTC))  # 07:30 CEST


def test_dst_fall_back() -> None:
    # 25 October 2026, 03:00 CEST falls back to 02:00 CET: 02:30 happens twice, both open.
    hours = parse_service_hours("sun 02:00-03:00")
    assert is_open(hours, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert is_open(hours, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET
    assert not is_open(hours, datetime(2026, 10, 25, 2, 0, tzinfo=UTC))  # 03:00 CET


# --- next opening ---------------------------------------------------------------------------

def test_next_opening_after_sunday_is_monday_midnight() -> None:
    at = berlin(2026, 11, 29, 12, 0)
    assert DEFAULT.next_opening(at, open_on_holidays=False) == berlin(2026, 11, 30, 0, 0)


def test_next_opening_is_utc() -> None:
    opening = OFFICE.next_opening(berlin(2026, 11, 23, 22, 0), open_on_holidays=False)
    assert opening == berlin(2026, 11, 24, 6, 0)
    assert opening is not None and opening.utcoffset().total_seconds() == 0


def test_next_opening_when_open_is_now() -> None:
    at = berlin(2026, 11, 23, 10, 0)
    assert DEFAULT.next_opening(at, open_on_holidays=False) == at


def test_next_opening_skips_christmas_and_sunday() -> None:
    # Christmas Day 2026 is a Friday, Boxing Day a Saturday, then Sunday.
    at = berlin(2026, 12, 25, 9, 0)
    assert DEFAULT.next_opening(at, open_on_holidays=False) == berlin(2026, 12, 28, 0, 0)
    assert DEFAULT.next_opening(at, open_on_holidays=True) == at


def test_next_opening_after_easter_monday_in_office_hours() -> None:
    at = berlin(2026, 4, 3, 8, 0)  # Good Friday
    assert OFFICE.next_opening(at, open_on_holidays=False) == berlin(2026, 4, 4, 8, 0)
    at = berlin(2026, 4, 4, 15, 0)  # Saturday after closing; Sunday closed, Monday is Easter Monday
    assert OFFICE.next_opening(at, open_on_holidays=False) == berlin(2026, 4, 7, 6, 0)


def test_next_opening_in_the_dst_gap_is_the_jump() -> None:
    hours = parse_service_hours("sun 02:30-04:00")
    opening = hours.next_opening(berlin(2026, 3, 29, 0, 0), open_on_holidays=False)
    assert opening == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


# --- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty"),
        ("mon-fre 08:00-12:00", "'fre'"),
        ("mon-fri 8-12", "'mon-fri 8-12'"),
        ("mon 25:00-26:00", "'25:00'"),
        ("mon 08:00-12:00,, tue 08:00-12:00", "empty entry"),
        ("mon 08:00-08:00", "same time"),
        ("mon 24:00-08:00", "'24:00'"),
    ],
)
def test_bad_spec_names_the_bad_part(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_service_hours(spec)


def test_spec_is_case_and_space_insensitive() -> None:
    hours = parse_service_hours("  Mon-Fri 06:00 - 21:00 ,SAT 08:00-14:00 ")
    assert hours == OFFICE


def test_german_day_abbreviations() -> None:
    assert parse_service_hours("Mo-Sa 00:00-24:00") == DEFAULT


# --- the spoken phrase ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "german", "english"),
    [
        ("mon-sat 00:00-24:00", "montags bis samstags rund um die Uhr", "Monday to Saturday, around the clock"),
        ("mon-fri 06:00-21:00, sat 08:00-14:00",
         "montags bis freitags von 6 bis 21 Uhr und samstags von 8 bis 14 Uhr",
         "Monday to Friday from 6 am to 9 pm and Saturdays from 8 am to 2 pm"),
        ("always", "täglich rund um die Uhr", "every day, around the clock"),
        ("mon-sun 08:00-20:00", "täglich von 8 bis 20 Uhr", "every day from 8 am to 8 pm"),
        ("fri 22:00-06:00", "freitags von 22 bis 6 Uhr", "Fridays from 10 pm to 6 am"),
        ("mon-fri 07:30-24:00", "montags bis freitags von 7 Uhr 30 bis Mitternacht",
         "Monday to Friday from 7:30 am to midnight"),
    ],
)
def test_describe_service_hours(spec: str, german: str, english: str) -> None:
    hours = parse_service_hours(spec)
    assert describe_service_hours(hours, "de") == german
    assert describe_service_hours(hours, "en") == english
    assert describe_service_hours(hours, "en-GB") == english
