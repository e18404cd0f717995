"""The case page: the menu's answers, editing, the timeline, the actions, and the audit log."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from cases.events import EventKind
from cases.service import record_event
from models import AuditEntry, CaseEvent, CaseStatus, Dispatch, Offer, OfferStatus, OutboxMessage, User
from tests.factories import ANNA, PARENT, make_roster
from tests.factories_dispatch import DORA, EVA, make_caregiver, make_dispatchable_case, start_test_dispatch
from tests.functional.test_board import PASSWORD, csrf_from, sign_in

RECORDING_SID = "RE" + "ab" * 16


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


@pytest.fixture
def case(session: Any, clock: Any) -> Any:
    now = clock.now()
    make_roster(session, now=now)
    case = make_dispatchable_case(session, now=now - timedelta(minutes=20), call_sid="CA-page")
    record_event(
        session,
        case,
        key="incoming",
        kind=EventKind.CALL_RECEIVED,
        now=now - timedelta(minutes=20),
        detail={"open": True},
    )
    record_event(
        session,
        case,
        key="gather:care_type:1",
        kind=EventKind.MENU_ANSWER,
        now=now - timedelta(minutes=19),
        detail={"step": "care_type", "attempt": 1, "answers": {"care_type": "child"}, "flags": []},
    )
    record_event(
        session,
        case,
        key="stage:primary",
        kind=EventKind.DIAL_STAGE,
        now=now - timedelta(minutes=18),
        detail={"stage": "primary", "numbers": [ANNA]},
    )
    record_event(
        session,
        case,
        key="dial:primary",
        kind=EventKind.DIAL_RESULT,
        now=now - timedelta(minutes=17),
        detail={"stage": "primary", "status": "no-answer", "bridged": None, "reached": False},
    )
    session.commit()
    return case


def page(client: Any, case_id: int) -> str:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client: Any, case_id: int, action: str, **data: str) -> Any:
    """Post one of the case page's forms with the token from the page."""
    token = csrf_from(page(client, case_id))
    return client.post(f"/cases/{case_id}/{action}", data={"csrf_token": token, **data})


def flashes(client: Any, case_id: int) -> str:
    return " ".join(re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page(client, case_id)))


def events(session: Any, case: Any, kind: str) -> list[CaseEvent]:
    session.expire_all()
    return list(
        session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind))
    )


# --- Reading -----------------------------------------------------------------------------------------


def test_the_case_page_needs_a_sign_in(client: Any, case: Any) -> None:
    assert client.get(f"/cases/{case.id}").status_code == 302


def test_an_unknown_case_is_404(signed_in: Any) -> None:
    assert signed_in.get("/cases/999999").status_code == 404


def test_it_shows_what_the_menu_captured(signed_in: Any, case: Any) -> None:
    html = page(signed_in, case.id)
    for text in (
        case.reference,
        "Kind, 3 J.",
        "30159",
        "Hannover",
        "sofort",
        "Unfall oder Krankheit",
        "Eltern / Angehörige",
        "01511 2345678",
    ):
        assert text in html, text


def test_the_timeline_reads_as_german_sentences_in_local_time(signed_in: Any, case: Any) -> None:
    html = page(signed_in, case.id)
    assert "Anruf eingegangen" in html
    assert "Menü: Betreuung für: Kind" in html
    assert "Klingelt bei Anna Albers (Dienst)" in html  # the roster's name, not her number
    assert "Dienst: nicht erreicht (nicht angenommen)" in html
    assert "23.11.2026, 09:40" in html  # 08:40 UTC is 09:40 in Hannover


def test_each_view_is_written_to_the_audit_log(
    signed_in: Any, case: Any, coordinator: User, session: Any
) -> None:
    page(signed_in, case.id)
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)))
    assert [(e.action, e.user_id) for e in entries] == [("view_case", coordinator.id)]


# --- Editing -----------------------------------------------------------------------------------------


def test_editing_saves_and_records_which_fields_not_their_values(
    signed_in: Any, case: Any, session: Any
) -> None:
    response = post(
        signed_in,
        case.id,
        "edit",
        parent_name="Petra",
        address="Lister Meile 12, 30161 Hannover",
        care_date="2026-11-23",
        care_time="14:30",
        expected_hours="2,5",
        notes="Allergie: Nüsse",
    )
    assert response.status_code == 302
    session.expire_all()
    assert case.address == "Lister Meile 12, 30161 Hannover"
    assert case.care_starts_at == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert case.expected_hours == 2.5
    (edited,) = events(session, case, "case_edited")
    assert edited.detail["fields"] == ["address", "care_starts_at", "expected_hours", "notes"]
    assert edited.detail["by"] == "clara"
    assert "Lister" not in str(edited.detail) and "Nüsse" not in str(edited.detail)
    html = page(signed_in, case.id)
    assert 'value="14:30"' in html and 'value="2,5"' in html
    assert "Angaben geändert durch clara: Adresse, Beginn der Betreuung" in html


def test_invalid_details_are_refused_with_clear_messages(signed_in: Any, case: Any, session: Any) -> None:
    response = post(
        signed_in,
        case.id,
        "edit",
        parent_name="Petra",
        address="",
        care_date="2026-11-23",
        care_time="",
        expected_hours="viel",
        notes="",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="case-error" id="care_starts_at-error">Bitte zum Datum auch die Uhrzeit angeben.</p>' in html
    assert "Bitte die Dauer als Zahl in Stunden eingeben" in html
    assert 'aria-invalid="true"' in html and 'value="viel"' in html  # what she typed stays in the form
    session.expire_all()
    assert case.expected_hours is None and not events(session, case, "case_edited")


def test_a_time_that_does_not_exist_is_refused(signed_in: Any, case: Any, clock: Any) -> None:
    clock.set(datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    response = post(signed_in, case.id, "edit", care_date="2027-03-28", care_time="02:30")
    assert "wegen der Zeitumstellung" in response.get_data(as_text=True)


def test_each_refused_field_shows_its_own_message_and_nothing_is_saved(
    signed_in: Any, case: Any, session: Any
) -> None:
    response = post(signed_in, case.id, "edit", parent_name="Petra 2", address="Lange Str. 1", notes="a\x00b")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="case-error" id="parent_name-error">Bitte nur den Vornamen eingeben, ohne Ziffern.</p>' in html
    assert '<p class="case-error" id="notes-error">Der Text enthält unzulässige Steuerzeichen.</p>' in html
    assert 'id="address-error"' not in html
    session.expire_all()
    assert case.address != "Lange Str. 1" and not events(session, case, "case_edited")


def test_out_of_range_hours_are_refused(signed_in: Any, case: Any) -> None:
    response = post(signed_in, case.id, "edit", parent_name="Petra", expected_hours="30")
    assert "zwischen 0,5 und 24 Stunden" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(signed_in: Any, case: Any) -> None:
    assert signed_in.post(f"/cases/{case.id}/edit", data={"parent_name": "X"}).status_code == 400
    assert signed_in.post(f"/cases/{case.id}/cancel").status_code == 400


# --- The buttons -------------------------------------------------------------------------------------


def test_vermitteln_sends_offers_in_the_coordinators_name(
    signed_in: Any, case: Any, session: Any, clock: Any
) -> None:
    make_caregiver(session, now=clock.now())
    session.commit()
    assert post(signed_in, case.id, "dispatch").status_code == 302
    assert "Vermittlung gestartet" in flashes(signed_in, case.id)
    dispatch = session.scalars(select(Dispatch).where(Dispatch.case_id == case.id)).one()
    assert dispatch.started_by == "dashboard:clara"
    assert session.scalars(select(Offer).where(Offer.case_id == case.id)).one().status is OfferStatus.OPEN


def test_neu_vermitteln_withdraws_and_starts_again(
    signed_in: Any, case: Any, session: Any, clock: Any, settings: Any
) -> None:
    make_caregiver(session, now=clock.now())
    first = start_test_dispatch(session, case=case, now=clock.now(), settings=settings)
    session.commit()
    clock.advance(minutes=2)
    post(signed_in, case.id, "redispatch")
    session.expire_all()
    dispatches = list(
        session.scalars(select(Dispatch).where(Dispatch.case_id == case.id).order_by(Dispatch.id))
    )
    assert [d.status.value for d in dispatches] == ["cancelled", "active"]
    assert dispatches[0].id == first.id
    statuses = sorted(o.status.value for o in session.scalars(select(Offer).where(Offer.case_id == case.id)))
    assert statuses == ["open", "withdrawn"]


def test_assign_by_hand_texts_caregiver_and_parent_and_cannot_happen_twice(
    signed_in: Any, case: Any, session: Any, clock: Any
) -> None:
    dora = make_caregiver(session, now=clock.now(), name="Dora Dreyer")
    eva = make_caregiver(session, now=clock.now(), phone=EVA, name="Eva Engel")
    session.commit()
    assert f'value="{dora.id}"' in page(signed_in, case.id)  # offered in the list to pick from
    token = csrf_from(page(signed_in, case.id))
    post(signed_in, case.id, "assign", caregiver_id=str(dora.id))
    assert "Der Fall ist vergeben." in flashes(signed_in, case.id)
    # A second coordinator with the page still open tries too: too late.
    signed_in.post(f"/cases/{case.id}/assign", data={"csrf_token": token, "caregiver_id": str(eva.id)})
    assert "schon an eine Betreuungskraft vergeben" in flashes(signed_in, case.id)
    session.expire_all()
    assert case.status is CaseStatus.ASSIGNED and case.caregiver_id == dora.id
    texts = {
        m.to_number: m.body
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id))
    }
    assert set(texts) == {DORA, PARENT}
    assert case.reference in texts[DORA] and "Dora" in texts[PARENT]


def test_abschliessen_closes(signed_in: Any, case: Any, session: Any) -> None:
    post(signed_in, case.id, "close")
    session.expire_all()
    assert case.status is CaseStatus.CLOSED
    html = page(signed_in, case.id)
    assert "keine Aktionen mehr möglich" in html and "Fall abgeschlossen (durch clara)" in html


def test_stornieren_tells_the_assigned_caregiver(signed_in: Any, case: Any, session: Any, clock: Any) -> None:
    dora = make_caregiver(session, now=clock.now())
    session.commit()
    post(signed_in, case.id, "assign", caregiver_id=str(dora.id))
    post(signed_in, case.id, "cancel")
    assert "Einsatz entfällt" in flashes(signed_in, case.id)
    session.expire_all()
    assert case.status is CaseStatus.CANCELLED
    to_dora = [m.body for m in session.scalars(select(OutboxMessage).where(OutboxMessage.to_number == DORA))]
    assert any("storniert" in body for body in to_dora)


def test_zurueckrufen_queues_a_call_to_her_own_phone(signed_in: Any, case: Any, session: Any) -> None:
    post(signed_in, case.id, "callback")
    assert "Ihr Telefon klingelt gleich" in flashes(signed_in, case.id)
    call = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "call")).one()
    assert call.to_number == "+4915199887766"
    assert call.twiml_url == f"https://hotline.example.org/voice/callback/{case.id}"
    assert events(session, case, "callback_requested")[0].detail["by"] == "clara"


def test_zurueckrufen_without_her_own_number_says_so(
    client: Any, case: Any, session: Any, clock: Any
) -> None:
    create_user(
        session,
        username="nina",
        name="Nina Ohnenummer",
        role="coordinator",
        password=PASSWORD,
        now=clock.now(),
    )
    session.commit()
    sign_in(client, "nina")
    post(client, case.id, "callback")
    assert "keine Telefonnummer hinterlegt" in flashes(client, case.id)
    assert not session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "call")).all()


def test_a_coordinator_can_use_every_button(signed_in: Any, case: Any, session: Any, clock: Any) -> None:
    make_caregiver(session, now=clock.now())
    session.commit()
    for action in ("dispatch", "redispatch", "callback", "close"):
        response = post(signed_in, case.id, action)
        assert response.status_code == 302, action
    assert "abgeschlossen" in flashes(signed_in, case.id)


# --- The voicemail -----------------------------------------------------------------------------------


def test_the_voicemail_in_simulator_mode_is_a_clear_404(signed_in: Any, case: Any, session: Any) -> None:
    case.voicemail_sid, case.voicemail_seconds = RECORDING_SID, 12
    record_event(
        session, case, key="recording", kind=EventKind.VOICEMAIL_RECORDED, now=case.created_at, detail={"seconds": 12}
    )
    session.commit()
    html = page(signed_in, case.id)
    assert f'<audio controls preload="none" src="/cases/{case.id}/voicemail"' in html
    response = signed_in.get(f"/cases/{case.id}/voicemail")
    assert response.status_code == 404
    assert "Im Simulatormodus" in response.get_data(as_text=True)
    actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id))]
    assert "listen_voicemail" in actions


class _Recordings(BaseHTTPRequestHandler):
    """Serves one MP3 at Twilio's Recordings path to the right Basic credentials."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recordings.seen.append((self.path, self.headers.get("Authorization")))
        if not self.path.endswith(f"/Recordings/{RECORDING_SID}.mp3"):
            self.send_response(404)
            self.end_headers()
            return
        data = b"ID3-fake-mp3"
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recordings_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_voicemail_is_streamed_from_twilio_with_the_account_credentials(
    app: Any, case: Any, session: Any, coordinator: User, recordings_base: str
) -> None:
    services = app.extensions["fluxx"]
    services.settings = services.settings.with_overrides(
        twilio_account_sid="AC" + "0" * 32, twilio_auth_token="secret-token", twilio_api_base=recordings_base
    )
    case.voicemail_sid = RECORDING_SID
    case.voicemail_url = f"https://evil.example.com/Recordings/{RECORDING_SID}"
    session.commit()
    client = app.test_client()
    sign_in(client, "clara")
    response = client.get(f"/cases/{case.id}/voicemail")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg" and response.get_data() == b"ID3-fake-mp3"
    path, auth = _Recordings.seen[-1]
    assert path == f"/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{RECORDING_SID}.mp3"
    assert auth and auth.startswith("Basic ")
