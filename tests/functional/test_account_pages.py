"""People fix their own set-up: leads edit users, everyone her phone and password; call-back says why it cannot work."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from models import User
from tests.functional.test_case_page import case  # noqa: F401 (fixture)

PASSWORD = "ein-langes-passwort"


def token_of(client: Any, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def people(session: Any, clock: Any) -> dict[str, User]:
    return {role: create_user(session, username=role, name=role.title(), role=role, password=PASSWORD,
                              now=clock.now()) for role in ("lead", "coordinator")}


@pytest.fixture
def lead(app: Any, people: Any) -> Any:
    client = app.test_client()
    sign_in(client, "lead")
    return client


@pytest.fixture
def coordinator(app: Any, people: Any) -> Any:
    client = app.test_client()
    sign_in(client, "coordinator")
    return client


def edit(client: Any, user: User, **fields: str | None) -> Any:
    data = {"name": user.name, "role": user.role.value, "phone": user.phone or "", "active": "y", **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/users/{user.id}/edit", data={**data, "csrf_token": token_of(client, f"/users/{user.id}/edit")})


def test_a_lead_changes_name_role_and_phone(lead: Any, people: Any, session: Any) -> None:
    kim = people["coordinator"]
    page = lead.get(f"/users/{kim.id}/edit").get_data(as_text=True)
    assert 'value="Coordinator"' in page
    response = edit(lead, kim, name="Kim Neumann", role="lead", phone="0151 1234 5678")
    assert response.status_code == 302
    session.refresh(kim)
    assert (kim.name, kim.role.value, kim.phone) == ("Kim Neumann", "lead", "+4915112345678")
    assert "Kim Neumann" in lead.get("/users").get_data(as_text=True)


@pytest.mark.parametrize("phone", ["12", "０１５１ １２３４５６７８", "٠١٥١١٢٣٤٥٦٧٨", "0151²12345678", "x" * 500])
def test_a_phone_that_is_not_a_number_is_refused_and_nothing_changes(lead: Any, people: Any, session: Any,
                                                                     phone: str) -> None:
    kim = people["coordinator"]
    response = edit(lead, kim, name="Anders", phone=phone)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "gültige Telefonnummer" in page or "Feld" in page or "Zeichen" in page
    session.refresh(kim)
    assert kim.name == "Coordinator" and kim.phone is None


def test_a_lead_cannot_demote_or_switch_off_herself(lead: Any, people: Any, session: Any) -> None:
    me = people["lead"]
    assert edit(lead, me, role="coordinator").status_code == 400
    assert edit(lead, me, active=None).status_code == 400
    session.refresh(me)
    assert me.role.value == "lead" and me.active


def test_switching_off_in_the_edit_form_ends_her_sessions(lead: Any, coordinator: Any, people: Any) -> None:
    assert edit(lead, people["coordinator"], active=None).status_code == 302
    assert coordinator.get("/board").status_code == 302


def test_a_coordinator_cannot_edit_users(coordinator: Any, people: Any) -> None:
    assert coordinator.get(f"/users/{people['lead'].id}/edit").status_code == 403


def test_an_unknown_or_huge_user_id_is_404(lead: Any) -> None:
    assert lead.get("/users/999999/edit").status_code == 404
    assert lead.get(f"/users/{2**64}/edit").status_code == 404


def test_everyone_sets_her_own_phone(coordinator: Any, people: Any, session: Any) -> None:
    response = coordinator.post("/account/phone", data={"phone": "0511 1234567",
                                                        "csrf_token": token_of(coordinator, "/account")},
                                follow_redirects=True)
    assert "Ihre Telefonnummer ist gespeichert" in response.get_data(as_text=True)
    session.refresh(people["coordinator"])
    assert people["coordinator"].phone == "+495111234567"
    refused = coordinator.post("/account/phone", data={"phone": "０５１１", "csrf_token": token_of(coordinator, "/account")})
    assert refused.status_code == 400 and "gültige Telefonnummer" in refused.get_data(as_text=True)
    coordinator.post("/account/phone", data={"phone": "", "csrf_token": token_of(coordinator, "/account")})
    session.refresh(people["coordinator"])
    assert people["coordinator"].phone is None


def test_changing_her_password_needs_the_current_one_and_ends_her_other_sessions(app: Any, coordinator: Any,
                                                                                 people: Any) -> None:
    other_device = app.test_client()
    sign_in(other_device, "coordinator")
    token = token_of(coordinator, "/account")
    wrong = coordinator.post("/account/password", data={"current": "falsch-falsch", "new": "ganz-neues-passwort",
                                                        "repeated": "ganz-neues-passwort", "csrf_token": token})
    assert wrong.status_code == 400 and "bisherige Passwort stimmt nicht" in wrong.get_data(as_text=True)
    differ = coordinator.post("/account/password", data={"current": PASSWORD, "new": "ganz-neues-passwort",
                                                         "repeated": "anderes-passwort", "csrf_token": token})
    assert differ.status_code == 400 and "verschieden" in differ.get_data(as_text=True)
    short = coordinator.post("/account/password", data={"current": PASSWORD, "new": "kurz", "repeated": "kurz",
                                                        "csrf_token": token})
    assert short.status_code == 400 and "zu kurz" in short.get_data(as_text=True)
    changed = coordinator.post("/account/password", data={"current": PASSWORD, "new": "ganz-neues-passwort",
                                                          "repeated": "ganz-neues-passwort", "csrf_token": token})
    assert changed.status_code == 302
    assert coordinator.get("/board").status_code == 200  # this session stays
    assert other_device.get("/board").status_code == 302  # the other ends
    fresh = app.test_client()
    sign_in(fresh, "coordinator", "ganz-neues-passwort")


def test_the_account_page_needs_a_sign_in(client: Any) -> None:
    assert client.get("/account").status_code == 302


def test_call_back_is_disabled_and_says_why_without_her_phone(coordinator: Any, case: Any) -> None:  # noqa: F811
    page = coordinator.get(f"/cases/{case.id}").get_data(as_text=True)
    button = re.search(r"<button[^>]*>Zurückrufen</button>", page).group(0)
    assert "disabled" in button and 'aria-describedby="callback-hint"' in button
    assert "Hinterlegen Sie Ihre Telefonnummer unter Mein Konto" in page
    assert 'href="/account"' in page


def test_call_back_is_active_with_her_phone(coordinator: Any, case: Any, session: Any,  # noqa: F811
                                            people: Any) -> None:
    coordinator.post("/account/phone", data={"phone": "0151 99887766", "csrf_token": token_of(coordinator, "/account")})
    page = coordinator.get(f"/cases/{case.id}").get_data(as_text=True)
    button = re.search(r"<button[^>]*>Zurückrufen</button>", page).group(0)
    assert "disabled" not in button


def test_users_list_set_phone_and_reset_password_on_the_command_line(app: Any, runner: Any, people: Any,
                                                                     session: Any, coordinator: Any) -> None:
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split()[:4] == ["Benutzername", "Rolle", "Status", "Telefon"]
    assert any(line.startswith("coordinator") and "aktiv" in line for line in lines)

    assert runner.invoke(args=["users", "set-phone", "coordinator", "0151 12345678"]).exit_code == 0
    session.refresh(people["coordinator"])
    assert people["coordinator"].phone == "+4915112345678"
    assert "+4915112345678" in runner.invoke(args=["users", "list"]).output
    bad = runner.invoke(args=["users", "set-phone", "coordinator", "１２３"])
    assert bad.exit_code != 0 and "gültige Telefonnummer" in bad.output
    assert runner.invoke(args=["users", "set-phone", "niemand", "0151 12345678"]).exit_code != 0

    reset = runner.invoke(args=["users", "reset-password", "coordinator"])
    assert reset.exit_code == 0
    password = re.search(r"new password: (\S+)", reset.output).group(1)
    assert coordinator.get("/board").status_code == 302  # her sessions ended
    fresh = app.test_client()
    sign_in(fresh, "coordinator", password)
    assert session.scalars(select(User).where(User.username == "coordinator")).one().active
