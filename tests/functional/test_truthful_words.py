"""Words that tell the truth (issue 11 §4), through the board, the webhooks and the command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accounts import create_user
from core.vocabulary import CASE_STATUS, URGENCY
from models import CareType, Case, CaseEvent, OutboxMessage
from tests.factories import ANNA, PARENT, make_case, make_roster, make_shift
from tests.factories_dispatch import make_caregiver, make_dispatchable_case
from tests.functional.test_board import PASSWORD, sign_in
from tests.helpers import twilio_post


@pytest.fixture
def signed_in(client: Any, session: Any, clock: Any) -> Any:
    """A coordinator signed in through the real form."""
    create_user(session, username="clara", name="Clara Koordination", role="coordinator", password=PASSWORD,
                now=clock.now())
    sign_in(client, "clara")
    return client


def test_care_level_zero_is_unknown_on_the_board(signed_in: Any, session: Any, clock: Any) -> None:
    make_case(session, now=clock.now(), care_type=CareType.ELDERCARE, care_level=0)
    html = signed_in.get("/board").get_data(as_text=True)
    assert "Pflegegrad unbekannt" in html and "Pflegegrad 0" not in html


def test_pressing_0_is_logged_as_the_wish_for_a_person(signed_in: Any, client: Any, session: Any,
                                                       clock: Any) -> None:
    make_roster(session, now=clock.now())
    base = {"CallSid": "CA" + "7" * 32, "From": PARENT, "To": "+4951187654321", "CallStatus": "in-progress"}
    twilio_post(client, "/voice/incoming", base)
    twilio_post(client, "/voice/gather/caller_type/1", {**base, "Digits": "0"})
    case = session.scalars(select(Case)).one()
    html = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "möchte mit einer Person sprechen" in html and "keine gültige Eingabe" not in html


@pytest.mark.parametrize("twilio", [False, True], ids=["simulator", "twilio-without-numbers"])
def test_the_help_sms_never_prints_a_placeholder(app: Any, client: Any, session: Any, settings: Any,
                                                 twilio: bool) -> None:
    services = app.extensions["fluxx"]
    changed = settings.with_overrides(hotline_number=None, fallback_number=None)
    if twilio:  # real credentials but no number configured; the simulator's token still signs the test
        changed = changed.with_overrides(twilio_account_sid="AC" + "0" * 32, twilio_auth_token=settings.simulator_auth_token)
    services.settings = changed
    twilio_post(client, "/sms/incoming", {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32,
                                          "From": "+4917699999999", "To": "+4951187654321", "Body": "Hallo?"})
    body = session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_number == "+4917699999999")).one()
    assert "die Hotline." not in body and "{" not in body
    if twilio:
        assert "bitte rufen Sie die Hotline an" in body
    else:
        assert "0511 00000000" in body  # the simulator's hotline, callable in the browser


def test_simulate_call_names_the_coordinators_and_keeps_the_log_out(runner: Any, app: Any, session: Any,
                                                                     clock: Any) -> None:
    make_roster(session, now=clock.now())
    root = logging.getLogger()
    before = root.handlers[:]
    keys = ["0", "", "", "", ""]  # a person now; nobody answers; no message
    result = runner.invoke(args=["simulate", "call"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert f"Anna Albers ({ANNA})" in result.output
    assert " INFO " not in result.output
    assert root.handlers == before
    log = Path(app.instance_path) / "simulate-call.log"
    assert log.exists() and ANNA not in log.read_text()  # numbers masked there too


def test_simulate_call_refuses_an_invalid_caller_number(runner: Any) -> None:
    result = runner.invoke(args=["simulate", "call", "--from", "12ab"])
    assert result.exit_code != 0 and "keine gültige Telefonnummer" in result.output


def test_cases_list_has_a_header_and_the_dashboards_words(runner: Any, app: Any, session: Any, clock: Any) -> None:
    make_case(session, now=clock.now(), needs_callback=True)
    lines = runner.invoke(args=["cases", "list"]).output.splitlines()
    assert lines[0].split()[:3] == ["Fall", "Eingang", "Status"]
    assert " offen " in lines[1] and "(No" not in "\n".join(lines)
    from dashboard.words import status_label, urgency_label

    with app.test_request_context():
        assert {k: status_label(k) for k in CASE_STATUS} == {k: w.de for k, w in CASE_STATUS.items()}
        assert {k: urgency_label(k) for k in URGENCY} == {k: w.de for k, w in URGENCY.items()}


MINIMAL = """name;phone;postcode;max_distance_km;min_age;max_age;languages;eldercare
Marta Kowalski;0171 39200101;30159;10;0;6;de;nein
Heike Pape;0171 39200111;30159;25;3;13;de;ja
"""


def test_a_list_without_certificate_dates_is_warned_about(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "minimal.csv"
    path.write_text(MINIMAL, encoding="utf-8")
    output = runner.invoke(args=["caregivers", "import", str(path)]).output
    assert "2 Betreuungskräfte ohne gültiges Führungszeugnis" in output
    assert "keine Spalte police_certificate_date" in output


def test_a_dispatch_that_finds_nobody_says_why(runner: Any, session: Any, clock: Any, signed_in: Any,
                                                gateway: Any) -> None:
    now = clock.now()
    make_shift(session, phone=ANNA, name="Anna Albers", starts_at=now)
    make_caregiver(session, phone="+4916000000021", now=now, police_certificate_date=None)
    make_caregiver(session, phone="+4916000000022", now=now, police_certificate_date=None)
    make_caregiver(session, phone="+4916000000023", now=now, postcode="31275", max_distance_km=2.0)
    case = make_dispatchable_case(session, now=now, call_sid="CA" + "8" * 32)
    output = runner.invoke(args=["cases", "dispatch", case.reference]).output
    why = "Warum niemand passt: 2 in Reichweite ohne gültiges Führungszeugnis, 1 zu weit entfernt"
    assert why in output
    assert session.scalars(select(CaseEvent).where(CaseEvent.kind == "no_match")).one()
    assert why in signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    alert = session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_number == ANNA)).one()
    assert why in alert


def test_the_dispatch_button_says_why_nobody_matched(session: Any, clock: Any, signed_in: Any) -> None:
    import re

    now = clock.now()
    make_caregiver(session, phone="+4916000000031", now=now, police_certificate_date=None)
    case = make_dispatchable_case(session, now=now, call_sid="CA" + "9" * 32)
    page = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = signed_in.post(f"/cases/{case.id}/dispatch", data={"csrf_token": token}, follow_redirects=True)
    flash = re.search(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', answer.get_data(as_text=True), re.S)
    assert flash and "Warum niemand passt: 1 in Reichweite ohne gültiges Führungszeugnis" in flash.group(1)
