"""Money and dates as people read them, in the house format (German), formatted by Babel.

Display only: the invoice PDF, the dashboard, the command line and messages. The documented file
formats (CSV exports: "1234,50", DD.MM.YYYY) keep their own exact writers, and parsing stays with
the strict input layer (core.inputs) — Babel's parsers accept more than the hotline allows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

LOCALE = "de_DE"
BERLIN = ZoneInfo("Europe/Berlin")
CENT = Decimal("0.01")


def amount_de(value: Decimal | int) -> str:
    """Return an amount with thousands dots and a decimal comma, "1.234,50"; cents rounded half up."""
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    # Babel rounds half to even; money rounds half up (billing.tariffs.money), so round first.
    cents = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return format_decimal(cents, format="#,##0.00", locale=LOCALE)


def euro_de(value: Decimal | int) -> str:
    """Return an amount as printed on a German invoice, "1.234,50 €"."""
    return f"{amount_de(value)} €"


def date_de(day: date) -> str:
    """Return a date as German readers write it, "24.11.2026" (Babel's medium German date)."""
    return format_date(day, format="medium", locale=LOCALE)


def time_de(at: datetime) -> str:
    """Return the time of an instant in Hannover, "14:05" (Babel's short German time)."""
    return format_time(at.astimezone(BERLIN).time(), format="short", locale=LOCALE)


def datetime_de(at: datetime) -> str:
    """Return an instant as people in Hannover read it, "23.11.2026, 14:05"."""
    local = at.astimezone(BERLIN)
    return f"{date_de(local.date())}, {time_de(local)}"
