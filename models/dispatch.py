"""Dispatches and offers: a case offered by SMS, wave by wave, until exactly one caregiver takes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, value_enum


class DispatchStatus(enum.StrEnum):
    """active -> filled | exhausted | expired | cancelled."""

    ACTIVE = "active"
    FILLED = "filled"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Dispatch(Base):
    """One run of offers for a case; its timers (next wave, deadline) live here, in the database."""

    __tablename__ = "dispatches"
    __table_args__ = (Index("ix_dispatches_due", "status", "next_wave_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[DispatchStatus] = mapped_column(value_enum(DispatchStatus, 12), default=DispatchStatus.ACTIVE)
    wave: Mapped[int] = mapped_column(Integer, default=0)
    #: When the next wave goes out unless someone accepted (null: no further wave planned).
    next_wave_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the coordinators are told the case is still unfilled, whatever the waves.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Who started it: "cli", "sms:+49…", "auto", "dashboard:<user>".
    started_by: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unfilled_alert_sent: Mapped[bool] = mapped_column(Boolean, default=False)


class OfferStatus(enum.StrEnum):
    """open -> accepted | declined | expired | withdrawn | taken | undeliverable."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    #: She said yes after someone else had already taken the job.
    TAKEN = "taken"
    UNDELIVERABLE = "undeliverable"


class Offer(Base):
    """One SMS offer to one caregiver, answered with `JA <code>` or `NEIN <code>`."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("dispatch_id", "caregiver_id"),
        Index("ix_offers_caregiver_status", "caregiver_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatches.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregivers.id", ondelete="CASCADE"))
    #: Short and unique among this caregiver's open offers.
    code: Mapped[str] = mapped_column(String(4))
    wave: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float | None] = mapped_column()
    status: Mapped[OfferStatus] = mapped_column(value_enum(OfferStatus, 14), default=OfferStatus.OPEN)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
