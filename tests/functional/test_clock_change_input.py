"""Issue 10 §4: a wall time the autumn clock change makes happen twice is refused with both readings,
in billing care times and in case editing alike (core.inputs.local_to_utc), and the chosen reading is
taken; a time the spring change skips is refused too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from core.clock import berlin
from models import CareSession, Case
from tests.factories_dispatch import make_caregiver, make_dispatchable_case
from tests.functional.test_board import PASSWORD, csrf_from, sign_in

FIRST_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
SECOND_0230 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET


@pytest.fixture
def coordinator(app: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="clara", name="Clara", role="coordinator", password=PASSWORD, now=clock.now())
    client = app.test_client()
    sign_in(client, "clara")
    return client


@pytest.fixture
def night_case(session: Any) -> Case:
    """A case opened in the night of the autumn clock change, with a caregiver."""
    opened = berlin(2026, 10, 25, 1, 0)
    case = make_dispatchable_case(session, now=opened, call_sid="CA-dst-autumn")
    case.caregiver_id = make_caregiver(session, now=opened).id
    session.flush()
    return case


def post(client: Any, url: str, data: dict[str, str]) -> Any:
    token = csrf_from(client.get("/board").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def sessions_of(session: Any, case: Case) -> list[CareSession]:
    session.expire_all()
    return list(session.scalars(select(CareSession).where(CareSession.case_id == case.id)))


def test_dst_autumn_care_times_refuse_the_doubled_hour_and_offer_both_readings(
    coordinator: Any, night_case: Case, session: Any, clock: Any
) -> None:
    clock.set(berlin(2026, 10, 26, 9, 0))
    response = post(coordinator, f"/cases/{night_case.id}/care-times",
                    {"start_date": "25.10.2026", "start_time": "02:30", "end_date": "25.10.2026", "end_time": "05:00"})
    assert response.status_code == 302
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "02:30 MESZ" in page and "02:30 MEZ" in page and "Zeitumstellung" in page
    assert sessions_of(session, night_case) == []


@pytest.mark.parametrize(("reading", "expected"), [("MESZ", FIRST_0230), ("MEZ", SECOND_0230)])
def test_dst_autumn_care_times_take_the_chosen_reading(
    coordinator: Any, night_case: Case, session: Any, clock: Any, reading: str, expected: datetime
) -> None:
    clock.set(berlin(2026, 10, 26, 9, 0))
    response = post(coordinator, f"/cases/{night_case.id}/care-times",
                    {"start_date": "25.10.2026", "start_time": "02:30", "start_time_reading": reading,
                     "end_date": "25.10.2026", "end_time": "05:00"})
    assert response.status_code == 302
    (saved,) = sessions_of(session, night_case)
    assert saved.started_at.astimezone(UTC) == expected


def test_dst_autumn_case_editing_refuses_the_doubled_hour(coordinator: Any, night_case: Case, session: Any,
                                                         clock: Any) -> None:
    clock.set(berlin(2026, 10, 24, 12, 0))
    response = post(coordinator, f"/cases/{night_case.id}/edit", {"care_date": "2026-10-25", "care_time": "02:30"})
    assert response.status_code == 422
    assert "zweimal" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Case, night_case.id).care_starts_at is None


@pytest.mark.parametrize(("reading", "expected"), [("MESZ", FIRST_0230), ("MEZ", SECOND_0230)])
def test_dst_autumn_case_editing_takes_the_chosen_reading(
    coordinator: Any, night_case: Case, session: Any, clock: Any, reading: str, expected: datetime
) -> None:
    clock.set(berlin(2026, 10, 24, 12, 0))
    response = post(coordinator, f"/cases/{night_case.id}/edit",
                    {"care_date": "2026-10-25", "care_time": "02:30", "care_time_reading": reading})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Case, night_case.id).care_starts_at.astimezone(UTC) == expected


def test_dst_spring_forward_gap_is_refused_in_care_times(coordinator: Any, night_case: Case, session: Any,
                                                          clock: Any) -> None:
    clock.set(berlin(2027, 3, 29, 9, 0))
    response = post(coordinator, f"/cases/{night_case.id}/care-times",
                    {"start_date": "28.03.2027", "start_time": "02:30", "end_date": "28.03.2027", "end_time": "05:00"})
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zeitumstellung nicht" in page
    assert sessions_of(session, night_case) == []
