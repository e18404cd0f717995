"""Who may use Fluxx and at what price, as data: partner employers, registered families, member
municipalities and tariffs. Coordinators may look up employers and families (they need them on the
phone); only leads change anything, and only leads see members and tariffs.

Views parse the form (German messages), call one function of billing.admin inside a unit of work,
flash and redirect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from accounts import record_audit
from billing.admin import (
    add_member_period,
    add_rate,
    find_families,
    find_tariff_codes,
    last_billed_day,
    region_municipalities,
    save_employer,
    update_family,
)
from billing.employers import contract_valid_on, find_employers
from billing.families import find_family_phones, register_family
from billing.membership import find_memberships
from billing.tariffs import BillingError, find_tariffs, tariff_valid_on
from core.clock import BERLIN
from core.container import current_services
from core.formats import amount_de, euro_de
from core.formats import date_de as format_date_de
from core.inputs import InputError, optional_date
from core.inputs import parse_money as inputs_money
from core.phones import format_national
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.forms import EmployerForm, FamilyForm, first_errors
from models import Employer, Family, User

bp = Blueprint("partners", __name__, template_folder="templates")

MAX_MONEY = Decimal("99999999.99")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
POSTCODE_PATTERN = re.compile(r"^[0-9]{5}$")
THOUSANDS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")


# --- words and parsing (pure) ----------------------------------------------------------------------


@bp.app_template_filter("euro")
def euro(value: Decimal | None) -> str:
    """Return an amount German style, "1.234,50 €" (Decimal only)."""
    return "—" if value is None else euro_de(value)


@bp.app_template_filter("date_de")
def date_de(value: date | None) -> str:
    """Return a date as 24.11.2026, or a dash."""
    return "—" if value is None else format_date_de(value)


def fee_period_label(value: str) -> str:
    """Return "monatlich" or "jährlich"."""
    return {"monthly": _("monatlich"), "yearly": _("jährlich")}.get(value, value)


def parse_date(text: str | None) -> date | None:
    """Parse YYYY-MM-DD (the date input) or DD.MM.YYYY; None when empty or wrong."""
    try:
        return optional_date(text)
    except InputError:
        return None


def parse_money(text: str | None) -> Decimal | None:
    """Parse an amount in euros written German style ("1.234,50", "3,50", "6000"); None when wrong."""
    if not (text or "").strip():
        return None
    try:
        return inputs_money(text, maximum=MAX_MONEY)
    except InputError:
        return None


def _line(form: Mapping[str, str], name: str, limit: int) -> str:
    return " ".join((form.get(name) or "").split())[: limit + 1]


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n").strip()


@dataclass
class Checked:
    """A parsed form: the values, and German messages by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def check_employer_form(form: Mapping[str, str]) -> Checked:
    """Check a partner employer's form (dashboard.forms.EmployerForm)."""
    checked = EmployerForm(MultiDict(form))
    checked.validate()
    return Checked(values=dict(checked.data), errors=first_errors(checked))


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


# --- employers --------------------------------------------------------------------------------------------


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
        employer = _get_or_404(s, Employer, employer_id) if employer_id is not None else None
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


# --- families -------------------------------------------------------------------------------------------


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
        record_audit(s, user=_me(s), action="list_families", now=services.clock.now())
    return render_template("families_list.html", rows=rows)


@bp.get("/families/<int:family_id>")
@login_required
def family(family_id: int) -> Any:
    """Show a registered family: address, employer, numbers, children, pick-up authorisations (audited)."""
    services = current_services()
    now = services.clock.now()
    with services.database.unit_of_work() as s:
        f = _get_or_404(s, Family, family_id)
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
        record_audit(s, user=_me(s), action="view_family", now=now, detail={"family": f.id})
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
        fam = _get_or_404(s, Family, family_id) if family_id is not None else None
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
                    user=_me(s),
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


# --- member municipalities ------------------------------------------------------------------------------


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


# --- tariffs ----------------------------------------------------------------------------------------------


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
        name = _line(form, "name", 80)
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


# --- helpers ---------------------------------------------------------------------------------------------


def _get_or_404(s: Session, model: type[Any], id_: int | None) -> Any:
    row = s.get(model, id_) if id_ is not None else None
    if row is None:
        abort(404)
    return row


def _me(s: Session) -> User | None:
    return s.get(User, int(current_user.get_id()))
