"""Helpers shared by the tests: signing Twilio requests, parsing TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

PUBLIC_BASE_URL = "https://hotline.example.org"
TEST_TOKEN = "test-auth-token-0123456789abcdef"


def sign(url: str, params: dict[str, str], token: str = TEST_TOKEN) -> str:
    """Return the X-Twilio-Signature Twilio would send for a POST."""
    return RequestValidator(token).compute_signature(url, params)


def twilio_post(client: Any, path: str, params: dict[str, str], *, token: str = TEST_TOKEN,
                base: str = PUBLIC_BASE_URL, signature: str | None = None) -> Any:
    """POST form parameters to a webhook, signed as Twilio would sign them."""
    url = base + path
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(url, params, token)}
    return client.post(path, data=urlencode(params), headers=headers,
                       content_type="application/x-www-form-urlencoded")


def twiml(response: Any) -> ET.Element:
    """Parse a TwiML response and check it is a <Response> document."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype in ("text/xml", "application/xml")
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    """Return the top-level verbs of a TwiML document, in order."""
    return [child.tag for child in root]
