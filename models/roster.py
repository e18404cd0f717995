"""The roster: coordinators' shifts, and the languages each coordinator speaks."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String
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


class CoordinatorLanguages(Base):
    """The caller languages a coordinator speaks, by her phone number: the person's, not a shift's.

    Set by the roster import (column `languages`) and on the roster page; the dial plan and the
    queue prefer a coordinator who speaks the caller's language (routing.dialplan, routing.queue).
    """

    __tablename__ = "coordinator_languages"

    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: Codes of core.languages, in the order given, e.g. ["de", "tr"]; empty: none recorded.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
