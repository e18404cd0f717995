"""The menu's short path (cases.journal): each answer lands once, on the right case, whole or not at all.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL, where a plain answer is one statement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.journal import record_answer
from models import CareType, Case, CaseEvent
from tests.factories import make_case

SID = "CA" + "4" * 32


def answer(database: Any, now: Any, *, key: str, call_sid: str = SID, **kwargs: Any) -> Any:
    kwargs.setdefault("answers", {})
    return record_answer(database, call_sid=call_sid, key=key, kind=EventKind.MENU_ANSWER,
                         detail={"answers": kwargs["answers"]}, now=now, **kwargs)


def events(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)) or 0


def test_an_answer_sets_the_case_and_adds_one_timeline_entry(session: Session, database: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid=SID)
    later = clock.now() + timedelta(seconds=20)
    entry = answer(database, later, key="gather:care_type:1", answers={"care_type": "eldercare"})
    assert (entry.case_id, entry.language, entry.recorded) == (case.id, "de", True)
    session.expire_all()
    assert case.care_type is CareType.ELDERCARE and case.updated_at == later
    assert events(session, case) == 1


def test_a_repeated_delivery_changes_nothing_twice(session: Session, database: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid=SID)
    first = clock.now() + timedelta(seconds=5)
    answer(database, first, key="gather:children:1", answers={"children": 2})
    again = answer(database, first + timedelta(seconds=3), key="gather:children:1", answers={"children": 2})
    assert (again.case_id, again.recorded) == (case.id, False)
    session.expire_all()
    assert case.children == 2 and case.updated_at == first and events(session, case) == 1


def test_a_call_without_a_case_is_left_to_the_full_path(session: Session, database: Any, clock: Any) -> None:
    assert answer(database, clock.now(), key="gather:children:1", call_sid="CA" + "9" * 32,
                  answers={"children": 1}) is None
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_english_is_remembered_and_returned(session: Session, database: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid=SID)
    entry = answer(database, clock.now(), key="gather:caller_type:1", language="en")
    assert entry.language == "en"
    repeat = answer(database, clock.now(), key="gather:caller_type:1", language="en")
    assert (repeat.language, repeat.recorded) == ("en", False)
    session.expire_all()
    assert case.language == "en"


def test_flags_are_added_once_and_existing_ones_kept(session: Session, database: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid=SID, flags=["known_family"])
    answer(database, clock.now(), key="gather:child_age:1", answers={"child_age": 15},
           flags=("child_over_13", "child_over_13"))
    answer(database, clock.now(), key="gather:child_age:2", answers={"child_age": 15}, flags=("child_over_13",))
    session.expire_all()
    assert case.child_age == 15 and case.flags == ["known_family", "child_over_13"]


def test_an_answer_the_column_cannot_hold_writes_nothing(session: Session, database: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), call_sid=SID)
    with pytest.raises(ValueError):
        answer(database, clock.now(), key="gather:care_type:1", answers={"care_type": "pets"})
    session.expire_all()
    assert case.care_type is None and events(session, case) == 0
