"""Caregivers edited by hand, their filters, checks, unavailability and opt-out; on a real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from caregivers.editing import (
    CaregiverChanges,
    CaregiverFilter,
    CheckState,
    InvalidCaregiverChange,
    InvalidUnavailabilityPeriod,
    UnavailabilityNotFound,
    add_unavailability_period,
    find_caregivers_filtered,
    find_municipalities,
    find_recent_offers,
    first_aid_check,
    parse_period,
    police_certificate_check,
    read_distance,
    read_first_aid_date,
    read_languages,
    read_max_age,
    read_name,
    read_phone,
    read_postcode,
    remove_unavailability_period,
    set_opted_out,
    update_caregiver,
)
from models import Caregiver

TODAY = date(2026, 11, 23)


def add_caregiver(session: Any, *, phone: str, now: datetime, **fields: Any) -> Caregiver:
    """Add a caregiver in Hannover-Mitte for children 0–13 with valid checks."""
    values: dict[str, Any] = {
        "name": f"Betreuerin {phone[-2:]}", "postcode": "30159", "max_distance_km": 10.0, "min_age": 0,
        "max_age": 13, "eldercare": False, "languages": ["de"], "active": True, "opted_out": False,
        "police_certificate_date": date(2025, 1, 15), "police_certificate_excluded": False,
        "first_aid_date": date(2025, 3, 1), "created_at": now, "updated_at": now,
    }
    values.update(fields)
    caregiver = Caregiver(phone=phone, **values)
    session.add(caregiver)
    session.flush()
    return caregiver


CHANGES = CaregiverChanges(
    name="Marta Kowalski", phone="+4917139200101", postcode="30159", max_distance_km=7.5, min_age=1, max_age=6,
    eldercare=True, languages=("pl", "de"), police_certificate_date=date(2024, 5, 2),
    police_certificate_excluded=False, first_aid_date=date(2025, 5, 2), active=True,
)


@pytest.mark.parametrize("taken_on,state", [
    (date(2022, 1, 23), CheckState.VALID),
    (date(2021, 11, 24), CheckState.EXPIRING),  # expires tomorrow
    (date(2021, 11, 23), CheckState.EXPIRED),  # the fifth anniversary is today
    (None, CheckState.MISSING),
])
def test_police_certificate_lasts_five_years(taken_on: date | None, state: CheckState) -> None:
    assert police_certificate_check(taken_on, excluded=False, today=TODAY).state is state


def test_expiring_means_within_60_days() -> None:
    assert police_certificate_check(date(2022, 1, 22), excluded=False, today=TODAY).state is CheckState.EXPIRING
    assert police_certificate_check(date(2022, 1, 23), excluded=False, today=TODAY).state is CheckState.VALID
    assert police_certificate_check(date(2025, 1, 1), excluded=True, today=TODAY).state is CheckState.EXCLUDED


def test_first_aid_lasts_two_years() -> None:
    assert first_aid_check(date(2024, 11, 23), today=TODAY).state is CheckState.EXPIRED
    assert first_aid_check(date(2024, 12, 1), today=TODAY).expires_on == date(2026, 12, 1)
    assert first_aid_check(date(2024, 12, 1), today=TODAY).state is CheckState.EXPIRING
    assert first_aid_check(date(2025, 6, 1), today=TODAY).state is CheckState.VALID


def test_filters(session: Any, clock: Any) -> None:
    now = clock.now()
    mitte = add_caregiver(session, phone="+4917139200101", now=now, name="A Mitte")
    garbsen = add_caregiver(session, phone="+4917139200102", now=now, name="B Garbsen", postcode="30823",
                            min_age=5, max_age=13, eldercare=True)
    due = add_caregiver(session, phone="+4917139200103", now=now, name="C Fällig",
                        first_aid_date=date(2024, 12, 1))

    def names(**kwargs: Any) -> list[str]:
        return [c.name for c in find_caregivers_filtered(session, filters=CaregiverFilter(**kwargs), today=TODAY)]

    assert names() == [mitte.name, garbsen.name, due.name]
    assert names(municipality="Garbsen") == [garbsen.name]
    assert names(age=3) == [mitte.name, due.name]
    assert names(eldercare=True) == [garbsen.name]
    assert names(eldercare=False) == [mitte.name, due.name]
    assert names(checks_due=True) == [due.name]
    assert "Garbsen" in find_municipalities(session) and "Hannover" in find_municipalities(session)


def test_parse_and_update(session: Any, clock: Any) -> None:
    caregiver = add_caregiver(session, phone="+4917139200101", now=clock.now())
    changes = CHANGES
    later = clock.now() + timedelta(hours=1)
    update_caregiver(session, caregiver_id=caregiver.id, changes=changes, now=later)
    assert caregiver.max_distance_km == 7.5 and (caregiver.min_age, caregiver.max_age) == (1, 6)
    assert caregiver.languages == ["pl", "de"] and caregiver.eldercare
    assert caregiver.first_aid_date == date(2025, 5, 2)
    assert caregiver.updated_at == later
    update_caregiver(session, caregiver_id=caregiver.id,
                     changes=replace(CHANGES, active=False), now=later)
    assert not caregiver.active and caregiver.left_at == later


def test_each_field_rule_reads_or_refuses() -> None:
    assert read_name("  Marta   Kowalski ") == ("Marta Kowalski", None)
    assert read_phone("0171 39200101") == ("+4917139200101", None)
    assert read_distance("7,5") == (7.5, None)
    assert read_languages("pl, de") == (("pl", "de"), None)
    assert read_first_aid_date("02.05.2025", today=TODAY) == (date(2025, 5, 2), None)
    assert read_first_aid_date("", today=TODAY) == (None, None)
    refused = {
        "name": read_name(" "), "phone": read_phone("0511 123456"), "postcode": read_postcode("10115"),
        "max_distance_km": read_distance("viel"), "max_age": read_max_age("4", min_age=9),
        "languages": read_languages("deutsch"), "first_aid_date": read_first_aid_date("2030-01-01", today=TODAY),
    }
    errors = {}
    for field, (value, error) in refused.items():
        assert value is None and error is not None and error.field == field
        errors[field] = error.message
    assert "Festnetznummer" in errors["phone"]
    assert "außerhalb der Region Hannover" in errors["postcode"]
    assert "liegt in der Zukunft" in errors["first_aid_date"]
    assert "unter dem Mindestalter 9" in errors["max_age"]


def test_a_number_of_another_caregiver_is_refused(session: Any, clock: Any) -> None:
    add_caregiver(session, phone="+4917139200101", now=clock.now())
    other = add_caregiver(session, phone="+4917139200102", now=clock.now())
    with pytest.raises(InvalidCaregiverChange, match="gehört schon einer anderen") as info:
        update_caregiver(session, caregiver_id=other.id, changes=CHANGES,
                         now=clock.now())
    assert "already belongs" in info.value.text("en")  # German first, English beside, as every HotlineError


def test_opt_out_is_recorded_with_its_time(session: Any, clock: Any) -> None:
    caregiver = add_caregiver(session, phone="+4917139200101", now=clock.now())
    assert set_opted_out(session, caregiver_id=caregiver.id, opted_out=True, now=clock.now())
    assert caregiver.opted_out and caregiver.opted_out_at == clock.now()
    assert not set_opted_out(session, caregiver_id=caregiver.id, opted_out=True, now=clock.now())
    assert set_opted_out(session, caregiver_id=caregiver.id, opted_out=False, now=clock.now())
    assert not caregiver.opted_out and caregiver.opted_out_at is None


def test_unavailability_periods(session: Any, clock: Any) -> None:
    caregiver = add_caregiver(session, phone="+4917139200101", now=clock.now())
    period = add_unavailability_period(session, caregiver_id=caregiver.id, starts_on=date(2026, 12, 1),
                                       ends_on=date(2026, 12, 5), reason="holiday")
    session.refresh(caregiver)
    assert [p.reason for p in caregiver.unavailability] == ["holiday"]
    with pytest.raises(InvalidUnavailabilityPeriod):
        parse_period({"starts_on": "2026-12-05", "ends_on": "2026-12-01", "reason": "sick"})
    with pytest.raises(InvalidUnavailabilityPeriod):
        parse_period({"starts_on": "2026-12-01", "ends_on": "2026-12-05", "reason": "party"})
    assert parse_period({"starts_on": "01.12.2026", "ends_on": "2026-12-01", "reason": "sick"}) == (
        date(2026, 12, 1), date(2026, 12, 1), "sick")
    with pytest.raises(UnavailabilityNotFound):
        remove_unavailability_period(session, caregiver_id=caregiver.id + 1, unavailability_id=period.id)
    remove_unavailability_period(session, caregiver_id=caregiver.id, unavailability_id=period.id)
    session.refresh(caregiver)
    assert caregiver.unavailability == []


def test_recent_offers_empty_for_a_new_caregiver(session: Any, clock: Any) -> None:
    caregiver = add_caregiver(session, phone="+4917139200101", now=clock.now())
    assert find_recent_offers(session, caregiver_id=caregiver.id, now=clock.now()) == []
