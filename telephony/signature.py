"""Twilio request signatures: the only proof a webhook request comes from Twilio."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from twilio.request_validator import RequestValidator, compare


def public_url(base_url: str | None, path: str, query_string: str, *, request_url: Callable[[], str]) -> str:
    """Return the URL Twilio signed: PUBLIC_BASE_URL plus path and query, or the request's own URL."""
    if not base_url:
        return request_url()
    url = base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_signature(url: str, params: Any, signature: str | None, tokens: Iterable[str]) -> bool:
    """Return True when the signature matches the URL and parameters under any accepted token."""
    if not signature:
        return False
    for token in tokens:
        if not token:
            continue
        validator = RequestValidator(token)
        # The URL as configured first: one HMAC, where validate() always computes two (with and
        # without the port); validate() then covers the port variants Twilio may have signed.
        if compare(validator.compute_signature(url, params), signature) or validator.validate(url, params, signature):
            return True
    return False
