"""The real SMS and call gateway: Twilio's REST API through twilio-python, errors mapped to SendError.

`TWILIO_API_BASE` redirects every request to another base URL (a staging proxy, the tests'
local stand-in). The redirect lives in the SDK's HTTP seam (`RedirectingHttpClient`), so the
SDK builds exactly the request it would send to Twilio and only the scheme and host change.

Requests are never retried here: a retried POST could send an SMS twice. The outbox decides
when to try again, and can ask `find_recent_sms` whether an earlier attempt got through.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.logs import mask_phone
from core.settings import Settings
from telephony.gateway import InboundSms, SendError

log = logging.getLogger(__name__)

#: Seconds a REST request may take (connect and read) before it counts as a transient failure.
DEFAULT_TIMEOUT_SECONDS = 10.0

#: How many of the newest messages to a number `find_recent_sms` looks through.
LOOKUP_LIMIT = 50
#: How many received SMS one reconciliation reads (newest first): far more than a few minutes bring.
INBOUND_LIMIT = 200

#: Twilio error codes worth naming in logs and in the outbox's last_error.
KNOWN_ERRORS = {
    21211: "invalid 'To' number",
    21408: "no permission to send to this region",
    21610: "recipient has opted out (STOP)",
    21612: "cannot route to this number",
    21614: "'To' is not a mobile number",
    21606: "'From' number cannot send SMS",
    21603: "'From' number missing",
}


class RedirectingHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends every request to another base URL and remembers the last response."""

    def __init__(self, api_base: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        """Redirect to `api_base` (scheme, host and an optional path prefix) when given."""
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/") if api_base else None
        # One gateway may be shared by threads; each needs its own "last response" (Retry-After).
        self._local = threading.local()

    def rewrite_url(self, url: str) -> str:
        """Return the URL with Twilio's scheme and host replaced by the configured base."""
        if not self.api_base:
            return url
        base = urlsplit(self.api_base)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send the SDK's request to the configured base URL."""
        self._local.response = None
        response = super().request(
            method,
            self.rewrite_url(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.response = response
        return response

    @property
    def last_response(self) -> Response | None:
        """Return this thread's last response (None when the request itself failed)."""
        return getattr(self._local, "response", None)


@dataclass
class TwilioRestGateway:
    """Sends SMS through Twilio's Messages resource and places calls through its Calls resource."""

    client: Client
    http_client: RedirectingHttpClient

    @classmethod
    def from_settings(
        cls, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> TwilioRestGateway:
        """Build the gateway from the Twilio credentials and TWILIO_API_BASE."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise ValueError("TwilioRestGateway needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        return cls.create(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            api_base=settings.twilio_api_base,
            timeout=timeout,
        )

    @classmethod
    def create(
        cls,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> TwilioRestGateway:
        """Build the gateway from explicit credentials."""
        http_client = RedirectingHttpClient(api_base, timeout=timeout)
        client = Client(account_sid, auth_token, http_client=http_client)
        return cls(client=client, http_client=http_client)

    def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
        """Send one SMS; return its MessageSid or raise SendError."""
        if not from_:
            raise SendError(
                "no sender number: set HOTLINE_NUMBER or the message's from_number", transient=False
            )
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except (TwilioRestException, TwilioException, requests.RequestException) as exc:
            error = self._to_send_error(exc)
            log.warning("Twilio SMS to %s failed: %s", mask_phone(to), error)
            raise error from exc
        sid = message.sid
        if not sid:
            raise SendError("Twilio answered without a MessageSid", transient=True)
        return sid

    def place_call(self, *, to: str, from_: str | None, url: str, status_callback: str | None) -> str:
        """Start one outbound call that fetches its TwiML from `url`; return its CallSid or raise SendError.

        Answering machine detection is on, so the TwiML can hang up on a mailbox instead of
        connecting it to the other party.
        """
        if not from_:
            raise SendError("no caller ID: set HOTLINE_NUMBER or the row's from_number", transient=False)
        kwargs: dict[str, Any] = {
            "to": to,
            "from_": from_,
            "url": url,
            "method": "POST",
            "machine_detection": "Enable",
        }
        if status_callback:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_method"] = "POST"
            kwargs["status_callback_event"] = ["completed"]
        try:
            call = self.client.calls.create(**kwargs)
        except (TwilioRestException, TwilioException, requests.RequestException) as exc:
            error = self._to_send_error(exc)
            log.warning("Twilio call to %s failed: %s", mask_phone(to), error)
            raise error from exc
        sid = call.sid
        if not sid:
            raise SendError("Twilio answered without a CallSid", transient=True)
        return sid

    def delete_recording(self, sid: str) -> None:
        """Delete a voicemail recording at Twilio (retention); one that is already gone counts as deleted."""
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return
            raise self._to_send_error(exc) from exc
        except (TwilioException, requests.RequestException) as exc:
            raise self._to_send_error(exc) from exc

    def find_inbound_sms(self, *, to: str, since: datetime) -> list[InboundSms]:
        """Return the SMS Twilio received for `to` since `since` (Messages list, newest first)."""
        try:
            messages = self.client.messages.list(
                to=to, date_sent_after=since.astimezone(UTC), limit=INBOUND_LIMIT, page_size=INBOUND_LIMIT
            )
        except (TwilioRestException, TwilioException, requests.RequestException) as exc:
            raise self._to_send_error(exc) from exc
        return [
            InboundSms(message_sid=m.sid, from_number=m.from_, to=m.to, body=m.body or "",
                       sent_at=m.date_sent if isinstance(m.date_sent, datetime) else None)
            for m in messages
            if m.sid and (m.direction or "") == "inbound"
        ]

    def get_call_status(self, call_sid: str) -> str | None:
        """Return a call's status from the Calls resource ("in-progress", "completed" ...); None when unknown."""
        try:
            call = self.client.calls(call_sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise self._to_send_error(exc) from exc
        except (TwilioException, requests.RequestException) as exc:
            raise self._to_send_error(exc) from exc
        return str(call.status) if call.status is not None else None

    def find_recent_sms(self, *, to: str, body: str, since: datetime) -> str | None:
        """Return the SID of the newest message to `to` with this body created at or after `since`."""
        try:
            messages = self.client.messages.list(to=to, limit=LOOKUP_LIMIT, page_size=LOOKUP_LIMIT)
        except (TwilioRestException, TwilioException, requests.RequestException) as exc:
            raise self._to_send_error(exc) from exc
        since_utc = since.astimezone(UTC)
        for message in messages:  # newest first
            created = message.date_created
            if isinstance(created, datetime) and created < since_utc:
                break
            if message.body == body and (message.direction or "").startswith("outbound"):
                return message.sid
        return None

    def _to_send_error(self, exc: Exception) -> SendError:
        """Map an SDK or transport error to a SendError: transient or permanent."""
        if isinstance(exc, TwilioRestException):
            return send_error_from_response(exc.status, exc.code, exc.msg, self._retry_after())
        if isinstance(exc, requests.Timeout):
            return SendError(f"Twilio did not answer in time: {type(exc).__name__}", transient=True)
        if isinstance(exc, requests.ConnectionError):
            return SendError(f"cannot reach Twilio: {type(exc).__name__}", transient=True)
        return SendError(f"Twilio request failed: {type(exc).__name__}: {exc}", transient=True)

    def _retry_after(self) -> float | None:
        """Return the Retry-After of this thread's last response, in seconds."""
        response = self.http_client.last_response
        if response is None or not response.headers:
            return None
        value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        return parse_retry_after(value, now=datetime.now(UTC))


def send_error_from_response(
    status: int, code: int | None, message: str | None, retry_after: float | None = None
) -> SendError:
    """Classify one Twilio error answer: 429 and 5xx are transient, other 4xx permanent."""
    text = message or ""
    if code and code != status and code in KNOWN_ERRORS:
        text = f"{KNOWN_ERRORS[code]}: {text}" if text else KNOWN_ERRORS[code]
    label = f"HTTP {status}" + (f", Twilio error {code}" if code and code != status else "")
    description = f"{label}: {text}" if text else label
    if status == 429:
        return SendError(description, transient=True, code=code, retry_after=retry_after)
    if status >= 500:
        return SendError(description, transient=True, code=code, retry_after=retry_after)
    return SendError(description, transient=False, code=code)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds from `now`."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now) / timedelta(seconds=1))
