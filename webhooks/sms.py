"""SMS webhooks: incoming messages (each processed once, keyed by MessageSid) and delivery reports."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint

from core.container import current_services
from webhooks.twilio_request import empty_twiml, param, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")


@bp.post("/status")
@twilio_only
def status() -> Any:
    """Record a delivery report for a message the hotline sent."""
    from dispatch.outbox import record_delivery_status

    services = current_services()
    sid, state = param("MessageSid"), param("MessageStatus")
    if sid and state:
        try:
            with services.database.unit_of_work() as session:
                record_delivery_status(session, message_sid=sid, status=state, error_code=param("ErrorCode"),
                                       now=services.clock.now())
        except Exception:
            log.exception("delivery status %s for %s not recorded", state, sid)
    return empty_twiml()


@bp.post("/incoming")
@twilio_only
def incoming() -> Any:
    """Receive an SMS; replies are decided in dispatch.sms_commands."""
    from dispatch.sms_inbox import handle_incoming_sms

    services = current_services()
    sid = param("MessageSid")
    if not sid:
        return empty_twiml()
    try:
        with services.database.unit_of_work() as session:
            handle_incoming_sms(session, message_sid=sid, from_raw=param("From"), body=param("Body", 1600) or "",
                                now=services.clock.now(), settings=services.settings)
    except Exception:
        log.exception("incoming SMS %s not processed", sid)
    return empty_twiml()
