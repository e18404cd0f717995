"""Member municipalities: who has joined when; a case from a non-member municipality is flagged, not refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.demo import load_demo_billing
from billing.membership import FLAG_NON_MEMBER, add_membership, flag_membership, is_member
from core.clock import berlin
from ivr.menu import Step
from models import Case, CaseEvent
from roster.service_hours import parse_service_hours
from routing.call_flow import CallPolicy, answer_step, begin_call
from tests.factories import PARENT, make_case, make_roster


@pytest.fixture
def demo(session: Session) -> None:
    """The demo's memberships: Hannover since 2016, neighbours joining on two-year contracts."""
    load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))


@pytest.mark.parametrize(
    ("municipality", "day", "member"),
    [
        ("Hannover", date(2016, 1, 1), True),
        ("Hannover", date(2015, 12, 31), False),
        ("Langenhagen", date(2023, 12, 31), True),  # one contract ends ...
        ("Langenhagen", date(2024, 1, 1), True),  # ... the renewal starts the next day
        ("Laatzen", date(2024, 6, 30), False),
        ("Laatzen", date(2024, 7, 1), True),
        ("Seelze", date(2026, 12, 31), False),  # joins on 1 January 2027
        ("Seelze", date(2027, 1, 1), True),
        ("Burgwedel", date(2022, 12, 31), True),  # did not renew
        ("Burgwedel", date(2023, 1, 1), False),
        ("Wunstorf", date(2026, 11, 23), False),  # never joined
    ],
)
def test_membership_by_day(session: Session, demo: None, municipality: str, day: date, member: bool) -> None:
    assert is_member(session, municipality=municipality, day=day) is member


def test_the_office_adds_a_membership(session: Session) -> None:
    add_membership(session, municipality="Sehnde", starts_on=date(2026, 7, 1), ends_on=date(2028, 6, 30))
    assert is_member(session, municipality="Sehnde", day=date(2026, 11, 23))
    assert not is_member(session, municipality="Sehnde", day=date(2028, 7, 1))


def test_a_case_from_a_non_member_is_flagged_once_with_a_timeline_entry(session: Session, demo: None) -> None:
    now = berlin(2026, 11, 23, 10, 0)
    case = make_case(session, now=now, postcode="31515", municipality="Wunstorf")
    assert flag_membership(session, case=case, now=now) is True
    assert flag_membership(session, case=case, now=now) is True
    assert case.flags.count(FLAG_NON_MEMBER) == 1
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert kinds.count("non_member_municipality") == 1


def test_a_member_or_unknown_municipality_is_not_flagged(session: Session, demo: None) -> None:
    now = berlin(2026, 11, 23, 10, 0)
    member = make_case(session, now=now, call_sid="CA" + "2" * 32, postcode="30159", municipality="Hannover")
    outside = make_case(session, now=now, call_sid="CA" + "3" * 32, postcode="10115", municipality=None)
    assert flag_membership(session, case=member, now=now) is False
    assert flag_membership(session, case=outside, now=now) is False
    assert FLAG_NON_MEMBER not in member.flags and FLAG_NON_MEMBER not in outside.flags


def test_a_corrected_postcode_in_a_member_municipality_clears_the_flag(session: Session, demo: None) -> None:
    now = berlin(2026, 11, 23, 10, 0)
    case = make_case(session, now=now, postcode="31515", municipality="Wunstorf")
    flag_membership(session, case=case, now=now)
    case.postcode, case.municipality = "30851", "Langenhagen"
    assert flag_membership(session, case=case, now=now) is False
    assert FLAG_NON_MEMBER not in case.flags


def _policy() -> CallPolicy:
    return CallPolicy(hours=parse_service_hours("always"), open_on_holidays=True, fallback_number="+495111680000")


def test_the_call_path_flags_the_case_once_the_postcode_is_known(session: Session, database: Any, demo: None,
                                                                  clock: Any) -> None:
    now = clock.now()
    make_roster(session, now=now)
    sid = "CA" + "7" * 32
    begin_call(session, call_sid=sid, caller=PARENT, now=now, policy=_policy())
    for step, digits in [(Step.CALLER_TYPE, "1"), (Step.CARE_TYPE, "1"), (Step.CHILDREN, "1"),
                         (Step.CHILD_AGE, "3")]:
        answer_step(database, call_sid=sid, caller=PARENT, step=step, attempt=1, digits=digits, now=now,
                    policy=_policy())
    session.expire_all()  # answer_step wrote in its own units of work
    case = session.scalars(select(Case).where(Case.call_sid == sid)).one()
    assert case.child_age == 3 and FLAG_NON_MEMBER not in case.flags
    answer_step(database, call_sid=sid, caller=PARENT, step=Step.POSTCODE, attempt=1, digits="31515", now=now,
                policy=_policy())
    session.expire_all()
    assert case.municipality == "Wunstorf" and FLAG_NON_MEMBER in case.flags


def test_a_call_from_a_member_municipality_is_not_flagged(session: Session, database: Any, demo: None,
                                                          clock: Any) -> None:
    now = clock.now()
    sid = "CA" + "8" * 32
    begin_call(session, call_sid=sid, caller=PARENT, now=now, policy=_policy())
    answer_step(database, call_sid=sid, caller=PARENT, step=Step.POSTCODE, attempt=1, digits="30159", now=now,
                policy=_policy())
    session.expire_all()
    case = session.scalars(select(Case).where(Case.call_sid == sid)).one()
    assert case.municipality == "Hannover" and FLAG_NON_MEMBER not in case.flags
