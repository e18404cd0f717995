"""Caregivers: who may be offered a job, where, for which ages, and the checks a dispatcher needs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, demo_column


class Caregiver(Base):
    """A caregiver (mostly volunteers): free to decline, never to be pestered or double-booked."""

    __tablename__ = "caregivers"
    __table_args__ = (
        CheckConstraint("min_age <= max_age", name="age_range"),
        CheckConstraint("max_distance_km >= 0", name="distance_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    name: Mapped[str] = mapped_column(String(100))
    #: Mobile number in E.164: offers go out by SMS.
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    postcode: Mapped[str] = mapped_column(String(5))
    max_distance_km: Mapped[float] = mapped_column(Float)
    min_age: Mapped[int] = mapped_column(Integer, default=0)
    max_age: Mapped[int] = mapped_column(Integer, default=13)
    eldercare: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ISO 639-1 codes, first = the language she wants her SMS in, e.g. ["de", "tr"].
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Extended police certificate (§ 72a SGB VIII): only that it was inspected, its date, and exclusion.
    police_certificate_date: Mapped[date | None] = mapped_column(Date)
    police_certificate_excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    first_aid_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When she stopped working with Fluxx (retention of the certificate data counts from here).
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unavailability: Mapped[list[Unavailability]] = relationship(
        back_populates="caregiver", cascade="all, delete-orphan", order_by="Unavailability.starts_on"
    )


class Unavailability(Base):
    """Days a caregiver cannot be asked (holiday, sick), both ends inclusive."""

    __tablename__ = "caregiver_unavailability"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregivers.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20), default="other")

    caregiver: Mapped[Caregiver] = relationship(back_populates="unavailability")
