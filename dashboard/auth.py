"""Sign-in and sign-out, the signed-in user, and the role check for lead-only pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from accounts import LoginThrottled, authenticate, get_user
from core.container import current_services
from dashboard import LANGUAGES, login_manager

bp = Blueprint("auth", __name__, template_folder="templates")


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
    """Load the signed-in user for a request."""
    if not user_id.isdigit():
        return None
    with current_services().database.unit_of_work() as s:
        user = get_user(s, int(user_id))
        if user is None or not user.active:
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

    checked.lead_only = True  # type: ignore[attr-defined]
    return checked


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form and sign in."""
    if request.method == "POST":
        services = current_services()
        try:
            with services.database.unit_of_work() as s:
                user = authenticate(s, username=request.form.get("username", ""),
                                    password=request.form.get("password", ""),
                                    remote_addr=request.remote_addr or "-", now=services.clock.now())
                signed_in = (SignedIn(user.id, user.username, user.name, user.role.value, user.language, user.phone)
                             if user else None)
        except LoginThrottled:
            flash(_("Zu viele Fehlversuche. Bitte warten Sie 15 Minuten."), "error")
            return render_template("login.html"), 429
        if signed_in is None:
            flash(_("Benutzername oder Passwort ist falsch."), "error")
            return render_template("login.html"), 401
        session.clear()
        login_user(signed_in)
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("board.board") if "board" in _blueprints() else "/"
        return redirect(target)
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    """Sign out."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    """Switch the dashboard's language (German or English)."""
    if code in LANGUAGES:
        session["lang"] = code
    target = request.referrer or "/"
    return redirect(target if target.startswith(request.host_url) or target.startswith("/") else "/")


def _blueprints() -> set[str]:
    from flask import current_app

    return set(current_app.blueprints)
