"""Partner employers: the list coordinators look up on the phone, and the contract form (leads only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from billing.admin import save_employer
from billing.employers import contract_valid_on, find_employers
from billing.tariffs import BillingError
from core.clock import BERLIN
from core.container import current_services
from core.formats import amount_de
from core.phones import format_national
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.forms import EmployerForm, first_errors
from dashboard.partners.blueprint import Checked, bp, get_or_404
from models import Employer


def fee_period_label(value: str) -> str:
    """Return "monatlich" or "jährlich"."""
    return {"monthly": _("monatlich"), "yearly": _("jährlich")}.get(value, value)


def check_employer_form(form: Mapping[str, str]) -> Checked:
    """Check a partner employer's form (dashboard.forms.EmployerForm)."""
    checked = EmployerForm(MultiDict(form))
    checked.validate()
    return Checked(values=dict(checked.data), errors=first_errors(checked))


@bp.get("/employers")
@login_required
def employers() -> Any:
    """List the partner employers with their contracts (coordinators look them up on the phone)."""
    services = current_services()
    today = services.clock.now().astimezone(BERLIN).date()
    with services.database.unit_of_work() as s:
        rows = [_employer_row(e, today) for e in find_employers(s)]
    return render_template("partners_employers.html", rows=rows, today=today)


@bp.route("/employers/new", methods=["GET", "POST"])
@lead_required
def new_employer() -> Any:
    """Add a partner employer (leads only)."""
    return _employer_form(None)


@bp.route("/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@lead_required
def edit_employer(employer_id: int) -> Any:
    """Change a partner employer's contract and contact (leads only)."""
    return _employer_form(employer_id)


def _employer_form(employer_id: int | None) -> Any:
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as s:
        employer = get_or_404(s, Employer, employer_id) if employer_id is not None else None
        if request.method == "GET":
            form = _employer_values(employer) if employer else {"fee_period": "yearly"}
            return render_template(
                "partners_employer_form.html", employer_id=employer_id, form=form, errors={}
            )
        form = request.form.to_dict()
        checked = check_employer_form(form)
        if not checked.errors:
            try:
                saved = save_employer(s, employer=employer, now=now, **checked.values)
                name = saved.name
            except BillingError as exc:
                checked.errors["form"] = error_text(exc)
        if checked.errors:
            s.rollback()
            return render_template(
                "partners_employer_form.html", employer_id=employer_id, form=form, errors=checked.errors
            ), 422
    flash(_("Gespeichert: %(name)s.", name=name), "success")
    return redirect(url_for("partners.employers"))


def _employer_row(e: Employer, today: date) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "contract_number": e.contract_number,
        "starts_on": e.starts_on,
        "ends_on": e.ends_on,
        "fee_period": fee_period_label(e.fee_period),
        "fee_amount": e.fee_amount,
        "headcount_tier": e.headcount_tier,
        "contact_name": e.contact_name,
        "contact_email": e.contact_email,
        "contact_phone": e.contact_phone,
        "valid": contract_valid_on(e, today),
        "future": e.starts_on > today,
    }


def _employer_values(e: Employer) -> dict[str, str]:
    return {
        "name": e.name,
        "contract_number": e.contract_number,
        "starts_on": e.starts_on.isoformat(),
        "ends_on": e.ends_on.isoformat() if e.ends_on else "",
        "fee_period": e.fee_period,
        "fee_amount": amount_de(e.fee_amount),
        "headcount_tier": e.headcount_tier or "",
        "contact_name": e.contact_name or "",
        "contact_email": e.contact_email or "",
        "contact_phone": format_national(e.contact_phone) if e.contact_phone else "",
    }
