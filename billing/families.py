"""Families who registered in advance: recognised by the caller's number when they call.

A call from a registered number links the case to the family (and to the family's employer), copies
the family's address when the case has none, and flags the case "known_family", so the coordinator's
screening summary says "bekannte Familie". The voice menu stays as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from billing.tariffs import BillingError
from cases.events import EventKind
from cases.service import record_event
from core.phones import normalize_phone
from models import Case, Employer, Family, FamilyPhone

log = logging.getLogger(__name__)

FLAG_KNOWN_FAMILY = "known_family"


#: Built once: every incoming call asks.
_FAMILY_BY_PHONE = (
    select(Family).join(FamilyPhone, FamilyPhone.family_id == Family.id).where(FamilyPhone.phone == bindparam("phone"))
)


def find_family_by_phone(session: Session, phone: str | None) -> Family | None:
    """Return the registered family with this phone number (any German notation), or None."""
    number = normalize_phone(phone) if phone else None
    if number is None:
        return None
    return session.scalars(_FAMILY_BY_PHONE, {"phone": number}).first()


def find_family_phones(session: Session, *, family: Family) -> list[str]:
    """Return a family's phone numbers (E.164)."""
    return list(
        session.scalars(select(FamilyPhone.phone).where(FamilyPhone.family_id == family.id).order_by(FamilyPhone.id))
    )


def register_family(
    session: Session,
    *,
    name: str,
    phones: Iterable[str],
    now: datetime,
    registered_on: date,
    address: str | None = None,
    postcode: str | None = None,
    employer: Employer | None = None,
    tariff_code: str | None = None,
    children: Sequence[dict[str, Any]] = (),
    pickup_authorised: str | None = None,
    notes: str | None = None,
) -> Family:
    """Register a family with its phone numbers (normalised to E.164); flush, never commit."""
    numbers = []
    for raw in phones:
        number = normalize_phone(raw)
        if number is None:
            raise BillingError(f"Telefonnummer {raw!r} nicht erkannt.", english=f"Phone number {raw!r} not recognised.")
        if find_family_by_phone(session, number) is not None:
            raise BillingError("Diese Telefonnummer gehört schon zu einer Familie.",
                               english="This phone number already belongs to a family.")
        numbers.append(number)
    family = Family(
        name=name, address=address, postcode=postcode, employer_id=employer.id if employer else None,
        tariff_code=tariff_code, children=[dict(child) for child in children], pickup_authorised=pickup_authorised,
        notes=notes, registered_on=registered_on, created_at=now,
    )
    session.add(family)
    session.flush()
    for number in dict.fromkeys(numbers):
        session.add(FamilyPhone(family_id=family.id, phone=number))
    session.flush()
    return family


def recognise_family(session: Session, *, case: Case, now: datetime) -> Family | None:
    """Link a case to the registered family calling from its number; return the family, or None.

    Sets the family (and its employer, unless the case already has one), copies the family's address
    when the case has none, and flags the case "known_family". Safe to call twice for one call.
    """
    family = find_family_by_phone(session, case.caller)
    if family is None:
        return None
    case.family_id = family.id
    if case.employer_id is None and family.employer_id is not None:
        case.employer_id = family.employer_id
    if not case.address and family.address:
        case.address = family.address
    case.add_flag(FLAG_KNOWN_FAMILY)
    case.updated_at = now
    session.flush()
    record_event(session, case, key="known-family", kind=EventKind.FAMILY_RECOGNISED, now=now,
                 detail={"family": family.id, "employer": family.employer_id})
    log.info("case %s: caller is registered family %s", case.id, family.id)
    return family
