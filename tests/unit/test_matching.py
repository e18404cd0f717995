"""Matching: each hard gate on its own, the order of the offers, the care window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from caregivers.certificates import police_certificate_valid
from core.clock import berlin
from dispatch.matching import (
    Candidate,
    CaseNeeds,
    NoPostcode,
    care_window,
    case_needs,
    rank_candidates,
)
from geo import lookup_postcode
from models import CareType, Case, Urgency

TODAY = date(2026, 11, 23)
NOW = berlin(2026, 11, 23, 10, 0).astimezone(UTC)
LINDEN = lookup_postcode("30451")  # Linden-Mitte, about 2.3 km west of 30159
MITTE = lookup_postcode("30159")
WUNSTORF = lookup_postcode("31515")  # about 21 km west


def needs(**changes: Any) -> CaseNeeds:
    """A case at 30159 for a 3-year-old, now, for four hours, from a German-speaking parent."""
    base = CaseNeeds(
        care_type="child",
        child_age=3,
        postcode="30159",
        lat=MITTE.lat,
        lon=MITTE.lon,
        language="de",
        window_start=NOW,
        window_end=NOW + timedelta(hours=4),
    )
    return replace(base, **changes)


def candidate(caregiver_id: int = 1, *, home: Any = LINDEN, **changes: Any) -> Candidate:
    """A caregiver in Linden who passes every gate of `needs()`."""
    base = Candidate(
        caregiver_id=caregiver_id,
        phone=f"+49171392{caregiver_id:05d}",
        lat=home.lat,
        lon=home.lon,
        max_distance_km=10.0,
        min_age=0,
        max_age=6,
        eldercare=False,
        languages=("de",),
        active=True,
        opted_out=False,
        police_certificate_date=date(2024, 5, 1),
        police_certificate_excluded=False,
        unavailable=(),
        busy=(),
        recent_assignments=0,
    )
    return replace(base, **changes)


def ranked_ids(case: CaseNeeds, pool: list[Candidate], **kwargs: Any) -> list[int]:
    return [r.caregiver_id for r in rank_candidates(case, pool, today=TODAY, **kwargs)]


def test_a_caregiver_who_passes_every_gate_is_ranked_with_her_distance() -> None:
    [ranked] = rank_candidates(needs(), [candidate()], today=TODAY)
    assert ranked.caregiver_id == 1 and ranked.phone == "+4917139200001"
    assert ranked.distance_km == pytest.approx(2.3, abs=0.2)
    assert ranked.shares_language is True and ranked.recent_assignments == 0


@pytest.mark.parametrize(
    ("gate", "failing"),
    [
        ("inactive", {"active": False}),
        ("opted out", {"opted_out": True}),
        ("child too old for her", {"max_age": 2}),
        ("child too young for her", {"min_age": 4}),
        ("too far for her", {"max_distance_km": 2.0}),
        ("no police certificate", {"police_certificate_date": None}),
        ("excluded by the police certificate", {"police_certificate_excluded": True}),
        ("police certificate expired", {"police_certificate_date": date(2021, 11, 1)}),
        ("unavailable today", {"unavailable": ((date(2026, 11, 20), date(2026, 11, 23)),)}),
        ("busy with another case", {"busy": ((NOW + timedelta(hours=3), NOW + timedelta(hours=6)),)}),
    ],
)
def test_each_hard_gate_on_its_own(gate: str, failing: dict[str, object]) -> None:
    passing = candidate(1)
    failing_one = candidate(2, **failing)
    assert ranked_ids(needs(), [passing, failing_one]) == [1], gate


def test_the_age_range_is_inclusive_at_both_ends() -> None:
    pool = [candidate(1, min_age=3, max_age=3), candidate(2, min_age=0, max_age=3), candidate(3, min_age=3)]
    assert sorted(ranked_ids(needs(), pool)) == [1, 2, 3]


def test_an_unknown_child_age_passes_the_age_gate() -> None:
    pool = [candidate(1, min_age=10, max_age=13), candidate(2, min_age=0, max_age=1)]
    assert sorted(ranked_ids(needs(child_age=None), pool)) == [1, 2]


def test_the_travel_distance_is_inclusive() -> None:
    distance = rank_candidates(needs(), [candidate()], today=TODAY)[0].distance_km
    exact = [candidate(1, max_distance_km=distance + 0.05), candidate(2, max_distance_km=distance - 0.1)]
    assert ranked_ids(needs(), exact) == [1]


def test_police_certificate_exactly_five_years_old_has_expired() -> None:
    assert police_certificate_valid(date(2021, 11, 24), excluded=False, today=TODAY)
    assert not police_certificate_valid(date(2021, 11, 23), excluded=False, today=TODAY)
    pool = [
        candidate(1, police_certificate_date=date(2021, 11, 24)),
        candidate(2, police_certificate_date=date(2021, 11, 23)),
    ]
    assert ranked_ids(needs(), pool) == [1]


def test_a_certificate_of_29_february_expires_on_1_march() -> None:
    assert police_certificate_valid(date(2024, 2, 29), excluded=False, today=date(2029, 2, 28))
    assert not police_certificate_valid(date(2024, 2, 29), excluded=False, today=date(2029, 3, 1))


def test_eldercare_needs_eldercare_but_neither_child_ages_nor_a_police_certificate() -> None:
    pool = [
        candidate(1, eldercare=True, police_certificate_date=None, min_age=10, max_age=13),
        candidate(2, eldercare=False),
    ]
    assert ranked_ids(needs(care_type="eldercare", child_age=None), pool) == [1]


def test_a_person_the_police_certificate_excludes_is_never_offered_eldercare_either() -> None:
    pool = [
        candidate(1, eldercare=True, police_certificate_excluded=True),
        candidate(2, eldercare=True),
    ]
    assert ranked_ids(needs(care_type="eldercare", child_age=None), pool) == [2]


def test_unavailability_counts_every_berlin_day_the_window_touches() -> None:
    # 22:00–02:00 Berlin touches 23 and 24 November; a holiday starting on the 24th blocks her.
    night = needs(window_start=berlin(2026, 11, 23, 22, 0), window_end=berlin(2026, 11, 24, 2, 0))
    pool = [
        candidate(1, unavailable=((date(2026, 11, 24), date(2026, 11, 30)),)),
        candidate(2, unavailable=((date(2026, 11, 25), date(2026, 11, 30)),)),
        candidate(3, unavailable=((date(2026, 11, 1), date(2026, 11, 22)),)),
    ]
    assert ranked_ids(night, pool) == [2, 3]


def test_a_window_ending_at_midnight_does_not_touch_the_next_day() -> None:
    evening = needs(window_start=berlin(2026, 11, 23, 20, 0), window_end=berlin(2026, 11, 24, 0, 0))
    assert ranked_ids(evening, [candidate(1, unavailable=((date(2026, 11, 24), date(2026, 11, 24)),))]) == [1]


def test_busy_only_when_the_windows_overlap() -> None:
    end = NOW + timedelta(hours=4)
    pool = [
        candidate(1, busy=((NOW - timedelta(hours=4), NOW),)),  # ends as this one starts
        candidate(2, busy=((end, end + timedelta(hours=2)),)),  # starts as this one ends
        candidate(3, busy=((NOW - timedelta(hours=1), NOW + timedelta(minutes=1)),)),
    ]
    assert ranked_ids(needs(), pool) == [1, 2]


def test_exclude_leaves_out_caregivers_already_offered() -> None:
    pool = [candidate(1), candidate(2), candidate(3)]
    assert ranked_ids(needs(), pool, exclude={2}) == [1, 3]


def test_order_distance_then_fairness_then_language_then_id() -> None:
    pool = [
        candidate(1, home=WUNSTORF, max_distance_km=25, recent_assignments=0),  # far
        candidate(2, recent_assignments=2, languages=("tr",)),
        candidate(3, recent_assignments=1, languages=("tr",)),
        candidate(4, recent_assignments=1, languages=("de", "tr")),
        candidate(5, home=MITTE, recent_assignments=5, languages=("en",)),  # nearest of all
        candidate(6, recent_assignments=1, languages=("de",)),
    ]
    assert ranked_ids(needs(), pool) == [5, 4, 6, 3, 2, 1]


def test_limit_returns_the_best_few_in_the_same_order() -> None:
    pool = [candidate(i, recent_assignments=i % 3) for i in range(1, 20)]
    assert ranked_ids(needs(), pool, limit=4) == ranked_ids(needs(), pool)[:4]


def test_the_issue_example_a_3_year_old_at_30159() -> None:
    pool = [
        candidate(1, home=LINDEN, max_distance_km=5, min_age=0, max_age=6),  # fits
        candidate(2, home=WUNSTORF, max_distance_km=10, min_age=0, max_age=6),  # radius too small
        candidate(3, home=WUNSTORF, max_distance_km=25, min_age=2, max_age=13),  # fits, far
        candidate(4, home=MITTE, max_distance_km=5, min_age=6, max_age=13),  # ages do not fit
        candidate(5, home=MITTE, max_distance_km=5, opted_out=True),  # sent STOP
    ]
    assert ranked_ids(needs(), pool) == [1, 3]


def test_without_coordinates_there_is_no_ranking() -> None:
    with pytest.raises(NoPostcode):
        rank_candidates(needs(postcode=None, lat=None, lon=None), [candidate()], today=TODAY)


@pytest.mark.parametrize(
    ("urgency", "start"),
    [
        (None, NOW),
        ("now", NOW),
        ("today", NOW),
        ("tomorrow", berlin(2026, 11, 24, 7, 0)),
        ("later", berlin(2026, 11, 25, 7, 0)),
    ],
)
def test_care_window_from_urgency(urgency: str | None, start: datetime) -> None:
    begins, ends = care_window(urgency=urgency, care_starts_at=None, expected_hours=None, now=NOW)
    assert begins == start and ends - begins == timedelta(hours=4)
    assert begins.tzinfo == UTC


def test_care_window_from_the_coordinators_entries() -> None:
    starts = berlin(2026, 11, 23, 14, 30)
    begins, ends = care_window(urgency="tomorrow", care_starts_at=starts, expected_hours=2.5, now=NOW)
    assert (begins, ends) == (starts, starts + timedelta(hours=2, minutes=30))


def test_tomorrow_at_seven_across_the_dst_change() -> None:
    # Saturday 28 March 2026, 23:00 Berlin; clocks spring forward that night.
    begins, _ = care_window(
        urgency="tomorrow", care_starts_at=None, expected_hours=None, now=berlin(2026, 3, 28, 23, 0)
    )
    assert begins == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST


def test_case_needs_reads_the_case() -> None:
    case = Case(
        reference="K-1",
        care_type=CareType.CHILD,
        child_age=3,
        postcode="30159",
        language="en",
        urgency=Urgency.NOW,
        created_at=NOW,
    )
    got = case_needs(case, now=NOW)
    assert (got.care_type, got.child_age, got.postcode, got.language) == ("child", 3, "30159", "en")
    assert (got.lat, got.lon) == (MITTE.lat, MITTE.lon)
    assert (got.window_start, got.window_end) == (NOW, NOW + timedelta(hours=4))


def test_a_tomorrow_case_keeps_the_day_of_the_call_when_dispatched_after_midnight() -> None:
    called = berlin(2026, 11, 23, 23, 50)
    case = Case(
        reference="K-2",
        care_type=CareType.CHILD,
        child_age=3,
        postcode="30159",
        urgency=Urgency.TOMORROW,
        created_at=called,
    )
    got = case_needs(case, now=berlin(2026, 11, 24, 0, 10))
    assert got.window_start == berlin(2026, 11, 24, 7, 0)


@pytest.mark.parametrize("postcode", [None, "", "12345", "30417", "3015"])
def test_a_case_without_a_region_postcode_goes_to_the_coordinator(postcode: str | None) -> None:
    case = Case(reference="K-3", care_type=CareType.CHILD, child_age=3, postcode=postcode, created_at=NOW)
    with pytest.raises(NoPostcode):
        case_needs(case, now=NOW)


def test_the_caregiver_page_and_matching_agree_when_a_check_expires() -> None:
    """The page shows a check as expired on exactly the day matching stops offering her jobs."""
    from caregivers.editing import CheckState, police_certificate_check

    for taken in (date(2021, 11, 23), date(2024, 2, 29)):
        for today in (date(2026, 11, 22), date(2026, 11, 23), date(2029, 2, 28), date(2029, 3, 1)):
            shown_expired = police_certificate_check(taken, excluded=False, today=today).state is CheckState.EXPIRED
            assert shown_expired == (not police_certificate_valid(taken, excluded=False, today=today)), (taken, today)
