"""The services one app instance runs with, shared by its webhooks, pages and commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.clock import Clock
from core.database import Database
from core.settings import Settings

if TYPE_CHECKING:
    from telephony.gateway import SmsGateway


@dataclass
class Services:
    """Settings, database, clock and the Twilio gateway of one app."""

    settings: Settings
    database: Database
    clock: Clock
    gateway: SmsGateway
    extras: dict[str, Any]


def current_services() -> Services:
    """Return the services of the Flask app handling the current request or command."""
    from flask import current_app

    services: Services = current_app.extensions["fluxx"]
    return services
