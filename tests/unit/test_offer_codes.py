"""Offer codes and the dispatch policy: pure, no database."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from core.errors import HotlineError
from core.settings import Settings, load_settings
from dispatch.offers import CODES, choose_code
from dispatch.policy import DispatchPolicy


def test_codes_are_two_digits_from_10_to_99() -> None:
    assert CODES[0] == "10" and CODES[-1] == "99" and len(CODES) == 90


def test_a_code_is_never_one_of_her_open_offers() -> None:
    rng = random.Random(7)
    taken = {str(n) for n in range(10, 99)}  # all but 99
    assert choose_code(taken, rng=rng) == "99"
    for _ in range(200):
        assert choose_code({"10", "11"}, rng=rng) not in {"10", "11"}


def test_codes_are_random_among_the_free_ones() -> None:
    rng = random.Random(1)
    assert len({choose_code((), rng=rng) for _ in range(500)}) > 60


def test_no_free_code_is_an_error() -> None:
    with pytest.raises(HotlineError):
        choose_code(CODES)


def test_default_policy_waits_and_deadlines_per_urgency() -> None:
    policy = DispatchPolicy.from_settings(Settings(database_url="sqlite://"))
    assert policy.wave_size == 3
    assert [policy.wait_for(u) for u in ("now", "today", "tomorrow", "later")] == [
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert [policy.deadline_for(u) for u in ("now", "today", "tomorrow", "later")] == [
        timedelta(hours=1),
        timedelta(hours=3),
        timedelta(hours=12),
        timedelta(hours=24),
    ]
    assert policy.wait_for(None) == timedelta(minutes=15)  # unknown urgency: as "today"
    assert DispatchPolicy() == DispatchPolicy(hotline_number=None)


def test_policy_from_the_environment(tmp_path) -> None:
    env = {
        "DISPATCH_WAVE_SIZE": "5",
        "DISPATCH_WAIT_NOW_MINUTES": "2",
        "DISPATCH_DEADLINE_LATER_MINUTES": "600",
        "HOTLINE_NUMBER": "+4951187654321",
        "DISPATCH_WAIT_TODAY_MINUTES": "0",
    }
    policy = DispatchPolicy.from_settings(load_settings(env, instance_path=tmp_path))
    assert policy.wave_size == 5 and policy.wait_for("now") == timedelta(minutes=2)
    assert policy.deadline_for("later") == timedelta(hours=10)
    assert policy.wait_for("today") == timedelta(minutes=1)  # never zero: that would send waves every tick
    assert policy.hotline_number == "+4951187654321"
