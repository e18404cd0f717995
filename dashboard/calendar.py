"""The iCalendar feed behind each coordinator's secret URL: no sign-in, the token is the key."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from core.container import current_services
from roster.calendar import build_feed

bp = Blueprint("calendar", __name__)


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """Return a coordinator's shifts as text/calendar; 404 for an unknown or replaced token."""
    services = current_services()
    with services.database.unit_of_work() as s:
        document = build_feed(s, token=token, now=services.clock.now())
    if document is None:
        abort(404)
    response = Response(document, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="fluxx-dienste.ics"'
    # The URL is a secret and the shifts are personal: no cache keeps the answer (dashboard._no_store).
    return response
