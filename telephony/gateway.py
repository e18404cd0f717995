"""Outbound SMS and calls behind small interfaces: Twilio's REST API, or the local simulator."""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.logs import mask_phone

log = logging.getLogger(__name__)


class SendError(Exception):
    """Sending failed; `transient` says whether trying again later may help."""

    def __init__(
        self, message: str, *, transient: bool, code: int | None = None, retry_after: float | None = None
    ) -> None:
        """Describe a failed send."""
        super().__init__(message)
        self.transient = transient
        self.code = code
        self.retry_after = retry_after


class SmsGateway(Protocol):
    """Sends one SMS and returns the provider's message SID, or raises SendError."""

    def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
        """Send one SMS; return its SID."""
        ...


class CallGateway(Protocol):
    """Places one outbound call that runs the TwiML at `url`; returns the provider's call SID."""

    def place_call(self, *, to: str, from_: str | None, url: str, status_callback: str | None) -> str:
        """Start one call; return its SID or raise SendError."""
        ...


@dataclass
class SimulatorGateway:
    """Keeps messages on this machine: the outbox row itself is the simulator's record."""

    sent: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
        """Record the message and return a simulator SID."""
        sid = f"SMsim{secrets.token_hex(6)}{next(self._ids):04d}"
        self.sent.append({"sid": sid, "to": to, "from": from_, "body": body})
        log.info("simulator SMS %s to %s: %s", sid, mask_phone(to), body)
        return sid

    def place_call(self, *, to: str, from_: str | None, url: str, status_callback: str | None) -> str:
        """Record the call (the simulator's phones pick it up from here) and return a simulator SID."""
        sid = f"CAsim{secrets.token_hex(6)}{next(self._ids):04d}"
        self.calls.append(
            {"sid": sid, "to": to, "from": from_, "url": url, "status_callback": status_callback}
        )
        log.info("simulator call %s to %s runs %s", sid, mask_phone(to), url)
        return sid


def delete_recording_with(gateway: object) -> Callable[[str], None] | None:
    """Return the gateway's way to delete a recording at the provider, or None (simulator: nothing to do)."""
    return getattr(gateway, "delete_recording", None)


@dataclass(frozen=True)
class InboundSms:
    """An SMS the provider received for the hotline, as its Messages list shows it (reconciliation)."""

    message_sid: str
    from_number: str | None
    to: str | None
    body: str
    sent_at: datetime | None
