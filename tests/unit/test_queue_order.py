"""The queue's pure decisions: order, who gets whom, position, the honest estimate, when to queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from routing.queue import (
    DECLINE_PAUSE,
    RANK_NOW,
    RANK_OTHER,
    Assignment,
    Waiting,
    estimate_minutes,
    next_assignment,
    position,
    queue_order,
    should_queue,
    urgency_rank,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def entry(id: int, minutes: int, *, rank: int = RANK_OTHER, kind: str = "line", deadline: int = 10,
          declined_by: str | None = None, declined_at: datetime | None = None) -> Waiting:
    entered = T0 + timedelta(minutes=minutes)
    return Waiting(id, rank, entered, kind, entered + timedelta(minutes=deadline), declined_by, declined_at)


def test_now_first_then_the_longest_wait() -> None:
    entries = [entry(1, 0), entry(2, 1, rank=RANK_NOW), entry(3, -1), entry(4, 2, rank=RANK_NOW)]
    assert [e.id for e in queue_order(entries)] == [2, 4, 3, 1]
    assert position(entries, 3) == 3
    assert position(entries, 99) is None


def test_only_now_goes_ahead() -> None:
    assert urgency_rank("now") == RANK_NOW
    assert {urgency_rank(u) for u in ("today", "tomorrow", "later", None)} == {RANK_OTHER}


def test_free_coordinators_get_the_callers_in_order() -> None:
    entries = [entry(1, 0), entry(2, 1, rank=RANK_NOW), entry(3, 2, kind="callback")]
    now = T0 + timedelta(minutes=3)
    assert [(a.entry_id, a.coordinator) for a in next_assignment(entries, ["+49a", "+49b"], now)] == [
        (2, "+49a"), (1, "+49b")]
    assert next_assignment(entries, [], now) == []
    assert [(a.entry_id, a.coordinator) for a in next_assignment(entries, ["+49a", "+49a"], now)] == [(2, "+49a")]


def test_a_caller_past_her_deadline_is_skipped_but_a_callback_is_not() -> None:
    now = T0 + timedelta(minutes=11)
    entries = [entry(1, 0), entry(2, 0, kind="callback"), entry(3, 5)]
    assert [(a.entry_id, a.coordinator) for a in next_assignment(entries, ["+49a", "+49b"], now)] == [
        (2, "+49a"), (3, "+49b")]


def test_a_coordinator_who_declined_gets_the_next_caller_for_a_while() -> None:
    now = T0 + timedelta(minutes=3)
    entries = [entry(1, 0, declined_by="+49a", declined_at=now - timedelta(seconds=30)), entry(2, 1)]
    assert [(a.entry_id, a.coordinator) for a in next_assignment(entries, ["+49a"], now)] == [(2, "+49a")]
    later = now + DECLINE_PAUSE
    assert [(a.entry_id, a.coordinator) for a in next_assignment(entries, ["+49a"], later)] == [(1, "+49a")]


def test_the_estimate_is_said_only_with_enough_data_and_rounded_up() -> None:
    four = [timedelta(minutes=3)] * 4
    assert estimate_minutes(four, position=1, coordinators=1) is None
    times = [timedelta(seconds=s) for s in (100, 130, 150, 200, 900)]  # median 150 s
    assert estimate_minutes(times, position=1, coordinators=1) == 3
    assert estimate_minutes(times, position=3, coordinators=2) == 5  # two rounds of 150 s
    assert estimate_minutes(times, position=1, coordinators=0) is None


def test_when_to_queue() -> None:
    assert should_queue(someone_talking=True, is_open=True, waiting=0, max_length=20)
    assert not should_queue(someone_talking=False, is_open=True, waiting=0, max_length=20)
    assert not should_queue(someone_talking=True, is_open=False, waiting=0, max_length=20)
    assert not should_queue(someone_talking=True, is_open=True, waiting=20, max_length=20)
    assert not should_queue(someone_talking=True, is_open=True, waiting=0, max_length=0)


# The caller's language (issue 14): it chooses which free coordinator, never the order of the callers.
ANNA, DERYA, KARIM = "+49anna", "+49derya", "+49karim"
SPEAKS = {DERYA: ("de", "tr"), KARIM: ("ar", "de")}


def spoken(id: int, minutes: int, language: str, *, rank: int = RANK_OTHER, declined_by: str | None = None,
           declined_at: datetime | None = None) -> Waiting:
    return replace(entry(id, minutes, rank=rank, declined_by=declined_by, declined_at=declined_at), language=language)


def pairs(assignments: list[Assignment]) -> list[tuple[int, str]]:
    return [(a.entry_id, a.coordinator) for a in assignments]


def test_the_head_of_the_queue_gets_a_free_coordinator_who_speaks_her_language() -> None:
    now = T0 + timedelta(minutes=3)
    assert pairs(next_assignment([spoken(1, 0, "ar")], [ANNA, KARIM], now, SPEAKS)) == [(1, KARIM)]
    assert pairs(next_assignment([spoken(1, 0, "ar")], [ANNA, KARIM], now)) == [(1, ANNA)]  # languages unknown


def test_the_language_never_changes_the_order_of_the_callers() -> None:
    now = T0 + timedelta(minutes=3)
    # The Turkish caller came last: the one free coordinator, Turkish-speaking, takes the first caller.
    assert pairs(next_assignment([spoken(1, 0, "de"), spoken(2, 1, "tr")], [DERYA], now, SPEAKS)) == [(1, DERYA)]
    urgent = spoken(3, 2, "de", rank=RANK_NOW)
    assert pairs(next_assignment([spoken(1, 0, "ar"), urgent], [KARIM], now, SPEAKS)) == [(3, KARIM)]


def test_nobody_free_speaks_it_the_first_free_takes_her_and_nobody_waits() -> None:
    now = T0 + timedelta(minutes=3)
    assert pairs(next_assignment([spoken(1, 0, "pl"), spoken(2, 1, "de")], [ANNA, DERYA], now, SPEAKS)) == [
        (1, ANNA), (2, DERYA)]


def test_a_german_caller_leaves_the_speaker_free_for_the_caller_behind_her_who_needs_her() -> None:
    now = T0 + timedelta(minutes=3)
    assert pairs(next_assignment([spoken(1, 0, "de"), spoken(2, 1, "tr")], [DERYA, ANNA], now, SPEAKS)) == [
        (1, ANNA), (2, DERYA)]


def test_a_speaker_who_just_declined_her_is_paused_like_anyone() -> None:
    now = T0 + timedelta(minutes=3)
    declined = spoken(1, 0, "ar", declined_by=KARIM, declined_at=now - timedelta(seconds=30))
    assert pairs(next_assignment([declined], [KARIM, ANNA], now, SPEAKS)) == [(1, ANNA)]
