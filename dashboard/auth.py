"""Sign-in and sign-out, the signed-in user, and the role check for lead-only pages."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from accounts import LoginThrottled, authenticate, end_sessions, get_user
from core.clock import BERLIN
from core.container import current_services
from core.inputs import get_id
from dashboard import LANGUAGES, login_manager
from dashboard.safety import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")
#: The session key holding the user's session epoch at sign-in (accounts.end_sessions raises hers).
EPOCH_KEY = "epoch"


@dataclass
class SignedIn:
    """The signed-in user as plain values (no database object outlives its request)."""

    id: int
    username: str
    name: str
    role: str
    language: str
    phone: str | None
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)

    @property
    def is_lead(self) -> bool:
        """Return True for leads, who may change users, roster and caregivers."""
        return self.role == "lead"


@login_manager.user_loader
def load_user(user_id: str) -> SignedIn | None:
    """Load the signed-in user for a request; a session from before her sign-out or new password is over."""
    number = get_id(user_id)
    if number is None:
        return None
    with current_services().database.unit_of_work() as s:
        user = get_user(s, number)
        if user is None or not user.active or session.get(EPOCH_KEY) != user.session_epoch:
            return None
        return SignedIn(user.id, user.username, user.name, user.role.value, user.language, user.phone)


def lead_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Allow only leads (403 for coordinators)."""

    @functools.wraps(view)
    @login_required
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_lead", False):
            abort(403)
        return view(*args, **kwargs)

    checked.lead_only = True  # type: ignore[attr-defined]  # a mark on the view: the authorisation test finds every lead-only page by it
    return checked


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form and sign in; after a failure keep the name and say what is left."""
    if request.method == "GET":
        return render_template("login.html", username="")
    services = current_services()
    username = request.form.get("username", "")[:64]
    try:
        with services.database.unit_of_work() as s:
            result = authenticate(s, username=username, password=request.form.get("password", ""),
                                  remote_addr=request.remote_addr or "-", now=services.clock.now())
            user = result.user
            signed_in = (SignedIn(user.id, user.username, user.name, user.role.value, user.language, user.phone)
                         if user else None)
            epoch = user.session_epoch if user else None
    except LoginThrottled as exc:
        return _locked(username, exc.locked_until, services.clock.now())
    if signed_in is None:
        if result.state.locked_until is not None:
            return _locked(username, result.state.locked_until, services.clock.now())
        return render_template("login.html", username=username, error=_("Benutzername oder Passwort ist falsch."),
                               tries_left=result.state.tries_left), 401
    session.clear()
    session[EPOCH_KEY] = epoch
    login_user(signed_in)
    return redirect(safe_next(request.args.get("next", "")) or _home())


def _locked(username: str, until: datetime, now: datetime) -> Any:
    """Render the sign-in page for a lockout, with the time it ends and a Retry-After header."""
    local = until.astimezone(BERLIN).strftime("%H:%M:%S")
    page = render_template("login.html", username=username, locked_until=local,
                           error=_("Zu viele Fehlversuche. Anmeldung gesperrt bis %(time)s Uhr.", time=local))
    wait = max(1, math.ceil((until - now).total_seconds()))
    return page, 429, {"Retry-After": str(wait)}


def _home() -> str:
    """Return where a signed-in person starts: the board."""
    return url_for("board.board") if "board" in _blueprints() else "/"


@bp.post("/logout")
def logout() -> Any:
    """Sign out, here and on every other device (a copied cookie no longer opens the board)."""
    if current_user.is_authenticated:
        services = current_services()
        with services.database.unit_of_work() as s:
            user = get_user(s, current_user.id)
            if user is not None:
                end_sessions(user)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    """Switch the dashboard's language (German or English)."""
    if code in LANGUAGES:
        session["lang"] = code
    target = request.referrer or "/"
    if target.startswith(request.host_url):
        target = "/" + target[len(request.host_url):]
    return redirect(safe_next(target) or "/")


def _blueprints() -> set[str]:
    from flask import current_app

    return set(current_app.blueprints)
