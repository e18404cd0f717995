"""An injectable clock: aware UTC now() in production, a frozen, advanceable one in tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        """Freeze the clock at an aware datetime."""
        self._now = _require_aware(at).astimezone(UTC)

    def now(self) -> datetime:
        """Return the frozen time in UTC."""
        return self._now

    def set(self, at: datetime) -> None:
        """Move the clock to an aware datetime."""
        self._now = _require_aware(at).astimezone(UTC)

    def advance(self, **kwargs: float) -> datetime:
        """Move the clock forward by a timedelta given as keywords; return the new time."""
        self._now = self._now + timedelta(**kwargs)
        return self._now


class OffsetClock:
    """The real clock moved by a fixed offset: SIMULATOR_CLOCK_OFFSET, to try the demo "a month later"."""

    def __init__(self, offset: timedelta, base: Clock | None = None) -> None:
        """Shift `base` (the system clock by default) by `offset`."""
        self.offset = offset
        self._base = base or SystemClock()

    def now(self) -> datetime:
        """Return the base clock's time plus the offset, in UTC."""
        return self._base.now() + self.offset


def make_clock(*, simulator_mode: bool, offset: timedelta | None) -> Clock:
    """Return the app's clock: the system clock, moved by `offset` only in simulator mode (never with Twilio)."""
    if offset and simulator_mode:
        return OffsetClock(offset)
    return SystemClock()


_OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
#: ASCII digits only, at most six before and after the point (`float()` also takes "1e9", "nan",
#: "inf" and non-ASCII digits, which would overflow the clock or not be what anyone meant).
_OFFSET = re.compile(r"([+-]?[0-9]{1,6}(?:\.[0-9]{1,6})?)([dhms])", re.ASCII)


def parse_offset(text: str) -> timedelta:
    """Parse an offset such as `30d`, `-2h`, `90m` or `45s` into a timedelta."""
    match = _OFFSET.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"SIMULATOR_CLOCK_OFFSET must look like 30d, -2h, 90m or 45s, not {text!r}")
    return timedelta(**{_OFFSET_UNITS[match.group(2)]: float(match.group(1))})


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware datetime for a wall-clock time in Europe/Berlin."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the clock only accepts timezone-aware datetimes")
    return at
