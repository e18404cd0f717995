"""Surge mode: one row saying whether the hotline is in surge mode, since when and why.

In surge mode the menu is short, backups ring together with the primaries, and the coordinators
of today's roster who are off duty were asked by SMS to help (routing.surge).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

#: The id of the one row.
SURGE_ROW = 1


class SurgeState(Base):
    """The hotline's surge mode (one row, id 1; no row means off)."""

    __tablename__ = "surge_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Counts the switches on: the off-duty SMS is sent once per switch on (its dedupe key holds it).
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    switched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Who switched: a user's id as text, or "auto".
    switched_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: While on: since when the queue has been empty (for the automatic switch off), else None.
    empty_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
