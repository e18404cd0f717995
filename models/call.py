"""Coordinator call legs: who is ringing, screening or talking on a hotline call right now."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, value_enum


class LegState(enum.StrEnum):
    """A coordinator leg only moves forward: screening -> bridged -> ended."""

    SCREENING = "screening"
    BRIDGED = "bridged"
    ENDED = "ended"


LEG_ORDER = {LegState.SCREENING: 0, LegState.BRIDGED: 1, LegState.ENDED: 2}


class CoordinatorLeg(Base):
    """The outbound leg to a coordinator's phone, created when Twilio asks for the screening."""

    __tablename__ = "coordinator_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    leg_sid: Mapped[str] = mapped_column(String(64), unique=True)
    parent_call_sid: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    coordinator: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[LegState] = mapped_column(value_enum(LegState, 12))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the worker last asked Twilio about a leg still `bridged` (routing.legs); None: never.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
