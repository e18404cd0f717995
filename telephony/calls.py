"""Voice recordings at Twilio: fetch a case's voicemail with the account's credentials.

The URL is always rebuilt from the recording SID on Twilio's API host (then redirected to
TWILIO_API_BASE when set), so a stored URL can never send our credentials anywhere else.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import requests

from core.settings import Settings
from telephony.twilio_rest import DEFAULT_TIMEOUT_SECONDS, RedirectingHttpClient

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
_RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
_RECORDING_IN_URL = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})")


class RecordingError(Exception):
    """The recording cannot be fetched; `not_found` when Twilio has no such recording."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        """Describe the failure."""
        super().__init__(message)
        self.not_found = not_found


def build_recording_url(settings: Settings, *, recording_sid: str | None, recording_url: str | None) -> str:
    """Return the MP3 URL of a recording on Twilio's API (or on TWILIO_API_BASE)."""
    sid = recording_sid if recording_sid and _RECORDING_SID.match(recording_sid) else None
    if sid is None and recording_url:
        found = _RECORDING_IN_URL.search(urlsplit(recording_url).path)
        sid = found.group(1) if found else None
    if sid is None or not settings.twilio_account_sid:
        raise RecordingError("no recording SID or no Twilio account", not_found=True)
    url = f"{TWILIO_API}/2010-04-01/Accounts/{settings.twilio_account_sid}/Recordings/{sid}.mp3"
    return RedirectingHttpClient(settings.twilio_api_base).rewrite_url(url)


def open_recording(
    settings: Settings,
    *,
    recording_sid: str | None,
    recording_url: str | None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> requests.Response:
    """Start downloading a recording; return the streaming response (the caller closes it)."""
    url = build_recording_url(settings, recording_sid=recording_sid, recording_url=recording_url)
    try:
        response = requests.get(
            url,
            auth=(settings.twilio_account_sid or "", settings.twilio_auth_token or ""),
            stream=True,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise RecordingError(f"cannot reach Twilio: {type(exc).__name__}") from exc
    if response.status_code != 200:
        response.close()
        log.warning("recording fetch answered HTTP %s", response.status_code)
        raise RecordingError(f"HTTP {response.status_code}", not_found=response.status_code == 404)
    return response
