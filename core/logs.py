"""Logging setup that never writes a full phone number."""

from __future__ import annotations

import logging
import re

#: What a phone number looks like in a log line. The former `\+?\d[\d /-]{6,}\d` also ate dates,
#: hex digits of SIDs and ports with paths ("127.0.0.1:36401/2010-04-01" became "127.0.0.1:…401").
_PHONE = re.compile(
    # International, also URL-encoded: +49 151 12345678, +49 (0)511 123456, %2B4915112345678.
    r"(?:\+|%2[Bb])\s?\d(?:[\s()/.-]{0,2}\d){5,}"
    # National: 0151 12345678, 0511/123456, 0049 …, "Tel.0511 …"; not inside a word, SID, decimal or path.
    r"|(?<![\w/-])(?<!\d\.)0\d(?:[\s()/-]{0,2}\d){4,}(?!\w)"
    # Nine or more bare digits: an E.164 number whose + got lost (a form's + decoded as a space).
    r"|(?<![\w.:/-])\d{9,}(?!\w)"
)


def mask_phone(number: str | None) -> str:
    """Return a phone number masked to its last three digits, e.g. '+49…567'."""
    if not number:
        return "-"
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 3:
        return "…" + digits
    prefix = "+" + digits[:2] if number.startswith("+") else ""
    return f"{prefix}…{digits[-3:]}"


def mask_phones_in(text: str) -> str:
    """Return text with every phone number in it masked."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


class MaskPhoneNumbers(logging.Filter):
    """Mask anything that looks like a phone number in a log record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message, traceback and stack with masked numbers; never drop the record."""
        message = record.getMessage()
        masked = mask_phones_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A traceback carries numbers too (SQLAlchemy errors print their parameters): format it now,
        # masked; Formatter.format uses a record's exc_text when it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones_in(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones_in(record.stack_info)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Send logs to stderr with phone numbers masked."""
    root = logging.getLogger()
    if any(isinstance(f, MaskPhoneNumbers) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPhoneNumbers())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("alembic", "apscheduler", "werkzeug", "twilio.http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
