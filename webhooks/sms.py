"""SMS webhooks: incoming messages (each processed once, keyed by MessageSid) and delivery reports."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app

from core.container import current_services
from webhooks.twilio_request import empty_twiml, param, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")


@bp.post("/status")
@twilio_only
def status() -> Any:
    """Record a delivery report for a message the hotline sent."""
    from messaging.outbox import record_delivery_status

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
        # Not stored: an error answer makes Twilio post it to the messaging fallback URL (/sms/fallback),
        # and the worker's reconciliation finds it in Twilio's list in any case (dispatch.sms_recovery).
        log.exception("incoming SMS %s not processed; answering 503 so Twilio uses the fallback URL", sid)
        return empty_twiml(status=503)
    return empty_twiml()


@bp.post("/fallback")
@twilio_only
def fallback() -> Any:
    """Twilio's messaging fallback URL: keep the SMS in the local spool (no database) for the worker."""
    from dispatch.sms_recovery import spool_sms

    services = current_services()
    sid = param("MessageSid")
    if not sid:
        return empty_twiml()
    try:
        spool_sms(spool_folder(services), message_sid=sid, from_raw=param("From"), to=param("To"),
                  body=param("Body", 1600) or "", received_at=services.clock.now())
    except OSError:
        log.exception("incoming SMS %s could not be spooled either", sid)
        return empty_twiml(status=503)
    log.warning("incoming SMS %s spooled by the fallback URL; the worker handles it", sid)
    return empty_twiml()


def spool_folder(services: Any) -> Path:
    """Return the folder the fallback spools SMS into: `sms-spool/` in the instance folder."""
    return Path(services.extras.get("sms_spool") or Path(current_app.instance_path) / "sms-spool")
