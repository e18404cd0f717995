"""Retention, export and erasure, with a frozen clock: what the data protection officer relies on."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gdpr import RetentionPolicy, apply_retention, erase_person, export_person
from gdpr.retention import months_before
from messaging.outbox import enqueue_sms
from models import AuditEntry, Caregiver, Case, CaseEvent, CaseStatus, OutboxMessage
from tests.factories import PARENT, make_case

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = RetentionPolicy(voicemail_days=30, case_months=12, certificate_months=3)


def caregiver(session: Any, now: datetime, **fields: Any) -> Caregiver:
    values = dict(name="Ayşe Demir", phone="+4915228817401", postcode="30159", max_distance_km=10.0, min_age=0,
                  max_age=13, eldercare=False, languages=["de", "tr"], active=True, opted_out=False,
                  police_certificate_date=date(2024, 5, 1), police_certificate_excluded=False,
                  created_at=now, updated_at=now)
    values.update(fields)
    person = Caregiver(**values)
    session.add(person)
    session.flush()
    return person


def test_a_case_is_anonymised_twelve_months_after_closing_and_the_figures_stay(session: Any, clock: Any) -> None:
    now = clock.now()
    old = make_case(session, now=now - timedelta(days=500), call_sid="CA" + "1" * 32, postcode="30159",
                    municipality="Hannover", child_age=3, parent_name="Maria", address="Lister Meile 1",
                    status=CaseStatus.CLOSED, closed_at=months_before(now, 12) - timedelta(days=1))
    recent = make_case(session, now=now - timedelta(days=400), call_sid="CA" + "2" * 32,
                       status=CaseStatus.CLOSED, closed_at=months_before(now, 12) + timedelta(days=1))
    still_open = make_case(session, now=now - timedelta(days=600), call_sid="CA" + "3" * 32)

    report = apply_retention(session, now=now, policy=POLICY)

    assert report.cases_anonymised == 1
    assert (old.caller, old.parent_name, old.address, old.postcode, old.call_sid) == (None,) * 5
    assert (old.municipality, old.child_age, old.anonymised_at) == ("Hannover", 3, now)
    assert recent.caller == PARENT and recent.anonymised_at is None
    assert still_open.caller == PARENT  # only closed or cancelled cases are anonymised
    assert apply_retention(session, now=now, policy=POLICY).cases_anonymised == 0  # running twice is harmless


def test_voicemails_are_deleted_after_thirty_days_also_at_twilio(session: Any, clock: Any) -> None:
    now = clock.now()
    old = make_case(session, now=now - timedelta(days=31), call_sid="CA" + "4" * 32, voicemail_sid="RE" + "a" * 32,
                    voicemail_url="https://api.twilio.com/rec", voicemail_seconds=20)
    new = make_case(session, now=now - timedelta(days=29), call_sid="CA" + "5" * 32, voicemail_sid="RE" + "b" * 32)
    deleted: list[str] = []

    report = apply_retention(session, now=now, policy=POLICY, delete_recording=deleted.append)

    assert deleted == ["RE" + "a" * 32] and report.voicemails_deleted == 1
    assert old.voicemail_sid is None and old.voicemail_url is None
    assert new.voicemail_sid == "RE" + "b" * 32


def test_a_failed_deletion_at_twilio_keeps_the_recording_for_the_next_run(session: Any, clock: Any) -> None:
    now = clock.now()
    case = make_case(session, now=now - timedelta(days=40), voicemail_sid="RE" + "c" * 32)

    def broken(_sid: str) -> None:
        raise ConnectionError("twilio down")

    report = apply_retention(session, now=now, policy=POLICY, delete_recording=broken)
    assert report.errors and case.voicemail_sid == "RE" + "c" * 32


def test_certificate_data_goes_three_months_after_a_caregiver_left(session: Any, clock: Any) -> None:
    now = clock.now()
    gone = caregiver(session, now, phone="+4915228817402", left_at=now - timedelta(days=100))
    recently = caregiver(session, now, phone="+4915228817403", left_at=now - timedelta(days=60))
    active = caregiver(session, now, phone="+4915228817404")
    apply_retention(session, now=now, policy=POLICY)
    assert gone.police_certificate_date is None
    assert recently.police_certificate_date == date(2024, 5, 1)
    assert active.police_certificate_date == date(2024, 5, 1)


def test_export_lists_everything_about_a_number_and_is_logged(session: Any, clock: Any) -> None:
    now = clock.now()
    case = make_case(session, now=now, parent_name="Maria")
    enqueue_sms(session, to=PARENT, body="Frau A. ruft Sie gleich an.", purpose="parent_confirmation",
                dedupe_key="p1", now=now, case_id=case.id)
    data = export_person(session, phone=PARENT, now=now)
    assert [c["reference"] for c in data["cases"]] == [case.reference]
    assert data["cases"][0]["parent_name"] == "Maria"
    assert data["sms_sent_to"][0]["body"] == "Frau A. ruft Sie gleich an."
    json.dumps(data)  # plain JSON
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "gdpr_export")).one()
    assert PARENT not in json.dumps(audit.detail)  # the log masks the number


def test_erasure_anonymises_cases_caregiver_and_messages_and_keeps_the_audit_trail(session: Any,
                                                                                  clock: Any) -> None:
    now = clock.now()
    case = make_case(session, now=now - timedelta(days=3), parent_name="Maria", status=CaseStatus.CLOSED)
    session.add(CaseEvent(case_id=case.id, key="x", kind="dial_stage", at=now, detail={"numbers": [PARENT]}))
    enqueue_sms(session, to=PARENT, body="Ihre Betreuung kommt.", purpose="parent_confirmation", dedupe_key="p2",
                now=now, case_id=case.id)
    person = caregiver(session, now, phone=PARENT)
    session.add(AuditEntry(user_id=None, case_id=case.id, action="view_case", at=now, detail={}))
    session.flush()

    report = erase_person(session, phone=PARENT, now=now)

    assert report.cases == 1 and report.caregivers == 1
    assert case.caller is None and case.parent_name is None
    assert all(e.detail == {} for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
    assert session.scalars(select(OutboxMessage)).one().to_number == ""
    assert person.name == "[gelöscht]" and not person.active and person.police_certificate_date is None
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"view_case", "gdpr_erase"} <= actions
    assert export_person(session, phone=PARENT, now=now)["cases"] == []


def test_gdpr_commands(runner: Any, session: Any, clock: Any) -> None:
    make_case(session, now=clock.now(), parent_name="Maria")
    exported = runner.invoke(args=["gdpr", "export", "--phone", "0151 12345678"])
    assert exported.exit_code == 0 and json.loads(exported.output)["cases"][0]["parent_name"] == "Maria"
    erased = runner.invoke(args=["gdpr", "erase", "--phone", "0151 12345678", "--yes"])
    assert erased.exit_code == 0 and "1 Fälle" in erased.output
    assert session.scalars(select(Case)).one().caller is None
    refused = runner.invoke(args=["gdpr", "erase", "--phone", "12"])
    assert refused.exit_code != 0


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(datetime(2026, 3, 31, 12, tzinfo=BERLIN), 1) == datetime(2026, 2, 28, 12, tzinfo=BERLIN)
    assert months_before(datetime(2026, 1, 15, tzinfo=BERLIN), 12) == datetime(2025, 1, 15, tzinfo=BERLIN)


def test_the_daily_retention_job_runs_once_a_day_and_deletes_at_twilio(
    app: Any, session: Any, clock: Any, twilio_standin: Any
) -> None:
    """The worker's tick deletes an old voicemail at Twilio once; the next tick the same day does nothing."""
    from telephony.twilio_rest import TwilioRestGateway
    from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
    from worker.jobs import tick_job

    services = app.extensions["fluxx"]
    services.gateway = TwilioRestGateway.create(account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN,
                                                api_base=twilio_standin.base_url)
    sid = "RE" + "d" * 32
    twilio_standin.recordings.add(sid)
    case = make_case(session, now=clock.now() - timedelta(days=40), voicemail_sid=sid)

    assert tick_job(services).results["retention"].voicemails_deleted == 1
    assert twilio_standin.deleted_recordings == [sid]
    session.refresh(case)
    assert case.voicemail_sid is None
    assert tick_job(services).results["retention"] is None  # once a day
    clock.advance(hours=24)
    assert tick_job(services).results["retention"] is not None  # and again the next day
