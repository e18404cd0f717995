"""Error pages of the dashboard in the person's language, with a way back.

Twilio's webhooks keep their plain answers (Twilio reads no HTML page), and endpoints answered
with JSON keep answering JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

#: The statuses that get a dashboard page; any other keeps Flask's answer.
PAGE_CODES = (400, 403, 404, 405, 429, 500)

#: Paths whose callers are machines: Twilio's webhooks, the health check and Prometheus.
MACHINE_PREFIXES = ("/voice/", "/sms/", "/healthz", "/metrics")


def register_error_pages(app: Flask) -> None:
    """Answer the dashboard's errors with its own pages."""
    for code in PAGE_CODES:
        app.register_error_handler(code, render_error)


def render_error(error: Exception) -> Any:
    """Render an HTTP error as a dashboard page, as JSON for a JSON caller, or plainly for Twilio."""
    if not isinstance(error, HTTPException):  # an unhandled exception reaches the 500 handler unwrapped
        error = InternalServerError(original_exception=error)
    code = error.code or 500
    if request.path.startswith(MACHINE_PREFIXES):
        return error
    if wants_json():
        return jsonify(error=error.name, status=code), code
    headline, explanation = _texts(code)
    if isinstance(error, CSRFError):
        headline = _("Sicherheitsprüfung fehlgeschlagen")
        explanation = _("Dem Formular fehlte sein Sicherheitsschlüssel (CSRF-Token), oder er war abgelaufen. "
                        "Laden Sie die Seite neu und senden Sie das Formular noch einmal.")
    try:
        page = render_template("error.html", code=code, headline=headline, explanation=explanation)
    except Exception:  # the page itself failed (say, the database is down): the plain answer still helps
        log.exception("error page %s could not be rendered", code)
        return error
    allow = [(name, value) for name, value in error.get_headers() if name == "Allow"]
    return page, code, allow


def wants_json() -> bool:
    """Return True when the caller is a script: a JSON request or one that prefers JSON over HTML."""
    if request.is_json:
        return True
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def _texts(code: int) -> tuple[str, str]:
    """Return the headline and the explanation for a status code."""
    texts = {
        400: (_("Die Anfrage war fehlerhaft"),
              _("Das Formular war vielleicht veraltet. Laden Sie die Seite neu und versuchen Sie es noch einmal.")),
        403: (_("Kein Zugriff"),
              _("Diese Seite ist der Leitung vorbehalten oder Ihnen nicht freigegeben.")),
        404: (_("Seite nicht gefunden"),
              _("Diese Adresse gibt es nicht (mehr). Vielleicht wurde der Eintrag gelöscht oder anonymisiert.")),
        405: (_("Das geht so nicht"),
              _("Diese Adresse nimmt diese Art von Anfrage nicht an. Bitte benutzen Sie die Knöpfe der Seite.")),
        429: (_("Zu viele Anfragen"),
              _("Bitte warten Sie einen Moment und versuchen Sie es dann erneut.")),
        500: (_("Ein Fehler ist aufgetreten"),
              _("Das war unser Fehler, nicht Ihrer. Er wurde protokolliert. Die Hotline nimmt weiter Anrufe an.")),
    }
    return texts.get(code, texts[500])
