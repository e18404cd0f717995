"""Twilio's error answers map to transient or permanent SendErrors; retries back off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messaging.outbox import BACKOFF, MAX_BACKOFF, backoff_delay
from telephony.twilio_rest import RedirectingHttpClient, parse_retry_after, send_error_from_response

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    error = send_error_from_response(status, 20500, "Internal Server Error")
    assert error.transient
    assert f"HTTP {status}" in str(error)


def test_too_many_requests_is_transient_and_keeps_retry_after() -> None:
    error = send_error_from_response(429, 20429, "Too Many Requests", retry_after=42.0)
    assert error.transient
    assert error.retry_after == 42.0


@pytest.mark.parametrize(
    ("code", "meaning"),
    [(21211, "invalid 'To' number"), (21610, "opted out (STOP)"), (21614, "not a mobile number")],
)
def test_client_errors_are_permanent_with_twilio_code(code: int, meaning: str) -> None:
    error = send_error_from_response(400, code, "Unable to create record")
    assert not error.transient
    assert error.code == code
    assert meaning in str(error)


def test_unauthorized_is_permanent() -> None:
    assert not send_error_from_response(401, 20003, "Authenticate").transient


def test_retry_after_in_seconds_and_as_http_date() -> None:
    assert parse_retry_after("42", now=NOW) == 42.0
    assert parse_retry_after("Mon, 23 Nov 2026 09:01:30 GMT", now=NOW) == 90.0
    assert parse_retry_after("Mon, 23 Nov 2026 08:00:00 GMT", now=NOW) == 0.0
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_backoff_grows_then_stays_capped() -> None:
    delays = [backoff_delay(n) for n in range(1, 10)]
    assert delays[:3] == [timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=2)]
    assert delays == sorted(delays)
    assert delays[-1] == BACKOFF[-1] <= MAX_BACKOFF


def test_backoff_honours_retry_after_up_to_the_cap() -> None:
    assert backoff_delay(1, retry_after=120) == timedelta(minutes=2)
    assert backoff_delay(4, retry_after=5) == BACKOFF[3]
    assert backoff_delay(1, retry_after=86400) == MAX_BACKOFF


def test_api_base_replaces_scheme_and_host_only() -> None:
    client = RedirectingHttpClient("http://127.0.0.1:8099/")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=50"
    assert (
        client.rewrite_url(url) == "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json?PageSize=50"
    )
    prefixed = RedirectingHttpClient("https://staging.example.org/twilio")
    assert prefixed.rewrite_url(url).startswith("https://staging.example.org/twilio/2010-04-01/")
    assert RedirectingHttpClient(None).rewrite_url(url) == url
