"""Gaps in the roster: moments the hotline is open but no primary coordinator is on duty.

Pure functions over plain data: shifts as `(starts_at, ends_at, role)` in aware UTC, the parsed
SERVICE_HOURS, and an explicit period. Open hours are Berlin wall-clock times, so they are built
day by day in Berlin and mapped to UTC with the offset in force at each moment, exactly as
`ServiceHours.is_open` judges them: in spring the skipped hour simply does not occur, in autumn
the repeated hour counts twice (a day open around the clock is 23 or 25 hours long).

Holidays close the whole Berlin calendar day (unless `open_on_holidays`), like `is_open`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from core.clock import BERLIN
from roster.service_hours import MINUTES_PER_DAY, ServiceHours, is_public_holiday

Interval = tuple[datetime, datetime]
#: How far ahead the roster page looks for gaps.
GAP_HORIZON = timedelta(days=14)


def find_gaps(
    shifts: Sequence[tuple[datetime, datetime, str]],
    *,
    hours: ServiceHours,
    open_on_holidays: bool,
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """Return the merged UTC intervals within [start, end) when the hotline is open without a primary."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    open_intervals = find_open_intervals(hours, open_on_holidays=open_on_holidays, start=start, end=end)
    covered = merge_intervals(
        (_utc(s), _utc(e)) for s, e, role in shifts if str(role) == "primary" and _utc(e) > _utc(s)
    )
    return subtract_intervals(open_intervals, covered)


def find_open_intervals(
    hours: ServiceHours, *, open_on_holidays: bool, start: datetime, end: datetime
) -> list[Interval]:
    """Return the merged UTC intervals within [start, end) when the hotline is open."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    if hours.always:
        return [(start, end)]
    pieces: list[Interval] = []
    # An overnight entry of the day before may reach into the first day.
    first = start.astimezone(BERLIN).date() - timedelta(days=1)
    last = end.astimezone(BERLIN).date()
    day = first
    while day <= last:
        for entry in hours.entries:
            if day.weekday() not in entry.days:
                continue
            length = (entry.end_minute - entry.start_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
            wall_start = datetime.combine(day, time()) + timedelta(minutes=entry.start_minute)
            wall_end = wall_start + timedelta(minutes=length)
            # Split at local midnight: a holiday closes one calendar day, not the whole interval.
            for piece_start, piece_end in _split_at_midnight(wall_start, wall_end):
                if not open_on_holidays and is_public_holiday(piece_start.date()):
                    continue
                for utc_start, utc_end in wall_to_utc_intervals(piece_start, piece_end):
                    lo, hi = max(utc_start, start), min(utc_end, end)
                    if lo < hi:
                        pieces.append((lo, hi))
        day += timedelta(days=1)
    return merge_intervals(pieces)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Return intervals sorted and merged where they overlap or touch."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def subtract_intervals(base: Sequence[Interval], cut: Sequence[Interval]) -> list[Interval]:
    """Return the parts of merged `base` intervals not covered by merged `cut` intervals."""
    result: list[Interval] = []
    for lo, hi in base:
        cursor = lo
        for cut_lo, cut_hi in cut:
            if cut_hi <= cursor or cut_lo >= hi:
                continue
            if cut_lo > cursor:
                result.append((cursor, cut_lo))
            cursor = max(cursor, cut_hi)
            if cursor >= hi:
                break
        if cursor < hi:
            result.append((cursor, hi))
    return result


def wall_to_utc_intervals(wall_start: datetime, wall_end: datetime) -> list[Interval]:
    """Return the UTC moments whose Berlin wall-clock time lies in [wall_start, wall_end) of one day.

    Both ends are naive wall-clock times within one calendar day (the end may be the next midnight).
    The day is cut where the UTC offset changes, and each part maps with its own offset: a skipped
    wall time has no moment, a repeated one has two.
    """
    day = wall_start.date()
    day_start = datetime.combine(day, time(), tzinfo=BERLIN).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(), tzinfo=BERLIN).astimezone(UTC)
    segments = _constant_offset_segments(day_start, day_end)
    pieces: list[Interval] = []
    for seg_start, seg_end, offset in segments:
        lo = max(wall_start.replace(tzinfo=UTC) - offset, seg_start)
        hi = min(wall_end.replace(tzinfo=UTC) - offset, seg_end)
        if lo < hi:
            pieces.append((lo, hi))
    return pieces


def _constant_offset_segments(start: datetime, end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """Split [start, end) (UTC, within a day) where Berlin's UTC offset changes (on a whole hour)."""
    segments: list[tuple[datetime, datetime, timedelta]] = []
    seg_start = start
    offset = _offset(start)
    at = start
    while at < end:
        at = min(at + timedelta(hours=1), end)
        if at < end and _offset(at) != offset:
            segments.append((seg_start, at, offset))
            seg_start, offset = at, _offset(at)
    segments.append((seg_start, end, offset))
    return segments


def _offset(at: datetime) -> timedelta:
    offset = at.astimezone(BERLIN).utcoffset()
    assert offset is not None
    return offset


def _split_at_midnight(wall_start: datetime, wall_end: datetime) -> list[tuple[datetime, datetime]]:
    """Split a wall-clock interval into pieces that each lie within one calendar day."""
    pieces = []
    cursor = wall_start
    while cursor < wall_end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        piece_end = min(midnight, wall_end)
        pieces.append((cursor, piece_end))
        cursor = piece_end
    return pieces


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("gap detection needs timezone-aware datetimes")
    return at.astimezone(UTC)


def local_day(at: datetime) -> date:
    """Return the Berlin calendar day of an aware moment."""
    return _utc(at).astimezone(BERLIN).date()
