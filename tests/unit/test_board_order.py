"""The board's order: call-back flags first, then urgency, then the longest wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cases.board import BoardRow, order_board, urgency_rank

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


def row(
    case_id: int,
    *,
    urgency: str | None = "today",
    minutes_ago: int = 10,
    needs_callback: bool = False,
    status: str = "open",
) -> BoardRow:
    return BoardRow(
        case_id=case_id,
        reference=f"K{case_id:03d}",
        status=status,
        needs_callback=needs_callback,
        care_type="child",
        children=1,
        child_age=3,
        care_level=None,
        postcode="30159",
        municipality="Hannover",
        urgency=urgency,
        reason="other",
        flags=(),
        created_at=NOW - timedelta(minutes=minutes_ago),
        assigned_at=None,
        has_voicemail=False,
    )


def ids(rows: list[BoardRow]) -> list[int]:
    return [r.case_id for r in rows]


def test_callback_flags_come_first_whatever_their_urgency() -> None:
    rows = [row(1, urgency="now"), row(2, urgency="later", needs_callback=True)]
    assert ids(order_board(rows)) == [2, 1]


def test_then_by_urgency() -> None:
    rows = [
        row(1, urgency="later"),
        row(2, urgency="tomorrow"),
        row(3, urgency="now"),
        row(4, urgency="today"),
    ]
    assert ids(order_board(rows)) == [3, 4, 2, 1]


def test_then_the_longest_wait_first() -> None:
    rows = [row(1, minutes_ago=5), row(2, minutes_ago=50), row(3, minutes_ago=20)]
    assert ids(order_board(rows)) == [2, 3, 1]


def test_an_unknown_urgency_sorts_after_later() -> None:
    rows = [row(1, urgency=None, minutes_ago=90), row(2, urgency="later")]
    assert ids(order_board(rows)) == [2, 1]
    assert urgency_rank(None) == urgency_rank("nonsense") == 4


def test_cases_still_waiting_come_before_assigned_ones() -> None:
    rows = [row(1, urgency="now", status="assigned", minutes_ago=60), row(2, urgency="later")]
    assert ids(order_board(rows)) == [2, 1]


def test_callbacks_among_themselves_follow_urgency_and_wait() -> None:
    rows = [
        row(1, urgency="today", needs_callback=True, minutes_ago=50),
        row(2, urgency="now", needs_callback=True, minutes_ago=5),
        row(3, urgency="today", needs_callback=True, minutes_ago=80),
    ]
    assert ids(order_board(rows)) == [2, 3, 1]


def test_waiting_stops_when_the_case_was_assigned() -> None:
    r = row(1, minutes_ago=40)
    assert r.waiting(NOW) == timedelta(minutes=40)
    assigned = BoardRow(**{**r.__dict__, "status": "assigned", "assigned_at": NOW - timedelta(minutes=15)})
    assert assigned.waiting(NOW) == timedelta(minutes=25)


def test_ordering_is_stable_for_equal_rows() -> None:
    rows = [row(2, minutes_ago=10), row(1, minutes_ago=10)]
    assert ids(order_board(rows)) == [1, 2]
