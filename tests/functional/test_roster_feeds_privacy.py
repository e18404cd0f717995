"""Calendar links are secrets: a coordinator sees only her own on /roster; a lead sees and renews everyone's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts import create_user
from core.clock import berlin
from models import CalendarFeed
from tests.factories import ANNA, BEN, make_shift

PASSWORD = "ein-langes-passwort"


def token_of(client: Any, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(client: Any, username: str) -> Any:
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token_of(client)}).status_code == 302
    return client


@pytest.fixture
def feeds(session: Any, clock: Any) -> dict[str, str]:
    for phone, name in ((ANNA, "Anna Albers"), (BEN, "Ben Berger")):
        make_shift(session, phone=phone, name=name, role="primary", starts_at=berlin(2026, 11, 24, 8),
                   ends_at=berlin(2026, 11, 24, 16))
    tokens = {ANNA: "a" * 43, BEN: "b" * 43}
    session.add_all([CalendarFeed(phone=p, token=t, created_at=clock.now()) for p, t in tokens.items()])
    create_user(session, username="anna", name="Anna Albers", role="coordinator", password=PASSWORD, phone=ANNA,
                now=clock.now())
    create_user(session, username="nophone", name="Ohne Nummer", role="coordinator", password=PASSWORD,
                now=clock.now())
    create_user(session, username="lea", name="Lea", role="lead", password=PASSWORD, now=clock.now())
    session.flush()
    return tokens


def test_a_coordinator_sees_only_her_own_calendar_link(app: Any, feeds: dict[str, str]) -> None:
    page = sign_in(app.test_client(), "anna").get("/roster").get_data(as_text=True)
    assert feeds[ANNA] in page
    assert feeds[BEN] not in page
    assert "Ben Berger" in page  # the shifts themselves stay visible
    assert "Neuen Link erzeugen" not in page


def test_a_coordinator_without_a_phone_sees_no_link_and_is_told_why(app: Any, feeds: dict[str, str]) -> None:
    page = sign_in(app.test_client(), "nophone").get("/roster").get_data(as_text=True)
    assert feeds[ANNA] not in page and feeds[BEN] not in page
    assert "Hinterlegen Sie Ihre Telefonnummer unter Mein Konto" in page


def test_a_lead_sees_and_renews_every_link(app: Any, feeds: dict[str, str], session: Any) -> None:
    lead = sign_in(app.test_client(), "lea")
    page = lead.get("/roster").get_data(as_text=True)
    assert feeds[ANNA] in page and feeds[BEN] in page
    assert page.count("Neuen Link erzeugen") == 2
    assert lead.post("/roster/feeds", data={"phone": BEN, "csrf_token": token_of(lead, "/roster")}).status_code == 302
    assert feeds[BEN] not in lead.get("/roster").get_data(as_text=True)
    assert app.test_client().get(f"/calendar/{feeds[BEN]}.ics").status_code == 404


def test_a_coordinator_cannot_renew_a_link(app: Any, feeds: dict[str, str]) -> None:
    anna = sign_in(app.test_client(), "anna")
    assert anna.post("/roster/feeds", data={"phone": BEN, "csrf_token": token_of(anna, "/roster")}).status_code == 403
