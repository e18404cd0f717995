"""Who may use Fluxx and at what price (as data), care sessions, invoices and employer statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, demo_column

MONEY = Numeric(10, 2)


class MemberMunicipality(Base):
    """A municipality of the region that has joined Fluxx, from when to when (contracts run ~2 years)."""

    __tablename__ = "member_municipalities"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Employer(Base):
    """A partner employer with a framework contract: its staff pay the reduced rate."""

    __tablename__ = "employers"
    __table_args__ = (CheckConstraint("fee_period IN ('monthly', 'yearly')", name="fee_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    name: Mapped[str] = mapped_column(String(120))
    contract_number: Mapped[str] = mapped_column(String(40), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: "monthly" or "yearly".
    fee_period: Mapped[str] = mapped_column(String(8))
    fee_amount: Mapped[Decimal] = mapped_column(MONEY)
    #: The headcount tier the fee was agreed for, as written in the contract, e.g. "bis 250 Beschäftigte".
    headcount_tier: Mapped[str | None] = mapped_column(String(60))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Family(Base):
    """A family that registered in advance; a call from one of its numbers shows it at once."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(5))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="SET NULL"), index=True)
    #: Tariff code the family is billed at unless a case says otherwise (e.g. "student").
    tariff_code: Mapped[str | None] = mapped_column(String(20))
    #: Children as the registration form lists them: [{"first_name": "...", "birth_year": 2021}, ...].
    children: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Who else may pick the children up, as written on the form.
    pickup_authorised: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    registered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FamilyPhone(Base):
    """A phone number of a registered family (E.164)."""

    __tablename__ = "family_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)


class Tariff(Base):
    """An hourly rate with the dates it is valid; the code names the kind (regular, partner, student …)."""

    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    code: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(80))
    hourly_rate: Mapped[Decimal] = mapped_column(MONEY)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class CareSession(Base):
    """When care actually started and ended for an assignment (by SMS START/ENDE or entered by hand)."""

    __tablename__ = "care_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: "sms" or "coordinator".
    source: Mapped[str] = mapped_column(String(12))
    #: Why a coordinator must look before it is billed (missing end, implausible length …); None when fine.
    flag: Mapped[str | None] = mapped_column(String(40))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingRun(Base):
    """One monthly billing run (idempotent: a month is billed once, a re-run changes nothing)."""

    __tablename__ = "billing_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    #: "2026-11"
    month: Mapped[str] = mapped_column(String(7), unique=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invoice(Base):
    """A numbered invoice to a family for one month's care."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_month", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    #: "2026-0001": consecutive per year, never reused.
    number: Mapped[str] = mapped_column(String(12), unique=True)
    month: Mapped[str] = mapped_column(String(7))
    billing_run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id", ondelete="RESTRICT"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    #: The case billed when the family did not register (one invoice per case then).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_address: Mapped[str | None] = mapped_column(String(200))
    total: Mapped[Decimal] = mapped_column(MONEY)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvoiceLine(Base):
    """One billed care session: the day, the hours charged, the rate valid on that day."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    care_session_id: Mapped[int | None] = mapped_column(ForeignKey("care_sessions.id", ondelete="SET NULL"))
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    tariff_code: Mapped[str] = mapped_column(String(20))
    hourly_rate: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class EmployerStatement(Base):
    """A partner employer's monthly statement: the fee, and the anonymous usage of its staff."""

    __tablename__ = "employer_statements"
    __table_args__ = (UniqueConstraint("employer_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by `demo load` (flask demo remove deletes exactly these rows).
    demo: Mapped[bool] = demo_column()
    number: Mapped[str] = mapped_column(String(12), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    billing_run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id", ondelete="RESTRICT"), index=True)
    fee: Mapped[Decimal] = mapped_column(MONEY)
    cases: Mapped[int] = mapped_column(Integer)
    care_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Whether the contract ended during the month (the fee is then prorated).
    prorated: Mapped[bool] = mapped_column(Boolean, default=False)
