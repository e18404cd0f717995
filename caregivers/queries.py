"""Caregiver look-ups and the small changes a coordinator makes by hand."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import HotlineError
from models.caregiver import Caregiver, Unavailability

#: The `reason` column's size in the database.
MAX_REASON_LENGTH = 20


class CaregiverNotFound(HotlineError):
    """No caregiver has this id."""


class InvalidUnavailability(HotlineError):
    """An unavailability period that cannot be stored (ends before it starts, reason too long)."""


def get_caregiver_by_phone(session: Session, phone_e164: str) -> Caregiver | None:
    """Return the caregiver with this E.164 number, or None."""
    return session.scalars(select(Caregiver).where(Caregiver.phone == phone_e164)).one_or_none()


def require_caregiver(session: Session, caregiver_id: int) -> Caregiver:
    """Return the caregiver with this id; raise CaregiverNotFound when there is none."""
    caregiver = session.get(Caregiver, caregiver_id)
    if caregiver is None:
        raise CaregiverNotFound(f"no caregiver with id {caregiver_id}")
    return caregiver


def find_caregivers(session: Session) -> list[Caregiver]:
    """Return every caregiver by name, with her unavailability loaded."""
    return list(
        session.scalars(
            select(Caregiver)
            .options(selectinload(Caregiver.unavailability))
            .order_by(Caregiver.name, Caregiver.id)
        )
    )


def add_unavailability(
    session: Session, *, caregiver: Caregiver, starts_on: date, ends_on: date, reason: str = "other"
) -> Unavailability:
    """Record days (both inclusive) on which a caregiver must not be asked; flush, never commit."""
    if ends_on < starts_on:
        raise InvalidUnavailability(f"the period ends ({ends_on}) before it starts ({starts_on})")
    reason = reason.strip() or "other"
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidUnavailability(f"the reason is longer than {MAX_REASON_LENGTH} characters")
    period = Unavailability(caregiver=caregiver, starts_on=starts_on, ends_on=ends_on, reason=reason)
    session.add(period)
    session.flush()
    return period
