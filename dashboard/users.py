"""Lead only: the dashboard's users — list, create, switch off, new password."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import (
    AccountError,
    create_user,
    find_lockouts,
    find_users,
    get_user,
    record_audit,
    set_active,
    set_password,
    unlock,
    update_user,
)
from core.clock import BERLIN
from core.container import current_services
from dashboard import error_text
from dashboard.account_forms import UserForm
from dashboard.auth import lead_required

bp = Blueprint("users", __name__, url_prefix="/users", template_folder="templates")


@bp.get("")
@lead_required
def index() -> Any:
    """List the users."""
    services = current_services()
    with services.database.unit_of_work() as session:
        users = find_users(session)
        return render_template("users.html", users=users, lockouts=_lockouts(session, services.clock.now()))


@bp.post("")
@lead_required
def create() -> Any:
    """Create a user with a generated password that is shown once."""
    services = current_services()
    password = secrets.token_urlsafe(12)
    try:
        with services.database.unit_of_work() as session:
            user = create_user(session, username=request.form.get("username", ""),
                               name=request.form.get("name", ""), role=request.form.get("role", "coordinator"),
                               password=password, phone=request.form.get("phone") or None,
                               now=services.clock.now())
            record_audit(session, user=get_user(session, current_user.id), action="user_created",
                         now=services.clock.now(), detail={"user": user.username})
            name = user.username
    except (AccountError, ValueError) as exc:
        flash(error_text(exc) if isinstance(exc, AccountError) else str(exc), "error")
        return redirect(url_for("users.index"))
    return _show_once(_("Benutzer %(name)s angelegt. Einmaliges Passwort:", name=name), password)


@bp.post("/<int:user_id>/active")
@lead_required
def toggle_active(user_id: int) -> Any:
    """Switch a user off (or on again)."""
    services = current_services()
    try:
        with services.database.unit_of_work() as session:
            user = get_user(session, user_id) or abort(404)
            set_active(session, user=user, active=request.form.get("active") == "1",
                       acting=get_user(session, current_user.id))
    except AccountError as exc:
        flash(error_text(exc), "error")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/password")
@lead_required
def new_password(user_id: int) -> Any:
    """Give a user a new generated password, shown once."""
    services = current_services()
    password = secrets.token_urlsafe(12)
    with services.database.unit_of_work() as session:
        user = get_user(session, user_id) or abort(404)
        set_password(user, password)
        record_audit(session, user=get_user(session, current_user.id), action="password_reset",
                     now=services.clock.now(), detail={"user": user.username})
        name = user.username
    return _show_once(_("Neues Passwort für %(name)s:", name=name), password)


def _show_once(message: str, password: str) -> Any:
    """Render the users page with a generated password in the page itself, never in a cookie.

    The flash message would travel in the (signed, not encrypted) session cookie; the page answers
    no-store, so the password is shown exactly once.
    """
    services = current_services()
    with services.database.unit_of_work() as session:
        users = find_users(session)
        lockouts = _lockouts(session, services.clock.now())
        return render_template("users.html", users=users, lockouts=lockouts, one_time=(message, password))


def _lockouts(session: Any, now: Any) -> dict[str, str]:
    """Return the locked user names with the local time their lock ends."""
    return {name: until.astimezone(BERLIN).strftime("%H:%M:%S")
            for name, until in find_lockouts(session, now=now).items()}


@bp.post("/<int:user_id>/unlock")
@lead_required
def unlock_sign_in(user_id: int) -> Any:
    """Clear a user's sign-in lockout (her failed attempts from every address are forgiven)."""
    services = current_services()
    with services.database.unit_of_work() as session:
        user = get_user(session, user_id) or abort(404)
        unlock(session, username=user.username)
        record_audit(session, user=get_user(session, current_user.id), action="user_unlocked",
                     now=services.clock.now(), detail={"user": user.username})
        name = user.username
    flash(_("Sperre für %(name)s aufgehoben.", name=name), "ok")
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@lead_required
def edit(user_id: int) -> Any:
    """Change a user's name, role, own phone and state."""
    services = current_services()
    with services.database.unit_of_work() as session:
        user = get_user(session, user_id) or abort(404)
        form = UserForm(obj=None if request.method == "POST" else user,
                        data=None if request.method == "POST" else {"role": user.role.value})
        username = user.username
        if request.method == "GET" or not form.validate_on_submit():
            return _edit_page(form, user_id, username, 200 if request.method == "GET" else 400)
    try:
        with services.database.unit_of_work() as session:
            user = get_user(session, user_id) or abort(404)
            update_user(session, user=user, name=form.name.data, role=form.role.data, phone=form.phone.data,
                        active=form.active.data, acting=get_user(session, current_user.id))
            record_audit(session, user=get_user(session, current_user.id), action="user_changed",
                         now=services.clock.now(), detail={"user": username})
    except AccountError as exc:
        flash(error_text(exc), "error")
        return _edit_page(form, user_id, username, 400)
    flash(_("Benutzer %(name)s gespeichert.", name=username), "ok")
    return redirect(url_for("users.index"))


def _edit_page(form: UserForm, user_id: int, username: str, status: int) -> Any:
    """Render the edit form."""
    return render_template("user_edit.html", form=form, user_id=user_id, username=username), status
