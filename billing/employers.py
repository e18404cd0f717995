"""Partner employers: their framework contracts, their monthly fee, and cases linked to them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billing.tariffs import BillingError, money
from cases.events import EventKind
from cases.service import record_event
from core.inputs import InputError, get_id, normalize_month, parse_month
from models import Case, Employer

MONTHLY = "monthly"
YEARLY = "yearly"


class EmployerNotFound(BillingError):
    """No partner employer with that id or contract number."""


def contract_valid_on(employer: Employer, day: date) -> bool:
    """Return True when the employer's contract covers the day (both ends inclusive)."""
    return employer.starts_on <= day and (employer.ends_on is None or employer.ends_on >= day)


def billing_month(month: str) -> str:
    """Return a month as exactly "YYYY-MM" (ASCII digits): the one form runs are stored and compared in."""
    try:
        return normalize_month(month)
    except InputError as exc:
        raise BillingError(str(exc), english=exc.english) from None


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and last day of a month given as "YYYY-MM"."""
    parsed = parse_month(billing_month(month))
    return parsed.first_day, parsed.last_day


def monthly_fee(employer: Employer, *, month: str) -> tuple[Decimal, bool]:
    """Return the fee for a month and whether it was prorated.

    The month's base is the monthly fee, or the yearly fee / 12. When the contract starts or ends
    within the month, the base is prorated by the days the contract covers (days covered / days in
    the month); a month outside the contract costs nothing.
    """
    first, last = month_bounds(month)
    if employer.fee_period == MONTHLY:
        base = Decimal(employer.fee_amount)
    elif employer.fee_period == YEARLY:
        base = Decimal(employer.fee_amount) / Decimal(12)
    else:  # the table's check constraint prevents this
        raise BillingError(f"unknown fee period {employer.fee_period!r}")
    start = max(first, employer.starts_on)
    end = min(last, employer.ends_on) if employer.ends_on else last
    if end < start:
        return money(0), False
    days = (end - start).days + 1
    month_days = (last - first).days + 1
    if days == month_days:
        return money(base), False
    return money(base * Decimal(days) / Decimal(month_days)), True


def find_employers(session: Session) -> list[Employer]:
    """Return every partner employer, by name."""
    return list(session.scalars(select(Employer).order_by(Employer.name, Employer.id)))


def find_employers_in_contract(session: Session, *, first: date, last: date) -> list[Employer]:
    """Return the employers whose contract overlaps the period, by contract number."""
    return list(
        session.scalars(
            select(Employer)
            .where(Employer.starts_on <= last, or_(Employer.ends_on.is_(None), Employer.ends_on >= first))
            .order_by(Employer.contract_number)
        )
    )


def get_employer_by_contract(session: Session, contract_number: str) -> Employer | None:
    """Return the employer with a contract number, or None."""
    return session.scalars(select(Employer).where(Employer.contract_number == contract_number)).one_or_none()


def require_employer(session: Session, employer_id: int) -> Employer:
    """Return an employer by id or raise EmployerNotFound."""
    employer = session.get(Employer, employer_id) if get_id(employer_id) is not None else None
    if employer is None:
        raise EmployerNotFound(f"employer {employer_id} does not exist")
    return employer


def link_case_to_employer(session: Session, *, case: Case, employer: Employer, now: datetime) -> bool:
    """Link a case to the partner employer the caller works for (after the coordinator asked); True when changed."""
    if case.employer_id == employer.id:
        return False
    previous = case.employer_id
    case.employer_id = employer.id
    case.updated_at = now
    session.flush()
    record_event(
        session, case, key=f"employer:{employer.id}:{now.isoformat()}", kind=EventKind.EMPLOYER_LINKED, now=now,
        detail={"employer": employer.id, "contract_number": employer.contract_number, "previous": previous},
    )
    return True
