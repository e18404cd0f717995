"""A local stand-in for Twilio's REST API: records every request, answers like Twilio, fails on demand.

Point TWILIO_API_BASE (or `TwilioRestGateway.create(api_base=...)`) at `standin.base_url`.

    standin.fail_next("500")                       # next request: 500 Internal Server Error
    standin.fail_next("429", retry_after=42)       # 429 with Retry-After: 42
    standin.fail_next("error", code=21610)         # 400 with Twilio's error JSON
    standin.fail_next("hang", seconds=2)           # answer only after 2 s (client times out)
    standin.fail_next("hang", seconds=2, create=True)  # ... but the message *was* created

Supported: POST/GET .../Accounts/{AccountSid}/Messages.json, POST .../Calls.json, GET .../Calls/{Sid}.json
(`standin.add_call(sid, "in-progress")` for legs Twilio dialled itself),
DELETE .../Recordings/{Sid}.json, GET .../Accounts/{AccountSid}.json, GET .../IncomingPhoneNumbers.json
(filter PhoneNumber), POST .../IncomingPhoneNumbers/{Sid}.json (update).

    sid = standin.add_number("+4951187654321", voice_url="https://old.example.org/voice")
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

API = "/2010-04-01"
_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+?)"
    r"(?:/(?P<resource>Messages|Calls|Recordings|IncomingPhoneNumbers)(?:/(?P<sid>\w+))?)?\.json$"
)
#: IncomingPhoneNumber fields an update may set (the form names Twilio takes, and the JSON names it answers).
_NUMBER_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "FriendlyName": "friendly_name",
}

ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20003: "Authenticate",
}


@dataclass
class RecordedRequest:
    """One request the stand-in received, as it arrived on the wire."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        """Return the form body (all values per key)."""
        return parse_qs(self.body.decode(), keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """Return one form or query parameter (the first value), or None."""
        values = self.form.get(name) or parse_qs(self.query).get(name)
        return values[0] if values else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """Return the (username, password) of the Basic Authorization header, if any."""
        header = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        if not header.lower().startswith("basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def twilio_url(self) -> str:
        """Return the URL this request would have had on Twilio's own host."""
        return "https://api.twilio.com" + self.path + (f"?{self.query}" if self.query else "")


@dataclass
class _Fault:
    kind: str
    options: dict[str, Any]


@dataclass
class TwilioStandIn:
    """A threaded HTTP server on 127.0.0.1 that behaves enough like api.twilio.com for our tests."""

    auth_token: str | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: Recording SIDs that exist (tests add them), and those deleted through the API.
    recordings: set[str] = field(default_factory=set)
    deleted_recordings: list[str] = field(default_factory=list)
    #: Phone numbers in the account (IncomingPhoneNumbers), by SID; tests add them with `add_number`.
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _faults: deque[_Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _release: threading.Event = field(default_factory=threading.Event)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Start serving on a random local port."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                standin._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                standin._handle(self)

            def do_DELETE(self) -> None:  # noqa: N802
                standin._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="twilio-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release any request still hanging."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Return the base URL to use as TWILIO_API_BASE."""
        assert self._server is not None, "stand-in not started"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    # -- test controls -----------------------------------------------------------------------
    def fail_next(self, kind: str, *, times: int = 1, **options: Any) -> None:
        """Answer the next `times` requests with a fault: "500", "429", "error" or "hang"."""
        if kind not in ("500", "429", "error", "hang"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            for _ in range(times):
                self._faults.append(_Fault(kind, options))

    def add_number(self, phone_number: str, **fields: Any) -> str:
        """Put a phone number into the account, with Twilio's defaults for fields not given; return its SID."""
        sid = "PN" + secrets.token_hex(16)
        number: dict[str, Any] = {name: None for name in _NUMBER_FIELDS.values()}
        for name in ("voice_method", "voice_fallback_method", "status_callback_method", "sms_method",
                     "sms_fallback_method"):
            number[name] = "POST"
        number.update(
            sid=sid, phone_number=phone_number, friendly_name=phone_number, voice_application_sid=None,
            sms_application_sid=None, capabilities={"voice": True, "sms": True, "mms": False, "fax": False},
        )
        number.update(fields)
        with self._lock:
            self.numbers[sid] = number
        return sid

    def add_inbound(self, *, sid: str, from_: str, to: str, body: str, at: datetime | None = None) -> None:
        """Record an SMS Twilio received for one of the account's numbers (it shows in the Messages list)."""
        sent = format_datetime((at or datetime.now(UTC)).astimezone(UTC), usegmt=True)
        with self._lock:
            self.messages.append({
                "account_sid": None, "api_version": "2010-04-01", "body": body, "date_created": sent,
                "date_sent": sent, "date_updated": sent, "direction": "inbound", "error_code": None,
                "error_message": None, "from": from_, "messaging_service_sid": None, "num_media": "0",
                "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "received",
                "subresource_uris": {}, "to": to, "uri": f"{API}/Accounts/ACx/Messages/{sid}.json",
            })

    def add_call(self, sid: str, status: str, **fields: Any) -> None:
        """Make a call known to the Calls resource (a leg Twilio dialled itself), or change its status."""
        now = format_datetime(datetime.now(UTC), usegmt=True)
        with self._lock:
            call = next((c for c in self.calls if c["sid"] == sid), None)
            if call is None:
                call = {"api_version": "2010-04-01", "date_created": now, "direction": "outbound-dial",
                        "from": None, "to": None, "sid": sid, "uri": f"{API}/Accounts/ACx/Calls/{sid}.json"}
                self.calls.append(call)
            call.update(status=status, date_updated=now, **fields)

    def number_requests(self, method: str = "POST") -> list[RecordedRequest]:
        """Return the recorded requests to the IncomingPhoneNumbers resource with this method."""
        return [r for r in self.requests if r.method == method and "/IncomingPhoneNumbers" in r.path]

    def message_requests(self, method: str = "POST") -> list[RecordedRequest]:
        """Return the recorded requests to the Messages resource with this method."""
        return [r for r in self.requests if r.method == method and r.path.endswith("/Messages.json")]

    # -- the server side ---------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        record = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parts.query,
            headers=dict(handler.headers.items()),
            body=body,
        )
        with self._lock:
            self.requests.append(record)
            fault = self._faults.popleft() if self._faults else None

        match = _PATH.match(parts.path)
        if match is None:
            return self._reply(handler, 404, _error(20404, "The requested resource was not found", 404))
        if not self._authorized(record, match["account"]):
            return self._reply(handler, 401, _error(20003, ERRORS[20003], 401))

        if fault is not None and fault.kind != "hang":
            return self._reply_fault(handler, fault)
        created: tuple[int, dict[str, Any]] | None = None
        if fault is None or fault.options.get("create"):
            extra = {"sid": match["sid"]} if match["sid"] else {}  # subclasses may override _serve(record, a, r)
            created = self._serve(record, match["account"], match["resource"], **extra)
        if fault is not None:  # hang: answer only after the client gave up
            self._release.wait(float(fault.options.get("seconds", 30)))
            try:
                return self._reply(handler, *(created or (500, _error(20500, "Internal Server Error", 500))))
            except OSError:
                return None
        assert created is not None
        return self._reply(handler, *created)

    def _authorized(self, record: RecordedRequest, account: str) -> bool:
        auth = record.basic_auth
        if auth is None or auth[0] != account:
            return False
        return self.auth_token is None or auth[1] == self.auth_token

    def _serve(
        self, record: RecordedRequest, account: str, resource: str, sid: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        if resource is None and record.method == "GET":
            return 200, self._account(account)
        if resource == "IncomingPhoneNumbers":
            return self._serve_numbers(record, account, sid)
        if resource == "Recordings" and record.method == "DELETE" and sid:
            if sid not in self.recordings:
                return 404, _error(20404, "The requested resource was not found", 404)
            self.recordings.discard(sid)
            self.deleted_recordings.append(sid)
            return 204, {}
        if resource == "Messages" and record.method == "POST":
            if not record.param("To"):
                return 400, _error(21604, "A 'To' phone number is required.", 400)
            return 201, self._create_message(record, account)
        if resource == "Messages" and record.method == "GET":
            return 200, self._list_messages(record, account)
        if resource == "Calls" and record.method == "POST":
            return 201, self._create_call(record, account)
        if resource == "Calls" and record.method == "GET" and sid:
            with self._lock:
                call = next((c for c in self.calls if c["sid"] == sid), None)
            if call is None:
                return 404, _error(20404, "The requested resource was not found", 404)
            return 200, {**call, "account_sid": account}
        return 405, _error(20004, "Method not allowed", 405)

    def _account(self, account: str) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        return {
            "auth_token": "[redacted]", "date_created": now, "date_updated": now, "friendly_name": "Fluxx",
            "owner_account_sid": account, "sid": account, "status": "active", "subresource_uris": {},
            "type": "Full", "uri": f"{API}/Accounts/{account}.json",
        }

    def _number_json(self, number: dict[str, Any], account: str) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        return {
            **number, "account_sid": account, "api_version": "2010-04-01", "date_created": now,
            "date_updated": now, "origin": "twilio", "status": "in-use", "beta": False,
            "uri": f"{API}/Accounts/{account}/IncomingPhoneNumbers/{number['sid']}.json",
        }

    def _serve_numbers(
        self, record: RecordedRequest, account: str, sid: str | None
    ) -> tuple[int, dict[str, Any]]:
        if sid is None and record.method == "GET":
            wanted = parse_qs(record.query).get("PhoneNumber", [None])[0]
            page_size = int((parse_qs(record.query).get("PageSize") or ["50"])[0])
            with self._lock:
                found = [self._number_json(n, account) for n in self.numbers.values()
                         if wanted is None or n["phone_number"] == wanted][:page_size]
            uri = f"{API}/Accounts/{account}/IncomingPhoneNumbers.json?PageSize={page_size}&Page=0"
            return 200, {
                "incoming_phone_numbers": found, "end": max(len(found) - 1, 0), "first_page_uri": uri,
                "next_page_uri": None, "page": 0, "page_size": page_size, "previous_page_uri": None,
                "start": 0, "uri": uri,
            }
        if sid is not None and record.method in ("GET", "POST"):
            with self._lock:
                number = self.numbers.get(sid)
                if number is None:
                    return 404, _error(20404, "The requested resource was not found", 404)
                if record.method == "POST":
                    for form_name, json_name in _NUMBER_FIELDS.items():
                        value = record.param(form_name)
                        if value is not None:
                            number[json_name] = value
                return 200, self._number_json(number, account)
        return 405, _error(20004, "Method not allowed", 405)

    def segments_to(self, number: str) -> list[int]:
        """Return the segments Twilio counted for each SMS created to a number, oldest first."""
        return [int(m["num_segments"]) for m in self.messages if m["to"] == number]

    def _create_message(self, record: RecordedRequest, account: str) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": record.param("Body") or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": record.param("From"),
            "messaging_service_sid": record.param("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": str(count_segments(record.param("Body") or "")),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{API}/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": record.param("To"),
            "uri": f"{API}/Accounts/{account}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.append(message)
        return message

    def _list_messages(self, record: RecordedRequest, account: str) -> dict[str, Any]:
        query = parse_qs(record.query)
        to = query["To"][0] if query.get("To") else None
        after = query["DateSent>"][0] if query.get("DateSent>") else None
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        page_size = int((query.get("PageSize") or ["50"])[0])

        def sent_since(message: dict[str, Any]) -> bool:
            sent = message.get("date_sent") or message["date_created"]
            return since is None or parsedate_to_datetime(sent) >= since

        with self._lock:
            found = [m for m in reversed(self.messages) if (to is None or m["to"] == to) and sent_since(m)]
            found = found[:page_size]
        uri = f"{API}/Accounts/{account}/Messages.json?PageSize={page_size}&Page=0"
        return {
            "messages": found,
            "end": max(len(found) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    def _create_call(self, record: RecordedRequest, account: str) -> dict[str, Any]:
        sid = "CA" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        call = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "from": record.param("From"),
            "to": record.param("To"),
            "sid": sid,
            "status": "queued",
            "uri": f"{API}/Accounts/{account}/Calls/{sid}.json",
        }
        with self._lock:
            self.calls.append(call)
        return call

    def _reply_fault(self, handler: BaseHTTPRequestHandler, fault: _Fault) -> None:
        if fault.kind == "500":
            return self._reply(handler, 500, _error(20500, "Internal Server Error", 500))
        if fault.kind == "429":
            retry_after = fault.options.get("retry_after")
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return self._reply(handler, 429, _error(20429, "Too Many Requests", 429), headers)
        code = int(fault.options.get("code", 21211))
        status = int(fault.options.get("status", 400))
        return self._reply(
            handler, status, _error(code, fault.options.get("message", ERRORS.get(code, "Error")), status)
        )

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        if status == 204:  # No Content: no body at all
            handler.send_response(status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds passed; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


#: GSM 03.38's default alphabet and its extension table (escape + one septet), written out from the
#: standard here rather than taken from the app, so the stand-in counts segments as Twilio does.
_GSM_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = "\f^{}\\[~]|€"


def count_segments(body: str) -> int:
    """Return how many segments an SMS takes: GSM-7 160 (153 each when split), else UCS-2 70 (67 each)."""
    if all(ch in _GSM_DEFAULT or ch in _GSM_EXTENDED for ch in body):
        septets = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
