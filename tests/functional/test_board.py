"""The live board: open cases in working order, refreshed in place, without personal data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from accounts import create_user
from models import CaseStatus, User
from tests.factories import PARENT, make_case
from tests.factories_dispatch import EVA, make_caregiver, make_dispatchable_case, start_test_dispatch

PASSWORD = "richtig-lang-genug"


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a page's form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, CSRF token included."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302


@pytest.fixture
def coordinator(session: Any, clock: Any) -> User:
    return create_user(
        session,
        username="clara",
        name="Clara Koordination",
        role="coordinator",
        password=PASSWORD,
        now=clock.now(),
        phone="0151 99887766",
    )


@pytest.fixture
def signed_in(client: Any, coordinator: User) -> Any:
    sign_in(client, "clara")
    return client


def references_in_order(html: str) -> list[str]:
    return re.findall(r"<strong>([A-Z0-9]{4,8})</strong>", html)


def test_the_front_page_sends_a_signed_in_coordinator_to_the_board(signed_in: Any) -> None:
    response = signed_in.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/board")


def test_the_front_page_sends_everybody_else_to_the_sign_in(client: Any) -> None:
    assert client.get("/").headers["Location"].endswith("/login")


def test_the_board_needs_a_sign_in(client: Any) -> None:
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_rows_fragment_answers_401_not_a_sign_in_page(client: Any) -> None:
    # live.js keeps the old rows on an error instead of swapping the sign-in form into the board.
    assert client.get("/board/rows").status_code == 401


def test_callbacks_first_then_urgency_then_the_longest_wait(signed_in: Any, session: Any, clock: Any) -> None:
    now = clock.now()
    later = make_case(session, now=now - timedelta(minutes=50), call_sid="CA-later", urgency="later")
    today_old = make_case(session, now=now - timedelta(minutes=40), call_sid="CA-today-old", urgency="today")
    today_new = make_case(session, now=now - timedelta(minutes=5), call_sid="CA-today-new", urgency="today")
    urgent = make_case(session, now=now - timedelta(minutes=1), call_sid="CA-now", urgency="now")
    callback = make_case(
        session, now=now - timedelta(minutes=2), call_sid="CA-cb", urgency="tomorrow", needs_callback=True
    )
    session.commit()
    html = signed_in.get("/board/rows").get_data(as_text=True)
    assert references_in_order(html) == [c.reference for c in (callback, urgent, today_old, today_new, later)]
    assert "Rückruf nötig" in html


def test_a_row_shows_care_place_urgency_reason_waiting_and_dispatch_state(
    signed_in: Any, session: Any, clock: Any, settings: Any
) -> None:
    now = clock.now()
    make_caregiver(session, now=now)
    make_caregiver(session, now=now, phone=EVA)
    case = make_dispatchable_case(session, now=now - timedelta(minutes=12), call_sid="CA-row")
    start_test_dispatch(session, case=case, now=now, settings=settings)
    session.commit()
    html = signed_in.get("/board").get_data(as_text=True)
    for text in (
        "Kind, 3 J.",
        "Hannover",
        "sofort",
        "Unfall oder Krankheit",
        "seit 12 Min.",
        "2 Anfragen offen",
    ):
        assert text in html, text


def test_the_board_shows_no_phone_numbers(signed_in: Any, session: Any, clock: Any) -> None:
    make_dispatchable_case(session, now=clock.now(), call_sid="CA-private", address="Lister Meile 1")
    session.commit()
    html = signed_in.get("/board").get_data(as_text=True) + signed_in.get("/board/rows").get_data(
        as_text=True
    )
    digits = re.sub(r"\D", "", html)
    assert PARENT not in html and PARENT[3:] not in digits and "12345678" not in digits
    assert "Petra" not in html and "Lister Meile" not in html


def test_closed_cancelled_and_long_assigned_cases_are_hidden(
    signed_in: Any, session: Any, clock: Any
) -> None:
    now = clock.now()
    shown = make_case(session, now=now, call_sid="CA-shown")
    closed = make_case(session, now=now, call_sid="CA-closed", status=CaseStatus.CLOSED)
    cancelled = make_case(session, now=now, call_sid="CA-cancelled", status=CaseStatus.CANCELLED)
    recent = make_case(
        session,
        now=now - timedelta(hours=3),
        call_sid="CA-recent",
        status=CaseStatus.ASSIGNED,
        assigned_at=now - timedelta(hours=2),
    )
    old = make_case(
        session,
        now=now - timedelta(days=2),
        call_sid="CA-old",
        status=CaseStatus.ASSIGNED,
        assigned_at=now - timedelta(days=2),
    )
    waiting_long = make_case(session, now=now - timedelta(days=3), call_sid="CA-waiting")
    session.commit()
    refs = references_in_order(signed_in.get("/board/rows").get_data(as_text=True))
    assert set(refs) == {shown.reference, recent.reference, waiting_long.reference}
    assert closed.reference not in refs and cancelled.reference not in refs and old.reference not in refs


def test_the_board_refreshes_its_rows_in_place(signed_in: Any, session: Any, clock: Any) -> None:
    page = signed_in.get("/board").get_data(as_text=True)
    assert 'data-live-src="/board/rows"' in page
    assert "live.js" in page
    assert "Zurzeit gibt es keine offenen Fälle" in page
    case = make_case(session, now=clock.now(), call_sid="CA-new")
    session.commit()
    rows = signed_in.get("/board/rows").get_data(as_text=True)
    assert case.reference in rows
    assert "<html" not in rows  # a fragment, not a page
    clock.advance(minutes=7)
    assert "seit 7 Min." in signed_in.get("/board/rows").get_data(as_text=True)


def test_rows_are_readable_on_a_phone(signed_in: Any, session: Any, clock: Any) -> None:
    make_case(session, now=clock.now(), call_sid="CA-phone")
    session.commit()
    html = signed_in.get("/board/rows").get_data(as_text=True)
    assert 'class="responsive' in html
    cells = re.findall(r"<td[^>]*>", html)
    assert cells and all("data-label=" in td for td in cells)
