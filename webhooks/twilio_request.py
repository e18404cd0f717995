"""What every Twilio webhook shares: the signature check and safe reading of the form."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, abort, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.container import current_services
from telephony.signature import is_valid_signature, public_url

log = logging.getLogger(__name__)

#: Longest value we keep from any Twilio parameter; a 5,000-digit `Digits` is cut, never stored whole.
MAX_PARAM = 256


def twilio_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request whose X-Twilio-Signature does not match; there is no switch to skip it."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        settings = current_services().settings
        url = public_url(settings.public_base_url, request.path, request.query_string.decode("latin-1"),
                         request_url=lambda: request.url)
        try:
            params = request.form
        except RequestEntityTooLarge:
            # Over MAX_CONTENT_LENGTH: say 413, as Werkzeug means it, instead of blaming the signature
            # (the signature cannot be checked without reading the body we refuse to read).
            raise
        except Exception:  # a body Werkzeug cannot parse is not a Twilio request
            abort(403)
        if not is_valid_signature(url, params, request.headers.get("X-Twilio-Signature"), settings.signing_tokens):
            log.warning("refused unsigned or wrongly signed request to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked


def param(name: str, limit: int = MAX_PARAM) -> str | None:
    """Return a form parameter without NUL, stripped and cut to a sane length, or None when absent or empty."""
    value = request.form.get(name)
    if value is None:
        return None
    # PostgreSQL text cannot hold NUL: one in a CallSid failed the unit of work, and the caller heard
    # the fallback instead of the menu. Twilio never sends NUL, so dropping it loses nothing.
    value = value.replace("\x00", "").strip()[:limit]
    return value or None


def xml(document: Any) -> Response:
    """Return a TwiML document as an XML response."""
    return Response(str(document), mimetype="text/xml")


def empty_twiml(status: int = 200) -> Response:
    """Return an empty TwiML document (for callbacks that need no instructions), 200 unless told."""
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', status=status, mimetype="text/xml")
