"""Care hours: billed per started unit on real elapsed time; implausible times are flagged, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billing.hours import (
    END_BEFORE_START,
    END_IN_FUTURE,
    LONGER_THAN_16H,
    MISSING_END,
    MISSING_START,
    START_BEFORE_REQUEST,
    assess_times,
    billable_hours,
    billable_minutes,
    service_day,
    session_amount,
)
from core.clock import berlin
from dispatch.replies import Reply, ReplyKind, parse_reply
from models import CareSession


def test_per_started_hour() -> None:
    start = berlin(2026, 11, 3, 14, 5)
    assert billable_hours(start, start + timedelta(minutes=1)) == Decimal("1.00")
    assert billable_hours(start, start + timedelta(minutes=60)) == Decimal("1.00")
    assert billable_hours(start, start + timedelta(minutes=61)) == Decimal("2.00")
    assert billable_hours(start, berlin(2026, 11, 3, 18, 10)) == Decimal("5.00")


def test_seconds_do_not_start_a_new_hour() -> None:
    start = berlin(2026, 11, 3, 14, 5)
    assert billable_hours(start, start + timedelta(minutes=60, seconds=59)) == Decimal("1.00")


@pytest.mark.parametrize(("unit", "expected"), [(15, "1.25"), (30, "1.50"), (60, "2.00"), (1, "1.17")])
def test_the_rounding_unit_is_a_setting(unit: int, expected: str) -> None:
    start = berlin(2026, 11, 3, 14, 0)
    assert billable_hours(start, start + timedelta(minutes=70), unit_minutes=unit) == Decimal(expected)


def test_amount_from_minutes_in_cents() -> None:
    assert session_amount(minutes=180, hourly_rate=Decimal("5.00")) == Decimal("15.00")
    assert session_amount(minutes=15, hourly_rate=Decimal("3.30")) == Decimal("0.83")


def test_a_session_across_midnight_is_billed_by_its_length() -> None:
    assert billable_hours(berlin(2026, 11, 3, 22, 30), berlin(2026, 11, 4, 1, 15)) == Decimal("3.00")


def test_dst_spring_forward_night_is_an_hour_shorter() -> None:
    # 29 March 2026: 02:00 becomes 03:00. 00:30 to 04:30 on the wall clock is three real hours.
    assert billable_hours(berlin(2026, 3, 29, 0, 30), berlin(2026, 3, 29, 4, 30)) == Decimal("3.00")


def test_dst_fall_back_night_is_an_hour_longer() -> None:
    # 25 October 2026: 03:00 becomes 02:00 again. 00:30 to 04:30 on the wall clock is five real hours.
    assert billable_hours(berlin(2026, 10, 25, 0, 30), berlin(2026, 10, 25, 4, 30)) == Decimal("5.00")


def test_the_same_instant_in_any_zone_is_the_same_length() -> None:
    start = berlin(2026, 10, 25, 0, 30)
    end_utc = datetime(2026, 10, 25, 3, 30, tzinfo=UTC)  # 04:30 Berlin (CET)
    assert billable_minutes(start, end_utc) == 300


def test_an_end_not_after_the_start_cannot_be_priced() -> None:
    start = berlin(2026, 11, 3, 14, 5)
    with pytest.raises(ValueError):
        billable_hours(start, start)
    with pytest.raises(ValueError):
        billable_hours(start, start - timedelta(hours=1))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        billable_hours(datetime(2026, 11, 3, 14, 5), datetime(2026, 11, 3, 15, 5))  # noqa: DTZ001


NOW = berlin(2026, 11, 4, 12, 0)
OPENED = berlin(2026, 11, 3, 13, 30)


def assess(started_at: datetime | None, ended_at: datetime | None, **kw: Any) -> str | None:
    return assess_times(started_at=started_at, ended_at=ended_at, opened_at=OPENED, now=NOW, **kw)


def test_plausible_times_are_not_flagged() -> None:
    assert assess(berlin(2026, 11, 3, 14, 5), berlin(2026, 11, 3, 18, 10)) is None


def test_missing_start() -> None:
    assert assess(None, berlin(2026, 11, 3, 18, 10)) == MISSING_START
    assert assess(None, None) == MISSING_START


def test_running_session_is_fine_until_it_is_too_long() -> None:
    assert assess(NOW - timedelta(hours=15), None) is None
    assert assess(NOW - timedelta(hours=16, minutes=1), None) == MISSING_END


def test_end_before_start() -> None:
    assert assess(berlin(2026, 11, 3, 18, 0), berlin(2026, 11, 3, 14, 0)) == END_BEFORE_START
    assert assess(berlin(2026, 11, 3, 18, 0), berlin(2026, 11, 3, 18, 0)) == END_BEFORE_START


def test_longer_than_16_hours_unless_confirmed() -> None:
    start = berlin(2026, 11, 3, 14, 0)
    assert assess(start, start + timedelta(hours=16)) is None
    assert assess(start, start + timedelta(hours=16, minutes=1)) == LONGER_THAN_16H
    assert assess(start, start + timedelta(hours=17), confirmed=True) is None


def test_start_long_before_the_call_unless_confirmed() -> None:
    assert assess(OPENED - timedelta(minutes=59), OPENED + timedelta(hours=2)) is None
    assert assess(OPENED - timedelta(hours=2), OPENED + timedelta(hours=2)) == START_BEFORE_REQUEST
    assert assess(OPENED - timedelta(hours=2), OPENED + timedelta(hours=2), confirmed=True) is None


def test_an_end_in_the_future_is_never_waived() -> None:
    assert assess(NOW - timedelta(hours=1), NOW + timedelta(hours=1), confirmed=True) == END_IN_FUTURE


def test_service_day_is_the_berlin_day_care_started() -> None:
    # 23:30 Berlin on the 30th is 22:30 UTC: the 30th, not the 31st or the 1st.
    care = CareSession(started_at=berlin(2026, 11, 30, 23, 30), ended_at=berlin(2026, 12, 1, 2, 0))
    assert str(service_day(care)) == "2026-11-30"
    # 00:30 Berlin on 1 December is 23:30 UTC on 30 November: still December.
    care = CareSession(started_at=berlin(2026, 12, 1, 0, 30), ended_at=berlin(2026, 12, 1, 2, 0))
    assert str(service_day(care)) == "2026-12-01"
    assert str(service_day(CareSession(started_at=None, ended_at=berlin(2026, 12, 1, 2, 0)))) == "2026-12-01"


# --- START <code> / ENDE <code> in the SMS parser ------------------------------------------------


@pytest.mark.parametrize("text", ["START 12", "start 12", "Start12", "START #12", "start 12!", "START: 12"])
def test_start_with_a_code_starts_care(text: str) -> None:
    assert parse_reply(text) == Reply(ReplyKind.CARE_START, code="12")


@pytest.mark.parametrize("text", ["START", "start", "Start!", "ANMELDEN", "UNSTOP"])
def test_a_bare_start_is_still_the_opt_in(text: str) -> None:
    assert parse_reply(text) == Reply(ReplyKind.START)


@pytest.mark.parametrize(
    ("text", "code"),
    [("ENDE 12", "12"), ("ende12", "12"), ("Ende 7a", "7A"), ("FERTIG 12", "12"), ("fertig, danke 12", "12"),
     ("ENDE", None), ("Ende.", None), ("fertig", None)],
)
def test_ende_and_fertig_end_care(text: str, code: str | None) -> None:
    assert parse_reply(text) == Reply(ReplyKind.CARE_END, code=code)


@pytest.mark.parametrize("text", ["END", "end", "STOP", "Stopp"])
def test_end_stays_an_opt_out(text: str) -> None:
    # END is one of Twilio's own opt-out words: it must never be read as the end of care.
    assert parse_reply(text) == Reply(ReplyKind.STOP)


@pytest.mark.parametrize("text", ["START jetzt", "START 12 34", "ENDE 12 34", "Ende gut", "END 12", "anmelden 12"])
def test_anything_else_around_start_and_ende_is_unknown(text: str) -> None:
    assert parse_reply(text).kind is ReplyKind.UNKNOWN
