"""What the hotline number's webhook settings at Twilio must be, and what has to change to get there.

Pure functions over plain values: `twilio configure` (cli/twilio.py) reads the number through the
REST API (telephony/numbers.py), asks `plan_number_setup` what differs, and sends only that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import HotlineError

#: The number's URL fields (Twilio's IncomingPhoneNumber resource) and the app's paths behind them.
WEBHOOK_PATHS: dict[str, str] = {
    "voice_url": "/voice/incoming",
    "voice_fallback_url": "/voice/fallback",
    "status_callback": "/voice/status",
    "sms_url": "/sms/incoming",
    "sms_fallback_url": "/sms/fallback",
}

#: Each URL field's method field; every webhook is a POST (the signature covers the form body).
METHOD_FIELDS: dict[str, str] = {
    "voice_url": "voice_method",
    "voice_fallback_url": "voice_fallback_method",
    "status_callback": "status_callback_method",
    "sms_url": "sms_method",
    "sms_fallback_url": "sms_fallback_method",
}

#: Every field `twilio configure` manages, in the order it prints them.
MANAGED_FIELDS: tuple[str, ...] = tuple(f for url in WEBHOOK_PATHS for f in (url, METHOD_FIELDS[url]))


class BaseUrlError(HotlineError):
    """PUBLIC_BASE_URL is missing or unusable for Twilio's webhooks."""


@dataclass(frozen=True)
class FieldPlan:
    """One managed field of the number: what Twilio has, what the app needs."""

    field: str
    current: str | None
    wanted: str

    @property
    def needs_change(self) -> bool:
        """Return True when Twilio's value differs from the wanted one."""
        if self.field in METHOD_FIELDS.values():
            return (self.current or "").upper() != self.wanted
        return (self.current or "") != self.wanted


def require_base_url(public_base_url: str | None, *, allow_http: bool = False) -> str:
    """Return PUBLIC_BASE_URL without a trailing slash, or raise BaseUrlError saying what is wrong."""
    if not public_base_url:
        raise BaseUrlError(
            "PUBLIC_BASE_URL ist nicht gesetzt: Twilio braucht die öffentliche https-Adresse der App.",
            english="PUBLIC_BASE_URL is not set: Twilio needs the app's public https address.",
        )
    parts = urlsplit(public_base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BaseUrlError(
            f"PUBLIC_BASE_URL {public_base_url!r} ist keine Adresse wie https://hotline.example.org.",
            english=f"PUBLIC_BASE_URL {public_base_url!r} is not an address like https://hotline.example.org.",
        )
    if parts.query or parts.fragment:
        raise BaseUrlError(
            f"PUBLIC_BASE_URL {public_base_url!r} darf weder ?Abfrage noch #Anker enthalten.",
            english=f"PUBLIC_BASE_URL {public_base_url!r} must not contain a ?query or #fragment.",
        )
    if parts.scheme == "http" and not allow_http:
        raise BaseUrlError(
            f"PUBLIC_BASE_URL {public_base_url!r} ist http, nicht https: Anrufdaten gingen unverschlüsselt "
            "über das Netz. Nur zum Testen: --allow-http.",
            english=f"PUBLIC_BASE_URL {public_base_url!r} is http, not https: call data would cross the "
            "network unencrypted. For testing only: --allow-http.",
        )
    return public_base_url.rstrip("/")


def wanted_number_setup(base_url: str) -> dict[str, str]:
    """Return every managed field with the value the app needs, built from the public base URL."""
    base = base_url.rstrip("/")
    wanted: dict[str, str] = {}
    for url_field, path in WEBHOOK_PATHS.items():
        wanted[url_field] = base + path
        wanted[METHOD_FIELDS[url_field]] = "POST"
    return wanted


def plan_number_setup(current: Mapping[str, str | None], base_url: str) -> list[FieldPlan]:
    """Compare the number's current fields with the wanted ones, in MANAGED_FIELDS order."""
    wanted = wanted_number_setup(base_url)
    return [FieldPlan(field=name, current=current.get(name), wanted=wanted[name]) for name in MANAGED_FIELDS]


def changes_of(plan: list[FieldPlan]) -> dict[str, str]:
    """Return the fields to send in one update: only those that differ."""
    return {item.field: item.wanted for item in plan if item.needs_change}
