"""The application factory: wires settings, database, blueprints, CLI and worker — nothing else."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from core.clock import Clock, make_clock
from core.container import Services
from core.database import Database
from core.logs import configure_logging
from core.settings import Settings, load_settings

#: Twilio's webhook bodies are small; anything larger is refused before it is parsed.
MAX_REQUEST_BYTES = 64 * 1024


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    database: Database | None = None,
    clock: Clock | None = None,
    gateway: Any | None = None,
) -> Flask:
    """Create the Flask app; tests pass their own settings, database, clock or gateway."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    configure_logging()
    from core.url_ids import install_id_converter

    install_id_converter(app)  # before any route is added: every <int:...> is then an id 1..2^31-1

    settings = settings or load_settings(instance_path=app.instance_path)
    if settings.trusted_proxy_hops > 0:
        # Behind nginx: take the client's address from X-Forwarded-For (sign-in throttling counts
        # failures per address) — only as many hops as the operator says there are proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    if settings.simulator_clock_offset and not settings.simulator_mode:
        logging.getLogger(__name__).warning("SIMULATOR_CLOCK_OFFSET is ignored: Twilio credentials are set")
    from telephony.factory import make_gateway

    app.extensions["fluxx"] = Services(
        settings=settings,
        database=database or Database(settings.database_url),
        clock=clock or make_clock(simulator_mode=settings.simulator_mode, offset=settings.simulator_clock_offset),
        gateway=gateway or make_gateway(settings),
        # Where /sms/fallback keeps SMS while the database is down (dispatch.sms_recovery).
        extras={"sms_spool": Path(app.instance_path) / "sms-spool"},
    )

    from webhooks import register_webhooks

    register_webhooks(app)

    from dashboard import register_dashboard

    register_dashboard(app)

    from cli import register_commands
    from worker.command import command as worker_command

    register_commands(app, worker_command)
    return app
