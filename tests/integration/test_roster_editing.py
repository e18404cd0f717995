"""Shifts added, changed and deleted by hand; calendar feed tokens; on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import berlin
from models import CalendarFeed, Shift
from roster.calendar import InvalidFeedPhone, build_feed, find_feed_shifts, get_feed_by_token, regenerate_feed
from roster.editing import InvalidShift, ShiftNotFound, ShiftValues, add_shift, delete_shift, update_shift
from tests.factories import ANNA, BEN, make_shift


def values(**overrides: str) -> ShiftValues:
    base = {"name": "Anna Albers", "phone": "0157 00000001", "start": "2026-11-24T08:00",
            "end": "2026-11-24T16:00", "role": "primary"}
    base.update(overrides)
    return ShiftValues(**base)


def test_add_shift_stores_e164_and_utc(session: Any) -> None:
    shift = add_shift(session, values=values(start="24.11.2026 08:00"))
    assert shift.phone == ANNA
    assert shift.starts_at == berlin(2026, 11, 24, 8)


def test_an_explicit_offset_settles_the_repeated_hour(session: Any) -> None:
    shift = add_shift(session, values=values(start="2026-10-25T02:30+01:00", end="2026-10-25T08:00"))
    assert shift.starts_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 02:30


def test_add_shift_names_every_problem_and_stores_nothing(session: Any) -> None:
    with pytest.raises(InvalidShift) as info:
        add_shift(session, values=values(name="", phone="12", end="2026-11-24T07:00", role="chef"))
    messages = " | ".join(info.value.messages_de)
    assert "der Name fehlt" in messages
    assert "Telefonnummer '12' ist ungültig" in messages
    assert "das Ende liegt nicht nach dem Beginn" in messages
    assert "Rolle 'chef'" in messages
    assert session.scalars(select(Shift)).first() is None


def test_the_same_shift_twice_is_refused(session: Any) -> None:
    add_shift(session, values=values())
    with pytest.raises(InvalidShift, match="steht schon im Dienstplan") as info:
        add_shift(session, values=values(name="Anna A."))
    assert info.value.text("en") == "this shift is already on the roster"


def test_update_and_delete(session: Any) -> None:
    shift = add_shift(session, values=values())
    update_shift(session, shift_id=shift.id, values=values(role="backup", end="2026-11-24T18:00"))
    assert shift.role.value == "backup" and shift.ends_at == berlin(2026, 11, 24, 18)
    # Saving a shift unchanged is no duplicate of itself.
    update_shift(session, shift_id=shift.id, values=values(role="backup", end="2026-11-24T18:00"))
    delete_shift(session, shift_id=shift.id)
    with pytest.raises(ShiftNotFound):
        delete_shift(session, shift_id=shift.id)
    with pytest.raises(ShiftNotFound):
        update_shift(session, shift_id=shift.id, values=values())


def test_regenerating_a_feed_replaces_its_token(session: Any, clock: Any) -> None:
    first = regenerate_feed(session, phone="0157 00000001", now=clock.now()).token
    assert get_feed_by_token(session, first) is not None
    second = regenerate_feed(session, phone=ANNA, now=clock.now()).token
    assert first != second
    assert get_feed_by_token(session, first) is None
    assert len(session.scalars(select(CalendarFeed)).all()) == 1
    with pytest.raises(InvalidFeedPhone):
        regenerate_feed(session, phone="kein Telefon", now=clock.now())


def test_the_feed_covers_30_days_back_and_90_ahead_of_one_phone(session: Any, clock: Any) -> None:
    now = clock.now()
    old = make_shift(session, phone=ANNA, starts_at=now - timedelta(days=31))
    recent = make_shift(session, phone=ANNA, starts_at=now - timedelta(days=29))
    soon = make_shift(session, phone=ANNA, starts_at=now + timedelta(days=89))
    make_shift(session, phone=ANNA, starts_at=now + timedelta(days=91))
    make_shift(session, phone=BEN, starts_at=now)
    assert [s.id for s in find_feed_shifts(session, phone=ANNA, now=now)] == [recent.id, soon.id]
    assert old.id not in [s.id for s in find_feed_shifts(session, phone=ANNA, now=now)]
    token = regenerate_feed(session, phone=ANNA, now=now).token
    document = build_feed(session, token=token, now=now)
    assert document is not None and document.count(b"BEGIN:VEVENT") == 2
    assert build_feed(session, token="unbekannt", now=now) is None
