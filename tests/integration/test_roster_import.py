"""Roster import, on-duty queries and the demo roster on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import BERLIN, berlin
from models.roster import CoordinatorLanguages, Shift, ShiftRole
from roster import (
    RosterImportError,
    find_on_duty,
    find_shifts_between,
    has_any_shift,
    import_roster,
    load_demo_roster,
)
from roster.languages import InvalidLanguages, find_languages, set_languages

ROSTER = b"""name,phone,start,end,role
Anke Wiebking,0152 28817390,2026-11-23T08:00,2026-11-23T16:00,primary
Deniz Aydin,0157 35991042,2026-11-23T08:00,2026-11-23T16:00,backup
Jorg Hallensleben,0171 39201234,2026-11-23T16:00,2026-11-24T00:00,primary
Anke Wiebking,0152 28817390,2026-11-23T16:00,2026-11-24T00:00,backup
"""

#: When the imports in these tests run.
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def count_shifts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Shift)) or 0


def test_import_adds_shifts(session: Session) -> None:
    report = import_roster(session, data=ROSTER, now=NOW)
    assert (report.added, report.skipped) == (4, 0)
    assert count_shifts(session) == 4
    assert has_any_shift(session)


def test_importing_the_same_file_twice_changes_nothing(session: Session) -> None:
    import_roster(session, data=ROSTER, now=NOW)
    session.expire_all()
    report = import_roster(session, data=ROSTER, now=NOW)
    assert (report.added, report.skipped) == (0, 4)
    assert count_shifts(session) == 4


def test_same_times_in_another_notation_are_already_present(session: Session) -> None:
    import_roster(session, data=ROSTER, now=NOW)
    excel = ("name;phone;start;end;role\r\n"
             "Anke W.;+49 1522 8817390;23.11.2026 08:00;23.11.2026 16:00;PRIMARY\r\n"
             "Anke W.;+49 1522 8817390;23.11.2026 08:00;23.11.2026 17:00;primary\r\n").encode("cp1252")
    report = import_roster(session, data=excel, now=NOW)
    assert (report.added, report.skipped) == (1, 1)


def test_a_bad_row_imports_nothing(session: Session) -> None:
    bad = ROSTER + b"Broken,0511,2026-11-23T08:00,2026-11-23T16:00,primary\n"
    with pytest.raises(RosterImportError) as info:
        import_roster(session, data=bad, now=NOW)
    assert [e.line for e in info.value.errors] == [6]
    assert count_shifts(session) == 0


def test_find_on_duty_at_boundaries(session: Session) -> None:
    import_roster(session, data=ROSTER, now=NOW)
    assert find_on_duty(session, at=berlin(2026, 11, 23, 7, 59)) == []

    at_start = find_on_duty(session, at=berlin(2026, 11, 23, 8, 0))
    assert [(s.name, s.role) for s in at_start] == [("Anke Wiebking", ShiftRole.PRIMARY),
                                                    ("Deniz Aydin", ShiftRole.BACKUP)]

    # At 16:00 the early shift has ended (end exclusive) and the late shift has begun.
    handover = find_on_duty(session, at=berlin(2026, 11, 23, 16, 0))
    assert [(s.name, s.role) for s in handover] == [("Jorg Hallensleben", ShiftRole.PRIMARY),
                                                    ("Anke Wiebking", ShiftRole.BACKUP)]
    assert find_on_duty(session, at=berlin(2026, 11, 24, 0, 0)) == []


def test_find_on_duty_orders_primaries_first_then_start_then_name(session: Session) -> None:
    for name, start, role in [("Zoe", 9, ShiftRole.PRIMARY), ("Bea", 8, ShiftRole.BACKUP),
                              ("Carl", 8, ShiftRole.PRIMARY), ("Adam", 8, ShiftRole.PRIMARY)]:
        session.add(Shift(name=name, phone="+495111234567", starts_at=berlin(2026, 11, 23, start),
                          ends_at=berlin(2026, 11, 23, 18), role=role))
    session.flush()
    on_duty = find_on_duty(session, at=berlin(2026, 11, 23, 10))
    assert [s.name for s in on_duty] == ["Adam", "Carl", "Zoe", "Bea"]


def test_find_shifts_between_returns_overlapping_shifts(session: Session) -> None:
    import_roster(session, data=ROSTER, now=NOW)
    day = find_shifts_between(session, start=berlin(2026, 11, 23, 12), end=berlin(2026, 11, 23, 16))
    assert {s.name for s in day} == {"Anke Wiebking", "Deniz Aydin"}
    assert find_shifts_between(session, start=berlin(2026, 11, 24), end=berlin(2026, 11, 25)) == []


def test_has_any_shift_on_an_empty_roster(session: Session) -> None:
    assert not has_any_shift(session)


@pytest.mark.parametrize(
    "now",
    [
        berlin(2026, 11, 25, 10, 0),  # an ordinary winter fortnight
        berlin(2026, 3, 20, 12, 0),  # spring forward on Sunday 29 March
        berlin(2026, 10, 21, 12, 0),  # fall back on Sunday 25 October
    ],
    ids=["ordinary_fortnight", "dst_spring_forward_fortnight", "dst_fall_back_fortnight"],
)
def test_demo_roster_has_one_primary_and_one_backup_at_every_hour_for_14_days(session: Session, now) -> None:
    added = load_demo_roster(session, now=now)
    assert added == 15 * 3 * 2  # today and the 14 days after it, three shifts a day, primary and backup
    today = now.date()
    last = today + timedelta(days=15)
    start = berlin(today.year, today.month, today.day)
    end = berlin(last.year, last.month, last.day)
    at = start
    while at < end:
        for probe in (at, at + timedelta(minutes=59)):
            on_duty = find_on_duty(session, at=probe)
            assert [s.role for s in on_duty] == [ShiftRole.PRIMARY, ShiftRole.BACKUP], probe
            assert on_duty[0].phone != on_duty[1].phone
            assert all(s.demo for s in on_duty)
        at += timedelta(hours=1)  # real hours: 23 or 25 of them on a DST day
    assert find_on_duty(session, at=start - timedelta(minutes=1)) == []
    assert find_on_duty(session, at=end) == []


def test_demo_roster_is_renewed_from_the_day_of_each_run(session: Session) -> None:
    first = berlin(2026, 11, 25, 10, 0)
    assert load_demo_roster(session, now=first) == 90
    assert load_demo_roster(session, now=first + timedelta(hours=5)) == 0  # same day: nothing to add
    later = first + timedelta(days=40)
    assert load_demo_roster(session, now=later + timedelta(hours=3)) == 90  # the gap is not back-filled
    on_duty = find_on_duty(session, at=later + timedelta(days=14, hours=12))
    assert [s.role for s in on_duty] == [ShiftRole.PRIMARY, ShiftRole.BACKUP]
    assert load_demo_roster(session, now=later + timedelta(days=1)) == 6  # one more day, three shifts x2


def test_demo_roster_shifts_start_at_local_0_8_16(session: Session) -> None:
    load_demo_roster(session, now=berlin(2026, 3, 29, 12, 0))
    shifts = find_shifts_between(session, start=berlin(2026, 3, 29), end=berlin(2026, 3, 30))
    assert sorted({s.starts_at.astimezone(BERLIN).hour for s in shifts}) == [0, 8, 16]


def test_demo_roster_adds_nothing_when_real_shifts_exist(session: Session) -> None:
    import_roster(session, data=ROSTER, now=NOW)
    assert load_demo_roster(session, now=berlin(2026, 11, 23, 10)) == 0
    assert count_shifts(session) == 4


# The coordinators' languages (issue 14): column `languages`, stored per person (phone), not per shift.
WITH_LANGUAGES = b"""name,phone,start,end,role,languages
Anke Wiebking,0152 28817390,2026-11-23T08:00,2026-11-23T16:00,primary,de;en
Deniz Aydin,0157 35991042,2026-11-23T08:00,2026-11-23T16:00,backup,de;tr
Anke Wiebking,0152 28817390,2026-11-23T16:00,2026-11-24T00:00,backup,
"""
ANKE, DENIZ, JORG = "+4915228817390", "+4915735991042", "+4917139201234"


def test_import_stores_the_languages_per_person(session: Session) -> None:
    report = import_roster(session, data=WITH_LANGUAGES, now=NOW)
    assert (report.added, report.skipped, report.languages) == (3, 0, 2)
    assert find_languages(session, phones=[ANKE, DENIZ, JORG]) == {ANKE: ("de", "en"), DENIZ: ("de", "tr")}
    row = session.get(CoordinatorLanguages, DENIZ)
    assert row is not None and row.updated_at == NOW


def test_a_file_without_the_column_or_with_empty_cells_leaves_the_languages_as_they_are(session: Session) -> None:
    import_roster(session, data=WITH_LANGUAGES, now=NOW)
    report = import_roster(session, data=ROSTER, now=NOW)  # no languages column: shifts only
    assert report.languages == 0
    blank = b"name,phone,start,end,role,languages\nDeniz Aydin,0157 35991042,2026-11-24T08:00,2026-11-24T16:00,backup,\n"
    assert import_roster(session, data=blank, now=NOW).languages == 0
    session.expire_all()
    assert find_languages(session, phones=[ANKE, DENIZ]) == {ANKE: ("de", "en"), DENIZ: ("de", "tr")}
    again = WITH_LANGUAGES.replace(b"de;tr", b"tr;ar")  # a later file changes them: the shifts are skipped
    report = import_roster(session, data=again, now=NOW)
    assert (report.added, report.skipped, report.languages) == (0, 3, 1)
    assert find_languages(session, phones=[DENIZ]) == {DENIZ: ("tr", "ar")}


def test_a_bad_language_imports_neither_shifts_nor_languages(session: Session) -> None:
    bad = WITH_LANGUAGES + b"Jorg Hallensleben,0171 39201234,2026-11-23T16:00,2026-11-24T00:00,primary,de;xx\n"
    with pytest.raises(RosterImportError) as info:
        import_roster(session, data=bad, now=NOW)
    assert [e.line for e in info.value.errors] == [5]
    assert count_shifts(session) == 0
    assert find_languages(session, phones=[ANKE, DENIZ, JORG]) == {}


def test_languages_set_by_hand_and_cleared(session: Session) -> None:
    assert set_languages(session, phone="0157 35991042", text="tr, de", now=NOW) == ("tr", "de")
    assert find_languages(session, phones=[DENIZ]) == {DENIZ: ("tr", "de")}
    assert set_languages(session, phone=DENIZ, text="", now=NOW) == ()
    assert find_languages(session, phones=[DENIZ]) == {}
    with pytest.raises(InvalidLanguages):
        set_languages(session, phone=DENIZ, text="tr;klingonisch", now=NOW)
    with pytest.raises(InvalidLanguages):
        set_languages(session, phone="0511", text="tr", now=NOW)
