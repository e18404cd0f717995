"""A lead switches surge mode on and off from the board: CSRF, lead only, audited with who and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accounts import create_user
from models import AuditEntry, OutboxMessage
from routing import surge
from tests.factories import CARLA, make_roster
from tests.functional.test_board import PASSWORD, coordinator, csrf_from, sign_in  # noqa: F401  (fixture)


def test_a_lead_switches_surge_mode_from_the_board(app: Any, client: Any, session: Any, clock: Any,
                                                   coordinator: Any) -> None:  # noqa: F811
    make_roster(session, now=clock.now())
    lead = create_user(session, username="lena", name="Lena Leitung", role="lead", password=PASSWORD,
                       now=clock.now())
    sign_in(client, "lena")
    page = client.get("/board").get_data(as_text=True)
    assert "Ansturm-Modus einschalten" in page
    assert client.post("/board/surge", data={"on": "1"}).status_code == 400  # no CSRF token: refused
    assert not surge.is_on(session)

    response = client.post("/board/surge", data={"on": "1", "why": "  Kita-Streik\n heute ",
                                                  "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/board")
    session.expire_all()
    assert surge.is_on(session)
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == surge.AUDIT_ON))
    assert entry.user_id == lead.id and entry.detail["why"] == "Kita-Streik heute"
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == surge.SMS_PURPOSE)).all()
    assert [m.to_number for m in sms] == [CARLA]

    page = client.get("/board").get_data(as_text=True)
    assert "Ansturm-Modus eingeschaltet." in page and "Ansturm-Modus ausschalten" in page
    assert "Ansturm-Modus an seit 10:00 Uhr" in client.get("/board/rows").get_data(as_text=True)
    client.post("/board/surge", data={"on": "0", "csrf_token": csrf_from(page)})
    session.expire_all()
    assert not surge.is_on(session)
    actions = [a.action for a in session.scalars(select(AuditEntry).where(AuditEntry.action.like("surge_%")))]
    assert actions == [surge.AUDIT_ON, surge.AUDIT_OFF]

    other = app.test_client()
    sign_in(other, "clara")  # a coordinator, not a lead
    page = other.get("/board").get_data(as_text=True)
    assert "Ansturm-Modus einschalten" not in page
    token = csrf_from(other.get("/login").get_data(as_text=True)) if "csrf_token" not in page else csrf_from(page)
    assert other.post("/board/surge", data={"on": "1", "csrf_token": token}).status_code == 403
    session.expire_all()
    assert not surge.is_on(session)
