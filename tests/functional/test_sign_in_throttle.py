"""The sign-in page under guessing: the name stays, tries left are told, a lock says until when, a lead lifts it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts import create_user
from models import User


def token_of(client: Any, path: str = "/login", **kwargs: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, **kwargs).get_data(as_text=True)).group(1)


@pytest.fixture
def kim(session: Any, clock: Any) -> User:
    return create_user(session, username="kim", name="Kim", role="coordinator", password="kims-langes-passwort",
                       now=clock.now())


def attempt(client: Any, username: str, password: str, address: str = "127.0.0.1") -> Any:
    env = {"REMOTE_ADDR": address}
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token_of(client, environ_base=env)}, environ_base=env)


def test_a_wrong_password_keeps_the_name_and_counts_down(client: Any, kim: User) -> None:
    response = attempt(client, "kim", "falsch")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'value="kim"' in page
    assert "Noch 4 Versuche" in page
    for _ in range(3):
        page = attempt(client, "kim", "falsch").get_data(as_text=True)
    assert "Noch 1 Versuch," in page


def test_the_fifth_failure_says_until_when_and_the_right_password_waits(client: Any, kim: User, clock: Any) -> None:
    for _ in range(4):
        attempt(client, "kim", "falsch")
    locked = attempt(client, "kim", "falsch")
    assert locked.status_code == 429
    assert "gesperrt bis 10:00:30 Uhr" in locked.get_data(as_text=True)  # clock: 10:00 Berlin
    assert locked.headers["Retry-After"] == "30"
    assert attempt(client, "kim", "kims-langes-passwort").status_code == 429
    clock.advance(seconds=30)
    assert attempt(client, "kim", "kims-langes-passwort").status_code == 302


def test_the_lock_message_is_english_for_english_readers(client: Any, kim: User) -> None:
    client.get("/lang/en")
    for _ in range(5):
        response = attempt(client, "kim", "falsch")
    assert "locked until 10:00:30" in response.get_data(as_text=True)


def test_guessing_from_one_address_does_not_lock_her_out_at_her_own(app: Any, kim: User) -> None:
    attacker, kim_at_work = app.test_client(), app.test_client()
    for _ in range(8):
        attempt(attacker, "kim", "falsch", address="203.0.113.9")
    assert attempt(attacker, "kim", "kims-langes-passwort", address="203.0.113.9").status_code == 429
    assert attempt(kim_at_work, "kim", "kims-langes-passwort", address="198.51.100.7").status_code == 302


def test_an_address_trying_many_names_is_capped(client: Any, kim: User) -> None:
    for i in range(20):
        attempt(client, f"name{i}", "falsch", address="203.0.113.9")
    assert attempt(client, "kim", "kims-langes-passwort", address="203.0.113.9").status_code == 429


def lead_client(app: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="lea", name="Lea", role="lead", password="ein-langes-passwort", now=clock.now())
    client = app.test_client()
    assert attempt(client, "lea", "ein-langes-passwort", address="10.0.0.1").status_code == 302
    return client


def test_a_lead_sees_the_lock_on_the_users_page_and_lifts_it(app: Any, session: Any, clock: Any, kim: User) -> None:
    lea = lead_client(app, session, clock)
    kims_phone = app.test_client()
    for _ in range(5):
        attempt(kims_phone, "kim", "falsch")
    page = lea.get("/users").get_data(as_text=True)
    assert "gesperrt bis 10:00:30" in page and "Sperre aufheben" in page
    response = lea.post(f"/users/{kim.id}/unlock", data={"csrf_token": token_of(lea, "/users")},
                        follow_redirects=True)
    assert "Sperre für kim aufgehoben" in response.get_data(as_text=True)
    assert attempt(kims_phone, "kim", "kims-langes-passwort").status_code == 302


def test_a_coordinator_cannot_lift_a_lock(app: Any, kim: User) -> None:
    client = app.test_client()
    assert attempt(client, "kim", "kims-langes-passwort").status_code == 302
    assert client.post(f"/users/{kim.id}/unlock", data={"csrf_token": token_of(client, "/board")}).status_code == 403


def test_users_unlock_on_the_command_line(client: Any, runner: Any, kim: User) -> None:
    for _ in range(5):
        attempt(client, "kim", "falsch")
    result = runner.invoke(args=["users", "unlock", "KIM"])
    assert result.exit_code == 0, result.output
    assert "aufgehoben" in result.output
    assert attempt(client, "kim", "kims-langes-passwort").status_code == 302
    assert runner.invoke(args=["users", "unlock", "niemand"]).exit_code != 0


@pytest.mark.parametrize("next_", ["/%09/evil.example/", "//evil.example", "/%5Cevil.example", "https://evil.example",
                                   "/%0A/evil.example", "%2F%2Fevil.example"])
def test_sign_in_never_redirects_to_another_site(client: Any, kim: User, next_: str) -> None:
    token = token_of(client)
    response = client.post(f"/login?next={next_}", data={"username": "kim", "password": "kims-langes-passwort",
                                                         "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/board"


def test_sign_in_goes_on_to_the_page_asked_for(client: Any, kim: User) -> None:
    response = client.post("/login?next=/roster%3Fweek%3D2026-W48", data={
        "username": "kim", "password": "kims-langes-passwort", "csrf_token": token_of(client)})
    assert response.headers["Location"] == "/roster?week=2026-W48"


def test_the_language_switch_never_redirects_to_another_site(client: Any) -> None:
    assert client.get("/lang/en", headers={"Referer": "//evil.example/"}).headers["Location"] == "/"
    assert client.get("/lang/en", headers={"Referer": "https://evil.example/x"}).headers["Location"] == "/"
    assert client.get("/lang/en", headers={"Referer": "http://localhost/roster"}).headers["Location"] == "/roster"
