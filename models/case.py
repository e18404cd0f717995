"""The case log: one case per call (or per request entered by hand), with its timeline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, demo_column, value_enum


class CaseStatus(enum.StrEnum):
    """Where a case stands."""

    OPEN = "open"
    DISPATCHING = "dispatching"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CallerType(enum.StrEnum):
    """Who called."""

    PARENT = "parent"
    EMPLOYER = "employer"
    CAREGIVER = "caregiver"


class CareType(enum.StrEnum):
    """Care for a child or for a relative."""

    CHILD = "child"
    ELDERCARE = "eldercare"


class Urgency(enum.StrEnum):
    """When care is needed."""

    NOW = "now"
    TODAY = "today"
    TOMORROW = "tomorrow"
    LATER = "later"


class Reason(enum.StrEnum):
    """Why regular care broke down."""

    REGULAR_CARE_FAILURE = "regular_care_failure"
    ACCIDENT_ILLNESS = "accident_illness"
    WORK_EMERGENCY = "work_emergency"
    OTHER = "other"


class Case(Base):
    """A request for care, captured by the voice menu and worked on by the coordinators."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[CaseStatus] = mapped_column(value_enum(CaseStatus, 16), default=CaseStatus.OPEN)
    caller: Mapped[str | None] = mapped_column(String(16))
    caller_type: Mapped[CallerType | None] = mapped_column(value_enum(CallerType, 16))
    care_type: Mapped[CareType | None] = mapped_column(value_enum(CareType, 16))
    children: Mapped[int | None] = mapped_column(Integer)
    child_age: Mapped[int | None] = mapped_column(Integer)
    care_level: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str | None] = mapped_column(String(5))
    municipality: Mapped[str | None] = mapped_column(String(64))
    urgency: Mapped[Urgency | None] = mapped_column(value_enum(Urgency, 16))
    reason: Mapped[Reason | None] = mapped_column(value_enum(Reason, 32))
    language: Mapped[str] = mapped_column(String(5), default="de")
    #: Named conditions for the coordinator, e.g. "child_over_13", "outside_region", "after_hours".
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    #: E.164 of the coordinator who took the call.
    coordinator: Mapped[str | None] = mapped_column(String(16))
    #: E.164 of the caregiver who took the job.
    caregiver: Mapped[str | None] = mapped_column(String(16))
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What the coordinator adds after the call: the parent's first name, the address, the care window.
    parent_name: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(200))
    care_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expected_hours: Mapped[float | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    #: A registered family recognised by the caller's number, and the partner employer the coordinator linked.
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="SET NULL"), index=True)
    #: The tariff this case is billed at (regular, partner, student, …); None = decided at billing.
    tariff_code: Mapped[str | None] = mapped_column(String(20))
    #: The dial stage the call is in: primary, backup, fallback, voicemail.
    dial_stage: Mapped[str | None] = mapped_column(String(16))
    voicemail_sid: Mapped[str | None] = mapped_column(String(64))
    voicemail_url: Mapped[str | None] = mapped_column(String(500))
    voicemail_seconds: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When a coordinator was bridged to the caller: the end of "time to a human".
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the call itself ended.
    call_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the personal data was removed (retention or erasure); the anonymous figures remain.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.at, CaseEvent.id", cascade="all, delete-orphan"
    )

    def add_flag(self, flag: str) -> None:
        """Add a named flag once."""
        if flag not in (self.flags or []):
            self.flags = [*(self.flags or []), flag]


class CaseEvent(Base):
    """One entry of a case's timeline; `key` makes a repeated webhook delivery a no-op."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")
