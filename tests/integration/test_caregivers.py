"""Caregivers on a real database: import and update, look-ups, demo data, and matching a stored case."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caregivers import (
    CaregiverImportError,
    CaregiverNotFound,
    InvalidUnavailability,
    add_unavailability,
    find_caregivers,
    get_caregiver_by_phone,
    import_caregivers,
    load_demo_caregivers,
    require_caregiver,
)
from caregivers.demo import DEMO_CAREGIVERS
from core.clock import FrozenClock, berlin
from core.phones import is_mobile
from dispatch.matching import NoPostcode, case_needs, find_ranked_candidates, load_candidates
from models import Caregiver, CareType, CaseStatus, Urgency
from roster.demo import DEMO_COORDINATORS
from tests.factories import make_case

HEADER = "name;phone;postcode;max_distance_km;min_age;max_age;languages;eldercare;police_certificate_date\n"


def csv(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode("utf-8")


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Caregiver)) or 0


def add_caregiver(session: Session, now: datetime, number: int, **fields: object) -> Caregiver:
    """Add a caregiver in Linden (30451) who passes every gate of a 3-year-old at 30159."""
    values: dict[str, object] = dict(
        name=f"Betreuerin {number}",
        phone=f"+49171392{number:05d}",
        postcode="30451",
        max_distance_km=10.0,
        min_age=0,
        max_age=6,
        eldercare=False,
        languages=["de"],
        active=True,
        opted_out=False,
        police_certificate_date=date(2024, 5, 1),
        police_certificate_excluded=False,
        created_at=now,
        updated_at=now,
    )
    values.update(fields)
    caregiver = Caregiver(**values)
    session.add(caregiver)
    session.flush()
    return caregiver


# --- import ---------------------------------------------------------------------------------------


def test_import_adds_then_updates_by_phone(session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    first = import_caregivers(
        session,
        data=csv(
            "Marta;0171 39200101;30159;10;0;6;de,pl;nein;15.03.2024",
            "Aylin;0171 39200102;30451;8;1;10;tr de;ja;",
        ),
        now=now,
    )
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    marta = get_caregiver_by_phone(session, "+4917139200101")
    assert (
        marta is not None
        and marta.languages == ["de", "pl"]
        and marta.police_certificate_date == date(2024, 3, 15)
    )
    marta.opted_out = True  # she sent STOP meanwhile
    session.flush()

    clock.advance(days=1)
    second = import_caregivers(
        session,
        data=csv(
            "Marta Kowalski;+4917139200101;30161;12,5;0;6;de,pl;nein;15.03.2024",
            "Aylin;0171 39200102;30451;8;1;10;tr de;ja;",
            "Olena;0171 39200104;30625;15;2;12;uk;ja;",
        ),
        now=clock.now(),
    )
    assert (second.added, second.updated, second.unchanged) == (1, 1, 1)
    session.expire_all()
    marta = get_caregiver_by_phone(session, "+4917139200101")
    assert marta is not None
    assert (marta.name, marta.postcode, marta.max_distance_km) == ("Marta Kowalski", "30161", 12.5)
    assert marta.opted_out is True  # an import never overrides what she said by SMS
    assert marta.updated_at == clock.now() and marta.created_at == now
    assert count(session) == 3


def test_an_import_without_the_optional_columns_keeps_the_checks_on_record(
    session: Session, clock: FrozenClock
) -> None:
    import_caregivers(
        session, data=csv("Marta;0171 39200101;30159;10;0;6;de;nein;15.03.2024"), now=clock.now()
    )
    plain = b"name,phone,postcode,max_distance_km,min_age,max_age,languages,eldercare\nMarta,0171 39200101,30159,10,0,6,de,no\n"
    report = import_caregivers(session, data=plain, now=clock.now())
    assert report.unchanged == 1
    assert get_caregiver_by_phone(session, "+4917139200101").police_certificate_date == date(2024, 3, 15)


def test_deactivating_by_import_records_when_she_left(session: Session, clock: FrozenClock) -> None:
    header = "name,phone,postcode,max_distance_km,min_age,max_age,languages,eldercare,active\n"
    import_caregivers(
        session, data=(header + "M,0171 39200101,30159,10,0,6,de,no,ja\n").encode(), now=clock.now()
    )
    import_caregivers(
        session, data=(header + "M,0171 39200101,30159,10,0,6,de,no,nein\n").encode(), now=clock.now()
    )
    marta = get_caregiver_by_phone(session, "+4917139200101")
    assert marta is not None and marta.active is False and marta.left_at == clock.now()


def test_a_bad_line_imports_nothing(session: Session, clock: FrozenClock) -> None:
    with pytest.raises(CaregiverImportError) as info:
        import_caregivers(
            session,
            data=csv(
                "Marta;0171 39200101;30159;10;0;6;de;nein;", "Frieda;0511 1234567;30159;10;0;6;de;nein;"
            ),
            now=clock.now(),
        )
    assert [e.line for e in info.value.errors] == [3]
    assert count(session) == 0


# --- queries --------------------------------------------------------------------------------------


def test_lookups_and_unavailability(session: Session, clock: FrozenClock) -> None:
    marta = add_caregiver(session, clock.now(), 101, name="Marta")
    add_caregiver(session, clock.now(), 102, name="Aylin")
    assert get_caregiver_by_phone(session, "+4917139200101") is marta
    assert get_caregiver_by_phone(session, "+4917139299999") is None
    assert require_caregiver(session, marta.id) is marta
    with pytest.raises(CaregiverNotFound):
        require_caregiver(session, 999_999)
    assert [c.name for c in find_caregivers(session)] == ["Aylin", "Marta"]

    period = add_unavailability(
        session, caregiver=marta, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3), reason="holiday"
    )
    assert period.id is not None and marta.unavailability == [period]
    with pytest.raises(InvalidUnavailability):
        add_unavailability(
            session, caregiver=marta, starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 1), reason="x"
        )


def test_demo_caregivers_fill_an_empty_table_once(session: Session, clock: FrozenClock) -> None:
    assert load_demo_caregivers(session, now=clock.now()) == 20
    assert load_demo_caregivers(session, now=clock.now()) == 0
    caregivers = find_caregivers(session)
    phones = {c.phone for c in caregivers}
    assert len(phones) == 20 and all(is_mobile(p) for p in phones)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert not phones & {phone for _, phone in DEMO_COORDINATORS}
    assert len({c.postcode for c in caregivers}) == len(DEMO_CAREGIVERS)
    assert sum(c.opted_out for c in caregivers) == 1
    assert any(c.police_certificate_date is None for c in caregivers)
    assert any(c.eldercare for c in caregivers) and any(c.min_age == 0 for c in caregivers)


# --- matching a stored case -----------------------------------------------------------------------


def test_find_ranked_candidates_for_the_issue_example(session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    near = add_caregiver(session, now, 1)
    add_caregiver(session, now, 2, postcode="31515")  # Wunstorf, 21 km: radius too small
    far_but_willing = add_caregiver(
        session, now, 3, postcode="31515", max_distance_km=25, min_age=2, max_age=13
    )
    add_caregiver(session, now, 4, min_age=6, max_age=13)  # ages do not fit
    add_caregiver(session, now, 5, opted_out=True)
    add_caregiver(session, now, 6, active=False)
    add_caregiver(session, now, 7, police_certificate_date=date(2021, 11, 23))  # five years old today
    case = make_case(
        session, now=now, care_type=CareType.CHILD, child_age=3, postcode="30159", urgency=Urgency.NOW
    )

    ranked = find_ranked_candidates(session, case=case, now=now)
    assert [r.caregiver_id for r in ranked] == [near.id, far_but_willing.id]
    assert ranked[0].phone == "+4917139200001"
    assert (
        find_ranked_candidates(session, case=case, now=now, exclude={near.id})[0].caregiver_id
        == far_but_willing.id
    )


def test_unavailability_busy_and_fairness_come_from_the_database(
    session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    on_holiday = add_caregiver(session, now, 1)
    add_unavailability(
        session,
        caregiver=on_holiday,
        starts_on=date(2026, 11, 20),
        ends_on=date(2026, 11, 23),
        reason="holiday",
    )
    holiday_over = add_caregiver(session, now, 2)
    add_unavailability(
        session,
        caregiver=holiday_over,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 22),
        reason="holiday",
    )
    busy = add_caregiver(session, now, 3)
    was_busy = add_caregiver(session, now, 4)
    fresh = add_caregiver(session, now, 5)

    # Case 1: "busy" took it an hour ago and is still there (open, window 09:00-13:00).
    make_case(
        session,
        now=now - timedelta(hours=1),
        call_sid="CA" + "2" * 32,
        postcode="30159",
        urgency=Urgency.NOW,
        status=CaseStatus.ASSIGNED,
        caregiver_id=busy.id,
        assigned_at=now - timedelta(hours=1),
    )
    # Case 2: "was_busy" has one closed assignment this week and one 40 days ago: one counts.
    make_case(
        session,
        now=now - timedelta(days=2),
        call_sid="CA" + "3" * 32,
        postcode="30159",
        urgency=Urgency.NOW,
        status=CaseStatus.CLOSED,
        caregiver_id=was_busy.id,
        assigned_at=now - timedelta(days=2),
    )
    make_case(
        session,
        now=now - timedelta(days=40),
        call_sid="CA" + "4" * 32,
        postcode="30159",
        urgency=Urgency.NOW,
        status=CaseStatus.CLOSED,
        caregiver_id=fresh.id,
        assigned_at=now - timedelta(days=40),
    )
    case = make_case(
        session, now=now, postcode="30159", care_type=CareType.CHILD, child_age=3, urgency=Urgency.NOW
    )

    pool = {c.caregiver_id: c for c in load_candidates(session, needs=case_needs(case, now=now), now=now)}
    assert pool[on_holiday.id].unavailable == ((date(2026, 11, 20), date(2026, 11, 23)),)
    assert pool[holiday_over.id].unavailable == ()
    assert pool[busy.id].busy and pool[busy.id].recent_assignments == 1
    assert pool[was_busy.id].busy == () and pool[was_busy.id].recent_assignments == 1
    assert pool[fresh.id].recent_assignments == 0

    ranked = find_ranked_candidates(session, case=case, now=now)
    assert [r.caregiver_id for r in ranked] == [holiday_over.id, fresh.id, was_busy.id]
    assert [r.recent_assignments for r in ranked] == [0, 0, 1]

    # Tomorrow at 07:00 the first case is long over: "busy" is free again.
    tomorrow = make_case(
        session,
        now=now,
        call_sid="CA" + "5" * 32,
        postcode="30159",
        care_type=CareType.CHILD,
        child_age=3,
        urgency=Urgency.TOMORROW,
    )
    assert busy.id in [r.caregiver_id for r in find_ranked_candidates(session, case=tomorrow, now=now)]


def test_eldercare_case(session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    add_caregiver(session, now, 1)
    elder = add_caregiver(session, now, 2, eldercare=True, police_certificate_date=None)
    case = make_case(
        session,
        now=now,
        postcode="30161",
        care_type=CareType.ELDERCARE,
        urgency=Urgency.TODAY,
        care_starts_at=berlin(2026, 11, 23, 14, 0),
        expected_hours=3,
    )
    assert [r.caregiver_id for r in find_ranked_candidates(session, case=case, now=now)] == [elder.id]


def test_a_case_without_a_postcode_raises(session: Session, clock: FrozenClock) -> None:
    case = make_case(session, now=clock.now(), care_type=CareType.CHILD, child_age=3, postcode=None)
    with pytest.raises(NoPostcode):
        find_ranked_candidates(session, case=case, now=clock.now())
