"""Logging setup that never writes a full phone number."""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"\+?\d[\d /-]{6,}\d")


def mask_phone(number: str | None) -> str:
    """Return a phone number masked to its last three digits, e.g. '+49…567'."""
    if not number:
        return "-"
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 3:
        return "…" + digits
    prefix = "+" + digits[:2] if number.startswith("+") else ""
    return f"{prefix}…{digits[-3:]}"


class MaskPhoneNumbers(logging.Filter):
    """Mask anything that looks like a phone number in a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with masked numbers; never drop the record."""
        message = record.getMessage()
        masked = _PHONE.sub(lambda m: mask_phone(m.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
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
