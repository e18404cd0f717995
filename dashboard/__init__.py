"""The coordinators' web dashboard: sign-in, live board, cases, roster, caregivers, simulator.

Views parse and render; every decision is a call into the domain packages.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, session
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from core.container import current_services

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

LANGUAGES = ("de", "en")


def register_dashboard(app: Flask) -> None:
    """Wire sign-in, CSRF protection, translations, security headers and the dashboard's blueprints."""
    settings = app.extensions["fluxx"].settings
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    https = bool(settings.public_base_url and settings.public_base_url.startswith("https://"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https or app.config.get("SESSION_COOKIE_SECURE", False),
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="de",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)

    from flask import Blueprint

    from dashboard import auth

    app.register_blueprint(Blueprint("assets", __name__, static_folder="static", static_url_path="/assets"))
    app.register_blueprint(auth.bp)
    for module in _optional_modules():
        app.register_blueprint(module.bp)

    # Twilio cannot send a CSRF token; its webhooks are protected by the signature instead.
    for name in ("voice", "sms"):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])

    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        simulator_mode=lambda: current_services().settings.simulator_mode,
        blueprints=app.blueprints,
        get_locale=get_locale,
    )


def select_locale() -> str:
    """Use the language the person chose, else her profile's, else German."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    from flask_login import current_user

    language = getattr(current_user, "language", None)
    return language if language in LANGUAGES else "de"


def _optional_modules() -> list[Any]:
    """Return the dashboard's page modules that exist (each has a blueprint `bp`)."""
    import importlib

    modules = []
    for name in ("board", "cases", "roster", "caregivers", "simulator", "calendar", "users", "reports",
                 "partners", "billing"):
        try:
            modules.append(importlib.import_module(f"dashboard.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"dashboard.{name}":
                raise
    return modules


def _security_headers(response: Response) -> Response:
    """Add the headers every page needs; Twilio's XML answers get them too, harmlessly."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self' https:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY from the environment, or a key generated once in the instance folder."""
    import os

    configured = os.environ.get("SECRET_KEY", "").strip()
    if configured:
        return configured
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
