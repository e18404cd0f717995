"""Member municipalities: which towns of the region are members, when, and adding a period (leads only)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from billing.admin import add_member_period, region_municipalities
from billing.membership import find_memberships
from billing.tariffs import BillingError
from core.clock import BERLIN
from core.container import current_services
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.filters import date_de
from dashboard.partners.blueprint import bp, parse_date


@bp.route("/members", methods=["GET", "POST"])
@lead_required
def members() -> Any:
    """List the member municipalities with their periods, and add a period (leads only)."""
    services = current_services()
    today = services.clock.now().astimezone(BERLIN).date()
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form.to_dict()
        municipality = form.get("municipality", "")
        starts_on = parse_date(form.get("starts_on"))
        ends_on = parse_date(form.get("ends_on"))
        if municipality not in region_municipalities():
            errors["municipality"] = _("Bitte eine Kommune der Region Hannover wählen.")
        if starts_on is None:
            errors["starts_on"] = _("Bitte ein Datum eingeben, z. B. 01.01.2027.")
        if (form.get("ends_on") or "").strip() and ends_on is None:
            errors["ends_on"] = _("Bitte ein Datum eingeben oder leer lassen (unbefristet).")
        if not errors and starts_on is not None:
            try:
                with services.database.unit_of_work() as s:
                    add_member_period(s, municipality=municipality, starts_on=starts_on, ends_on=ends_on)
            except BillingError as exc:
                errors["form"] = error_text(exc)
            else:
                flash(_("%(m)s ist ab %(d)s Mitglied.", m=municipality, d=date_de(starts_on)), "success")
                return redirect(url_for("partners.members"))
        status = 422
    with services.database.unit_of_work() as s:
        periods = find_memberships(s)
        by_name: dict[str, list[dict[str, Any]]] = {name: [] for name in region_municipalities()}
        for p in periods:
            by_name.setdefault(p.municipality, []).append(
                {
                    "starts_on": p.starts_on,
                    "ends_on": p.ends_on,
                    "current": p.starts_on <= today and (p.ends_on is None or p.ends_on >= today),
                }
            )
    rows = [
        {"name": name, "periods": ps, "member": any(p["current"] for p in ps)} for name, ps in by_name.items()
    ]
    return render_template(
        "members.html",
        rows=rows,
        form=form,
        errors=errors,
        municipalities=region_municipalities(),
        today=today,
    ), status
