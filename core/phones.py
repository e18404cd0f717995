"""Phone numbers: parse any German notation into E.164; tell mobiles from landlines."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=4096)
def normalize_phone(raw: str | None, region: str = "DE") -> str | None:
    """Return the number in E.164, or None when it is missing, withheld or not a valid number.

    Remembered for the last few thousand numbers: every webhook of a call asks again for the same one.
    """
    if not raw:
        return None
    raw = raw.strip()
    if not raw or len(raw) > 40 or not any(ch.isdigit() for ch in raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Return True when an E.164 number can receive SMS (a mobile number)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _MOBILE_TYPES


def format_national(e164: str | None) -> str:
    """Return a number as people in Germany write it, e.g. '0151 23456789'."""
    if not e164:
        return "—"
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164
