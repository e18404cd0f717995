"""A message that fails for good keeps Twilio's error code (the metrics count SMS failures by it)."""

from __future__ import annotations

from typing import Any

from models.outbox import OutboxStatus
from tests.integration.test_outbox import deliver, queue, reload
from tests.twilio_standin import TwilioStandIn


def test_a_permanent_send_error_stores_twilios_code(
    session: Any, database: Any, clock: Any, twilio_gateway: Any, twilio_standin: TwilioStandIn
) -> None:
    message = queue(session, clock)
    twilio_standin.fail_next("error", code=21614)

    deliver(database, twilio_gateway, clock)

    row = reload(session, message)
    assert row.status is OutboxStatus.FAILED and row.error_code == 21614


def test_a_delivery_report_stores_its_error_code_only_when_it_failed(session: Any, clock: Any) -> None:
    from messaging.outbox import record_delivery_status

    message = queue(session, clock)
    message.provider_sid, message.status = "SM" + "9" * 32, OutboxStatus.SENT
    session.flush()
    record_delivery_status(session, message_sid=message.provider_sid, status="delivered", error_code="30003",
                           now=clock.now())
    assert reload(session, message).error_code is None
    message2 = queue(session, clock, key="offer:2")
    message2.provider_sid, message2.status = "SM" + "8" * 32, OutboxStatus.SENT
    session.flush()
    record_delivery_status(session, message_sid=message2.provider_sid, status="undelivered", error_code="30003",
                           now=clock.now())
    assert reload(session, message2).error_code == 30003
