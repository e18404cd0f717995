"""The telephone side of a simulated day: callers, the menu, coordinators, the queue and call-backs.

A discrete-event simulation (a heap of timed events, no sleeping). The decisions are the product's
own pure functions from routing.queue: whether a caller nobody can take waits (`should_queue`), who
gets whom (`next_assignment`, in `queue_order`), when a caller on the line has waited long enough
(`is_past_deadline`). With `queue=False` it plays the product before issue 13: a caller nobody
free can take ends in voicemail.

What is simulated rather than run: the TwiML round trips (a waiting caller notices an assignment
at her next loop turn, every TURN_SECONDS) and the coordinator's ring and screening (a fixed
ring_seconds from the scenario).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.daysim.scenario import Scenario
from routing import queue
from routing.queue import Waiting

#: A waiting caller's loop turn: <Say> position (~5 s) + <Pause length=15> [design in COMMON13, guess for the say].
TURN_SECONDS = 20.0


@dataclass
class Call:
    """One caller and what happened to her."""

    id: int
    arrival: float  # seconds since the day's start: the first ring
    pressed_0: bool
    urgency: str
    handling: float
    patience: float
    needs_care: bool
    ready_at: float = 0.0
    connected_at: float | None = None
    outcome: str = "open"  # direct | queue | callback | voicemail_chosen | voicemail | callback_failed | open
    queued_at: float | None = None
    callback_chosen_at: float | None = None
    case_from: float | None = None  # when the dispatch for her case can start

    @property
    def time_to_person(self) -> float | None:
        """Seconds from the first ring until a coordinator is bridged (for a call-back: until connected)."""
        return None if self.connected_at is None else self.connected_at - self.arrival


@dataclass
class PhoneDay:
    """The calls of the day and the queue's length over time."""

    calls: list[Call]
    queue_length: list[tuple[float, int]] = field(default_factory=list)


def arrivals(scenario: Scenario, rng: random.Random) -> list[Call]:
    """Draw the day's calls: Poisson arrivals per hour, menu path, urgency, handling time, patience."""
    calls: list[Call] = []
    urgencies, weights = zip(*scenario.urgency.items(), strict=True)
    ids = itertools.count(1)
    for hour in range(scenario.start_hour, scenario.end_hour):
        rate = scenario.per_hour.get(hour, 0.0)
        t = 0.0
        while rate > 0:
            t += rng.expovariate(rate / 3600)
            if t >= 3600:
                break
            calls.append(Call(
                id=next(ids),
                arrival=(hour - scenario.start_hour) * 3600 + t,
                pressed_0=rng.random() < scenario.share_pressing_0,
                urgency=rng.choices(urgencies, weights)[0],
                handling=60 * scenario.handling_minutes_median * math.exp(
                    rng.gauss(0, scenario.handling_minutes_sigma)),
                patience=60 * rng.expovariate(1 / scenario.patience_minutes_mean),
                needs_care=rng.random() < scenario.share_needing_care,
            ))
    return calls


def simulate_phones(scenario: Scenario, *, day_start: datetime, queue_on: bool, coordinators: int | None = None,
                    max_wait_minutes: int = 10, max_length: int = 20, seed: int | None = None) -> PhoneDay:
    """Play the day's calls; `coordinators` overrides the scenario's roster (same count all day)."""
    rng = random.Random(scenario.seed if seed is None else seed)
    calls = arrivals(scenario, rng)
    sim = _Sim(scenario, rng, day_start, queue_on, coordinators, max_wait_minutes, max_length)
    return sim.run(calls)


class _Sim:
    def __init__(self, scenario: Scenario, rng: random.Random, day_start: datetime, queue_on: bool,
                 coordinators: int | None, max_wait_minutes: int, max_length: int) -> None:
        self.s, self.rng, self.day_start, self.queue_on = scenario, rng, day_start, queue_on
        self.fixed = coordinators
        self.max_wait, self.max_length = 60.0 * max_wait_minutes, max_length
        self.events: list[tuple[float, int, str, Any]] = []
        self.seq = itertools.count()
        self.busy_until: dict[str, float] = {}  # coordinator -> end of her call (or ring)
        self.waiting: dict[int, Call] = {}  # entry id (= call id) -> call, in the queue
        self.kind: dict[int, str] = {}
        self.offered: set[int] = set()
        self.lengths: list[tuple[float, int]] = [(0.0, 0)]
        self.end = 3600.0 * (scenario.end_hour - scenario.start_hour)

    def at(self, t: float, what: str, obj: Any = None) -> None:
        heapq.heappush(self.events, (t, next(self.seq), what, obj))

    def dt(self, t: float) -> datetime:
        return self.day_start + timedelta(seconds=t)

    def on_duty(self, t: float) -> list[str]:
        hour = self.s.start_hour + t / 3600
        count = self.fixed if self.fixed is not None else self.s.coordinators_at(hour)
        return [f"c{i}" for i in range(1, count + 1)]

    def free(self, t: float) -> list[str]:
        return [c for c in self.on_duty(t) if self.busy_until.get(c, 0.0) <= t]

    def talking(self, t: float) -> bool:
        return any(self.busy_until.get(c, 0.0) > t for c in self.on_duty(t))

    def note_length(self, t: float) -> None:
        self.lengths.append((t, len(self.waiting)))

    def run(self, calls: list[Call]) -> PhoneDay:
        for call in calls:
            call.ready_at = call.arrival + (self.s.zero_seconds if call.pressed_0 else self.s.menu_seconds)
            self.at(call.ready_at, "ready", call)
        for hour in self.s.on_duty:
            self.at(3600.0 * (hour - self.s.start_hour), "assign")
        while self.events:
            t, _, what, obj = heapq.heappop(self.events)
            getattr(self, f"_{what}")(t, obj)
        return PhoneDay(calls, self.lengths)

    # -- events ---------------------------------------------------------------------------------
    def _ready(self, t: float, call: Call) -> None:
        free = self.free(t)
        if free and not self.waiting:  # nobody waiting ahead of her: she rings through
            self.bridge(t, call, free[0], "direct")
            return
        open_ = t < self.end and bool(self.on_duty(t))
        if self.queue_on and queue.should_queue(someone_talking=self.talking(t), is_open=open_,
                                                waiting=len(self.waiting), max_length=self.max_length):
            call.queued_at = t
            self.waiting[call.id], self.kind[call.id] = call, "line"
            self.note_length(t)
            self.at(t + call.patience, "patience", call)
            self.at(t + self.max_wait, "deadline", call)
            self.assign(t)
            return
        if free:  # today's product (or a full queue): she rings the free coordinator anyway
            self.bridge(t, call, free[0], "direct")
            return
        self.voicemail(t, call, "voicemail")

    def _assign(self, t: float, _: object) -> None:
        self.assign(t)

    def _free(self, t: float, _: object) -> None:
        self.assign(t)

    def _patience(self, t: float, call: Call) -> None:
        if call.id not in self.waiting or self.kind[call.id] != "line" or call.id in self.offered:
            return
        if self.rng.random() < self.s.share_callback:  # key 1: a call-back, she keeps her place
            self.kind[call.id] = "callback"
            call.callback_chosen_at = t
        else:  # key 2: voicemail
            self.leave(t, call)
            self.voicemail(t, call, "voicemail_chosen")

    def _deadline(self, t: float, call: Call) -> None:
        if call.id not in self.waiting or self.kind[call.id] != "line" or call.id in self.offered:
            return
        entry = self.as_waiting(call)
        if queue.is_past_deadline(entry, self.dt(t)):
            self.leave(t, call)
            self.voicemail(t, call, "voicemail")

    def _pickup(self, t: float, payload: tuple[Call, str]) -> None:
        call, coordinator = payload
        self.offered.discard(call.id)
        kind = self.kind.get(call.id)
        self.leave(t, call)
        if kind == "line":
            self.bridge(t, call, coordinator, "queue")
        elif self.rng.random() < self.s.callback_answer:  # the coordinator calls her back
            self.bridge(t, call, coordinator, "callback")
        else:
            call.outcome = "callback_failed"
            call.case_from = t + 60 * self.s.voicemail_followup_minutes
            self.busy_until[coordinator] = t + self.s.ring_seconds
            self.at(self.busy_until[coordinator], "free")

    # -- actions --------------------------------------------------------------------------------
    def as_waiting(self, call: Call) -> Waiting:
        entered = self.dt(call.queued_at or call.ready_at)
        return Waiting(id=call.id, urgency_rank=queue.urgency_rank(call.urgency), entered_at=entered,
                       kind=self.kind[call.id], deadline_at=entered + timedelta(seconds=self.max_wait))

    def assign(self, t: float) -> None:
        entries = [self.as_waiting(c) for i, c in self.waiting.items() if i not in self.offered]
        if not entries:
            return
        for a in queue.next_assignment(entries, self.free(t), self.dt(t)):
            call = self.waiting[a.entry_id]
            self.offered.add(call.id)
            # Reserved for her from now: a caller on the line hears it at her next loop turn; a
            # call-back is placed by the worker (a tick, ~2 s).
            delay = self.rng.uniform(0, TURN_SECONDS) if self.kind[call.id] == "line" else 2.0
            self.busy_until[a.coordinator] = math.inf
            self.at(t + delay, "pickup", (call, a.coordinator))

    def bridge(self, t: float, call: Call, coordinator: str, outcome: str) -> None:
        call.connected_at = t + self.s.ring_seconds
        call.outcome = outcome
        call.case_from = call.connected_at + call.handling
        self.busy_until[coordinator] = call.case_from
        self.at(call.case_from, "free")

    def leave(self, t: float, call: Call) -> None:
        if self.waiting.pop(call.id, None) is not None:
            self.note_length(t)

    def voicemail(self, t: float, call: Call, outcome: str) -> None:
        call.outcome = outcome
        # An urgent case's dispatch starts by itself after the voicemail (README); the others wait
        # until a coordinator has listened. The message itself takes a minute [guess].
        later = 60.0 if call.urgency == "now" and not call.pressed_0 else 60 * self.s.voicemail_followup_minutes
        call.case_from = t + later
