"""Sessions end everywhere; generated passwords never travel in a cookie; no page with personal data is cached."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

import pytest

from accounts import create_user
from dashboard import PAGE_BLUEPRINTS
from models import User
from tests.functional.test_dashboard_authz import routes, world  # noqa: F401 (fixture)


def token_of(client: Any, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(client: Any, username: str, password: str = "ein-langes-passwort") -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def people(session: Any, clock: Any) -> dict[str, User]:
    return {role: create_user(session, username=role, name=role.title(), role=role, password="ein-langes-passwort",
                              now=clock.now()) for role in ("lead", "coordinator")}


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Any, cookie: str) -> int:
    """Open the board with a copied session cookie in a fresh browser; return the status."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/board").status_code


def test_a_replayed_cookie_opens_the_board_until_sign_out(app: Any, client: Any, people: Any) -> None:
    sign_in(client, "coordinator")
    copied = session_cookie(client)
    assert replay(app, copied) == 200
    client.post("/logout", data={"csrf_token": token_of(client, "/board")})
    assert replay(app, copied) == 302  # to the sign-in


def test_signing_out_ends_her_sessions_on_other_devices_too(app: Any, people: Any) -> None:
    phone, desk = app.test_client(), app.test_client()
    sign_in(phone, "coordinator")
    sign_in(desk, "coordinator")
    desk.post("/logout", data={"csrf_token": token_of(desk, "/board")})
    assert phone.get("/board").status_code == 302


def test_a_new_password_from_the_lead_ends_her_sessions(app: Any, people: Any) -> None:
    kim, lead = app.test_client(), app.test_client()
    sign_in(kim, "coordinator")
    copied = session_cookie(kim)
    sign_in(lead, "lead")
    lead.post(f"/users/{people['coordinator'].id}/password", data={"csrf_token": token_of(lead, "/users")})
    assert kim.get("/board").status_code == 302
    assert replay(app, copied) == 302


def test_deactivation_ends_her_sessions_and_reactivation_does_not_revive_them(app: Any, people: Any) -> None:
    kim, lead = app.test_client(), app.test_client()
    sign_in(kim, "coordinator")
    copied = session_cookie(kim)
    sign_in(lead, "lead")
    coordinator_id = people["coordinator"].id
    lead.post(f"/users/{coordinator_id}/active", data={"active": "0", "csrf_token": token_of(lead, "/users")})
    lead.post(f"/users/{coordinator_id}/active", data={"active": "1", "csrf_token": token_of(lead, "/users")})
    assert replay(app, copied) == 302
    assert kim.get("/board").status_code == 302


def test_other_users_sessions_stay_open(app: Any, people: Any) -> None:
    kim, lead = app.test_client(), app.test_client()
    sign_in(kim, "coordinator")
    sign_in(lead, "lead")
    kim.post("/logout", data={"csrf_token": token_of(kim, "/board")})
    assert lead.get("/board").status_code == 200


def test_a_generated_password_is_in_the_page_never_in_a_cookie(app: Any, session: Any, people: Any) -> None:
    lead = app.test_client()
    sign_in(lead, "lead")
    response = lead.post("/users", data={"username": "neu", "name": "Neu", "role": "coordinator",
                                         "csrf_token": token_of(lead, "/users")})
    assert response.status_code == 200
    password = re.search(r'id="one-time-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert "no-store" in response.headers["Cache-Control"]
    for header in response.headers.getlist("Set-Cookie"):
        assert password not in header
        for morsel in SimpleCookie(header).values():
            assert password not in decode_session(app, morsel.value)
    assert password not in decode_session(app, session_cookie(lead))
    assert password not in lead.get("/users").get_data(as_text=True)  # shown once
    again = lead.post(f"/users/{people['coordinator'].id}/password", data={"csrf_token": token_of(lead, "/users")})
    second = re.search(r'id="one-time-password">([^<]+)<', again.get_data(as_text=True)).group(1)
    assert second not in decode_session(app, session_cookie(lead))
    assert second not in lead.get("/users").get_data(as_text=True)


def decode_session(app: Any, value: str) -> str:
    """Return the session cookie's payload as text (signed, not encrypted: anyone can read it)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return repr(serializer.loads(value))


def test_every_dashboard_page_answers_no_store(app: Any, world: dict[str, Any]) -> None:  # noqa: F811
    for role in ("lead", "coordinator"):
        client = app.test_client()
        sign_in(client, role)
        checked = 0
        for endpoint, method, url in routes(app, world):
            if method != "GET" or endpoint.split(".")[0] not in PAGE_BLUEPRINTS:
                continue
            response = client.get(url)
            assert "no-store" in response.headers.get("Cache-Control", ""), (role, url, response.status_code)
            checked += 1
        assert checked > 30

