"""The reports page and the CSV download through the Flask client: for coordinators, not for anonymous visitors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from accounts import create_user
from tests.integration.test_reports import ADDRESS, CONTACT, NAMES, PARENTS, build_world


def token_of(client: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


@pytest.fixture
def world(session: Any, clock: Any) -> Any:
    return build_world(session, now=clock.now())


@pytest.fixture
def coordinator(app: Any, session: Any, clock: Any) -> Any:
    create_user(session, username="kim", name="Kim", role="coordinator", password="ein-langes-passwort",
                now=clock.now())
    client = app.test_client()
    response = client.post("/login", data={"username": "kim", "password": "ein-langes-passwort",
                                           "csrf_token": token_of(client)})
    assert response.status_code == 302
    return client


def test_anonymous_visitors_are_sent_to_the_login(client: Any) -> None:
    for url in ("/reports", "/reports?from=2026-01&to=2026-11", "/reports.csv?from=2026-11&to=2026-11"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_a_coordinator_sees_the_figures_charts_and_tables(coordinator: Any, world: Any) -> None:
    response = coordinator.get("/reports?from=2026-10&to=2026-11")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Berichte</h1>" in page
    assert 'href="/reports"' in page  # the navigation link
    assert "Oktober 2026 bis November 2026" in page
    assert 'value="2026-10"' in page and 'value="2026-11"' in page
    assert '<label for="report-from">' in page and '<label for="report-to">' in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
    for table in ("table-months", "table-waits", "table-municipalities", "table-care-types", "table-employers"):
        assert f'id="{table}"' in page, table
    assert "Betreuung von Angehörigen" in page and "Kinderbetreuung" in page
    assert "Stadtwerke Beispiel GmbH" in page
    assert "&lt;3" in page  # Wennigsen's single call
    assert "4,3" in page  # care hours
    assert "Versprechen: 90 Min." in page


def test_the_page_shows_no_personal_data(coordinator: Any, world: Any) -> None:
    page = coordinator.get("/reports?from=2026-10&to=2026-11").get_data(as_text=True)
    for value in (*PARENTS, *NAMES, ADDRESS, *CONTACT, *world.caregiver_phones,
                  *(case.reference for case in world.cases)):
        assert value not in page, value


def test_the_csv_download(coordinator: Any, world: Any) -> None:
    response = coordinator.get("/reports.csv?from=2026-10&to=2026-11")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fluxx-bericht-2026-10-bis-2026-11.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")
    assert text.splitlines()[0].lstrip("\ufeff").startswith("Monat;Dimension;Auspraegung;Anrufe;")
    for value in (*PARENTS, *NAMES, ADDRESS, *CONTACT, *(case.reference for case in world.cases)):
        assert value not in text, value


def test_a_bad_period_is_explained_not_a_crash(coordinator: Any) -> None:
    response = coordinator.get("/reports?from=2026-11&to=2026-01")
    assert response.status_code == 400
    assert "Der erste Monat liegt nach dem letzten" in response.get_data(as_text=True)
    assert coordinator.get("/reports.csv?from=2026-99&to=2026-01").status_code == 400


def test_the_reason_is_given_in_the_language_she_reads_the_dashboard_in(coordinator: Any) -> None:
    coordinator.get("/lang/en")
    page = coordinator.get("/reports?from=2026-11&to=2026-01").get_data(as_text=True)
    assert "The first month is after the last one. Please swap them." in page
    assert "Der erste Monat" not in page


def test_without_a_period_the_page_shows_this_year(coordinator: Any) -> None:
    page = coordinator.get("/reports").get_data(as_text=True)
    assert "Januar 2026 bis November 2026" in page
    assert "Keine Fälle in diesem Zeitraum." in page


def test_the_page_counts_calls_by_language(coordinator: Any, world: Any, session: Any) -> None:
    for case in world.cases[:3]:
        case.language = "ru"
    session.flush()
    page = coordinator.get("/reports?from=2026-11&to=2026-11").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="table-languages".*?</table>', page, flags=re.S)
    assert table, "the table of languages"
    assert re.search(r">Russisch</th>\s*<td[^>]*>3</td>", table.group(0))
    assert re.search(r">Deutsch</th>\s*<td[^>]*>&lt;3</td>", table.group(0))
