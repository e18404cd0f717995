"""One set of rules for every value a person or Twilio types: numbers, ids, months, dates, times,
money, postcodes, phone numbers, keys.

The rules: digits are ASCII `0-9` only (`str.isdigit()`, `int()` and a Unicode regex `\\d` accept
fullwidth, Arabic-Indic or superscript digits, each a different bug); every number is bounded
before it is converted; a month is arithmetic (an index), so no loop's end depends on input; a
local wall time that the clock change makes ambiguous or skips is refused with both readings.

Every refusal is an `InputError`: German for logs and the command line, English beside it, and a
`key` naming the rule, so the dashboard can show it in the signed-in person's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from core.errors import HotlineError
from core.formats import euro_de

BERLIN = ZoneInfo("Europe/Berlin")

#: The largest id a table holds (a 32-bit signed integer on PostgreSQL).
MAX_ID = 2**31 - 1
#: Years a person may type in a date or month.
MIN_YEAR, MAX_YEAR = 1900, 2199
#: The largest amount of money the dashboard takes, in euros.
MAX_MONEY = Decimal("99999999.99")
#: Longest text of digits worth converting: anything longer is out of every range here.
_MAX_DIGITS = 12

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_ID = re.compile(r"[0-9]{1,10}", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", re.ASCII)
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", re.ASCII)
_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})(?::([0-9]{2}))?", re.ASCII)
_POSTCODE = re.compile(r"[0-9]{5}", re.ASCII)
_MONEY = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,2})?", re.ASCII)
_DTMF = re.compile(r"[0-9*#]*", re.ASCII)
_OFFSET_SUFFIX = re.compile(r"\s*(MESZ|MEZ|CEST|CET|[+-]0[12]:?00)\s*$", re.IGNORECASE | re.ASCII)


class InputError(HotlineError, ValueError):
    """A typed value breaks a rule; the message says how to write it (German, English beside)."""

    def __init__(self, key: str, german: str, english: str, *, readings: tuple[datetime, ...] = ()) -> None:
        """Keep the rule's key, the message in both languages, and for a doubled wall time both readings."""
        super().__init__(german, english=english)
        self.key = key
        self.readings = readings


# --- numbers and ids -------------------------------------------------------------------------------


def parse_int(text: str | int | None, *, minimum: int = 0, maximum: int, name: str = "Zahl",
              name_en: str = "number") -> int:
    """Return a whole number of ASCII digits within [minimum, maximum], or raise InputError."""
    value = _strip(text)
    negative = value.startswith("-") and minimum < 0
    digits = value[1:] if negative else value
    if not _DIGITS.fullmatch(digits) or len(digits) > _MAX_DIGITS:
        raise InputError("int.format", f"{name}: bitte eine ganze Zahl aus den Ziffern 0–9 eingeben.",
                         f"{name_en}: please enter a whole number using the digits 0–9.")
    number = -int(digits) if negative else int(digits)
    if not minimum <= number <= maximum:
        raise InputError("int.range", f"{name}: bitte eine Zahl von {minimum} bis {maximum} eingeben.",
                         f"{name_en}: please enter a number from {minimum} to {maximum}.")
    return number


def optional_int(text: str | None, *, minimum: int = 0, maximum: int, name: str = "Zahl",
                 name_en: str = "number") -> int | None:
    """Return None for an empty text, else the number as `parse_int` reads it."""
    return None if not _strip(text) else parse_int(text, minimum=minimum, maximum=maximum, name=name, name_en=name_en)


def get_id(text: str | int | None) -> int | None:
    """Return an id 1..2^31-1 from ASCII digits, or None for anything else (also a bool or huge int)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 1 <= text <= MAX_ID else None
    if not isinstance(text, str) or not _ID.fullmatch(text.strip()):
        return None
    number = int(text.strip())
    return number if 1 <= number <= MAX_ID else None


def require_id(text: str | int | None) -> int:
    """Return an id 1..2^31-1, or raise InputError."""
    number = get_id(text)
    if number is None:
        raise InputError("id", "Diese Nummer gibt es nicht.", "There is no such number.")
    return number


# --- months ----------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; `index` counts months since year 0, so ranges are arithmetic."""

    year: int
    number: int

    @property
    def index(self) -> int:
        """Return the month's position on a line of months (year * 12 + month - 1)."""
        return self.year * 12 + self.number - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        """Return the month at a position of `index`."""
        return cls(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        """Return "YYYY-MM"."""
        return f"{self.year:04d}-{self.number:02d}"

    def shifted(self, months: int) -> Month:
        """Return the month `months` later (earlier when negative)."""
        return Month.from_index(self.index + months)

    @property
    def first_day(self) -> date:
        """Return the month's first day."""
        return date(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        """Return the month's last day."""
        return self.shifted(1).first_day - timedelta(days=1)


def parse_month(text: str | None) -> Month:
    """Return the month of a "YYYY-MM" text (ASCII digits, year 1900..2199), or raise InputError."""
    value = _strip(text)
    match = _MONTH.fullmatch(value)
    if not match or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR or not 1 <= int(match.group(2)) <= 12:
        shown = value[:20]
        raise InputError("month", f"Monat {shown!r} bitte als JJJJ-MM angeben, z. B. 2026-11.",
                         f"Please give the month {shown!r} as YYYY-MM, e.g. 2026-11.")
    return Month(int(match.group(1)), int(match.group(2)))


def normalize_month(text: str | None) -> str:
    """Return the month as exactly "YYYY-MM" (the form billing stores and compares), or raise InputError."""
    return str(parse_month(text))


def month_range(first: Month, last: Month, *, max_months: int) -> list[Month]:
    """Return the months first..last, computed by index; refuse a reversed or too long span."""
    span = last.index - first.index + 1
    if span < 1:
        raise InputError("month.order", "Der erste Monat liegt nach dem letzten. Bitte die Monate tauschen.",
                         "The first month is after the last one. Please swap them.")
    if span > max_months:
        raise InputError("month.span", f"Höchstens {max_months} Monate auf einmal, bitte den Zeitraum verkürzen.",
                         f"At most {max_months} months at once; please choose a shorter period.")
    return [Month.from_index(first.index + i) for i in range(span)]


# --- dates and times -------------------------------------------------------------------------------


def parse_date(text: str | None) -> date:
    """Return a date typed as YYYY-MM-DD (the date input) or DD.MM.YYYY, or raise InputError."""
    value = _strip(text)
    parts: tuple[int, int, int] | None = None
    if match := _ISO_DATE.fullmatch(value):
        parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    elif match := _GERMAN_DATE.fullmatch(value):
        parts = (int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if parts and MIN_YEAR <= parts[0] <= MAX_YEAR:
        try:
            return date(*parts)
        except ValueError:
            pass
    raise InputError("date", "Bitte ein gültiges Datum eingeben, z. B. 24.11.2026.",
                     "Please enter a valid date, e.g. 24.11.2026 or 2026-11-24.")


def optional_date(text: str | None) -> date | None:
    """Return None for an empty text, else the date as `parse_date` reads it."""
    return None if not _strip(text) else parse_date(text)


def parse_time(text: str | None) -> time:
    """Return a wall time typed as HH:MM (also H.MM, HH:MM:SS), or raise InputError."""
    match = _TIME.fullmatch(_strip(text))
    if match:
        hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hours <= 23 and minutes <= 59 and seconds <= 59:
            return time(hours, minutes, seconds)
    raise InputError("time", "Bitte eine gültige Uhrzeit eingeben, z. B. 14:30.",
                     "Please enter a valid time, e.g. 14:30.")


def split_offset(text: str | None) -> tuple[str, timedelta | None]:
    """Split a chosen reading off a typed time: "02:30 MEZ" → ("02:30", +1 h); none → (text, None)."""
    value = _strip(text)
    match = _OFFSET_SUFFIX.search(value)
    if not match:
        return value, None
    suffix = match.group(1).upper()
    if suffix in ("MESZ", "CEST"):
        offset = timedelta(hours=2)
    elif suffix in ("MEZ", "CET"):
        offset = timedelta(hours=1)
    else:
        offset = timedelta(hours=int(suffix[1:3])) * (-1 if suffix[0] == "-" else 1)
    return value[: match.start()].strip(), offset


def local_to_utc(day: date, clock: time, tz: tzinfo = BERLIN, *, offset: timedelta | None = None) -> datetime:
    """Return the aware UTC moment of a local wall time.

    Refuse a time the spring clock change skips, and one the autumn change makes happen twice —
    unless `offset` (UTC+1 or UTC+2, e.g. from "02:30 MEZ") says which of the two is meant.
    """
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    readings = {first.utcoffset(), second.utcoffset()}
    if offset is not None:
        if offset not in readings:
            raise InputError("time.offset", f"{clock:%H:%M} gibt es am {day:%d.%m.%Y} nicht mit dieser Zeitangabe.",
                             f"{clock:%H:%M} on {day:%d.%m.%Y} does not exist with that zone.")
        return naive.replace(tzinfo=UTC) - offset
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise InputError("time.skipped",
                         f"{clock:%H:%M} gibt es am {day:%d.%m.%Y} wegen der Zeitumstellung nicht. "
                         "Bitte eine Uhrzeit davor oder danach angeben.",
                         f"{clock:%H:%M} does not exist on {day:%d.%m.%Y} (clock change). "
                         "Please give a time before or after.")
    if len(readings) > 1:
        early, late = f"{clock:%H:%M} MESZ", f"{clock:%H:%M} MEZ"
        raise InputError("time.ambiguous",
                         f"{clock:%H:%M} gibt es am {day:%d.%m.%Y} wegen der Zeitumstellung zweimal: "
                         f"bitte „{early}“ (das erste Mal) oder „{late}“ (das zweite Mal) angeben.",
                         f"{clock:%H:%M} happens twice on {day:%d.%m.%Y} (clock change): "
                         f"please give “{early}” (the first time) or “{late}” (the second time).",
                         readings=(first, second))
    return first.astimezone(UTC)


def with_reading(raw_time: str | None, reading: str | None) -> str:
    """Return a typed time with the reading a form's "Zeitumstellung" choice adds ("MESZ" or "MEZ")."""
    chosen = (reading or "").strip().upper()
    return f"{(raw_time or '').strip()} {chosen}" if chosen in ("MESZ", "MEZ") and raw_time else (raw_time or "")


def parse_local(raw_date: str | None, raw_time: str | None, tz: tzinfo = BERLIN) -> datetime:
    """Return the aware UTC moment of a typed local date and time ("02:30 MEZ" picks a reading)."""
    clock_text, offset = split_offset(raw_time)
    return local_to_utc(parse_date(raw_date), parse_time(clock_text), tz, offset=offset)


# --- money, postcodes, phones, keys ---------------------------------------------------------------


def parse_money(text: str | None, *, maximum: Decimal = MAX_MONEY) -> Decimal:
    """Return euros with cents from German or plain notation ("1.234,50", "3,50", "6000"), or raise."""
    value = _strip(text).removesuffix("€").replace("EUR", "").strip().replace(" ", "")
    if _MONEY.fullmatch(value) and len(value) <= 20:
        if "," in value:
            value = value.replace(".", "").replace(",", ".")
        elif value.count(".") and len(value.rsplit(".", 1)[1]) == 3:
            value = value.replace(".", "")
        try:
            amount = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            amount = None
        if amount is not None and 0 <= amount <= maximum:
            return amount.quantize(Decimal("0.01"))
    raise InputError("money", f"Bitte einen Betrag in Euro eingeben, z. B. 1.234,50 (höchstens {euro_de(maximum)}).",
                     f"Please enter an amount in euros, e.g. 1234.50 (at most {maximum:,.2f} €).")


def parse_postcode(text: str | None) -> str:
    """Return a German postcode of five ASCII digits, or raise InputError."""
    value = _strip(text)
    if not _POSTCODE.fullmatch(value):
        raise InputError("postcode", "Bitte eine Postleitzahl aus fünf Ziffern 0–9 eingeben, z. B. 30159.",
                         "Please enter a postcode of five digits 0–9, e.g. 30159.")
    return value


def parse_phone(text: str | None) -> str:
    """Return a phone number in any German notation as E.164, or raise InputError."""
    from core.phones import normalize_phone

    value = _strip(text)
    number = normalize_phone(value) if value.isascii() else None
    if not number:
        raise InputError("phone", "Bitte eine gültige Telefonnummer eingeben, z. B. 0151 23456789.",
                         "Please enter a valid phone number, e.g. 0151 23456789.")
    return number


def parse_keys(text: str | None, *, limit: int = 64) -> str:
    """Return the keys pressed on a phone (0-9, *, #), or "" when Twilio sent anything else."""
    value = (text or "").strip()[:limit]
    return value if _DTMF.fullmatch(value) else ""


def _strip(text: str | int | None) -> str:
    return str(text).strip() if text is not None else ""
