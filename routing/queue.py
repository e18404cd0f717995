"""The call queue's decisions as pure functions: order, who gets whom, position, an honest estimate.

Nothing here reads the database or the clock: routing.waiting loads the entries and coordinators,
calls these, and claims what they decide with a conditional UPDATE (safe across instances).
Order: urgency "now" first, then the longest wait (entered_at); a call-back keeps its entered_at
and so its place. The caller's language never changes the order: it only chooses which of the
free coordinators takes her (one who speaks it, when one is free).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.languages import DEFAULT as GERMAN

#: A coordinator who did not take a waiting caller (declined, no answer, her mailbox) is not offered
#: the same caller again for this long; other callers she may get at once.
DECLINE_PAUSE = timedelta(minutes=2)
#: An estimate is said only with at least this many recent handling times behind it.
MIN_SAMPLES = 5
#: How many recent handling times (bridged calls) the estimate is taken from.
RECENT_SAMPLES = 20

#: Urgency ranks: lower is served first. Only "now" goes ahead; every other urgency (also unknown,
#: when she pressed 0 before the question) waits in the order of arrival.
RANK_NOW = 0
RANK_OTHER = 1


def urgency_rank(urgency: str | None) -> int:
    """Return the queue rank of a case's urgency ("now" first, everything else after, in order of arrival)."""
    return RANK_NOW if urgency == "now" else RANK_OTHER


@dataclass(frozen=True)
class Waiting:
    """A queue entry as the decisions see it (state `waiting`)."""

    id: int
    urgency_rank: int
    entered_at: datetime
    kind: str  # "line" | "callback"
    deadline_at: datetime
    declined_by: str | None = None
    declined_at: datetime | None = None
    #: The caller's language (the case's): a coordinator who speaks it is preferred when several are free.
    language: str = GERMAN


@dataclass(frozen=True)
class Assignment:
    """Entry `entry_id` is to be put through to `coordinator`."""

    entry_id: int
    coordinator: str


def queue_order(entries: Iterable[Waiting]) -> list[Waiting]:
    """Return the entries in the order they are served: "now" first, then the longest wait."""
    return sorted(entries, key=lambda e: (e.urgency_rank, e.entered_at, e.id))


def is_past_deadline(entry: Waiting, now: datetime) -> bool:
    """Return True when a caller waiting on the line has waited the longest wait (she goes on to voicemail)."""
    return entry.kind == "line" and now >= entry.deadline_at


def next_assignment(
    entries: Iterable[Waiting], free_coordinators: Sequence[str], now: datetime,
    speaks: Mapping[str, Collection[str]] | None = None,
) -> list[Assignment]:
    """Decide who gets whom: the waiting callers in queue order each get one of the free coordinators.

    A caller on the line past her deadline is skipped (her own next loop turn sends her on). A
    coordinator who just did not take a caller is not offered that caller again within
    DECLINE_PAUSE; she gets the next one instead. Which free coordinator a caller gets
    (choose_coordinator): one who speaks her language (`speaks`: languages by phone) when one is
    free, else the first in order. The order of the callers never changes, and a caller is never
    left waiting while a coordinator is free for her: the language only chooses among the free.
    """
    free = list(dict.fromkeys(free_coordinators))
    waiting = [entry for entry in queue_order(entries) if not is_past_deadline(entry, now)]
    assignments: list[Assignment] = []
    for index, entry in enumerate(waiting):
        if not free:
            break
        candidates = [coordinator for coordinator in free if not _paused(entry, coordinator, now)]
        if not candidates:
            continue
        coordinator = choose_coordinator(entry.language, candidates, speaks or {},
                                         behind=[e.language for e in waiting[index + 1:]])
        assignments.append(Assignment(entry.id, coordinator))
        free.remove(coordinator)
    return assignments


def choose_coordinator(
    language: str, candidates: Sequence[str], speaks: Mapping[str, Collection[str]], *, behind: Iterable[str] = (),
) -> str:
    """Return which of the free `candidates` (in their order) takes a caller speaking `language`.

    The first who speaks her language; for a German caller, or when nobody free speaks hers, the
    first who speaks none of the languages of the callers `behind` her (kept for them), else the first.
    """
    if language != GERMAN:
        for coordinator in candidates:
            if language in speaks.get(coordinator, ()):
                return coordinator
    wanted = {code for code in behind if code != GERMAN}
    for coordinator in candidates:
        if not wanted.intersection(speaks.get(coordinator, ())):
            return coordinator
    return candidates[0]


def position(entries: Iterable[Waiting], entry_id: int) -> int | None:
    """Return the entry's place in the queue (1 = next), or None when it is not waiting."""
    for place, entry in enumerate(queue_order(entries), start=1):
        if entry.id == entry_id:
            return place
    return None


def estimate_minutes(handling_times: Sequence[timedelta], *, position: int, coordinators: int) -> int | None:
    """Return an honest estimate of the wait in whole minutes (rounded up), or None without enough data.

    From the median of recent handling times: the callers ahead of her and she herself are taken
    by `coordinators` people in parallel. Said only with MIN_SAMPLES handling times and at least
    one coordinator on duty; never less than one minute.
    """
    if len(handling_times) < MIN_SAMPLES or coordinators < 1 or position < 1:
        return None
    median = statistics.median(t.total_seconds() for t in handling_times)
    if median <= 0:
        return None
    rounds = math.ceil(position / coordinators)
    return max(1, math.ceil(rounds * median / 60))


def should_queue(*, someone_talking: bool, is_open: bool, waiting: int, max_length: int) -> bool:
    """Return True when a caller nobody free could take waits in the queue instead of going to the office.

    Only while a coordinator on duty is talking (she will be free soon): when nobody on duty is
    talking and nobody answered, the office's line keeps its place. Never outside service hours,
    never beyond the longest queue (0 turns the queue off).
    """
    return someone_talking and is_open and max_length > 0 and waiting < max_length


def _paused(entry: Waiting, coordinator: str, now: datetime) -> bool:
    return (entry.declined_by == coordinator and entry.declined_at is not None
            and now - entry.declined_at < DECLINE_PAUSE)
