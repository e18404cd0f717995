"""Leads manage the dashboard's users: create with a one-time password, switch off, never themselves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from models import User


def token_of(client: Any, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def lead_client(app: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="lea", name="Lea", role="lead", password="ein-langes-passwort", now=clock.now())
    client = app.test_client()
    client.post("/login", data={"username": "lea", "password": "ein-langes-passwort", "csrf_token": token_of(client)})
    return client


def test_a_lead_creates_a_coordinator_who_can_sign_in_with_the_shown_password(lead_client: Any, app: Any,
                                                                             session: Any) -> None:
    response = lead_client.post("/users", data={"username": "kim", "name": "Kim Koordination",
                                                "role": "coordinator", "phone": "0151 12345678",
                                                "csrf_token": token_of(lead_client, "/users")},
                                follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Einmaliges Passwort:" in page
    password = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    kim = session.scalars(select(User).where(User.username == "kim")).one()
    assert kim.role.value == "coordinator" and kim.phone == "+4915112345678"
    other = app.test_client()
    signed_in = other.post("/login", data={"username": "kim", "password": password, "csrf_token": token_of(other)})
    assert signed_in.status_code == 302


def test_a_switched_off_user_cannot_sign_in(lead_client: Any, app: Any, session: Any, clock: Any) -> None:
    kim = create_user(session, username="kim", name="Kim", role="coordinator", password="ein-langes-passwort",
                      now=clock.now())
    lead_client.post(f"/users/{kim.id}/active", data={"active": "0", "csrf_token": token_of(lead_client, "/users")})
    other = app.test_client()
    refused = other.post("/login", data={"username": "kim", "password": "ein-langes-passwort",
                                         "csrf_token": token_of(other)})
    assert refused.status_code == 401


def test_a_lead_cannot_switch_herself_off(lead_client: Any, session: Any) -> None:
    lea = session.scalars(select(User).where(User.username == "lea")).one()
    page = lead_client.post(f"/users/{lea.id}/active", data={"active": "0",
                                                             "csrf_token": token_of(lead_client, "/users")},
                            follow_redirects=True).get_data(as_text=True)
    assert "nicht selbst deaktivieren" in page
    session.refresh(lea)
    assert lea.active
