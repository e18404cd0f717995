"""GET /metrics: only with its token, and its figures are what the calls, offers and SMS did."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from core.settings import Settings
from models import Case, WorkerHeartbeat
from models.outbox import OutboxMessage, OutboxStatus
from tests.factories import ANNA, BEN, PARENT, make_shift
from tests.helpers import PUBLIC_BASE_URL, TEST_TOKEN, twilio_post, twiml
from worker.jobs import tick_job

TOKEN = "scrape-token-0123456789"
HAPPY = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]


@pytest.fixture
def settings() -> Settings:
    """A hotline in simulator mode whose /metrics is open to the scraper's token."""
    return Settings(database_url="sqlite://", hotline_number="+4951187654321", public_base_url=PUBLIC_BASE_URL,
                    fallback_number="+495111680000", simulator_auth_token=TEST_TOKEN, metrics_token=TOKEN)


class Phone:
    """A parent's phone calling the hotline, every request signed as Twilio signs it."""

    def __init__(self, client: Any, call_sid: str) -> None:
        self.client, self.call_sid = client, call_sid

    def post(self, path: str, **params: str) -> Any:
        base = {"CallSid": self.call_sid, "From": PARENT, "To": "+4951187654321"}
        return twiml(twilio_post(self.client, path, {**base, **params}))

    def through_the_menu(self) -> None:
        self.post("/voice/incoming")
        for step, digits in HAPPY:
            self.post(f"/voice/gather/{step}/1", Digits=digits)

    def hang_up(self) -> None:
        self.post("/voice/status", CallStatus="completed")


def scrape(client: Any, token: str | None = TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of /metrics keyed by (name, sorted labels)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_404_without_a_configured_token(app: Any, settings: Settings) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(metrics_token=None)
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_refuse_a_request_without_the_right_token(client: Any) -> None:
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_figures_match_what_the_calls_did(app: Any, client: Any, session: Any, clock: Any, gateway: Any) -> None:
    now = clock.now()
    make_shift(session, phone=ANNA, role="primary", starts_at=now - timedelta(hours=1))
    make_shift(session, phone=BEN, role="backup", starts_at=now - timedelta(hours=1))

    answered = Phone(client, "CA" + "a" * 32)  # Anna takes it after 15 s
    answered.through_the_menu()
    clock.advance(seconds=15)
    answered.post("/voice/dial/primary", DialCallStatus="completed", DialBridged="true")
    answered.hang_up()

    voicemail = Phone(client, "CA" + "b" * 32)  # nobody answers: a voicemail, a call-back owed
    voicemail.through_the_menu()
    for stage in ("primary", "backup", "fallback"):
        clock.advance(seconds=20)
        voicemail.post(f"/voice/dial/{stage}", DialCallStatus="no-answer", DialBridged="false")
    voicemail.post("/voice/recording", RecordingSid="RE" + "1" * 32, RecordingStatus="completed",
                   RecordingUrl="https://api.twilio.com/rec", RecordingDuration="12")
    voicemail.hang_up()

    hung_up = Phone(client, "CA" + "c" * 32)  # hangs up in the menu
    hung_up.post("/voice/incoming")
    hung_up.hang_up()

    tick_job(app.extensions["fluxx"])  # the worker sends the voicemail alerts (simulator)
    waiting = Phone(client, "CA" + "d" * 32)  # still ringing Anna, 40 s after the first ring
    waiting.through_the_menu()
    clock.advance(seconds=40)

    m = scrape(client)

    assert m[("fluxx_calls_total", (("outcome", "person"),))] == 1
    assert m[("fluxx_calls_total", (("outcome", "voicemail"),))] == 1
    assert m[("fluxx_calls_total", (("outcome", "no_person"),))] == 1
    assert m[("fluxx_time_to_person_seconds_count", ())] == 1
    assert m[("fluxx_time_to_person_seconds_sum", ())] == 15
    assert m[("fluxx_time_to_person_seconds_bucket", (("le", "10.0"),))] == 0
    assert m[("fluxx_time_to_person_seconds_bucket", (("le", "20.0"),))] == 1
    assert m[("fluxx_callers_waiting", (("stage", "primary"),))] == 1
    assert m[("fluxx_callers_waiting", (("stage", "backup"),))] == 0
    assert m[("fluxx_caller_longest_wait_seconds", ())] == 40
    assert m[("fluxx_callbacks_waiting", ())] == 1
    statuses = [c.status.value for c in session.scalars(select(Case))]
    assert m[("fluxx_cases", (("status", "open"),))] == statuses.count("open") == 4
    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)).all()
    assert m[("fluxx_sms_sent_total", ())] == len(sent) == len(gateway.sent) > 0
    assert m[("fluxx_outbox_backlog", ())] == 0
    heartbeat = session.scalars(select(WorkerHeartbeat)).one()
    assert m[("fluxx_worker_last_tick_timestamp_seconds", ())] == heartbeat.last_tick_at.timestamp()
    assert m[("fluxx_worker_lock_held", (("holder", heartbeat.name),))] == 1
    route = m[("fluxx_webhook_duration_seconds_count", (("route", "/voice/gather/<step>/<int:attempt>"),))]
    assert route >= 3 * len(HAPPY)


def test_offers_and_sms_failures_by_error_code(client: Any, session: Any, clock: Any) -> None:
    from messaging.outbox import record_delivery_status, twilio_error_code

    now = clock.now()
    for i, (status, code) in enumerate([(OutboxStatus.FAILED, 21610), (OutboxStatus.FAILED, 21610),
                                        (OutboxStatus.SENT, None), (OutboxStatus.PENDING, None)]):
        session.add(OutboxMessage(dedupe_key=f"m{i}", purpose="offer", to_number="+4916000000011", body="x",
                                  status=status, error_code=code, next_attempt_at=now, provider_sid=f"SM{i}",
                                  created_at=now - timedelta(minutes=3)))
    session.flush()
    record_delivery_status(session, message_sid="SM2", status="undelivered", error_code="30003", now=now)
    assert twilio_error_code("３０００３") is None and twilio_error_code("1234567") is None

    m = scrape(client)

    assert m[("fluxx_sms_failures_total", (("error_code", "21610"),))] == 2
    assert m[("fluxx_sms_failures_total", (("error_code", "30003"),))] == 1
    assert m[("fluxx_sms_sent_total", ())] == 3
    assert m[("fluxx_outbox_backlog", ())] == 1
    assert m[("fluxx_outbox_oldest_age_seconds", ())] == 180


def test_offers_sent_accepted_expired(client: Any, session: Any, clock: Any, settings: Settings) -> None:
    from models import Offer, OfferStatus
    from tests.factories_dispatch import (
        EVA,
        FIONA,
        make_caregiver,
        make_dispatchable_case,
        start_test_dispatch,
    )

    now = clock.now()
    for phone in (EVA, FIONA, "+4916000000015"):
        make_caregiver(session, phone=phone, now=now)
    case = make_dispatchable_case(session, now=now, call_sid="CA" + "e" * 32)
    start_test_dispatch(session, case=case, now=now, settings=settings)
    offers = session.scalars(select(Offer).where(Offer.case_id == case.id).order_by(Offer.id)).all()
    assert len(offers) == 3
    offers[0].status, offers[1].status = OfferStatus.ACCEPTED, OfferStatus.EXPIRED
    session.flush()

    m = scrape(client)

    assert m[("fluxx_offers_total", (("status", "sent"),))] == 3
    assert m[("fluxx_offers_total", (("status", "accepted"),))] == 1
    assert m[("fluxx_offers_total", (("status", "expired"),))] == 1
    assert m[("fluxx_cases", (("status", "dispatching"),))] == 1


def test_time_to_a_person_is_bucketed_in_the_database(client: Any, session: Any, clock: Any) -> None:
    from tests.factories import make_case

    now = clock.now()
    for i, seconds in enumerate((10, 45, 700)):
        case = make_case(session, now=now, call_sid=f"CA{i:032d}")
        case.connected_at, case.call_ended_at = now + timedelta(seconds=seconds), now + timedelta(minutes=20)
    session.flush()

    m = scrape(client)

    bucket = "fluxx_time_to_person_seconds_bucket"
    assert m[(bucket, (("le", "10.0"),))] == 1  # a bound is inclusive
    assert m[(bucket, (("le", "45.0"),))] == 2
    assert m[(bucket, (("le", "600.0"),))] == 2
    assert m[(bucket, (("le", "+Inf"),))] == 3
    assert m[("fluxx_time_to_person_seconds_sum", ())] == 755
    assert m[("fluxx_calls_total", (("outcome", "person"),))] == 3
