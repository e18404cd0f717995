"""The roster: coordinators' shifts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, demo_column, value_enum


class ShiftRole(enum.StrEnum):
    """Whether a coordinator on a shift is rung first or as backup."""

    PRIMARY = "primary"
    BACKUP = "backup"


class Shift(Base):
    """A coordinator on duty from start to end (UTC), as primary or backup."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_shifts_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    role: Mapped[ShiftRole] = mapped_column(value_enum(ShiftRole, 10))
