"""The outbox: SMS written in the same transaction as the decision, sent later by the worker."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, value_enum


class OutboxStatus(enum.StrEnum):
    """pending -> sending -> sent | failed; sending with an expired lease is looked at again."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """One outbound SMS, sent at most once."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Makes enqueueing idempotent: the same decision never queues two messages.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    #: "sms", or "call": an outbound call to `to_number` that runs the TwiML at `twiml_url`.
    channel: Mapped[str] = mapped_column(String(8), default="sms", server_default="sms")
    twiml_url: Mapped[str | None] = mapped_column(String(500))
    to_number: Mapped[str] = mapped_column(String(16))
    from_number: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(value_enum(OutboxStatus, 10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: While a worker sends, the row is leased to it until this time.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Delivery state reported by Twilio's status callback (queued, sent, delivered, undelivered, failed).
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Twilio's error code when the message failed for good (at sending or in a delivery report).
    error_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """An SMS received, keyed by MessageSid so a repeated delivery is processed once."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))


class WorkerHeartbeat(Base):
    """The last tick of each worker process (for /healthz and monitoring)."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(Base):
    """When a periodic job (e.g. the daily retention run) last ran, so every worker knows."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
