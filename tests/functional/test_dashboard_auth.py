"""Signing in to the dashboard: argon2 passwords, throttled guessing, CSRF on every form, roles."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from models import User


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a page's form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


@pytest.fixture
def lead(session: Any, clock: Any) -> User:
    return create_user(session, username="Lea", name="Lea Lead", role="lead", password="richtig-lang-genug",
                       now=clock.now())


def sign_in(client: Any, username: str, password: str) -> Any:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_password_is_stored_as_an_argon2_hash(lead: User) -> None:
    assert lead.password_hash.startswith("$argon2")
    assert "richtig" not in lead.password_hash


def test_sign_in_with_the_right_password(client: Any, lead: User) -> None:
    response = sign_in(client, "lea", "richtig-lang-genug")  # user names are case-insensitive
    assert response.status_code == 302


def test_wrong_password_is_refused_in_plain_words(client: Any, lead: User) -> None:
    response = sign_in(client, "lea", "falsch")
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in response.get_data(as_text=True)


def test_guessing_is_throttled(client: Any, lead: User) -> None:
    for _ in range(4):
        assert sign_in(client, "lea", "falsch").status_code == 401
    assert sign_in(client, "lea", "falsch").status_code == 429  # the fifth failure starts the wait
    assert sign_in(client, "lea", "richtig-lang-genug").status_code == 429


def test_a_form_posted_without_its_csrf_token_is_refused(client: Any, lead: User) -> None:
    response = client.post("/login", data={"username": "lea", "password": "richtig-lang-genug"})
    assert response.status_code == 400


def test_twilio_webhooks_need_no_csrf_token_but_a_signature(client: Any) -> None:
    assert client.post("/voice/incoming", data={"CallSid": "CA1"}).status_code == 403


def test_pages_carry_security_headers(client: Any) -> None:
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_users_create_makes_the_first_lead(runner: Any, session: Any) -> None:
    result = runner.invoke(args=["users", "create", "--username", "chefin", "--role", "lead", "--generate"])
    assert result.exit_code == 0, result.output
    assert "Passwort / password:" in result.output
    assert session.scalars(select(User).where(User.username == "chefin")).one().role.value == "lead"


def test_users_create_refuses_a_short_password(runner: Any) -> None:
    result = runner.invoke(args=["users", "create", "--username", "x", "--password", "kurz"])
    assert result.exit_code != 0 and "zu kurz" in result.output


def test_behind_a_proxy_throttling_counts_the_real_client_address(settings: Any, database: Any, clock: Any,
                                                                   session: Any, lead: User) -> None:
    from app import create_app

    app = create_app({"TESTING": True}, settings=settings.with_overrides(trusted_proxy_hops=1),
                     database=database, clock=clock)
    attacker, colleague = app.test_client(), app.test_client()

    def attempt(client: Any, address: str, password: str) -> int:
        token = csrf_from(client.get("/login", headers={"X-Forwarded-For": address}).get_data(as_text=True))
        return client.post("/login", data={"username": "other", "password": password, "csrf_token": token},
                           headers={"X-Forwarded-For": address}).status_code

    for _ in range(4):
        assert attempt(attacker, "203.0.113.9", "falsch") == 401
    assert attempt(attacker, "203.0.113.9", "falsch") == 429
    token = csrf_from(colleague.get("/login", headers={"X-Forwarded-For": "198.51.100.7"}).get_data(as_text=True))
    response = colleague.post("/login", data={"username": "lea", "password": "richtig-lang-genug",
                                              "csrf_token": token}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 302  # the colleague at another address is not locked out
