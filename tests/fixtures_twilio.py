"""Fixtures for Twilio's REST API: a local stand-in, and Twilio's OpenAPI description to check requests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.twilio_standin import RecordedRequest, TwilioStandIn

SPEC_PATH = Path(__file__).resolve().parent.parent / ".cache" / "twilio_api_v2010.json"
TWILIO_HOST = "https://api.twilio.com"
#: Credentials in Twilio's shapes (the OpenAPI description checks the AccountSid pattern).
TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = "standin-auth-token-0123456789abcd"


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandIn]:
    """Start a local stand-in for Twilio's REST API for one test."""
    standin = TwilioStandIn(auth_token=TEST_AUTH_TOKEN).start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture(scope="session")
def twilio_openapi() -> Any:
    """Return Twilio's API v2010 description, loaded with openapi-core (run `make twilio-spec`)."""
    if not SPEC_PATH.exists():
        message = f"{SPEC_PATH} is missing: run `make twilio-spec` to fetch Twilio's OpenAPI description"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(json.loads(SPEC_PATH.read_text()))


def as_twilio_request(record: RecordedRequest) -> requests.PreparedRequest:
    """Rebuild a recorded request as it would have gone to https://api.twilio.com."""
    headers = {k: v for k, v in record.headers.items() if k.lower() not in ("host", "content-length")}
    return requests.Request(
        method=record.method, url=record.twilio_url(), headers=headers, data=record.body or None
    ).prepare()


def assert_accepted_by_twilio_api(record: RecordedRequest, spec: Any) -> None:
    """Fail unless Twilio's OpenAPI description accepts the request (path, params, form body, auth)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    assert record.basic_auth is not None, "no Basic Authorization header"
    if record.method in ("POST", "PUT", "PATCH"):
        content_type = next((v for k, v in record.headers.items() if k.lower() == "content-type"), "")
        assert content_type.split(";")[0].strip() == "application/x-www-form-urlencoded", content_type
    spec.validate_request(RequestsOpenAPIRequest(as_twilio_request(record)))


@pytest.fixture
def twilio_gateway(twilio_standin: TwilioStandIn) -> Any:
    """Return a TwilioRestGateway talking to the stand-in, with a short timeout."""
    from telephony.twilio_rest import TwilioRestGateway

    return TwilioRestGateway.create(
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
        api_base=twilio_standin.base_url,
        timeout=0.5,
    )
