"""Flask blueprints that Twilio calls: parse, call the domain, render TwiML."""

from __future__ import annotations

from flask import Flask


def register_webhooks(app: Flask) -> None:
    """Register the voice and SMS webhooks."""
    from webhooks import health, metrics, sms, voice, voice_queue

    app.register_blueprint(voice.bp)
    app.register_blueprint(voice_queue.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    metrics.register_latency_timing(app)
