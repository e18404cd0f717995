"""The hotline number at Twilio: find it in the account, read and update its webhook URLs.

Goes through the same SDK client and HTTP seam as the SMS gateway, so `TWILIO_API_BASE` redirects
these requests too. Twilio's errors become a `NumberSetupError` whose message says what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from core.errors import HotlineError
from telephony.twilio_rest import TwilioRestGateway

#: The IncomingPhoneNumber fields read back (the ones `twilio configure` manages, and one that overrides them).
NUMBER_FIELDS = (
    "voice_url",
    "voice_method",
    "voice_fallback_url",
    "voice_fallback_method",
    "status_callback",
    "status_callback_method",
    "sms_url",
    "sms_method",
    "sms_fallback_url",
    "sms_fallback_method",
    "voice_application_sid",
    "sms_application_sid",
)


class NumberSetupError(HotlineError):
    """Twilio refused or could not be reached; the message names the cause in plain words."""


@dataclass(frozen=True)
class IncomingNumber:
    """The hotline number as Twilio has it configured."""

    sid: str
    phone_number: str
    fields: dict[str, str | None]


def find_number(gateway: TwilioRestGateway, phone_number: str) -> IncomingNumber:
    """Return the account's IncomingPhoneNumber for `phone_number`, or raise NumberSetupError."""
    try:
        found = gateway.client.incoming_phone_numbers.list(phone_number=phone_number, limit=20)
    except (TwilioRestException, TwilioException, requests.RequestException) as exc:
        raise explain(exc, gateway) from exc
    for number in found:
        if number.phone_number == phone_number:
            return _as_incoming(number)
    account = gateway.client.username or "?"
    raise NumberSetupError(
        f"Die Nummer {phone_number} (HOTLINE_NUMBER) gehört nicht zum Twilio-Konto {account}: "
        "Nummer oder TWILIO_ACCOUNT_SID prüfen (ein Unterkonto hat eigene Nummern).",
        english=f"The number {phone_number} (HOTLINE_NUMBER) is not in the Twilio account {account}: "
        "check the number or TWILIO_ACCOUNT_SID (a subaccount has its own numbers).",
    )


def update_number(gateway: TwilioRestGateway, sid: str, changes: dict[str, str]) -> IncomingNumber:
    """Send one update of the given fields; return the number as Twilio answers it."""
    try:
        updated = gateway.client.incoming_phone_numbers(sid).update(**changes)
    except (TwilioRestException, TwilioException, requests.RequestException) as exc:
        raise explain(exc, gateway) from exc
    return _as_incoming(updated)


def check_credentials(gateway: TwilioRestGateway) -> str:
    """Fetch the account with the configured credentials; return its status or raise NumberSetupError."""
    try:
        account = gateway.client.api.v2010.accounts(gateway.client.username).fetch()
    except (TwilioRestException, TwilioException, requests.RequestException) as exc:
        raise explain(exc, gateway) from exc
    return str(account.status or "unknown")


def explain(exc: Exception, gateway: TwilioRestGateway) -> NumberSetupError:
    """Turn an SDK or transport error into a message an administrator can act on."""
    exc = _as_rest_exception(exc)
    if isinstance(exc, TwilioRestException):
        if exc.status == 401 or exc.code == 20003:
            return NumberSetupError(
                "Twilio lehnt die Zugangsdaten ab (Fehler 20003): TWILIO_ACCOUNT_SID und TWILIO_AUTH_TOKEN "
                "mit der Twilio-Konsole vergleichen.",
                english="Twilio refuses the credentials (error 20003): compare TWILIO_ACCOUNT_SID and "
                "TWILIO_AUTH_TOKEN with the Twilio console.",
            )
        if exc.status == 404:
            return NumberSetupError(
                f"Twilio kennt die Nummer oder das Konto nicht (HTTP 404, Fehler {exc.code}): "
                "HOTLINE_NUMBER und TWILIO_ACCOUNT_SID prüfen.",
                english=f"Twilio does not know the number or the account (HTTP 404, error {exc.code}): "
                "check HOTLINE_NUMBER and TWILIO_ACCOUNT_SID.",
            )
        text = exc.msg or ""
        return NumberSetupError(
            f"Twilio antwortet mit HTTP {exc.status}, Fehler {exc.code}: {text}",
            english=f"Twilio answers HTTP {exc.status}, error {exc.code}: {text}",
        )
    base = gateway.http_client.api_base or "https://api.twilio.com"
    if isinstance(exc, requests.RequestException):
        return NumberSetupError(
            f"Twilio ist unter {base} nicht erreichbar ({type(exc).__name__}): Netz und TWILIO_API_BASE prüfen.",
            english=f"Cannot reach Twilio at {base} ({type(exc).__name__}): check the network and "
            "TWILIO_API_BASE.",
        )
    return NumberSetupError(f"Twilio-Anfrage fehlgeschlagen: {exc}", english=f"Twilio request failed: {exc}")


def _as_rest_exception(exc: Exception) -> Exception:
    """Return a TwilioRestException for the SDK's "Unable to fetch page" errors (list requests)."""
    if isinstance(exc, TwilioRestException) or not isinstance(exc, TwilioException) or len(exc.args) < 2:
        return exc
    response = exc.args[1]
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return exc
    try:
        payload = json.loads(getattr(response, "text", "") or "{}")
    except ValueError:
        payload = {}
    return TwilioRestException(status, "", msg=payload.get("message"), code=payload.get("code"))


def _as_incoming(number: Any) -> IncomingNumber:
    """Copy the fields we read from an SDK IncomingPhoneNumberInstance."""
    return IncomingNumber(
        sid=number.sid,
        phone_number=number.phone_number,
        fields={name: getattr(number, name, None) for name in NUMBER_FIELDS},
    )
