"""SIMULATOR_CLOCK_OFFSET: parsed strictly, honoured only in simulator mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FrozenClock, OffsetClock, SystemClock, make_clock, parse_offset


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("-2h", timedelta(hours=-2)), ("90m", timedelta(minutes=90)),
     (" 45s ", timedelta(seconds=45)), ("1.5d", timedelta(hours=36))],
)
def test_offsets_parse(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["30", "d", "thirty days", "3w", ""])
def test_a_malformed_offset_is_refused_with_the_variable_named(text: str) -> None:
    with pytest.raises(ValueError, match="SIMULATOR_CLOCK_OFFSET"):
        parse_offset(text)


def test_the_offset_moves_the_clock_in_simulator_mode_only() -> None:
    assert isinstance(make_clock(simulator_mode=True, offset=timedelta(days=30)), OffsetClock)
    assert isinstance(make_clock(simulator_mode=False, offset=timedelta(days=30)), SystemClock)
    assert isinstance(make_clock(simulator_mode=True, offset=None), SystemClock)
    base = FrozenClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    assert OffsetClock(timedelta(days=31), base=base).now() == datetime(2027, 1, 3, 8, 0, tzinfo=UTC)
