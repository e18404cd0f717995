"""Dashboard users, their sign-in attempts, and the audit log of who looked at which case."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, demo_column, value_enum


class Role(enum.StrEnum):
    """coordinator: cases, roster and caregivers to view; lead: everything, including editing."""

    COORDINATOR = "coordinator"
    LEAD = "lead"


class User(Base):
    """A named person who signs in to the dashboard."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    #: Lower-case sign-in name.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(value_enum(Role, 12))
    #: argon2 hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Her own phone (E.164): "call back" rings it first, then connects her to the parent.
    phone: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Raised by sign-out, a password change or reset and deactivation: every session signed in
    #: under an older epoch is over (a replayed cookie no longer opens the board).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginAttempt(Base):
    """One sign-in attempt, kept briefly to slow down password guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Who looked at or changed which case's personal data, and when (GDPR accountability)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Kept as a plain number, so the trail survives when a case is anonymised or deleted.
    case_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CalendarFeed(Base):
    """A secret iCalendar URL per coordinator (by phone number), so shifts show up in her calendar."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
