"""The demo history's shape, drawn without a database: deterministic, closed on Sundays, a strike week."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from demo.history import HistoryWorld, expected_calls, plan_day

WORLD = HistoryWorld(
    caregivers=[(n, f"+49171392001{n:02d}") for n in range(1, 20)],
    families=[(1, "+4915112340002")],
    employers=[(1, "Nordstadt-Klinikum gGmbH", date(2019, 1, 1), None)],
    members=[("Hannover", date(2016, 1, 1), None)],
    coordinators=["+4915228817390", "+4915735991042"],
)
STRIKE = date(2026, 6, 8)  # a Monday
WORLD_BERLIN = ZoneInfo("Europe/Berlin")
ORDINARY = [date(2026, 4, 13) + timedelta(days=n) for n in range(28)]  # four ordinary weeks


def test_the_same_day_is_always_drawn_the_same() -> None:
    first = plan_day(date(2026, 3, 10), world=WORLD, strike_monday=STRIKE)
    again = plan_day(date(2026, 3, 10), world=WORLD, strike_monday=STRIKE)
    assert [(c.created_at, c.fields) for c in first] == [(c.created_at, c.fields) for c in again]
    assert plan_day(date(2026, 3, 10), world=WORLD, strike_monday=STRIKE, seed=7) != first


def test_closed_on_sundays_and_holidays_quieter_on_saturdays() -> None:
    assert expected_calls(date(2026, 3, 8), strike_monday=STRIKE) == 0  # a Sunday
    assert expected_calls(date(2026, 10, 3), strike_monday=STRIKE) == 0  # Tag der Deutschen Einheit
    assert plan_day(date(2026, 3, 8), world=WORLD, strike_monday=STRIKE) == []
    saturday, monday = date(2026, 3, 14), date(2026, 3, 16)
    assert 0 < expected_calls(saturday, strike_monday=STRIKE) < expected_calls(monday, strike_monday=STRIKE)


def test_the_strike_week_is_busy_with_failed_regular_care() -> None:
    strike = [c for n in range(5) for c in plan_day(STRIKE + timedelta(days=n), world=WORLD, strike_monday=STRIKE)]
    ordinary = [c for day in ORDINARY for c in plan_day(day, world=WORLD, strike_monday=STRIKE)]
    assert len(strike) > 2 * len(ordinary) / 4  # more than twice an ordinary week
    reasons = Counter(c.fields["reason"] for c in strike)
    assert reasons["regular_care_failure"] > 0.6 * len(strike)


def test_mornings_are_busier_than_nights_but_nights_exist() -> None:
    cases = [c for day in ORDINARY for c in plan_day(day, world=WORLD, strike_monday=date(2020, 1, 6))]
    hours = Counter(c.created_at.astimezone(WORLD_BERLIN).hour for c in cases)
    night = sum(n for h, n in hours.items() if h >= 20 or h < 6)
    assert 0 < night < sum(hours[h] for h in range(6, 10))


def test_a_filled_case_has_one_accepted_offer_from_the_last_wave_and_care_after_it() -> None:
    cases = [c for day in ORDINARY for c in plan_day(day, world=WORLD, strike_monday=STRIKE)]
    filled = [c for c in cases if c.fields.get("assigned_at")]
    assert filled
    for case in filled:
        accepted = [o for o in case.offers if o.status == "accepted"]
        assert len(accepted) == 1 and accepted[0].wave == max(o.wave for o in case.offers)
        assigned = case.fields["assigned_at"]
        assert isinstance(assigned, datetime) and case.care is not None and assigned < case.care[0] < case.care[1]
        assert len({o.caregiver for o in case.offers}) == len(case.offers)



