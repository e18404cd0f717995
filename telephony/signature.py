"""Twilio request signatures: the only proof a webhook request comes from Twilio."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twilio.request_validator import RequestValidator


def public_url(base_url: str | None, request_url: str, path: str, query_string: str) -> str:
    """Return the URL Twilio signed: PUBLIC_BASE_URL plus path and query, or the request's own URL."""
    if not base_url:
        return request_url
    url = base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_signature(url: str, params: Any, signature: str | None, tokens: Iterable[str]) -> bool:
    """Return True when the signature matches the URL and parameters under any accepted token."""
    if not signature:
        return False
    return any(RequestValidator(token).validate(url, params, signature) for token in tokens if token)
