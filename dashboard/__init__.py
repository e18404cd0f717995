"""The coordinators' web dashboard: sign-in, live board, cases, roster, caregivers, simulator.

Views parse and render; every decision is a call into the domain packages.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from core.container import current_services
from core.errors import Bilingual

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

LANGUAGES = ("de", "en")


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, minus building the signer for requests without a cookie.

    Every Twilio webhook is such a request; building the signer was a tenth of a menu step's time.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return a new empty session when the request carries no session cookie."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def register_dashboard(app: Flask) -> None:
    """Wire sign-in, CSRF protection, translations, security headers and the dashboard's blueprints."""
    settings = app.extensions["fluxx"].settings
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    app.session_interface = CookieSessionInterface()
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

    from dashboard import (
        account,
        auth,
        billing,
        board,
        calendar,
        caregivers,
        cases,
        doctor,
        partners,
        prompts,
        reports,
        roster,
        simulator,
        users,
    )

    app.register_blueprint(Blueprint("assets", __name__, static_folder="static", static_url_path="/assets"))
    # Plain imports: a missing page module is an ImportError at start-up, never a page silently gone.
    pages = (auth, board, cases, roster, caregivers, simulator, calendar, users, reports, partners, billing, doctor,
             account, prompts)
    for module in pages:
        app.register_blueprint(module.bp)
    PAGE_BLUEPRINTS.update(module.bp.name for module in pages)
    app.after_request(_no_store)

    # Twilio cannot send a CSRF token; its webhooks are protected by the signature instead.
    for name in ("voice", "voice_queue", "sms"):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])

    from dashboard.errors import register_error_pages

    register_error_pages(app)
    app.after_request(_security_headers)
    from dashboard.filters import register_filters

    register_filters(app)
    app.jinja_env.globals.update(
        simulator_mode=lambda: current_services().settings.simulator_mode,
        blueprints=app.blueprints,
        get_locale=get_locale,
    )


def error_text(error: Any) -> str:
    """Return a domain error's message in the signed-in person's language.

    A HotlineError, a CSV line's RowError and a form field's FieldError all carry German and,
    mostly, English, and answer `text(language)`; German is the fallback: every error has it.
    """
    language = "en" if str(get_locale()) == "en" else "de"
    if isinstance(error, Bilingual):
        return error.text(language)
    return str(error)


def select_locale() -> str:
    """Use the language the person chose, else her profile's, else German."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    from flask_login import current_user

    language = getattr(current_user, "language", None)
    return language if language in LANGUAGES else "de"


#: The headers every page needs; Twilio's XML answers get them too, harmlessly.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self' https:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
)


#: The dashboard's page blueprints: every answer of theirs may carry personal data.
PAGE_BLUEPRINTS: set[str] = set()


def _no_store(response: Response) -> Response:
    """Keep every dashboard answer (pages, JSON, exports, the calendar feed) out of every cache.

    A shared computer's browser cache or back button must not show a case after sign-out; views
    need not remember it, so it is done here once. Webhooks and static assets are left alone.
    """
    if request.blueprint in PAGE_BLUEPRINTS and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _security_headers(response: Response) -> Response:
    """Add the security headers a view has not set itself (HSTS only over HTTPS)."""
    present = {name.lower() for name, _ in response.headers}  # one pass; a lookup per header costs an exception
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        response.headers.add("Strict-Transport-Security", "max-age=31536000")
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
