"""The front page and the dashboard's error pages: a way in, and a way back in the person's language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import abort

from accounts import create_user
from tests.functional.test_board import PASSWORD, sign_in


@pytest.fixture
def signed_in(client: Any, session: Any, clock: Any) -> Any:
    """A coordinator signed in through the real form."""
    create_user(session, username="clara", name="Clara Koordination", role="coordinator", password=PASSWORD,
                now=clock.now())
    sign_in(client, "clara")
    return client


def test_the_front_page_sends_a_visitor_to_the_sign_in(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_an_unknown_page_is_a_dashboard_page_in_german_with_a_way_to_sign_in(client: Any) -> None:
    response = client.get("/gibt-es-nicht")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in html and 'href="/login"' in html and 'lang="de"' in html


def test_an_unknown_page_speaks_english_after_the_switch(client: Any) -> None:
    client.get("/lang/en")
    html = client.get("/gibt-es-nicht").get_data(as_text=True)
    assert "Page not found" in html and 'lang="en"' in html


def test_a_signed_in_coordinator_is_led_back_to_the_board(signed_in: Any) -> None:
    html = signed_in.get("/cases/999999").get_data(as_text=True)
    assert 'href="/board"' in html and "Seite nicht gefunden" in html


def test_a_lead_only_page_says_so_to_a_coordinator(signed_in: Any) -> None:
    response = signed_in.get("/users")
    assert response.status_code == 403 and "Kein Zugriff" in response.get_data(as_text=True)


def test_a_wrong_method_keeps_its_allow_header(client: Any) -> None:
    response = client.delete("/login")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "Das geht so nicht" in response.get_data(as_text=True)


def test_a_form_without_csrf_token_gets_the_400_page(signed_in: Any) -> None:
    response = signed_in.post("/logout")
    assert response.status_code == 400 and "CSRF-Token" in response.get_data(as_text=True)


def test_a_crash_shows_the_500_page_without_details(app: Any, client: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/crash-for-test")
    def crash() -> Any:
        raise RuntimeError("secret detail")

    response = client.get("/crash-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Ein Fehler ist aufgetreten" in html and "secret detail" not in html


def test_a_json_caller_gets_json(app: Any, client: Any) -> None:
    @app.get("/teapot-for-test")
    def teapot() -> Any:
        abort(429)

    response = client.get("/teapot-for-test", headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.get_json()["status"] == 429


def test_twilio_keeps_its_plain_answer(client: Any) -> None:
    response = client.post("/voice/incoming", data={"CallSid": "CA1"})  # unsigned: refused
    assert response.status_code == 403 and "Kein Zugriff" not in response.get_data(as_text=True)
