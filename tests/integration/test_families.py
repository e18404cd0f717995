"""Registered families: a call from a known number shows the family, its employer and address at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.demo import DEMO_FAMILY_PHONE, load_demo_billing
from billing.employers import link_case_to_employer
from billing.families import FLAG_KNOWN_FAMILY, find_family_by_phone, recognise_family, register_family
from billing.tariffs import BillingError
from core.clock import berlin
from models import CareType, Case, CaseEvent, Employer, Family
from roster.service_hours import parse_service_hours
from routing.call_flow import CallPolicy, begin_call
from routing.escalation import screening_summary
from tests.factories import PARENT, make_case

POLICY = CallPolicy(hours=parse_service_hours("always"), open_on_holidays=True, fallback_number=None)


@pytest.fixture
def family(session: Session) -> Family:
    """The demo family: registered with a mobile number, employed by the Nordstadt-Klinikum."""
    load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))
    found = find_family_by_phone(session, DEMO_FAMILY_PHONE)
    assert found is not None
    return found


@pytest.mark.parametrize("notation", [DEMO_FAMILY_PHONE, "0151 12340001", "0049 151 1234 0001", "+49 (151) 12340001"])
def test_a_family_is_found_by_its_number_in_any_notation(session: Session, family: Family, notation: str) -> None:
    assert find_family_by_phone(session, notation) == family


@pytest.mark.parametrize("number", [None, "", "anonymous", PARENT])
def test_unknown_or_withheld_numbers_find_nobody(session: Session, family: Family, number: str | None) -> None:
    assert find_family_by_phone(session, number) is None


def test_a_number_belongs_to_one_family(session: Session, family: Family) -> None:
    with pytest.raises(BillingError):
        register_family(session, name="Familie Doppelt", phones=["0151 12340001"], now=berlin(2026, 2, 1),
                        registered_on=date(2026, 2, 1))


def test_a_call_from_a_known_number_shows_family_employer_and_address(
    session: Session, family: Family, clock: Any
) -> None:
    start = begin_call(session, call_sid="CA" + "1" * 32, caller="0151 12340001", now=clock.now(), policy=POLICY)
    case = start.case
    assert case.family_id == family.id
    assert case.employer_id == family.employer_id is not None
    assert case.address == "Lister Meile 12, 30161 Hannover"
    assert FLAG_KNOWN_FAMILY in case.flags
    assert start.ask is not None and start.ask.step.value == "caller_type"  # the menu is as short as ever
    # Twilio delivers the first webhook twice: nothing changes the second time.
    begin_call(session, call_sid="CA" + "1" * 32, caller="0151 12340001", now=clock.now(), policy=POLICY)
    events = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert events.count("family_recognised") == 1 and case.flags.count(FLAG_KNOWN_FAMILY) == 1


def test_the_coordinator_hears_bekannte_familie(session: Session, family: Family, clock: Any) -> None:
    case = begin_call(session, call_sid="CA" + "2" * 32, caller=DEMO_FAMILY_PHONE, now=clock.now(),
                      policy=POLICY).case
    case.care_type, case.children, case.child_age = CareType.CHILD, 1, 3
    assert screening_summary(case).startswith("Bekannte Familie, Kind, 3 Jahre")


def test_an_address_on_the_case_is_kept(session: Session, family: Family, clock: Any) -> None:
    case = make_case(session, now=clock.now(), caller=DEMO_FAMILY_PHONE, address="Bei Oma, Hildesheimer Str. 5")
    recognise_family(session, case=case, now=clock.now())
    assert case.address == "Bei Oma, Hildesheimer Str. 5" and case.family_id == family.id


def test_an_unknown_caller_is_not_a_known_family(session: Session, family: Family, clock: Any) -> None:
    case = begin_call(session, call_sid="CA" + "3" * 32, caller=PARENT, now=clock.now(), policy=POLICY).case
    assert case.family_id is None and case.employer_id is None and FLAG_KNOWN_FAMILY not in case.flags
    assert not screening_summary(case).startswith("Bekannte Familie")


def test_a_broken_lookup_never_costs_the_call(
    session: Session, family: Family, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.call_flow

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(routing.call_flow, "recognise_family", broken)
    start = begin_call(session, call_sid="CA" + "4" * 32, caller=DEMO_FAMILY_PHONE, now=clock.now(), policy=POLICY)
    assert start.is_open and start.ask is not None and start.case.family_id is None


def test_the_coordinator_links_a_case_to_an_employer(session: Session, family: Family, clock: Any) -> None:
    employer = session.scalars(select(Employer).where(Employer.contract_number == "FX-2024-017")).one()
    case = make_case(session, now=clock.now())
    assert link_case_to_employer(session, case=case, employer=employer, now=clock.now()) is True
    assert link_case_to_employer(session, case=case, employer=employer, now=clock.now()) is False
    assert case.employer_id == employer.id
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                    CaseEvent.kind == "employer_linked")).one()
    assert event.detail["contract_number"] == "FX-2024-017"
    assert session.get(Case, case.id).employer_id == employer.id


def test_the_demo_loads_once(session: Session) -> None:
    first = load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))
    again = load_demo_billing(session, now=berlin(2026, 1, 6, 9, 0))
    assert first == {"tariffs": 3, "memberships": 10, "employers": 2, "families": 1}
    assert again == {"tariffs": 0, "memberships": 0, "employers": 0, "families": 0}


def test_the_summary_names_a_known_family_in_both_languages() -> None:
    from ivr.summary import describe_case

    fields = {"care_type": "child", "child_age": 3, "postcode": "30159", "municipality": "Hannover"}
    assert describe_case({**fields, "known_family": True}) == (
        "Bekannte Familie, Kind, 3 Jahre, Postleitzahl 3 0 1 5 9, Hannover.")
    assert describe_case({**fields, "flags": ["known_family"]}, style="sms") == "Bekannte Familie, Kind 3 J., 30159 Hannover"
    assert describe_case({**fields, "known_family": True}, language="en").startswith("Known family, Child")
    assert not describe_case({**fields, "known_family": False}).startswith("Bekannte")
