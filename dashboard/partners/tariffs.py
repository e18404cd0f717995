"""Tariffs: the hourly rates by code with their validity, and adding a rate from a day on (leads only)."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from billing.admin import add_rate, find_tariff_codes, last_billed_day
from billing.tariffs import BillingError, find_tariffs, tariff_valid_on
from core.clock import BERLIN
from core.container import current_services
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.filters import date_de, euro
from dashboard.partners.blueprint import bp, one_line, parse_date, parse_money

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")


@bp.route("/tariffs", methods=["GET", "POST"])
@lead_required
def tariffs() -> Any:
    """List the rates by code with their validity (today's marked), and add a new rate from a day on."""
    services = current_services()
    today = services.clock.now().astimezone(BERLIN).date()
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form.to_dict()
        code = (form.get("code") or "").strip().lower()
        name = one_line(form, "name", 80)
        rate = parse_money(form.get("hourly_rate"))
        valid_from = parse_date(form.get("valid_from"))
        if not CODE_PATTERN.match(code):
            errors["code"] = _("Kleinbuchstaben, Ziffern, - oder _, höchstens 20 Zeichen, z. B. aktivpass.")
        if not name or len(name) > 80:
            errors["name"] = _("Bitte einen Namen mit höchstens 80 Zeichen eingeben.")
        if rate is None:
            errors["hourly_rate"] = _("Bitte einen Betrag in Euro eingeben, z. B. 3,50.")
        if valid_from is None:
            errors["valid_from"] = _("Bitte ein Datum eingeben, z. B. 01.01.2027.")
        if not errors and rate is not None and valid_from is not None:
            try:
                with services.database.unit_of_work() as s:
                    add_rate(s, code=code, name=name, hourly_rate=rate, valid_from=valid_from)
            except BillingError as exc:
                errors["valid_from"] = error_text(exc)
            else:
                flash(
                    _(
                        "Neuer Satz für %(code)s ab %(d)s: %(rate)s pro Stunde.",
                        code=code,
                        d=date_de(valid_from),
                        rate=euro(rate),
                    ),
                    "success",
                )
                return redirect(url_for("partners.tariffs"))
        status = 422
    with services.database.unit_of_work() as s:
        rows = find_tariffs(s)
        billed = last_billed_day(s)
        codes = find_tariff_codes(s)
        groups = []
        for code, name in codes:
            own = [t for t in rows if t.code == code]
            current = tariff_valid_on(own, code=code, day=today)
            groups.append(
                {
                    "code": code,
                    "name": name,
                    "rates": [
                        {
                            "id": t.id,
                            "name": t.name,
                            "rate": t.hourly_rate,
                            "valid_from": t.valid_from,
                            "valid_to": t.valid_to,
                            "today": current is not None and t.id == current.id,
                            "billed": billed is not None and t.valid_from <= billed,
                        }
                        for t in reversed(own)
                    ],
                    "today": current.hourly_rate if current else None,
                }
            )
    return render_template(
        "tariffs.html", groups=groups, form=form, errors=errors, today=today, billed=billed, codes=codes
    ), status
