"""Health and the front page: what a load balancer, monitoring and a first-time visitor need."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, url_for
from sqlalchemy import func, select, text

from core.container import current_services
from models import WorkerHeartbeat

bp = Blueprint("health", __name__)

#: A worker that has not ticked for this long is reported as stale.
WORKER_STALE_AFTER = timedelta(seconds=30)


@bp.get("/healthz")
def healthz() -> Any:
    """Report database reachability and the worker's last tick; 503 when the database is unreachable."""
    services = current_services()
    now = services.clock.now()
    body: dict[str, Any] = {"database": "ok", "worker_last_tick": None, "worker": "unknown"}
    try:
        with services.database.unit_of_work() as session:
            session.execute(text("SELECT 1"))
            last = session.scalar(select(func.max(WorkerHeartbeat.last_tick_at)))
    except Exception:
        body["database"] = "unreachable"
        return jsonify(body), 503
    if last is not None:
        body["worker_last_tick"] = last.isoformat()
        body["worker"] = "ok" if now - last <= WORKER_STALE_AFTER else "stale"
    return jsonify(body), 200


@bp.get("/")
def index() -> Any:
    """Send people to the sign-in (the board sends signed-in ones on); say that it runs without a dashboard."""
    if "auth" in current_app.blueprints:
        return redirect(url_for("auth.login"))
    return (
        "<!doctype html><html lang=de><meta charset=utf-8><title>Fluxx-Hotline</title>"
        "<h1>Fluxx-Hotline läuft</h1><p>Die Sprachmenü-Webhooks sind unter <code>/voice/incoming</code> "
        "und <code>/sms/incoming</code> erreichbar. Anruf ausprobieren: "
        "<code>flask --app app simulate call</code>. Zustand: <a href=/healthz>/healthz</a>.</p>"
        "<p lang=en>The hotline is running. Try a call with <code>flask --app app simulate call</code>.</p>"
    )
