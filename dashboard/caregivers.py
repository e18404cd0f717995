"""The caregiver pages: the filtered list and each caregiver's page; editing for leads only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from caregivers.editing import (
    CaregiverFilter,
    InvalidCaregiverChange,
    InvalidUnavailabilityPeriod,
    UnavailabilityNotFound,
    add_unavailability_period,
    find_assignments,
    find_caregivers_filtered,
    find_municipalities,
    find_recent_offers,
    first_aid_check,
    parse_period,
    police_certificate_check,
    remove_unavailability_period,
    set_opted_out,
    today_in_berlin,
    update_caregiver,
)
from caregivers.queries import CaregiverNotFound, require_caregiver
from core.clock import BERLIN
from core.container import current_services
from core.inputs import InputError, optional_int
from core.phones import format_national
from core.vocabulary import CASE_STATUS, OFFER_STATUS
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.caregiver_form import CaregiverForm
from dashboard.words import offer_status_label, status_label
from geo.postcodes import lookup_postcode

bp = Blueprint("caregivers", __name__, template_folder="templates")


@bp.get("/caregivers")
@login_required
def index() -> Any:
    """List caregivers, filtered by municipality, a child's age, eldercare and checks due."""
    services = current_services()
    today = today_in_berlin(services.clock.now())
    args = request.args
    age_raw = args.get("age", "").strip()
    try:
        age = optional_int(age_raw, maximum=99)
    except InputError:
        age = None
    if age_raw and age is None:
        flash(_("Das Alter „%(age)s“ ist keine ganze Zahl; der Altersfilter wurde nicht angewendet.", age=age_raw),
              "error")
    eldercare = {"yes": True, "no": False}.get(args.get("eldercare", ""))
    filters = CaregiverFilter(municipality=args.get("municipality") or None, age=age, eldercare=eldercare,
                              checks_due=args.get("checks") == "due")
    with services.database.unit_of_work() as s:
        caregivers = find_caregivers_filtered(s, filters=filters, today=today)
        rows = [_summary(c, today) for c in caregivers]
        municipalities = find_municipalities(s)
    return render_template("caregivers_list.html", rows=rows, municipalities=municipalities, filters=filters,
                           age_raw=age_raw, eldercare_raw=args.get("eldercare", ""))


@bp.get("/caregivers/<int:caregiver_id>")
@login_required
def detail(caregiver_id: int) -> Any:
    """Show a caregiver: data, checks, unavailability, offers of the last 30 days, assignments."""
    services = current_services()
    now = services.clock.now()
    today = today_in_berlin(now)
    with services.database.unit_of_work() as s:
        try:
            caregiver = require_caregiver(s, caregiver_id)
        except CaregiverNotFound:
            abort(404)
        summary = _summary(caregiver, today)
        periods = [
            {"id": p.id, "starts_on": p.starts_on, "ends_on": p.ends_on, "reason": p.reason,
             "past": p.ends_on < today}
            for p in caregiver.unavailability
        ]
        offers = find_recent_offers(s, caregiver_id=caregiver_id, now=now)
        assignments = [
            {"id": c.id, "reference": c.reference, "status": c.status.value,
             "assigned_at": c.assigned_at.astimezone(BERLIN) if c.assigned_at else None}
            for c in find_assignments(s, caregiver_id=caregiver_id)
        ]
    return render_template("caregivers_detail.html", c=summary, periods=periods, offers=offers,
                           assignments=assignments, today=today, BERLIN=BERLIN)


@bp.route("/caregivers/<int:caregiver_id>/edit", methods=["GET", "POST"])
@lead_required
def edit(caregiver_id: int) -> Any:
    """Edit a caregiver's data and checks (leads only)."""
    services = current_services()
    now = services.clock.now()
    if request.method == "POST":
        form = request.form.to_dict()
        checked = CaregiverForm(request.form, today=today_in_berlin(now))
        if not checked.validate():
            return render_template("caregivers_edit.html", caregiver_id=caregiver_id, form=form,
                                   errors=checked.messages()), 422
        try:
            with services.database.unit_of_work() as s:
                update_caregiver(s, caregiver_id=caregiver_id, changes=checked.changes(), now=now)
        except CaregiverNotFound:
            abort(404)
        except InvalidCaregiverChange as exc:
            errors = {e.field: error_text(e) for e in exc.errors}
            return render_template("caregivers_edit.html", caregiver_id=caregiver_id, form=form, errors=errors), 422
        flash(_("Die Änderungen wurden gespeichert."), "ok")
        return redirect(url_for("caregivers.detail", caregiver_id=caregiver_id))
    with services.database.unit_of_work() as s:
        try:
            c = require_caregiver(s, caregiver_id)
        except CaregiverNotFound:
            abort(404)
        form = {
            "name": c.name, "phone": format_national(c.phone), "postcode": c.postcode,
            "max_distance_km": f"{c.max_distance_km:g}".replace(".", ","), "min_age": str(c.min_age),
            "max_age": str(c.max_age), "languages": ", ".join(c.languages or []),
            "eldercare": "1" if c.eldercare else "", "active": "1" if c.active else "",
            "police_certificate_date": _date_value(c.police_certificate_date),
            "police_certificate_excluded": "1" if c.police_certificate_excluded else "",
            "first_aid_date": _date_value(c.first_aid_date),
        }
    return render_template("caregivers_edit.html", caregiver_id=caregiver_id, form=form, errors={})


@bp.post("/caregivers/<int:caregiver_id>/unavailability")
@lead_required
def add_period(caregiver_id: int) -> Any:
    """Add an unavailability period (leads only)."""
    services = current_services()
    try:
        starts_on, ends_on, reason = parse_period(request.form)
        with services.database.unit_of_work() as s:
            add_unavailability_period(s, caregiver_id=caregiver_id, starts_on=starts_on, ends_on=ends_on,
                                      reason=reason)
    except CaregiverNotFound:
        abort(404)
    except InvalidUnavailabilityPeriod as exc:
        for e in exc.errors:
            flash(error_text(e), "error")
        return redirect(url_for("caregivers.detail", caregiver_id=caregiver_id, _anchor="unavailability"))
    flash(_("Der Zeitraum wurde eingetragen."), "ok")
    return redirect(url_for("caregivers.detail", caregiver_id=caregiver_id, _anchor="unavailability"))


@bp.post("/caregivers/<int:caregiver_id>/unavailability/<int:period_id>/delete")
@lead_required
def remove_period(caregiver_id: int, period_id: int) -> Any:
    """Remove an unavailability period (leads only)."""
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            remove_unavailability_period(s, caregiver_id=caregiver_id, unavailability_id=period_id)
    except UnavailabilityNotFound:
        abort(404)
    flash(_("Der Zeitraum wurde entfernt."), "ok")
    return redirect(url_for("caregivers.detail", caregiver_id=caregiver_id, _anchor="unavailability"))


@bp.post("/caregivers/<int:caregiver_id>/opt-out")
@lead_required
def opt_out(caregiver_id: int) -> Any:
    """Opt a caregiver out of offers, or back in (leads only); the time is recorded."""
    services = current_services()
    wanted = request.form.get("opted_out") == "1"
    try:
        with services.database.unit_of_work() as s:
            set_opted_out(s, caregiver_id=caregiver_id, opted_out=wanted, now=services.clock.now())
    except CaregiverNotFound:
        abort(404)
    flash(_("Sie bekommt ab jetzt keine Angebote mehr.") if wanted else _("Sie bekommt wieder Angebote."), "ok")
    return redirect(url_for("caregivers.detail", caregiver_id=caregiver_id))


def _summary(c: Any, today: Any) -> dict[str, Any]:
    """Return what the pages show of a caregiver, as plain values."""
    police = police_certificate_check(c.police_certificate_date, excluded=c.police_certificate_excluded, today=today)
    first_aid = first_aid_check(c.first_aid_date, today=today)
    info = lookup_postcode(c.postcode)
    return {
        "id": c.id, "name": c.name, "phone": format_national(c.phone), "postcode": c.postcode,
        "municipality": ", ".join(info.municipalities) or "—", "max_distance_km": c.max_distance_km,
        "min_age": c.min_age, "max_age": c.max_age, "eldercare": c.eldercare,
        "languages": c.languages or [], "active": c.active, "opted_out": c.opted_out,
        "opted_out_at": c.opted_out_at.astimezone(BERLIN) if c.opted_out_at else None,
        "police": police, "first_aid": first_aid,
    }


def _date_value(value: Any) -> str:
    return value.isoformat() if value else ""


def case_url(case_id: int) -> str | None:
    """Return the link to a case's page when the case pages exist."""
    from flask import current_app

    for endpoint in ("cases.detail", "cases.case", "cases.show"):
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, case_id=case_id)
            except BuildError:
                return None
    return None


def can_edit() -> bool:
    """Return True when the signed-in user may change caregivers."""
    return bool(getattr(current_user, "is_lead", False))


@bp.app_context_processor
def _caregiver_helpers() -> dict[str, Any]:
    labels = {
        "valid": _("gültig"), "expiring": _("läuft bald ab"), "expired": _("abgelaufen"),
        "missing": _("fehlt"), "excluded": _("Ausschluss"),
    }
    reasons = {"holiday": _("Urlaub"), "sick": _("krank"), "other": _("Sonstiges")}
    # Offers and cases in the same words as the case page (the shared vocabulary).
    answers = {value: offer_status_label(value) for value in OFFER_STATUS}
    statuses = {value: status_label(value) for value in CASE_STATUS}
    return {"caregivers_can_edit": can_edit, "check_labels": labels, "reason_labels": reasons,
            "answer_labels": answers, "case_status_labels": statuses, "case_url": case_url}
