"""The iCalendar document of a coordinator's shifts, parsed back with the icalendar package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from core.clock import berlin
from roster.calendar import CalendarShift, build_calendar

NOW = berlin(2026, 10, 20, 9)


def parse(document: bytes) -> Calendar:
    return Calendar.from_ical(document)


def test_one_event_per_shift_with_stable_uid_summary_and_utc_times() -> None:
    shifts = [
        CalendarShift(7, berlin(2026, 11, 24, 16), berlin(2026, 11, 25, 0), "primary"),
        CalendarShift(8, berlin(2026, 11, 25, 8), berlin(2026, 11, 25, 16), "backup"),
    ]
    calendar = parse(build_calendar(shifts, name="Anna Albers", now=NOW))
    assert calendar["VERSION"] == "2.0"
    assert "Anna Albers" in str(calendar["X-WR-CALNAME"])
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["shift-7@fluxx-hannover", "shift-8@fluxx-hannover"]
    assert [str(e["SUMMARY"]) for e in events] == ["Fluxx Hauptdienst", "Fluxx Vertretung"]
    first = events[0]
    assert first.decoded("DTSTART") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    assert b"DTSTART:20261124T150000Z" in build_calendar(shifts, name="", now=NOW)


def test_the_uid_does_not_change_when_a_shift_is_moved() -> None:
    before = build_calendar([CalendarShift(3, berlin(2026, 11, 24, 8), berlin(2026, 11, 24, 16), "primary")],
                            name="", now=NOW)
    after = build_calendar([CalendarShift(3, berlin(2026, 11, 24, 9), berlin(2026, 11, 24, 17), "primary")],
                           name="", now=NOW + timedelta(hours=1))
    assert parse(before).walk("VEVENT")[0]["UID"] == parse(after).walk("VEVENT")[0]["UID"]


def test_a_night_shift_over_the_dst_change_keeps_its_real_length() -> None:
    # 24/25 October 2026: clocks go back at 03:00, so 22:00 to 06:00 local is nine hours.
    shift = CalendarShift(1, berlin(2026, 10, 24, 22), berlin(2026, 10, 25, 6), "primary")
    event = parse(build_calendar([shift], name="", now=NOW)).walk("VEVENT")[0]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 5, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=9)


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = parse(build_calendar([], name="", now=NOW))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["PRODID"]).startswith("-//Fluxx")
