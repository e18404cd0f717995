"""How a dispatch runs: wave size, the wait between waves and the deadline, per urgency."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from core.settings import Settings

log = logging.getLogger(__name__)

#: Urgencies in the order of the voice menu; a case without one is treated as "today".
URGENCIES = ("now", "today", "tomorrow", "later")
DEFAULT_URGENCY = "today"

_DEFAULT_WAIT = {"now": 5, "today": 15, "tomorrow": 60, "later": 120}
_DEFAULT_DEADLINE = {"now": 60, "today": 180, "tomorrow": 720, "later": 1440}


def _minutes(table: Mapping[str, int]) -> Mapping[str, timedelta]:
    return MappingProxyType({u: timedelta(minutes=m) for u, m in table.items()})


@dataclass(frozen=True)
class DispatchPolicy:
    """The knobs of a dispatch, read once from the settings (DISPATCH_* variables)."""

    wave_size: int = 3
    #: How long a wave waits for a yes before the next wave goes out, per urgency.
    wave_wait: Mapping[str, timedelta] = field(default_factory=lambda: _minutes(_DEFAULT_WAIT))
    #: How long after the start the coordinators hear that the case is still unfilled, per urgency.
    deadline: Mapping[str, timedelta] = field(default_factory=lambda: _minutes(_DEFAULT_DEADLINE))
    #: The hotline's number: the sender of the SMS this policy queues (None: the worker's default).
    hotline_number: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        """Return the policy the settings describe; nonsensical values fall back to at least 1."""
        wait = {
            "now": settings.dispatch_wait_now_minutes,
            "today": settings.dispatch_wait_today_minutes,
            "tomorrow": settings.dispatch_wait_tomorrow_minutes,
            "later": settings.dispatch_wait_later_minutes,
        }
        deadline = {
            "now": settings.dispatch_deadline_now_minutes,
            "today": settings.dispatch_deadline_today_minutes,
            "tomorrow": settings.dispatch_deadline_tomorrow_minutes,
            "later": settings.dispatch_deadline_later_minutes,
        }
        if settings.dispatch_wave_size < 1 or min(wait.values()) < 1 or min(deadline.values()) < 1:
            log.error("DISPATCH_* settings must be at least 1; smaller values are read as 1")
        return cls(
            wave_size=max(1, settings.dispatch_wave_size),
            wave_wait=_minutes({u: max(1, m) for u, m in wait.items()}),
            deadline=_minutes({u: max(1, m) for u, m in deadline.items()}),
            hotline_number=settings.hotline_number,
        )

    def wait_for(self, urgency: object) -> timedelta:
        """Return the wait between waves for an urgency (enum, value or None)."""
        return self.wave_wait.get(_urgency(urgency)) or self.wave_wait[DEFAULT_URGENCY]

    def deadline_for(self, urgency: object) -> timedelta:
        """Return the time from start to the unfilled alert for an urgency (enum, value or None)."""
        return self.deadline.get(_urgency(urgency)) or self.deadline[DEFAULT_URGENCY]


def _urgency(urgency: object) -> str:
    value = getattr(urgency, "value", urgency)
    return value if isinstance(value, str) and value in URGENCIES else DEFAULT_URGENCY
