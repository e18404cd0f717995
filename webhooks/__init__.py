"""Flask blueprints that Twilio calls: parse, call the domain, render TwiML."""

from __future__ import annotations

from flask import Flask


def register_webhooks(app: Flask) -> None:
    """Register the voice and SMS webhooks."""
    from webhooks import health, sms, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
