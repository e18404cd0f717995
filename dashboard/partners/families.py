"""Registered families: the list, one family's page (audited), and the registration form (leads only)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from accounts import record_audit
from billing.admin import find_families, find_tariff_codes, update_family
from billing.employers import contract_valid_on, find_employers
from billing.families import find_family_phones, register_family
from billing.tariffs import BillingError
from core.clock import BERLIN
from core.container import current_services
from core.phones import format_national
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.forms import FamilyForm, first_errors
from dashboard.partners.blueprint import Checked, bp, get_or_404, signed_in_user
from models import Employer, Family


def check_family_form(
    form: Mapping[str, str], *, employer_ids: set[int], codes: set[str], this_year: int
) -> Checked:
    """Check a registered family's form (phones and children one per line; dashboard.forms.FamilyForm)."""
    checked = FamilyForm(MultiDict(form))
    checked.employer_id.allowed, checked.tariff_code.allowed = employer_ids, codes
    checked.validate()
    c = Checked(values=dict(checked.data), errors=first_errors(checked))
    children, wrong = [], []
    for line in checked.children.data:
        line = " ".join(line.replace(",", " ").split())
        match = re.match(r"^(.{1,60}?)\s+([0-9]{4})$", line)
        if match and this_year - 100 <= int(match.group(2)) <= this_year:
            children.append({"first_name": match.group(1), "birth_year": int(match.group(2))})
        else:
            wrong.append(line)
    if wrong:
        c.errors["children"] = _(
            "Bitte je Zeile Vorname und Geburtsjahr, z. B. „Elif 2021“. Nicht verstanden: %(lines)s",
            lines=", ".join(wrong[:3]),
        )
    c.values["children"] = children
    c.values["name"] = c.values["name"] or ""
    for name_, limit in (("pickup_authorised", 2000), ("notes", 2000)):
        value = (c.values.get(name_) or "").replace("\r\n", "\n").strip()
        if len(value) > limit:
            c.errors[name_] = _("Höchstens %(n)d Zeichen.", n=limit)
        c.values[name_] = value or None
    return c


@bp.get("/families")
@login_required
def families() -> Any:
    """List the registered families (name, postcode, employer, numbers)."""
    services = current_services()
    with services.database.unit_of_work() as s:
        employers = {e.id: e.name for e in find_employers(s)}
        rows = [
            {
                "id": f.id,
                "name": f.name,
                "postcode": f.postcode,
                "employer": employers.get(f.employer_id or 0),
                "tariff_code": f.tariff_code,
                "phones": [format_national(p) for p in find_family_phones(s, family=f)],
                "children": len(f.children or []),
            }
            for f in find_families(s)
        ]
        record_audit(s, user=signed_in_user(s), action="list_families", now=services.clock.now())
    return render_template("families_list.html", rows=rows)


@bp.get("/families/<int:family_id>")
@login_required
def family(family_id: int) -> Any:
    """Show a registered family: address, employer, numbers, children, pick-up authorisations (audited)."""
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as s:
        f = get_or_404(s, Family, family_id)
        employer = s.get(Employer, f.employer_id) if f.employer_id else None
        this_year = now.astimezone(BERLIN).year
        data = {
            "id": f.id,
            "name": f.name,
            "address": f.address,
            "postcode": f.postcode,
            "employer": employer.name if employer else None,
            "employer_valid": bool(employer and contract_valid_on(employer, now.astimezone(BERLIN).date())),
            "tariff_code": f.tariff_code,
            "phones": [(p, format_national(p)) for p in find_family_phones(s, family=f)],
            "children": [
                {
                    "first_name": c.get("first_name"),
                    "birth_year": c.get("birth_year"),
                    "age": this_year - int(c["birth_year"])
                    if str(c.get("birth_year", "")).isdigit()
                    else None,
                }
                for c in f.children or []
            ],
            "pickup_authorised": f.pickup_authorised,
            "notes": f.notes,
            "registered_on": f.registered_on,
        }
        record_audit(s, user=signed_in_user(s), action="view_family", now=now, detail={"family": f.id})
    return render_template("families_detail.html", f=data)


@bp.route("/families/new", methods=["GET", "POST"])
@lead_required
def new_family() -> Any:
    """Register a family that filled in the form in advance (leads only)."""
    return _family_form(None)


@bp.route("/families/<int:family_id>/edit", methods=["GET", "POST"])
@lead_required
def edit_family(family_id: int) -> Any:
    """Change a registered family's data and numbers (leads only)."""
    return _family_form(family_id)


def _family_form(family_id: int | None) -> Any:
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as s:
        fam = get_or_404(s, Family, family_id) if family_id is not None else None
        employers = find_employers(s)
        codes = find_tariff_codes(s)
        choices = {"employers": [(e.id, e.name) for e in employers], "codes": codes}
        if request.method == "GET":
            form = _family_values(s, fam) if fam else {}
            return render_template("families_form.html", family_id=family_id, form=form, errors={}, **choices)
        form = request.form.to_dict()
        checked = check_family_form(
            form,
            employer_ids={e.id for e in employers},
            codes={c for c, _n in codes},
            this_year=now.astimezone(BERLIN).year,
        )
        saved_id = None
        if not checked.errors:
            v = checked.values
            try:
                if fam is None:
                    employer = s.get(Employer, v["employer_id"]) if v["employer_id"] else None
                    saved = register_family(
                        s,
                        name=v["name"],
                        phones=_normalised(s, v["phones"]),
                        now=now,
                        registered_on=now.astimezone(BERLIN).date(),
                        address=v["address"],
                        postcode=v["postcode"],
                        employer=employer,
                        tariff_code=v["tariff_code"],
                        children=v["children"],
                        pickup_authorised=v["pickup_authorised"],
                        notes=v["notes"],
                    )
                else:
                    saved = update_family(s, family=fam, **v)
                saved_id = saved.id
                record_audit(
                    s,
                    user=signed_in_user(s),
                    action="edit_family" if fam else "register_family",
                    now=now,
                    detail={"family": saved.id},
                )
            except BillingError as exc:
                checked.errors["phones"] = error_text(exc)
        if checked.errors:
            s.rollback()
            return render_template(
                "families_form.html", family_id=family_id, form=form, errors=checked.errors, **choices
            ), 422
    flash(_("Die Familie ist gespeichert."), "success")
    return redirect(url_for("partners.family", family_id=saved_id))


def _normalised(s: Session, phones: list[str]) -> list[str]:
    from billing.admin import normalize_phones

    return normalize_phones(s, phones)


def _family_values(s: Session, f: Family) -> dict[str, str]:
    return {
        "name": f.name,
        "address": f.address or "",
        "postcode": f.postcode or "",
        "employer_id": str(f.employer_id or ""),
        "tariff_code": f.tariff_code or "",
        "phones": "\n".join(format_national(p) for p in find_family_phones(s, family=f)),
        "children": "\n".join(
            f"{c.get('first_name', '')} {c.get('birth_year', '')}".strip() for c in f.children or []
        ),
        "pickup_authorised": f.pickup_authorised or "",
        "notes": f.notes or "",
    }
