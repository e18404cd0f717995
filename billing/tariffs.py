"""Tariffs as data: which hourly rate applies on a day, who pays which tariff, and euro arithmetic.

The rates live in the `tariffs` table (code, name, hourly rate, valid_from, valid_to); nothing
here knows what they are. A code may have several rows over time: the one valid on a day is the
row with the latest `valid_from` on or before that day whose `valid_to` (inclusive) has not
passed — so the office raises a rate by adding a row from the day it applies, and may close the
old one or leave it open.

Money is Decimal, never float; amounts are rounded to cents with ROUND_HALF_UP (commercial rounding).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import HotlineError
from models import Case, Family, Tariff

#: The full hourly rate.
REGULAR = "regular"
#: Employees of a partner employer whose contract is valid on the day of care.
PARTNER = "partner"
#: Students (the family's registered tariff, or set by the coordinator on the case).
STUDENT = "student"
#: Codes the office starts with; it may define more (e.g. "aktivpass" for the HannoverAktivPass).
KNOWN_CODES = (REGULAR, PARTNER, STUDENT)

CENT = Decimal("0.01")


class BillingError(HotlineError):
    """Something billing refuses, with a message the coordination office can act on."""


class NoTariff(BillingError):
    """No tariff with that code is valid on that day."""


def money(value: Decimal | int | str) -> Decimal:
    """Return an amount in euros rounded to cents (ROUND_HALF_UP); floats are refused."""
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def price(*, hours: Decimal, hourly_rate: Decimal) -> Decimal:
    """Return what `hours` cost at `hourly_rate`, rounded to cents."""
    return money(Decimal(hours) * Decimal(hourly_rate))


def tariff_valid_on(tariffs: Iterable[Tariff], *, code: str, day: date) -> Tariff | None:
    """Return the tariff of a code valid on a day among the given rows (latest valid_from wins), or None."""
    valid = [
        t
        for t in tariffs
        if t.code == code and t.valid_from <= day and (t.valid_to is None or t.valid_to >= day)
    ]
    return max(valid, key=lambda t: t.valid_from, default=None)


def rate_on(session: Session, *, code: str, day: date) -> Tariff:
    """Return the tariff of a code valid on a (Berlin calendar) day; raise NoTariff when there is none."""
    tariffs = session.scalars(
        select(Tariff).where(
            Tariff.code == code,
            Tariff.valid_from <= day,
            or_(Tariff.valid_to.is_(None), Tariff.valid_to >= day),
        )
    ).all()
    found = tariff_valid_on(tariffs, code=code, day=day)
    if found is None:
        raise NoTariff(
            f"Kein Tarif {code!r} am {day:%d.%m.%Y} gültig: bitte in der Tariftabelle ergänzen "
            f"(no tariff {code!r} valid on {day.isoformat()})."
        )
    return found


def find_tariffs(session: Session) -> list[Tariff]:
    """Return every tariff row, by code and start date."""
    return list(session.scalars(select(Tariff).order_by(Tariff.code, Tariff.valid_from)))


def define_tariff(
    session: Session,
    *,
    code: str,
    name: str,
    hourly_rate: Decimal,
    valid_from: date,
    valid_to: date | None = None,
) -> Tariff:
    """Add a tariff row (a new code, or a new rate for a code from a day on); flush, never commit."""
    code = code.strip().lower()
    if not code or len(code) > 20:
        raise BillingError("Ein Tarifcode hat 1 bis 20 Zeichen.", english="A tariff code has 1 to 20 characters.")
    rate = money(hourly_rate)
    if rate < 0:
        raise BillingError("Ein Stundensatz kann nicht negativ sein.", english="An hourly rate cannot be negative.")
    tariff = Tariff(code=code, name=name, hourly_rate=rate, valid_from=valid_from, valid_to=valid_to)
    session.add(tariff)
    session.flush()
    return tariff


def tariff_code_for(case: Case, family: Family | None, employer_valid: bool) -> str:
    """Return the tariff code a case's care is billed at.

    The coordinator's choice on the case wins; then the partner rate when the case is linked to an
    employer whose contract is valid on the day of care; then the family's registered tariff; else
    the regular rate.
    """
    if case.tariff_code:
        return case.tariff_code
    if case.employer_id is not None and employer_valid:
        return PARTNER
    if family is not None and family.tariff_code:
        return family.tariff_code
    return REGULAR
