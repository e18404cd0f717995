"""Gaps in the roster: open hours without a primary on duty, merged, in UTC, across DST and holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import berlin
from roster.gaps import find_gaps, find_open_intervals, merge_intervals, wall_to_utc_intervals
from roster.service_hours import parse_service_hours

WEEKDAYS = parse_service_hours("mon-sat 00:00-24:00")
OFFICE = parse_service_hours("mon-fri 06:00-21:00, sat 08:00-14:00")
ALWAYS = parse_service_hours("always")


def shift(start: datetime, end: datetime, role: str = "primary") -> tuple[datetime, datetime, str]:
    return (start, end, role)


def test_a_fully_covered_day_has_no_gap() -> None:
    monday = berlin(2026, 11, 23)
    shifts = [shift(berlin(2026, 11, 23, 0), berlin(2026, 11, 23, 12)),
              shift(berlin(2026, 11, 23, 12), berlin(2026, 11, 24, 0))]
    assert find_gaps(shifts, hours=WEEKDAYS, open_on_holidays=False, start=monday,
                     end=monday + timedelta(days=1)) == []


def test_an_evening_without_primary_is_one_gap_even_with_a_backup() -> None:
    tuesday = berlin(2026, 11, 24)
    shifts = [shift(berlin(2026, 11, 24, 0), berlin(2026, 11, 24, 16)),
              shift(berlin(2026, 11, 24, 16), berlin(2026, 11, 25, 0), "backup")]
    gaps = find_gaps(shifts, hours=WEEKDAYS, open_on_holidays=False, start=tuesday,
                     end=tuesday + timedelta(days=1))
    assert gaps == [(berlin(2026, 11, 24, 16).astimezone(UTC), berlin(2026, 11, 25, 0).astimezone(UTC))]
    assert all(a.tzinfo is UTC for pair in gaps for a in pair)


def test_gaps_on_consecutive_days_are_merged_and_sunday_is_closed() -> None:
    friday = berlin(2026, 11, 27, 12)
    gaps = find_gaps([], hours=WEEKDAYS, open_on_holidays=False, start=friday,
                     end=berlin(2026, 11, 30, 12))
    assert gaps == [
        (friday.astimezone(UTC), berlin(2026, 11, 29).astimezone(UTC)),
        (berlin(2026, 11, 30).astimezone(UTC), berlin(2026, 11, 30, 12).astimezone(UTC)),
    ]


def test_only_service_hours_count() -> None:
    saturday = berlin(2026, 11, 28)
    gaps = find_gaps([shift(berlin(2026, 11, 28, 8), berlin(2026, 11, 28, 10))], hours=OFFICE,
                     open_on_holidays=False, start=saturday, end=saturday + timedelta(days=1))
    assert gaps == [(berlin(2026, 11, 28, 10).astimezone(UTC), berlin(2026, 11, 28, 14).astimezone(UTC))]


def test_a_lower_saxony_holiday_is_closed_unless_open_on_holidays() -> None:
    # Reformation Day (31 October) is a public holiday in Lower Saxony; in 2026 it is a Saturday.
    reformation_day = berlin(2026, 10, 31)
    window = {"start": reformation_day, "end": reformation_day + timedelta(days=1)}
    assert find_gaps([], hours=WEEKDAYS, open_on_holidays=False, **window) == []
    assert find_gaps([], hours=WEEKDAYS, open_on_holidays=True, **window) == [
        (reformation_day.astimezone(UTC), berlin(2026, 11, 1).astimezone(UTC))
    ]


def test_christmas_holidays_split_an_overnight_interval() -> None:
    nights = parse_service_hours("mon-sun 20:00-08:00")
    gaps = find_gaps([], hours=nights, open_on_holidays=False, start=berlin(2026, 12, 24, 12),
                     end=berlin(2026, 12, 27, 12))
    # 25 and 26 December are holidays: Christmas Eve's night stops at midnight, and the night of
    # the 26th starts again at midnight, when the 27th (no holiday) begins.
    assert gaps == [(berlin(2026, 12, 24, 20).astimezone(UTC), berlin(2026, 12, 25).astimezone(UTC)),
                    (berlin(2026, 12, 27).astimezone(UTC), berlin(2026, 12, 27, 8).astimezone(UTC))]


def test_dst_spring_forward_day_is_23_hours_long() -> None:
    # 29 March 2026: clocks jump from 02:00 to 03:00; Sunday, so use an every-day schedule.
    every_day = parse_service_hours("mon-sun 00:00-24:00")
    day = berlin(2026, 3, 29)
    gaps = find_gaps([], hours=every_day, open_on_holidays=False, start=day, end=berlin(2026, 3, 30))
    assert gaps == [(day.astimezone(UTC), berlin(2026, 3, 30).astimezone(UTC))]
    assert gaps[0][1] - gaps[0][0] == timedelta(hours=23)


def test_dst_fall_back_day_is_25_hours_and_a_primary_until_0200_leaves_the_repeated_hour_open() -> None:
    every_day = parse_service_hours("mon-sun 00:00-24:00")
    day = berlin(2026, 10, 25)
    first_two = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST, the first time
    shifts = [shift(day, first_two)]
    gaps = find_gaps(shifts, hours=every_day, open_on_holidays=False, start=day, end=berlin(2026, 10, 26))
    assert gaps == [(first_two, berlin(2026, 10, 26).astimezone(UTC))]
    assert gaps[0][1] - gaps[0][0] == timedelta(hours=23)  # 25-hour day minus 2 covered hours


def test_wall_clock_hours_map_to_utc_across_the_dst_changes() -> None:
    # Spring: 01:30-03:30 on the wall is only one real hour (02:00-03:00 does not exist).
    spring = wall_to_utc_intervals(datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 3, 30))  # noqa: DTZ001
    assert merge_intervals(spring) == [(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC))]
    # Autumn: 02:00-03:00 on the wall happens twice, so it is two real hours.
    autumn = wall_to_utc_intervals(datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 3, 0))  # noqa: DTZ001
    assert merge_intervals(autumn) == [(datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                                        datetime(2026, 10, 25, 2, 0, tzinfo=UTC))]


@pytest.mark.parametrize("spec", ["mon-sat 00:00-24:00", "mon-fri 06:00-21:00, sat 08:00-14:00",
                                  "mon-sun 02:30-01:30", "fri 22:00-06:00", "always"])
@pytest.mark.parametrize("holidays_open", [False, True])
def test_open_intervals_agree_with_is_open_minute_by_quarter_hour(spec: str, holidays_open: bool) -> None:
    hours = parse_service_hours(spec)
    # Across both DST changes and the Easter and October holidays of 2026.
    for start in (berlin(2026, 3, 27), berlin(2026, 10, 23), berlin(2026, 4, 2)):
        end = start + timedelta(days=6)
        intervals = find_open_intervals(hours, open_on_holidays=holidays_open, start=start, end=end)
        at = start.astimezone(UTC)
        while at < end:
            inside = any(a <= at < b for a, b in intervals)
            assert inside == hours.is_open(at, open_on_holidays=holidays_open), (spec, at)
            at += timedelta(minutes=15)


def test_merge_joins_touching_intervals() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    h = timedelta(hours=1)
    assert merge_intervals([(t + 2 * h, t + 3 * h), (t, t + h), (t + h, t + 2 * h)]) == [(t, t + 3 * h)]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        find_gaps([], hours=WEEKDAYS, open_on_holidays=False, start=datetime(2026, 1, 1),  # noqa: DTZ001
                  end=datetime(2026, 1, 2, tzinfo=UTC))
