"""GET /metrics for Prometheus (bearer METRICS_TOKEN), and the webhook latency it reports.

Figures come from the database (ops/metrics.py), so any process of any instance answers right.
Webhook latency is measured where the request ran: with PROMETHEUS_MULTIPROC_DIR set (the
systemd unit sets it) prometheus-client's multiprocess mode merges the gunicorn workers' files,
so a scrape of one instance covers all its workers; without it, the process's own histogram.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from core.container import current_services
from ops.metrics import FiguresCollector, read_figures

bp = Blueprint("metrics", __name__)

#: Blueprints whose requests are timed (Twilio's webhooks and the health check).
TIMED_BLUEPRINTS = frozenset({"voice", "sms", "health"})

#: Webhook latency by route (the URL rule, never the raw path: ids would explode the label set).
WEBHOOK_LATENCY = Histogram(
    "fluxx_webhook_duration_seconds",
    "Time to answer a Twilio webhook, by route.",
    labelnames=["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0),
    registry=None,
)


@bp.get("/metrics")
def metrics() -> Any:
    """Return the figures in Prometheus' text format; 404 without METRICS_TOKEN, 401/403 without the right one."""
    services = current_services()
    token = services.settings.metrics_token
    if not token:
        abort(404)
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return Response("bearer token required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    if not hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return Response("wrong token\n", 403, mimetype="text/plain")

    from core.database import WORKER_LOCK_KEY

    with services.database.unit_of_work() as session:
        figures = read_figures(session, now=services.clock.now(), lock_key=WORKER_LOCK_KEY)
    registry = CollectorRegistry()
    registry.register(FiguresCollector(figures))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(WEBHOOK_LATENCY)
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_latency_timing(app: Flask) -> None:
    """Time every request of the webhook blueprints, errors included."""

    @app.before_request
    def _start_timer() -> None:
        if request.blueprint in TIMED_BLUEPRINTS:
            g.fluxx_started = time.perf_counter()

    @app.teardown_request
    def _observe(_exc: BaseException | None) -> None:
        started = g.pop("fluxx_started", None)
        if started is not None and request.url_rule is not None:
            WEBHOOK_LATENCY.labels(route=request.url_rule.rule).observe(time.perf_counter() - started)
