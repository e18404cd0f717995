"""Stories of care and money: a known family calls, a caregiver texts START and ENDE, the month is billed.

Everything goes through the signed webhooks (voice and SMS) and the command line, with a frozen clock
moved by hand, the way the coordination office and the caregivers experience it.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.demo import DEMO_FAMILY_PHONE, load_demo_billing
from billing.hours import MISSING_START
from core.clock import FrozenClock, berlin
from core.settings import Settings
from models import Caregiver, CareSession, Case, InboundMessage, OutboxMessage
from tests.factories import ANNA, make_roster
from tests.factories_dispatch import (
    DORA,
    EVA,
    GRACE,
    make_caregiver,
    make_dispatchable_case,
    open_offer_of,
    start_test_dispatch,
)
from tests.helpers import twilio_post, twiml
from tests.scenarios.test_call_stories import HAPPY, Phone

_sids = count(1)


def text(client: Any, body: str, *, sender: str) -> str:
    """Send a signed SMS to /sms/incoming as Twilio would; return its MessageSid."""
    sid = f"SM{next(_sids):032x}"
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": sender, "To": "+4951187654321",
              "Body": body, "NumMedia": "0"}
    response = twilio_post(client, "/sms/incoming", params)
    assert response.status_code == 200
    return sid


def outcome(session: Session, sid: str) -> str | None:
    """Return what became of an incoming SMS."""
    return session.scalars(select(InboundMessage.outcome).where(InboundMessage.message_sid == sid)).one()


def last_reply(session: Session, number: str) -> str:
    """Return the newest automatic reply queued to a number."""
    return session.scalars(
        select(OutboxMessage.body)
        .where(OutboxMessage.to_number == number, OutboxMessage.purpose.startswith("reply"))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).one()


def sessions_of(session: Session, case: Case) -> list[CareSession]:
    """Return a case's care sessions, oldest first."""
    session.expire_all()
    return list(session.scalars(select(CareSession).where(CareSession.case_id == case.id).order_by(CareSession.id)))


@pytest.fixture
def assigned(session: Session, clock: FrozenClock, settings: Settings, client: Any) -> tuple[Case, Caregiver, str]:
    """A case Dora accepted by SMS (JA <code>); return the case, Dora and her code."""
    now = clock.now()
    load_demo_billing(session, now=now)
    dora = make_caregiver(session, phone=DORA, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA" + "5" * 32)
    start_test_dispatch(session, case=case, now=now, settings=settings)
    code = open_offer_of(session, case=case, caregiver=dora).code
    assert outcome(session, text(client, f"JA {code}", sender=DORA)) == "yes_won"
    session.refresh(case)
    assert case.caregiver_id == dora.id
    return case, dora, code


def test_a_partner_employee_calls_care_is_texted_and_the_month_is_billed(
    app: Any, client: Any, runner: Any, session: Session, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    # Monday 23 November, 10:00: the demo family (Nordstadt-Klinikum) calls from its registered mobile.
    now = clock.now()
    load_demo_billing(session, now=now)
    make_roster(session, now=now)
    phone = Phone(client, "CA" + "f" * 32, caller=DEMO_FAMILY_PHONE)
    phone.dial_in_and_answer(HAPPY)
    case = session.scalars(select(Case).where(Case.call_sid == phone.call_sid)).one()
    assert case.family_id is not None and case.employer_id is not None
    assert case.address == "Lister Meile 12, 30161 Hannover"

    # Anna's phone rings; before she presses 1 she hears who is calling.
    screening = twiml(twilio_post(client, f"/voice/screen/{case.id}", {
        "CallSid": "CA" + "e" * 32, "ParentCallSid": phone.call_sid, "To": ANNA, "From": DEMO_FAMILY_PHONE,
        "CallStatus": "in-progress"}))
    assert "Fluxx-Anruf. Bekannte Familie, Kind, 3 Jahre" in " ".join(s.text or "" for s in screening.iter("Say"))

    # The case is dispatched; Dora says yes, starts at 10:40 and finishes at 14:15.
    dora = make_caregiver(session, phone=DORA, now=now)
    assert runner.invoke(args=["cases", "dispatch", case.reference]).exit_code == 0
    code = open_offer_of(session, case=case, caregiver=dora).code
    assert outcome(session, text(client, f"Ja {code}", sender=DORA)) == "yes_won"
    clock.set(berlin(2026, 11, 23, 10, 40))
    assert outcome(session, text(client, f"START {code}", sender=DORA)) == "care_started"
    assert last_reply(session, DORA) == f"Danke, Beginn 10:40 notiert. Am Ende der Betreuung bitte ENDE {code} senden."
    clock.set(berlin(2026, 11, 23, 14, 15))
    assert outcome(session, text(client, f"ende {code}", sender=DORA)) == "care_ended"
    assert last_reply(session, DORA) == "Danke, Ende 14:15 notiert. Betreuungszeit 3:35 Std."

    # On 1 December the office runs November's billing.
    clock.set(berlin(2026, 12, 1, 8, 0))
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2026-0001" in result.output and "12,00 €" in result.output  # 4 started hours at the partner rate
    assert "AG-2026-0001" in result.output and "Nordstadt-Klinikum gGmbH (FX-2019-004): 1 Fälle, 4,00 Std." in (
        result.output)
    pdf = (tmp_path / "Rechnung-2026-0001.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"Rechnung 2026-0001" in pdf
    again = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert "schon" in again.output and "Rechnungen: 1, zusammen 12,00 €" in again.output


def test_start_twice_is_noted_once(client: Any, session: Session, clock: FrozenClock, assigned: Any) -> None:
    case, _dora, code = assigned
    text(client, f"START {code}", sender=DORA)
    clock.advance(minutes=3)
    assert outcome(session, text(client, f"start{code}", sender=DORA)) == "care_start_repeated"
    assert last_reply(session, DORA).startswith("Der Beginn war schon notiert: 10:00.")
    assert len(sessions_of(session, case)) == 1


def test_a_bare_ende_ends_her_only_running_care(client: Any, session: Session, clock: FrozenClock,
                                                assigned: Any) -> None:
    case, _dora, code = assigned
    text(client, f"START {code}", sender=DORA)
    clock.advance(hours=2)
    assert outcome(session, text(client, "Fertig", sender=DORA)) == "care_ended"
    clock.advance(minutes=2)
    assert outcome(session, text(client, f"ENDE {code}", sender=DORA)) == "care_end_repeated"
    [care] = sessions_of(session, case)
    assert care.ended_at == berlin(2026, 11, 23, 12, 0) and care.flag is None


def test_ende_without_start_is_flagged_never_guessed(client: Any, session: Session, clock: FrozenClock,
                                                     assigned: Any) -> None:
    case, _dora, code = assigned
    clock.advance(hours=3)
    assert outcome(session, text(client, f"ENDE {code}", sender=DORA)) == "care_end_without_start"
    assert "prüft noch die Koordination" in last_reply(session, DORA)
    [care] = sessions_of(session, case)
    assert care.started_at is None and care.flag == MISSING_START


def test_more_than_16_hours_is_flagged(client: Any, session: Session, clock: FrozenClock, assigned: Any) -> None:
    case, _dora, code = assigned
    text(client, f"START {code}", sender=DORA)
    clock.advance(hours=16, minutes=30)
    assert outcome(session, text(client, f"ENDE {code}", sender=DORA)) == "care_ended"
    assert "prüft noch die Koordination" in last_reply(session, DORA)
    assert sessions_of(session, case)[0].flag == "longer_than_16h"


def test_a_code_that_is_not_her_assignment_is_refused(client: Any, session: Session, clock: FrozenClock,
                                                      settings: Settings, assigned: Any) -> None:
    case, _dora, code = assigned
    eva = make_caregiver(session, phone=EVA, now=clock.now())
    assert outcome(session, text(client, f"START {code}", sender=EVA)) == "care_unknown_code"
    assert outcome(session, text(client, "START 9999", sender=DORA)) == "care_unknown_code"
    assert f"Zum Code {code} finden wir keinen Einsatz" in last_reply(session, EVA)
    assert outcome(session, text(client, "ENDE", sender=eva.phone)) == "care_no_open_session"
    assert sessions_of(session, case) == []


def test_a_bare_start_still_opts_her_back_in(client: Any, session: Session, clock: FrozenClock,
                                             assigned: Any) -> None:
    _case, dora, _code = assigned
    assert outcome(session, text(client, "STOP", sender=DORA)) == "opted_out"
    assert outcome(session, text(client, "START", sender=DORA)) == "opted_in"
    session.refresh(dora)
    assert dora.opted_out is False


def test_end_is_still_twilios_opt_out(client: Any, session: Session, assigned: Any) -> None:
    _case, dora, code = assigned
    text(client, f"START {code}", sender=DORA)
    assert outcome(session, text(client, "END", sender=DORA)) == "opted_out"


def test_an_english_speaking_caregiver_is_answered_in_english(
    client: Any, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    now = clock.now()
    grace = make_caregiver(session, phone=GRACE, now=now, languages=["en", "de"])
    case = make_dispatchable_case(session, now=now, call_sid="CA" + "6" * 32)
    start_test_dispatch(session, case=case, now=now, settings=settings)
    code = open_offer_of(session, case=case, caregiver=grace).code
    text(client, f"YES {code}", sender=GRACE)
    text(client, f"START {code}", sender=GRACE)
    assert last_reply(session, GRACE) == f"Thank you, start 10:00 noted. When care ends, please send ENDE {code}."
