"""Report figures as pure functions: medians, percentiles, night at the boundaries, months, suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import berlin
from reports import (
    CareFacts,
    CaseFacts,
    Period,
    ReportError,
    build_report,
    decimal_text,
    is_night,
    median,
    month_of,
    parse_period,
    percentile,
    present,
    show_count,
)
from reports.figures import WAIT_BUCKETS, wait_bucket

NOW = berlin(2026, 11, 23, 10, 0)


# --- median and percentile ------------------------------------------------------------------------


def test_median_of_odd_and_even_counts():
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None


def test_90th_percentile_is_the_nearest_rank():
    values = list(range(1, 11))  # 1..10
    assert percentile(values, 90) == 9  # 9 of 10 values are <= 9
    assert percentile(list(range(1, 21)), 90) == 18
    assert percentile([7], 90) == 7
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([], 90) is None
    with pytest.raises(ValueError):
        percentile([1], 0)


# --- night: 20:00 to 06:00 on the Berlin wall clock ----------------------------------------------


@pytest.mark.parametrize(("at", "night"), [
    (berlin(2026, 11, 23, 19, 59), False),
    (berlin(2026, 11, 23, 20, 0), True),
    (berlin(2026, 11, 24, 5, 59), True),
    (berlin(2026, 11, 24, 6, 0), False),
    (berlin(2026, 11, 23, 12, 0), False),
    (berlin(2026, 11, 24, 0, 0), True),
])
def test_night_boundaries_in_winter(at, night):
    assert is_night(at) is night


def test_night_boundaries_on_the_spring_forward_night():
    # 29 March 2026: clocks jump 02:00 -> 03:00; 06:00 local is 04:00 UTC, not 05:00.
    assert is_night(datetime(2026, 3, 29, 3, 59, tzinfo=UTC)) is True  # 05:59 CEST
    assert is_night(datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) is False  # 06:00 CEST
    assert is_night(datetime(2026, 3, 29, 17, 59, tzinfo=UTC)) is False  # 19:59 CEST
    assert is_night(datetime(2026, 3, 29, 18, 0, tzinfo=UTC)) is True  # 20:00 CEST


def test_night_boundaries_on_the_fall_back_night():
    # 25 October 2026: clocks go back 03:00 -> 02:00; 06:00 local is 05:00 UTC.
    assert is_night(datetime(2026, 10, 25, 4, 59, tzinfo=UTC)) is True  # 05:59 CET
    assert is_night(datetime(2026, 10, 25, 5, 0, tzinfo=UTC)) is False  # 06:00 CET
    assert is_night(datetime(2026, 10, 24, 17, 59, tzinfo=UTC)) is False  # 19:59 CEST the evening before
    assert is_night(datetime(2026, 10, 24, 18, 0, tzinfo=UTC)) is True  # 20:00 CEST


def test_is_night_refuses_naive_times():
    with pytest.raises(ValueError):
        is_night(datetime(2026, 11, 23, 21, 0))  # noqa: DTZ001


# --- months and periods ---------------------------------------------------------------------------


def test_a_month_is_a_berlin_calendar_month():
    assert month_of(datetime(2026, 10, 31, 22, 59, tzinfo=UTC)) == "2026-10"  # 23:59 CET
    assert month_of(datetime(2026, 10, 31, 23, 0, tzinfo=UTC)) == "2026-11"  # 00:00 CET
    assert month_of(datetime(2026, 3, 31, 21, 59, tzinfo=UTC)) == "2026-03"  # 23:59 CEST
    assert month_of(datetime(2026, 3, 31, 22, 0, tzinfo=UTC)) == "2026-04"


def test_period_bounds_are_berlin_midnights_in_utc():
    period = Period("2026-03", "2026-10")
    assert period.starts_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET
    assert period.ends_at == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # back to CET on 25 October
    assert period.months[0] == "2026-03" and period.months[-1] == "2026-10" and len(period.months) == 8


def test_parse_period():
    assert parse_period("2026-01", "2026-11", now=NOW) == Period("2026-01", "2026-11")
    assert parse_period("2025-11", "2026-02", now=NOW).months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert parse_period(None, None, now=NOW) == Period("2026-01", "2026-11")
    assert parse_period("2026-05", "", now=NOW) == Period("2026-05", "2026-05")
    for bad in (("2026-13", "2026-12"), ("26-01", "2026-02"), ("2026-05", "2026-04"), ("2020-01", "2026-01"),
                ("2026-01'; DROP", "2026-02")):
        with pytest.raises(ReportError):
            parse_period(*bad, now=NOW)


# --- building the report --------------------------------------------------------------------------


def case(at, **fields) -> CaseFacts:
    fields.setdefault("care_type", "child")
    fields.setdefault("municipality", "Hannover")
    return CaseFacts(created_at=at, **fields)


def test_times_to_a_human_and_to_a_caregiver_have_known_medians_and_percentiles():
    start = berlin(2026, 11, 2, 9, 0)
    waits_to_human = [10, 20, 30, 40, 50, 60, 70, 80, 90, 300]  # seconds
    waits_to_caregiver = [20, 40, 60, 80, 90, 100]  # minutes
    cases = []
    for index, seconds in enumerate(waits_to_human):
        at = start + timedelta(hours=index)
        assigned = at + timedelta(minutes=waits_to_caregiver[index]) if index < len(waits_to_caregiver) else None
        cases.append(case(at, connected_at=at + timedelta(seconds=seconds), assigned_at=assigned,
                          dispatched=True, offers=3, key=index + 1))
    cases.append(case(start + timedelta(hours=12), voicemail=True, key=99))  # nobody reached
    report = build_report(Period("2026-11", "2026-11"), cases, [])
    figures = report.get()
    assert figures.calls == 11 and figures.connected == 10 and figures.voicemail == 1
    assert figures.human_median == 55  # (50 + 60) / 2
    assert figures.human_p90 == 90
    assert figures.caregiver_median == 70  # (60 + 80) / 2
    assert figures.caregiver_p90 == 100
    assert figures.within_promise == 5  # exactly 90 minutes keeps the promise
    assert figures.sought == 10 and figures.filled == 6
    assert figures.offers_per_filled == 3
    shown = present(figures)
    assert shown["human_median"] == "55" and shown["human_p90"] == "90"
    assert shown["caregiver_median"] == "70,0" and shown["promise_share"] == "83,3"
    assert shown["connected_share"] == "90,9" and shown["voicemail_share"] == "9,1"
    assert shown["filled_share"] == "60,0"
    assert report.wait_histogram[wait_bucket(20)] == 1
    assert report.wait_histogram[wait_bucket(90)] == 2  # 90 and 100 minutes: the 90–120 bucket
    assert WAIT_BUCKETS[wait_bucket(90)] == (90, 120)


def test_night_share_counts_calls_at_the_boundaries_across_dst():
    cases = [
        case(datetime(2026, 3, 29, 3, 59, tzinfo=UTC)),  # 05:59 CEST: night
        case(datetime(2026, 3, 29, 4, 0, tzinfo=UTC)),  # 06:00 CEST: day
        case(datetime(2026, 3, 29, 18, 0, tzinfo=UTC)),  # 20:00 CEST: night
        case(datetime(2026, 3, 28, 18, 59, tzinfo=UTC)),  # 19:59 CET: day
    ]
    figures = build_report(Period("2026-03", "2026-03"), cases, []).get()
    assert figures.night_calls == 2 and present(figures)["night_share"] == "50,0"


def test_eldercare_is_counted_separately_from_childcare():
    at = berlin(2026, 11, 3, 10, 0)
    cases = [case(at, care_type="child", key=i) for i in range(4)]
    cases += [case(at, care_type="eldercare", assigned_at=at + timedelta(minutes=45), dispatched=True, key=10 + i)
              for i in range(3)]
    care = [CareFacts(started_at=at + timedelta(hours=1), minutes=90, case=c) for c in cases[4:]]
    report = build_report(Period("2026-11", "2026-11"), cases, care)
    elder = report.get(dimension="care_type", value="eldercare")
    child = report.get(dimension="care_type", value="child")
    assert (elder.calls, elder.filled, elder.care_hours) == (3, 3, 4.5)
    assert (child.calls, child.filled, child.care_hours) == (4, 0, 0)
    assert report.get(month="2026-11").calls == 7


def test_cases_count_in_the_berlin_month_of_their_call_and_care_in_the_month_it_started():
    late_october = case(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), key=1)  # 23:30 CET, 31 October
    early_november = case(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), key=2)  # 00:30 CET, 1 November
    care = [CareFacts(started_at=datetime(2026, 10, 31, 23, 15, tzinfo=UTC), minutes=125, case=late_october)]
    report = build_report(Period("2026-10", "2026-11"), [late_october, early_november], care)
    assert report.get(month="2026-10").calls == 1
    assert report.get(month="2026-11").calls == 1
    assert report.get(month="2026-11").care_minutes == 125
    assert report.get(month="2026-10").care_minutes == 0
    assert report.get().calls == 2


def test_cases_outside_the_period_are_left_out():
    report = build_report(Period("2026-11", "2026-11"), [case(berlin(2026, 12, 1, 0, 0))], [])
    assert report.get().calls == 0
    assert [r.month for r in report.rows] == ["2026-11", "total"]


# --- suppression ----------------------------------------------------------------------------------


def test_counts_of_one_or_two_are_shown_as_less_than_three():
    assert [show_count(n) for n in (0, 1, 2, 3, 40)] == ["0", "<3", "<3", "3", "40"]


def test_a_group_of_two_calls_shows_nothing_but_less_than_three():
    at = berlin(2026, 11, 3, 21, 0)
    few = [case(at, municipality="Wennigsen", connected_at=at + timedelta(seconds=30),
                assigned_at=at + timedelta(minutes=50), dispatched=True, offers=2, key=i) for i in range(2)]
    care = [CareFacts(started_at=at + timedelta(hours=1), minutes=120, case=c) for c in few]
    report = build_report(Period("2026-11", "2026-11"), few, care)
    shown = present(report.get(dimension="municipality", value="Wennigsen"))
    assert shown["calls"] == "<3" and shown["filled"] == "<3" and shown["sought"] == "<3"
    for name in ("night_share", "human_median", "caregiver_median", "caregiver_p90", "promise_share",
                 "offers_per_filled", "care_hours", "filled_share"):
        assert shown[name] == "", name


def test_statistics_on_fewer_than_three_values_are_not_shown_in_a_large_group():
    at = berlin(2026, 11, 3, 10, 0)
    cases = [case(at, key=i) for i in range(10)]
    cases[0] = case(at, assigned_at=at + timedelta(minutes=33), dispatched=True, key=0)
    shown = present(build_report(Period("2026-11", "2026-11"), cases, []).get())
    assert shown["calls"] == "10" and shown["filled"] == "<3"
    assert shown["caregiver_median"] == "" and shown["promise_share"] == ""
    assert shown["filled_share"] == ""  # one case sought care


def test_empty_groups_show_zero_not_less_than_three():
    shown = present(build_report(Period("2026-11", "2026-11"), [], []).get())
    assert shown["calls"] == "0" and shown["filled"] == "0" and shown["care_hours"] == "0,0"
    assert shown["night_share"] == ""


def test_decimal_text_uses_a_comma_and_rounds_half_up():
    assert decimal_text(12.25) == "12,3"
    assert decimal_text(4.5, 0) == "5"
    assert decimal_text(0) == "0,0"
