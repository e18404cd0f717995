"""Roster pages through the Flask client: week view, gaps, lead-only editing, CSV upload, calendar feed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from accounts import create_user
from core.clock import berlin
from models import CalendarFeed, CoordinatorLanguages, Shift
from tests.factories import ANNA, BEN, make_shift
from tests.functional.test_dashboard_auth import csrf_from, sign_in

PASSWORD = "richtig-lang-genug"


@pytest.fixture
def lead(session: Any, clock: Any) -> Any:
    return create_user(session, username="lea", name="Lea Lead", role="lead", password=PASSWORD, now=clock.now())


@pytest.fixture
def coordinator(session: Any, clock: Any) -> Any:
    return create_user(session, username="kim", name="Kim Koordination", role="coordinator", password=PASSWORD,
                       now=clock.now())


@pytest.fixture
def as_lead(client: Any, lead: Any) -> Any:
    assert sign_in(client, "lea", PASSWORD).status_code == 302
    return client


@pytest.fixture
def as_coordinator(client: Any, coordinator: Any) -> Any:
    assert sign_in(client, "kim", PASSWORD).status_code == 302
    return client


def token_of(client: Any, path: str = "/roster") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def shift_count(session: Any) -> int:
    return session.scalar(select(func.count()).select_from(Shift)) or 0


def test_the_roster_needs_a_sign_in(client: Any) -> None:
    response = client.get("/roster")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_week_shows_shifts_per_coordinator_with_the_role_in_words(as_coordinator: Any, session: Any) -> None:
    make_shift(session, phone=ANNA, name="Anna Albers", role="primary", starts_at=berlin(2026, 11, 24, 8),
               ends_at=berlin(2026, 11, 24, 16))
    make_shift(session, phone=BEN, name="Ben Brandt", role="backup", starts_at=berlin(2026, 11, 24, 22),
               ends_at=berlin(2026, 11, 25, 6))
    html = as_coordinator.get("/roster?week=2026-W48").get_data(as_text=True)
    assert "KW 48/2026" in html
    assert "Anna Albers" in html and "Ben Brandt" in html
    assert "08:00–16:00" in html and "Hauptdienst" in html and "Vertretung" in html
    # A night shift shows on both days, in local time.
    assert "22:00–24:00" in html and "00:00–06:00" in html
    assert 'data-label="Di 24.11."' in html
    # Coordinators see no editing.
    assert "/roster/shifts/new" not in html and "/edit" not in html


def test_previous_and_next_week_links(as_coordinator: Any) -> None:
    html = as_coordinator.get("/roster?week=2026-W01").get_data(as_text=True)
    assert "week=2025-W52" in html and "week=2026-W02" in html
    assert "KW 1/2026" in html


def test_an_unknown_week_falls_back_to_this_week(as_coordinator: Any) -> None:
    html = as_coordinator.get("/roster?week=2026-W77").get_data(as_text=True)
    assert "gibt es nicht" in html and "KW 48/2026" in html


def test_gaps_of_the_next_14_days_are_listed(as_coordinator: Any, session: Any, clock: Any) -> None:
    now = clock.now()
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1), ends_at=berlin(2026, 11, 24, 16))
    make_shift(session, phone=BEN, role="backup", starts_at=berlin(2026, 11, 24, 16), ends_at=berlin(2026, 11, 25))
    make_shift(session, phone=ANNA, starts_at=berlin(2026, 11, 25), ends_at=now + timedelta(days=15))
    html = as_coordinator.get("/roster").get_data(as_text=True)
    assert "Lücken in den nächsten 14 Tagen:" in html
    gaps = re.findall(r'<span class="badge alert">Lücke</span> ([^<]+)</li>', html)
    assert gaps == ["Di 24.11. 16:00–24:00 ohne Hauptdienst"]


@pytest.mark.parametrize("method,path", [
    ("get", "/roster/shifts/new"), ("post", "/roster/shifts/new"), ("get", "/roster/import"),
    ("post", "/roster/import"), ("post", "/roster/feeds"), ("get", "/roster/shifts/{id}/edit"),
    ("post", "/roster/shifts/{id}/edit"), ("post", "/roster/shifts/{id}/delete"), ("post", "/roster/languages"),
])
def test_a_coordinator_cannot_edit(as_coordinator: Any, session: Any, method: str, path: str) -> None:
    shift = make_shift(session, starts_at=berlin(2026, 11, 24, 8))
    token = token_of(as_coordinator)
    url = path.format(id=shift.id)
    data = {"csrf_token": token, "name": "X", "phone": ANNA, "start": "2026-11-24T08:00",
            "end": "2026-11-24T09:00", "role": "primary"}
    response = as_coordinator.get(url) if method == "get" else as_coordinator.post(url, data=data)
    assert response.status_code == 403
    assert shift_count(session) == 1


def test_a_lead_adds_a_shift_in_german_notation(as_lead: Any, session: Any) -> None:
    token = token_of(as_lead, "/roster/shifts/new")
    response = as_lead.post("/roster/shifts/new", data={
        "csrf_token": token, "name": "Anna Albers", "phone": "0157 000 000 01", "start": "24.11.2026 16:00",
        "end": "25.11.2026 00:00", "role": "backup"})
    assert response.status_code == 302 and "week=2026-W48" in response.headers["Location"]
    shift = session.scalars(select(Shift)).one()
    assert shift.phone == ANNA and shift.role.value == "backup"
    assert shift.starts_at == berlin(2026, 11, 24, 16) and shift.ends_at == berlin(2026, 11, 25)


def test_the_shift_form_names_every_problem(as_lead: Any, session: Any) -> None:
    token = token_of(as_lead, "/roster/shifts/new")
    response = as_lead.post("/roster/shifts/new", data={
        "csrf_token": token, "name": "Anna", "phone": "0511", "start": "2026-03-29T02:30",
        "end": "2026-03-28T08:00", "role": "primary"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Telefonnummer &#39;0511&#39; ist ungültig" in html
    assert "gibt es in Berlin nicht (Zeitumstellung" in html
    assert shift_count(session) == 0


@pytest.mark.parametrize("start,end,message", [
    ("2026-11-24T08:00", "2026-11-24T08:00", "das Ende liegt nicht nach dem Beginn"),
    ("2026-11-24T08:00", "2026-12-02T08:00", "länger als 7 Tage"),
    ("2026-10-25T02:30", "2026-10-25T08:00", "gibt es in Berlin zweimal"),
])
def test_the_shift_form_is_as_strict_as_the_import(as_lead: Any, start: str, end: str, message: str) -> None:
    token = token_of(as_lead, "/roster/shifts/new")
    response = as_lead.post("/roster/shifts/new", data={
        "csrf_token": token, "name": "Anna", "phone": ANNA, "start": start, "end": end, "role": "primary"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_lead_edits_and_deletes_a_shift(as_lead: Any, session: Any) -> None:
    shift = make_shift(session, name="Anna Albers", starts_at=berlin(2026, 11, 24, 8))
    shift_id = shift.id
    form = as_lead.get(f"/roster/shifts/{shift_id}/edit").get_data(as_text=True)
    assert 'value="24.11.2026 08:00"' in form and 'value="24.11.2026 16:00"' in form
    token = csrf_from(form)
    response = as_lead.post(f"/roster/shifts/{shift.id}/edit", data={
        "csrf_token": token, "name": "Anna Albers", "phone": ANNA, "start": "24.11.2026 09:00",
        "end": "24.11.2026 17:00", "role": "primary"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Shift, shift.id).starts_at == berlin(2026, 11, 24, 9)
    assert as_lead.post(f"/roster/shifts/{shift_id}/delete", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert shift_count(session) == 0
    assert as_lead.post(f"/roster/shifts/{shift_id}/delete", data={"csrf_token": token}).status_code == 404


def test_editing_without_the_csrf_token_is_refused(as_lead: Any, session: Any) -> None:
    shift = make_shift(session, starts_at=berlin(2026, 11, 24, 8))
    assert as_lead.post(f"/roster/shifts/{shift.id}/delete").status_code == 400
    assert shift_count(session) == 1


CSV_GOOD = (b"name,phone,start,end,role\n"
            b"Anna Albers,0157 00000001,2026-11-24T08:00,2026-11-24T16:00,primary\n"
            b"Ben Brandt,0157 00000002,2026-11-24T08:00,2026-11-24T16:00,backup\n")


def upload(client: Any, data: bytes) -> Any:
    from io import BytesIO

    token = token_of(client, "/roster/import")
    return client.post("/roster/import", data={"csrf_token": token, "file": (BytesIO(data), "plan.csv")},
                       content_type="multipart/form-data")


def test_a_csv_upload_adds_all_rows(as_lead: Any, session: Any) -> None:
    response = upload(as_lead, CSV_GOOD)
    assert response.status_code == 302
    assert shift_count(session) == 2
    assert "2 Schichten eingetragen" in as_lead.get("/roster").get_data(as_text=True)


def test_a_csv_upload_with_a_bad_row_shows_its_line_and_imports_nothing(as_lead: Any, session: Any) -> None:
    bad = CSV_GOOD + b"Carla,0511,2026-11-24T16:00,2026-11-24T08:00,chef\n"
    response = upload(as_lead, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeile 4: Telefonnummer" in html
    assert "Zeile 4: das Ende liegt nicht nach dem Beginn" in html
    assert "Zeile 4: Rolle" in html
    assert "nichts geändert" in html
    assert shift_count(session) == 0


def test_a_feed_serves_the_coordinators_shifts_and_regenerating_invalidates_the_old_url(
    as_lead: Any, client: Any, session: Any
) -> None:
    mine = make_shift(session, phone=ANNA, name="Anna Albers", starts_at=berlin(2026, 11, 24, 8))
    make_shift(session, phone=BEN, name="Ben Brandt", starts_at=berlin(2026, 11, 24, 8))
    make_shift(session, phone=ANNA, name="Anna Albers", starts_at=berlin(2027, 6, 1, 8))  # beyond 90 days
    token = token_of(as_lead)
    assert as_lead.post("/roster/feeds", data={"csrf_token": token, "phone": ANNA}).status_code == 302
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.phone == ANNA)).one()
    old_token = feed.token
    url = f"/calendar/{old_token}.ics"
    assert url in as_lead.get("/roster?week=2026-W48").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": token})
    response = client.get(url)  # no sign-in: the URL is the key
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"shift-{mine.id}@fluxx-hannover"]
    assert str(events[0]["SUMMARY"]) == "Fluxx Hauptdienst"

    assert sign_in(client, "lea", PASSWORD).status_code == 302
    assert client.post("/roster/feeds", data={"csrf_token": token_of(client), "phone": ANNA}).status_code == 302
    session.expire_all()
    new_token = session.scalars(select(CalendarFeed).where(CalendarFeed.phone == ANNA)).one().token
    assert new_token != old_token and len(new_token) >= 43
    assert client.get(url).status_code == 404
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200


def test_an_unknown_feed_token_is_404(client: Any) -> None:
    assert client.get("/calendar/nicht-vorhanden.ics").status_code == 404


def test_a_gap_over_several_days_ends_at_24_00_of_its_last_day(as_coordinator: Any, session: Any, clock: Any) -> None:
    now = clock.now()
    make_shift(session, phone=ANNA, starts_at=now - timedelta(hours=1), ends_at=berlin(2026, 11, 27))
    make_shift(session, phone=ANNA, starts_at=berlin(2026, 11, 30), ends_at=now + timedelta(days=15))
    html = as_coordinator.get("/roster").get_data(as_text=True)
    gaps = re.findall(r'<span class="badge alert">Lücke</span> ([^<]+)</li>', html)
    assert gaps == ["Fr 27.11. 00:00 – Sa 28.11. 24:00 ohne Hauptdienst"]  # Sunday is closed


# The coordinators' languages (issue 14): imported, shown in the week, set by a lead; they belong to the number.
def test_the_languages_column_is_imported_and_shown_in_the_week(as_lead: Any, session: Any) -> None:
    with_languages = CSV_GOOD.replace(b"role\n", b"role,languages\n").replace(b"primary\n", b"primary,de;tr\n")
    response = upload(as_lead, with_languages.replace(b"backup\n", b"backup,\n"))
    assert response.status_code == 302
    html = as_lead.get("/roster").get_data(as_text=True)
    assert "Sprachen von 1 Koordinatorinnen gespeichert." in html
    assert "Spricht: Deutsch, Türkisch" in html and html.count("Spricht:") == 1  # Ben's cell was empty
    assert 'id="lang-1-tr" name="languages" type="checkbox" value="tr" checked' in html


def test_a_wrong_language_in_the_file_names_its_line(as_lead: Any, session: Any) -> None:
    bad = CSV_GOOD.replace(b"role\n", b"role,languages\n").replace(b"primary\n", b"primary,de;tu\n")
    response = upload(as_lead, bad)
    assert response.status_code == 422
    assert "Zeile 2: Sprachen &#39;de;tu&#39;" in response.get_data(as_text=True)
    assert shift_count(session) == 0 and session.get(CoordinatorLanguages, ANNA) is None


def test_a_lead_sets_and_clears_a_coordinators_languages(as_lead: Any, session: Any) -> None:
    make_shift(session, phone=ANNA, name="Anna Albers", role="primary", starts_at=berlin(2026, 11, 24, 8),
               ends_at=berlin(2026, 11, 24, 16))
    token = token_of(as_lead)
    response = as_lead.post("/roster/languages", data={"csrf_token": token, "phone": ANNA, "languages": ["ar", "de"],
                                                        "week": "2026-W48"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/roster?week=2026-W48")
    assert session.get(CoordinatorLanguages, ANNA).languages == ["ar", "de"]
    html = as_lead.get("/roster?week=2026-W48").get_data(as_text=True)
    assert "Spricht: Arabisch, Deutsch" in html
    as_lead.post("/roster/languages", data={"csrf_token": token, "phone": ANNA})  # no box ticked: none
    session.expire_all()
    assert session.get(CoordinatorLanguages, ANNA).languages == []
    assert "Spricht:" not in as_lead.get("/roster?week=2026-W48").get_data(as_text=True)
    assert as_lead.post("/roster/languages", data={"csrf_token": token, "phone": ANNA,
                                                   "languages": "xx"}).status_code == 400


def test_the_languages_in_english(as_lead: Any, session: Any) -> None:
    make_shift(session, phone=ANNA, name="Anna Albers", role="primary", starts_at=berlin(2026, 11, 24, 8),
               ends_at=berlin(2026, 11, 24, 16))
    as_lead.post("/roster/languages", data={"csrf_token": token_of(as_lead), "phone": ANNA, "languages": ["tr"]})
    as_lead.get("/lang/en")
    html = as_lead.get("/roster").get_data(as_text=True)
    assert "Speaks: Turkish" in html and "Coordinators' languages" in html
