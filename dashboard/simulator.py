"""The phone simulator (simulator mode only): call the hotline, play the coordinators and the phones.

The page is a client of the app, like `flask simulate call`: its JavaScript follows the TwiML the
real webhooks return. The browser cannot hold the signing token, so it hands each request to
`/simulator/relay`, which signs it exactly as Twilio would and runs it through the app's own
WSGI stack (the test client) — no webhook logic is repeated here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from caregivers.queries import get_caregiver_by_phone
from core.clock import BERLIN
from core.container import current_services
from core.languages import KEY_OF, LANGUAGES, text_direction
from core.settings import SIMULATOR_HOTLINE, Settings
from dashboard import login_manager
from models.outbox import InboundMessage, OutboxMessage, OutboxStatus
from roster.queries import find_coordinator_names, find_shifts_between
from routing.callbacks import placed_callbacks
from telephony.signature import public_url

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates")

#: The caller's number the page suggests (the same default as `flask simulate call`).
DEFAULT_CALLER = "+4915112345678"
#: The hotline's number when HOTLINE_NUMBER is not set.
DEFAULT_HOTLINE = SIMULATOR_HOTLINE
#: How many messages each direction the phones show (newest first).
MESSAGE_LIMIT = 300
MAX_PARAMS = 40
MAX_VALUE = 1600


@bp.before_request
def _simulator_mode_and_signed_in() -> Any:
    """Exist only in simulator mode (404 with Twilio credentials), and only for signed-in users."""
    if not current_services().settings.simulator_mode:
        abort(404)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("")
def page() -> Any:
    """Show the simulator: the caller's phone, the coordinators' phones, every SMS."""
    services = current_services()
    settings = services.settings
    with services.database.unit_of_work() as session:
        coordinators = _coordinator_names(session, now=services.clock.now())
    return render_template(
        "simulator.html",
        coordinators=coordinators,
        hotline=settings.callable_hotline or DEFAULT_HOTLINE,
        caller=DEFAULT_CALLER,
        texts=_js_texts(),
        offered=[code for code in settings.languages if code in KEY_OF],
        voices=_voices(settings),
        key_of=KEY_OF,
    )


@bp.post("/relay")
def relay() -> Any:
    """Sign a webhook request as Twilio would, run it through the app, and return the answer."""
    data = request.get_json(silent=True) or {}
    path = _allowed_path(data.get("path"))
    params = _clean_params(data.get("params"))
    if path is None or params is None:
        return jsonify(error=_("Dieser Pfad oder diese Parameter werden nicht weitergeleitet.")), 400
    settings = current_services().settings
    base = request.host_url.rstrip("/")
    parts = urlsplit(path)
    url = public_url(settings.public_base_url, parts.path, parts.query, request_url=lambda: base + path)
    signature = RequestValidator(settings.signing_tokens[0]).compute_signature(url, params)
    answer = current_app.test_client().post(
        path, data=params, base_url=base, headers={"X-Twilio-Signature": signature}
    )
    return jsonify(
        status=answer.status_code, body=answer.get_data(as_text=True), content_type=answer.mimetype
    )


@bp.get("/messages")
def messages() -> Any:
    """Return every SMS the hotline sent or received, grouped per phone, newest first (JSON)."""
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as session:
        phones = _phones(session, now=now)
        coordinators = _coordinator_names(session, now=now)
    return jsonify(phones=phones, coordinators=coordinators,
                   hotline=services.settings.callable_hotline or DEFAULT_HOTLINE)


def _voices(settings: Settings) -> dict[str, dict[str, str]]:
    """Return, by <Say> language tag, the caller language, its writing direction and voice (for the page's JS)."""
    return {settings.language_tag(code): {"code": code, "dir": text_direction(code), "voice": settings.voice(code)}
            for code in LANGUAGES}


def _coordinator_names(session: Session, *, now: Any) -> dict[str, str]:
    """Return the names of the coordinators a simulated call may ring, by phone."""
    return find_coordinator_names(session, start=now - timedelta(days=1), end=now + timedelta(days=14))


def _allowed_path(raw: object) -> str | None:
    """Return the path and query of a webhook URL the relay may call, or None."""
    if not isinstance(raw, str) or not raw or len(raw) > 500:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme or parts.netloc:
        allowed = {urlsplit(request.host_url).netloc}
        base = current_services().settings.public_base_url
        if base:
            allowed.add(urlsplit(base).netloc)
        if parts.scheme not in ("http", "https") or parts.netloc not in allowed:
            return None
    path = parts.path
    if ".." in path.split("/") or "//" in path or "\\" in path:
        return None
    if not (path.startswith("/voice/") or path == "/sms/incoming"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _clean_params(raw: object) -> dict[str, str] | None:
    """Return the form parameters as strings, or None when they are not a small flat object."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_PARAMS:
        return None
    params: dict[str, str] = {}
    for key, value in raw.items():
        if (
            not isinstance(key, str)
            or not isinstance(value, str | int | float)
            or len(str(value)) > MAX_VALUE
        ):
            return None
        params[key] = str(value)
    return params


def _phones(session: Session, *, now: Any) -> list[dict[str, Any]]:
    """Group the latest outbox and inbound messages by phone number, the busiest phone first."""
    sent = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(MESSAGE_LIMIT)).all()
    received = session.scalars(
        select(InboundMessage).order_by(InboundMessage.id.desc()).limit(MESSAGE_LIMIT)
    ).all()
    items: list[tuple[str, Any, dict[str, Any]]] = []
    for m in sent:
        items.append(
            (
                m.to_number,
                m.created_at,
                {
                    "id": f"o{m.id}",
                    "direction": "in",
                    "channel": m.channel,
                    "body": m.body,
                    "status": m.status.value,
                    "status_label": _status_label(m.status, m.channel),
                    "at": _local(m.sent_at or m.created_at),
                    "code": _offer_code(m.body),
                    "provider_sid": m.provider_sid if m.channel == "call" else None,
                },
            )
        )
    for r in received:
        if not r.from_number:
            continue
        items.append(
            (
                r.from_number,
                r.received_at,
                {
                    "id": f"i{r.id}",
                    "direction": "out",
                    "channel": "sms",
                    "body": r.body,
                    "status": "received",
                    "status_label": _("an die Hotline gesendet"),
                    "at": _local(r.received_at),
                    "code": None,
                },
            )
        )
    answerable = {c.call_sid: c for c in placed_callbacks(session)}
    for _number, _at, message in items:
        placed = answerable.get(message.pop("provider_sid", None) or "")
        message["callback"] = {"sid": placed.call_sid, "url": placed.url} if placed else None
    items.sort(key=lambda item: item[1], reverse=True)
    labels = _phone_labels(session, {number for number, _at, _m in items}, now=now)
    phones: dict[str, dict[str, Any]] = {}
    for number, _at, message in items:
        phone = phones.setdefault(number, {"number": number, "label": labels.get(number, ""), "messages": []})
        phone["messages"].append(message)
    return list(phones.values())


def _phone_labels(session: Session, numbers: set[str], *, now: Any) -> dict[str, str]:
    """Name the phones the simulator shows: caregivers and coordinators by name, others not at all."""
    labels: dict[str, str] = {}
    for shift in find_shifts_between(session, start=now - timedelta(days=14), end=now + timedelta(days=14)):
        if shift.phone in numbers:
            labels[shift.phone] = _("Koordination: %(name)s", name=shift.name)
    for number in numbers - set(labels):
        caregiver = get_caregiver_by_phone(session, number)
        if caregiver is not None:
            labels[number] = _("Betreuungskraft: %(name)s", name=caregiver.name)
    return labels


def _status_label(status: OutboxStatus, channel: str) -> str:
    """Say in words where an outbound message stands (the worker sends pending ones on its tick)."""
    if channel == "call":
        return {
            OutboxStatus.PENDING: _("Anruf wartet auf den Worker"),
            OutboxStatus.SENDING: _("Anruf wird aufgebaut"),
            OutboxStatus.SENT: _("Anruf ausgelöst"),
            OutboxStatus.FAILED: _("Anruf fehlgeschlagen"),
        }[status]
    return {
        OutboxStatus.PENDING: _("wartet auf den Versand (Worker)"),
        OutboxStatus.SENDING: _("wird gesendet"),
        OutboxStatus.SENT: _("zugestellt"),
        OutboxStatus.FAILED: _("Versand fehlgeschlagen"),
    }[status]


def _offer_code(body: str) -> str | None:
    """Return the code an offer asks to answer with (`JA <code>`), for the one-click reply."""
    match = re.search(r"\bJA ([A-Z0-9]{2,8})\b", body)
    return match.group(1) if match else None


def _local(at: Any) -> str:
    """Return a time as people in Hannover read it."""
    return at.astimezone(BERLIN).strftime("%d.%m. %H:%M:%S") if at else ""


def _js_texts() -> dict[str, str]:
    """Return the words the page's JavaScript shows, translated like every other string."""
    return {
        "idle": _("Kein Anruf."),
        "dialing": _("Wählt die Hotline …"),
        "listening": _("Die Hotline wartet auf Ihre Tasten."),
        "speaking": _("Die Hotline spricht."),
        "hotline": _("Hotline"),
        "you": _("Sie"),
        "silence": _("(Stille)"),
        "recording": _("Aufnahme:"),
        "ringing": _("Es klingelt bei:"),
        "ring_left": _("Klingelt noch %(s)s s"),
        "answer": _("Abnehmen"),
        "mailbox": _("Mailbox nimmt ab"),
        "nobody": _("Niemand nimmt ab"),
        "nobody_log": _("Niemand hat abgenommen."),
        "mailbox_log": _("Die Mailbox hat abgenommen."),
        "answered": _("%(n)s hat abgenommen."),
        "screening": _("Die Koordinatorin hört"),
        "press_1": _("1 drücken (annehmen)"),
        "press_other": _("2 drücken (ablehnen)"),
        "press_none": _("Nichts drücken"),
        "connected": _("Verbunden mit der Koordinatorin. Das Gespräch läuft."),
        "not_taken": _("Nicht angenommen: der Anruf geht weiter."),
        "end_talk": _("Gespräch beenden"),
        "record": _("Die Hotline nimmt eine Nachricht auf."),
        "record_sent": _("Nachricht hinterlassen."),
        "ended": _("Anruf beendet."),
        "error": _("Fehler: %(e)s"),
        "no_coordinator": _("Kein Anruf bei der Koordination."),
        "extra_caller": _("Anruferin %(n)s"),
        "hang_up": _("Auflegen"),
        "pending_hint": _("noch nicht versandt"),
        "reply": _("Antwort als diese Nummer"),
        "messages_of": _("SMS von und an"),
        "send": _("Senden"),
        "accept": _("JA %(code)s senden"),
        "no_messages": _("Noch keine SMS."),
        "sent_log": _("SMS gesendet."),
        "from_hotline": _("Von der Hotline"),
        "to_hotline": _("An die Hotline"),
        "call": _("Anruf der Hotline"),
        "ignored": _("Taste %(k)s: gerade fragt die Hotline nichts."),
        "take_callback": _("Rückruf annehmen"),
        "callback_ringing": _("Die Hotline ruft an: Rückruf."),
        "connected_family": _("Verbunden mit der Familie. Das Gespräch läuft."),
    }
