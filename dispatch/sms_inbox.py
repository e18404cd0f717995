"""Incoming SMS: stored once per MessageSid; what they say is acted on in the same transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.logs import mask_phone
from core.phones import normalize_phone
from core.settings import Settings
from dispatch.replies import parse_reply
from dispatch.sms_commands import SmsOutcome, act_on_sms
from models import InboundMessage

log = logging.getLogger(__name__)


def handle_incoming_sms(
    session: Session, *, message_sid: str, from_raw: str | None, body: str, now: datetime, settings: Settings
) -> bool:
    """Store an incoming SMS once and act on it; return False when this MessageSid was already processed."""
    sender = normalize_phone(from_raw)
    body = body.replace("\x00", "")  # PostgreSQL text cannot hold NUL; nobody types it
    message_id = _store_once(
        session,
        {
            "message_sid": message_sid,
            "from_number": sender,
            "body": body,
            "received_at": now,
            "outcome": "stored",
        },
    )
    if message_id is None:
        log.info("SMS %s was already processed; repeated delivery ignored", message_sid)
        return False
    message = session.get_one(InboundMessage, message_id)
    reply = parse_reply(body)
    try:
        # A savepoint: when acting fails, the message stays stored (outcome "error") for a person to see.
        with session.begin_nested():
            outcome = act_on_sms(
                session, message_sid=message_sid, sender=sender, reply=reply, now=now, settings=settings
            )
    except Exception:
        log.exception(
            "SMS %s from %s (%s) could not be acted on", message_sid, mask_phone(sender), reply.kind
        )
        outcome = SmsOutcome.ERROR
    message.outcome = outcome.value
    session.flush()
    log.info("SMS %s from %s: %s -> %s", message_sid, mask_phone(sender), reply.kind, outcome)
    return True


def _store_once(session: Session, values: dict[str, object]) -> int | None:
    """Insert the message unless its MessageSid is stored; return the new row's id, or None for a repeat.

    Asks with RETURNING rather than by row count: on PostgreSQL (psycopg) the row count of this
    INSERT .. ON CONFLICT DO NOTHING comes back as -1 whether a row was inserted or not.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(InboundMessage.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(InboundMessage.__table__.c.id)
    )
    return session.execute(stmt).scalar_one_or_none()
