"""A day-simulation scenario, read from a TOML file under bench/daysim/scenarios."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass(frozen=True)
class ReplyBehaviour:
    """How caregivers answer offers sent from local hour `start` on."""

    start: int
    answer: float
    median_minutes: float
    yes: float


@dataclass(frozen=True)
class Scenario:
    """Arrivals, menu and handling times, coordinators on duty, the caregiver pool and its replies."""

    name: str
    seed: int
    start_hour: int
    end_hour: int
    per_hour: dict[int, float]
    share_pressing_0: float
    menu_seconds: float
    zero_seconds: float
    ring_seconds: float
    handling_minutes_median: float
    handling_minutes_sigma: float
    patience_minutes_mean: float
    share_callback: float
    callback_answer: float
    share_needing_care: float
    urgency: dict[str, float]
    voicemail_followup_minutes: float
    on_duty: dict[int, int]
    pool: int
    replies: tuple[ReplyBehaviour, ...]
    #: [surge] on_hour: a lead switches surge mode on at this local hour (None: only the product's own switch).
    surge_on_hour: int | None = None
    #: [surge] menu_seconds: the short menu's time (None: as menu_seconds).
    surge_menu_seconds: float | None = None

    def coordinators_at(self, hour: float) -> int:
        """Return how many coordinators are on duty at a (fractional) local hour."""
        count = 0
        for start in sorted(self.on_duty):
            if start <= hour:
                count = self.on_duty[start]
        return count

    def replies_at(self, hour: float) -> ReplyBehaviour:
        """Return the reply behaviour of caregivers at a local hour (hours past 24 wrap)."""
        hour = hour % 24
        chosen = self.replies[0]
        for behaviour in sorted(self.replies, key=lambda b: b.start):
            if behaviour.start <= hour:
                chosen = behaviour
        return chosen


def load(name_or_path: str) -> Scenario:
    """Load a scenario by name (a file in bench/daysim/scenarios) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIOS / f"{name_or_path}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    calls, caregivers, surge = data["calls"], data["caregivers"], data.get("surge", {})
    return Scenario(
        name=data["name"],
        seed=int(data["seed"]),
        start_hour=int(data["start_hour"]),
        end_hour=int(data["end_hour"]),
        per_hour={int(h): float(n) for h, n in calls["per_hour"].items()},
        share_pressing_0=float(calls["share_pressing_0"]),
        menu_seconds=float(calls["menu_seconds"]),
        zero_seconds=float(calls["zero_seconds"]),
        ring_seconds=float(calls["ring_seconds"]),
        handling_minutes_median=float(calls["handling_minutes_median"]),
        handling_minutes_sigma=float(calls["handling_minutes_sigma"]),
        patience_minutes_mean=float(calls["patience_minutes_mean"]),
        share_callback=float(calls["share_callback"]),
        callback_answer=float(calls["callback_answer"]),
        share_needing_care=float(calls["share_needing_care"]),
        urgency={k: float(v) for k, v in calls["urgency"].items()},
        voicemail_followup_minutes=float(calls["voicemail_followup_minutes"]),
        on_duty={int(h): int(n) for h, n in data["coordinators"]["on_duty"].items()},
        pool=int(caregivers["pool"]),
        replies=tuple(ReplyBehaviour(int(r["from"]), float(r["answer"]), float(r["median_minutes"]), float(r["yes"]))
                      for r in caregivers["replies"]),
        surge_on_hour=int(surge["on_hour"]) if "on_hour" in surge else None,
        surge_menu_seconds=float(surge["menu_seconds"]) if "menu_seconds" in surge else None,
    )
