"""How a dispatch runs: wave size, the wait between waves and the deadline, per urgency."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from core.settings import Settings, default

log = logging.getLogger(__name__)

#: Urgencies in the order of the voice menu; a case without one is treated as "today".
URGENCIES = ("now", "today", "tomorrow", "later")
DEFAULT_URGENCY = "today"

#: The settings behind the waits and deadlines, per urgency (DISPATCH_WAIT_NOW_MINUTES, ...).
_WAIT_SETTINGS = {u: f"dispatch_wait_{u}_minutes" for u in URGENCIES}
_DEADLINE_SETTINGS = {u: f"dispatch_deadline_{u}_minutes" for u in URGENCIES}
#: The dispatch policies DISPATCH_POLICY selects: `waves` asks wave_size caregivers per wave; `growing`
#: doubles each wave (3, 6, 12, ...) up to GROWING_CAP, so a case nobody takes reaches many people sooner
#: without texting the whole pool at once.
POLICY_KINDS = ("waves", "growing")
GROWING_CAP = 24


def _minutes(table: Mapping[str, int]) -> Mapping[str, timedelta]:
    return MappingProxyType({u: timedelta(minutes=m) for u, m in table.items()})


@dataclass(frozen=True)
class DispatchPolicy:
    """The knobs of a dispatch, read once from the settings (DISPATCH_* variables)."""

    wave_size: int = default("dispatch_wave_size")
    #: How long a wave waits for a yes before the next wave goes out, per urgency.
    wave_wait: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes({u: default(name) for u, name in _WAIT_SETTINGS.items()}))
    #: How long after the start the coordinators hear that the case is still unfilled, per urgency.
    deadline: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes({u: default(name) for u, name in _DEADLINE_SETTINGS.items()}))
    #: The hotline's number: the sender of the SMS this policy queues (None: the worker's default).
    hotline_number: str | None = None
    #: `waves` (every wave wave_size) or `growing` (each wave twice the one before, at most GROWING_CAP).
    kind: str = "waves"

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        """Return the policy the settings describe; nonsensical values fall back to at least 1."""
        wait: dict[str, int] = {u: getattr(settings, name) for u, name in _WAIT_SETTINGS.items()}
        deadline: dict[str, int] = {u: getattr(settings, name) for u, name in _DEADLINE_SETTINGS.items()}
        if settings.dispatch_wave_size < 1 or min(wait.values()) < 1 or min(deadline.values()) < 1:
            log.error("DISPATCH_* settings must be at least 1; smaller values are read as 1")
        return cls(
            wave_size=max(1, settings.dispatch_wave_size),
            wave_wait=_minutes({u: max(1, m) for u, m in wait.items()}),
            deadline=_minutes({u: max(1, m) for u, m in deadline.items()}),
            hotline_number=settings.hotline_number,
            kind=settings.dispatch_policy if settings.dispatch_policy in POLICY_KINDS else "waves",
        )

    def size_of_wave(self, wave: int) -> int:
        """Return how many caregivers wave number `wave` (1 = the first) asks."""
        if self.kind != "growing":
            return self.wave_size
        grown: int = self.wave_size * 2 ** max(0, wave - 1)
        return max(self.wave_size, min(GROWING_CAP, grown))

    def wait_for(self, urgency: object) -> timedelta:
        """Return the wait between waves for an urgency (enum, value or None)."""
        return self.wave_wait.get(_urgency(urgency)) or self.wave_wait[DEFAULT_URGENCY]

    def deadline_for(self, urgency: object) -> timedelta:
        """Return the time from start to the unfilled alert for an urgency (enum, value or None)."""
        return self.deadline.get(_urgency(urgency)) or self.deadline[DEFAULT_URGENCY]


def _urgency(urgency: object) -> str:
    value = getattr(urgency, "value", urgency)
    return value if isinstance(value, str) and value in URGENCIES else DEFAULT_URGENCY
