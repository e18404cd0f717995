"""Everyone's own account (/account): her phone for *Zurückrufen*, and her password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import AccountError, change_own_password, get_user, record_audit, set_phone
from core.container import current_services
from dashboard import error_text
from dashboard.account_forms import PasswordForm, PhoneForm
from dashboard.auth import EPOCH_KEY

bp = Blueprint("account", __name__, template_folder="templates")


@bp.get("/account")
@login_required
def page() -> Any:
    """Show her own phone and the password form."""
    return _render(PhoneForm(phone=current_user.phone or ""), PasswordForm())


@bp.post("/account/phone")
@login_required
def phone() -> Any:
    """Set or clear her own phone."""
    form = PhoneForm()
    if not form.validate_on_submit():
        return _render(form, PasswordForm(), 400)
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            user = get_user(s, current_user.id)
            assert user is not None  # she is signed in, so her row exists
            set_phone(user, form.phone.data)
            record_audit(s, user=user, action="own_phone_changed", now=services.clock.now())
    except AccountError as exc:
        form.phone.errors = [error_text(exc)]
        return _render(form, PasswordForm(), 400)
    flash(_("Ihre Telefonnummer ist gespeichert.") if (form.phone.data or "").strip()
          else _("Ihre Telefonnummer ist gelöscht."), "ok")
    return redirect(url_for("account.page"))


@bp.post("/account/password")
@login_required
def password() -> Any:
    """Change her own password (with the current one); her other sessions end, this one stays."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _render(PhoneForm(phone=current_user.phone or ""), form, 400)
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            user = get_user(s, current_user.id)
            assert user is not None  # she is signed in, so her row exists
            change_own_password(user, current=form.current.data, new=form.new.data, repeated=form.repeated.data)
            record_audit(s, user=user, action="own_password_changed", now=services.clock.now())
            epoch = user.session_epoch
    except AccountError as exc:
        form.current.errors = [error_text(exc)]
        return _render(PhoneForm(phone=current_user.phone or ""), form, 400)
    session[EPOCH_KEY] = epoch
    flash(_("Ihr Passwort ist geändert. Andere Anmeldungen mit dem alten Passwort sind beendet."), "ok")
    return redirect(url_for("account.page"))


def _render(phone_form: PhoneForm, password_form: PasswordForm, status: int = 200) -> Any:
    """Render the account page."""
    return render_template("account.html", phone_form=phone_form, password_form=password_form), status
