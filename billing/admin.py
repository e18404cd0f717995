"""Editing billing's data from the dashboard: employers, families, member periods, new rates, a case's tariff.

Every function takes a Session and plain values, flushes and never commits; refusals are BillingError
with a German message the office can act on.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from billing.employers import get_employer_by_contract, month_bounds
from billing.families import find_family_by_phone
from billing.membership import add_membership
from billing.tariffs import BillingError, define_tariff
from cases.events import EventKind
from cases.service import record_event
from core.phones import normalize_phone
from models import BillingRun, Case, Employer, Family, FamilyPhone, MemberMunicipality, Tariff

MUNICIPALITIES_FILE = Path(__file__).resolve().parent.parent / "data" / "region_hannover_municipalities.csv"


@functools.cache
def region_municipalities() -> tuple[str, ...]:
    """Return the 21 municipalities of Region Hannover, Hannover first, then alphabetically."""
    with MUNICIPALITIES_FILE.open(encoding="utf-8") as handle:
        names = [row["municipality"] for row in csv.DictReader(handle)]
    return tuple(sorted(names, key=lambda name: (name != "Hannover", name)))


# --- employers ----------------------------------------------------------------------------------------


def save_employer(
    session: Session,
    *,
    employer: Employer | None,
    name: str,
    contract_number: str,
    starts_on: date,
    ends_on: date | None,
    fee_period: str,
    fee_amount: Decimal,
    now: datetime,
    headcount_tier: str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
) -> Employer:
    """Add a partner employer (employer=None) or change one; the contract number stays unique."""
    if ends_on is not None and ends_on < starts_on:
        raise BillingError("Das Vertragsende liegt vor dem Vertragsbeginn.",
                           english="The contract ends before it begins.")
    if fee_period not in ("monthly", "yearly"):
        raise BillingError("Das Entgelt ist monatlich oder jährlich.", english="The fee is monthly or yearly.")
    if fee_amount < 0:
        raise BillingError("Das Entgelt kann nicht negativ sein.", english="The fee cannot be negative.")
    same = get_employer_by_contract(session, contract_number)
    if same is not None and (employer is None or same.id != employer.id):
        raise BillingError(f"Die Vertragsnummer {contract_number} ist schon vergeben ({same.name}).",
                           english=f"The contract number {contract_number} is already taken ({same.name}).")
    phone = None
    if contact_phone:
        phone = normalize_phone(contact_phone)
        if phone is None:
            raise BillingError("Die Telefonnummer der Ansprechperson wurde nicht erkannt.",
                               english="The contact person's phone number was not recognised.")
    if employer is None:
        employer = Employer(created_at=now)
        session.add(employer)
    employer.name = name
    employer.contract_number = contract_number
    employer.starts_on = starts_on
    employer.ends_on = ends_on
    employer.fee_period = fee_period
    employer.fee_amount = fee_amount
    employer.headcount_tier = headcount_tier
    employer.contact_name = contact_name
    employer.contact_email = contact_email
    employer.contact_phone = phone
    session.flush()
    return employer


def find_employers_valid_on(session: Session, *, day: date) -> list[Employer]:
    """Return the employers whose contract covers a day, by name."""
    return list(
        session.scalars(
            select(Employer)
            .where(Employer.starts_on <= day, or_(Employer.ends_on.is_(None), Employer.ends_on >= day))
            .order_by(Employer.name, Employer.id)
        )
    )


# --- families -----------------------------------------------------------------------------------------


def normalize_phones(session: Session, raw: Iterable[str], *, family: Family | None = None) -> list[str]:
    """Return the numbers in E.164 (duplicates dropped); refuse unknown ones and another family's."""
    numbers: list[str] = []
    for text in raw:
        if not text.strip():
            continue
        number = normalize_phone(text)
        if number is None:
            raise BillingError(f"Die Telefonnummer „{text.strip()}“ wurde nicht erkannt.",
                               english=f"The phone number “{text.strip()}” was not recognised.")
        owner = find_family_by_phone(session, number)
        if owner is not None and (family is None or owner.id != family.id):
            raise BillingError(f"Die Telefonnummer „{text.strip()}“ gehört schon zu einer anderen Familie.",
                               english=f"The phone number “{text.strip()}” already belongs to another family.")
        if number not in numbers:
            numbers.append(number)
    return numbers


def update_family(
    session: Session,
    *,
    family: Family,
    name: str,
    phones: Sequence[str],
    address: str | None,
    postcode: str | None,
    employer_id: int | None,
    tariff_code: str | None,
    children: Sequence[dict[str, Any]],
    pickup_authorised: str | None,
    notes: str | None,
) -> Family:
    """Change a registered family's data and replace its phone numbers (any German notation)."""
    numbers = normalize_phones(session, phones, family=family)
    family.name = name
    family.address = address
    family.postcode = postcode
    family.employer_id = employer_id
    family.tariff_code = tariff_code
    family.children = [dict(child) for child in children]
    family.pickup_authorised = pickup_authorised
    family.notes = notes
    existing = {
        p.phone: p for p in session.scalars(select(FamilyPhone).where(FamilyPhone.family_id == family.id))
    }
    for number, row in existing.items():
        if number not in numbers:
            session.delete(row)
    session.flush()
    for number in numbers:
        if number not in existing:
            session.add(FamilyPhone(family_id=family.id, phone=number))
    session.flush()
    return family


def find_families(session: Session) -> list[Family]:
    """Return every registered family, by name."""
    return list(session.scalars(select(Family).order_by(Family.name, Family.id)))


# --- member municipalities ----------------------------------------------------------------------------


def add_member_period(
    session: Session, *, municipality: str, starts_on: date, ends_on: date | None
) -> MemberMunicipality:
    """Add a membership period for a municipality of the region; refuse overlaps with its other periods."""
    if municipality not in region_municipalities():
        raise BillingError(f"„{municipality}“ ist keine Kommune der Region Hannover.",
                           english=f"“{municipality}” is not a municipality of the Hannover region.")
    if ends_on is not None and ends_on < starts_on:
        raise BillingError("Das Ende liegt vor dem Beginn.", english="The end is before the start.")
    overlapping = session.scalars(
        select(MemberMunicipality).where(
            MemberMunicipality.municipality == municipality,
            or_(MemberMunicipality.ends_on.is_(None), MemberMunicipality.ends_on >= starts_on),
            *([MemberMunicipality.starts_on <= ends_on] if ends_on is not None else []),
        )
    ).first()
    if overlapping is not None:
        until = f"{overlapping.ends_on:%d.%m.%Y}" if overlapping.ends_on else "offen"
        raise BillingError(
            f"{municipality} ist vom {overlapping.starts_on:%d.%m.%Y} bis {until} schon Mitglied; "
            "die Zeiträume dürfen sich nicht überschneiden.",
            english=f"{municipality} is already a member from {overlapping.starts_on:%d.%m.%Y} to "
                    f"{until if overlapping.ends_on else 'open end'}; the periods must not overlap.",
        )
    return add_membership(session, municipality=municipality, starts_on=starts_on, ends_on=ends_on)


# --- tariffs ------------------------------------------------------------------------------------------


def last_billed_day(session: Session) -> date | None:
    """Return the last day of the latest month that has been billed, or None."""
    month = session.scalar(select(func.max(BillingRun.month)))
    return month_bounds(month)[1] if month else None


def add_rate(session: Session, *, code: str, name: str, hourly_rate: Decimal, valid_from: date) -> Tariff:
    """Add a rate for a code from a day on; a rate of a billed month is never changed.

    The new row wins from `valid_from` (latest start wins), so the old rate stays as it was for the
    days before. A start inside a month already billed is refused: those invoices keep their rates.
    """
    code = code.strip().lower()
    billed = last_billed_day(session)
    if billed is not None and valid_from <= billed:
        raise BillingError(
            f"Bis {billed:%d.%m.%Y} ist schon abgerechnet; ein neuer Satz kann frühestens ab "
            f"{billed + timedelta(days=1):%d.%m.%Y} gelten.",
            english=f"Everything up to {billed:%d.%m.%Y} is billed; a new rate can start on "
                    f"{billed + timedelta(days=1):%d.%m.%Y} at the earliest.",
        )
    if session.scalars(select(Tariff).where(Tariff.code == code, Tariff.valid_from == valid_from)).first():
        raise BillingError(f"Für „{code}“ gibt es ab {valid_from:%d.%m.%Y} schon einen Satz.",
                           english=f"“{code}” already has a rate from {valid_from:%d.%m.%Y}.")
    return define_tariff(session, code=code, name=name, hourly_rate=hourly_rate, valid_from=valid_from)


def find_tariff_codes(session: Session) -> list[tuple[str, str]]:
    """Return each tariff code with the name of its newest row, by code."""
    names: dict[str, str] = {}
    for tariff in session.scalars(select(Tariff).order_by(Tariff.code, Tariff.valid_from)):
        names[tariff.code] = tariff.name
    return sorted(names.items())


# --- a case's tariff and employer ---------------------------------------------------------------------


def set_case_tariff(session: Session, *, case: Case, tariff_code: str | None, now: datetime, by: str) -> bool:
    """Set the tariff code a case is billed at (None: worked out automatically); True when changed."""
    if tariff_code is not None and tariff_code not in dict(find_tariff_codes(session)):
        raise BillingError(f"Den Tarif „{tariff_code}“ gibt es nicht.",
                           english=f"There is no tariff “{tariff_code}”.")
    if case.tariff_code == tariff_code:
        return False
    previous = case.tariff_code
    case.tariff_code = tariff_code
    case.updated_at = now
    session.flush()
    record_event(
        session,
        case,
        key=f"tariff:{tariff_code}:{now.isoformat()}",
        kind=EventKind.TARIFF_SET,
        now=now,
        detail={"tariff_code": tariff_code, "previous": previous, "by": by[:64]},
    )
    return True


def unlink_case_employer(session: Session, *, case: Case, now: datetime, by: str) -> bool:
    """Remove a case's link to a partner employer (the caller does not work there); True when changed."""
    if case.employer_id is None:
        return False
    previous = case.employer_id
    case.employer_id = None
    case.updated_at = now
    session.flush()
    record_event(
        session,
        case,
        key=f"employer:none:{now.isoformat()}",
        kind=EventKind.EMPLOYER_UNLINKED,
        now=now,
        detail={"previous": previous, "by": by[:64]},
    )
    return True


def find_billing_runs(session: Session) -> list[BillingRun]:
    """Return every billing run, newest month first."""
    return list(session.scalars(select(BillingRun).order_by(BillingRun.month.desc())))


def preview_flagged(session: Session, *, month: str, now: datetime) -> list[Any]:
    """Return the sessions up to a month's end that a run would not bill (FlaggedSession), changing nothing."""
    from billing.run import _flagged_read_only, month_end_utc

    return _flagged_read_only(session, until=month_end_utc(month), now=now)
