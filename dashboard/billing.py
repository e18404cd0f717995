"""Billing in the dashboard: the monthly run and its downloads (leads), and the case page's billing
section (any coordinator): the known family, the partner employer, the tariff and the care times.

Downloads are made on request from what the run stored (invoice_pdf, invoice_csv …); URLs carry ids
and months only, never names or numbers of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import record_audit
from billing.admin import (
    find_billing_runs,
    find_employers_valid_on,
    find_tariff_codes,
    preview_flagged,
    set_case_tariff,
    unlink_case_employer,
)
from billing.employers import billing_month, contract_valid_on, link_case_to_employer, month_bounds
from billing.exports import accounting_csv, invoice_csv_for, statement_csv
from billing.families import find_family_phones
from billing.hours import PLAUSIBILITY_FLAGS, billable_minutes, elapsed_minutes, enter_care_times
from billing.invoice_pdf import invoice_pdf
from billing.run import MonthNotOver, billing_report, get_billing_run, run_billing
from billing.tariffs import BillingError, find_tariffs, tariff_code_for, tariff_valid_on
from cases.service import CaseNotFound, require_case
from core.clock import BERLIN
from core.container import current_services
from core.formats import datetime_de, euro_de
from core.inputs import InputError, get_id, with_reading
from core.inputs import parse_local as local_time_to_utc
from core.phones import format_national
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.words import care_flag_label
from models import CareSession, Case, Employer, EmployerStatement, Family, Invoice, User

bp = Blueprint("billing", __name__, template_folder="templates")

# --- words ----------------------------------------------------------------------------------------------


def month_label(month: str) -> str:
    """Return "November 2026" for "2026-11"."""
    names = (
        _("Januar"),
        _("Februar"),
        _("März"),
        _("April"),
        _("Mai"),
        _("Juni"),
        _("Juli"),
        _("August"),
        _("September"),
        _("Oktober"),
        _("November"),
        _("Dezember"),
    )
    return f"{names[int(month[5:]) - 1]} {month[:4]}"



def hours_label(minutes: int) -> str:
    """Return a duration as "3:05 Std."."""
    return _("%(h)d:%(m)02d Std.", h=minutes // 60, m=minutes % 60)


def _local(at: datetime | None) -> str:
    return datetime_de(at) if at else "—"


def _date_time(at: datetime | None) -> tuple[str, str]:
    if at is None:
        return "", ""
    local = at.astimezone(BERLIN)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def parse_local(raw_date: str | None, raw_time: str | None) -> tuple[datetime | None, str | None]:
    """Parse a local date and time (Hannover) into an aware UTC time; return (time, German error)."""
    text_date, text_time = (raw_date or "").strip(), (raw_time or "").strip()
    if not text_date and not text_time:
        return None, None
    if not text_date or not text_time:
        return None, _("Bitte Datum und Uhrzeit angeben.")
    try:
        return local_time_to_utc(text_date, text_time), None
    except InputError as exc:  # also a time the clock change skips or makes happen twice
        return None, error_text(exc)


# --- the case page's section ------------------------------------------------------------------------------


@dataclass
class CarePanel:
    """What the case page's billing section shows."""

    family: dict[str, Any] | None
    employer: dict[str, Any] | None
    employers: list[tuple[int, str, str]]
    codes: list[tuple[str, str, str]]
    chosen_code: str
    effective_code: str
    sessions: list[dict[str, Any]]
    can_add: bool


def case_billing_panel(s: Session, case: Case) -> CarePanel:
    """Return the case page's billing section for a case, read by the case view in its own session
    (not a template global: templates only show what the view read)."""
    today = current_services().clock.now().astimezone(BERLIN).date()
    family = s.get(Family, case.family_id) if case.family_id else None
    employer = s.get(Employer, case.employer_id) if case.employer_id else None
    family_employer = s.get(Employer, family.employer_id) if family and family.employer_id else None
    family_view = None
    if family is not None:
        family_view = {
            "id": family.id,
            "name": family.name,
            "address": family.address,
            "postcode": family.postcode,
            "employer": family_employer.name if family_employer else None,
            "phones": [format_national(p) for p in find_family_phones(s, family=family)],
            "children": [
                f"{c.get('first_name', '')} ({c.get('birth_year', '?')})" for c in family.children or []
            ],
            "pickup_authorised": family.pickup_authorised,
            "notes": family.notes,
        }
    employer_view = None
    if employer is not None:
        employer_view = {
            "id": employer.id,
            "name": employer.name,
            "contract_number": employer.contract_number,
            "valid": contract_valid_on(employer, today),
        }
    tariffs = find_tariffs(s)
    codes = []
    for code, name in find_tariff_codes(s):
        current = tariff_valid_on(tariffs, code=code, day=today)
        codes.append((code, name, euro_de(current.hourly_rate) if current else _("derzeit kein Satz")))
    effective = tariff_code_for(case, family, bool(employer_view and employer_view["valid"]))
    sessions = []
    invoices: dict[int, str] = {}
    rows = list(s.scalars(select(CareSession).where(CareSession.case_id == case.id).order_by(CareSession.id)))
    ids = {r.invoice_id for r in rows if r.invoice_id}
    if ids:
        invoices = dict(s.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))).tuples().all())
    for r in rows:
        minutes = None
        if r.started_at and r.ended_at and elapsed_minutes(r.started_at, r.ended_at) > 0:
            minutes = billable_minutes(
                r.started_at, r.ended_at, unit_minutes=current_services().settings.billing_unit_minutes
            )
        start_date, start_time = _date_time(r.started_at)
        end_date, end_time = _date_time(r.ended_at)
        sessions.append(
            {
                "id": r.id,
                "start": _local(r.started_at),
                "end": _local(r.ended_at) if r.ended_at else (_("läuft") if r.started_at else "—"),
                "billed_hours": hours_label(minutes) if minutes else "—",
                "flag": r.flag,
                "flag_text": care_flag_label(r.flag),
                "confirmable": r.flag in PLAUSIBILITY_FLAGS,
                "source": _("SMS") if r.source == "sms" else _("Koordination"),
                "invoice": invoices.get(r.invoice_id) if r.invoice_id else None,
                "values": {
                    "start_date": start_date,
                    "start_time": start_time,
                    "end_date": end_date,
                    "end_time": end_time,
                },
            }
        )
    return CarePanel(
        family=family_view,
        employer=employer_view,
        employers=[(e.id, e.name, e.contract_number) for e in find_employers_valid_on(s, day=today)],
        codes=codes,
        chosen_code=case.tariff_code or "",
        effective_code=effective,
        sessions=sessions,
        can_add=case.caregiver_id is not None,
    )


@bp.post("/cases/<int:case_id>/employer")
@login_required
def link_employer(case_id: int) -> Any:
    """Link the case to the partner employer the caller named (or remove the link)."""
    services = current_services()
    now = services.clock.now()
    raw = (request.form.get("employer_id") or "").strip()
    with services.database.unit_of_work() as s:
        case = _case_or_404(s, case_id)
        if raw in ("", "none"):
            changed = unlink_case_employer(s, case=case, now=now, by=current_user.username)
            message = _("Der Fall ist mit keinem Partnerunternehmen mehr verknüpft.")
        else:
            today = now.astimezone(BERLIN).date()
            employer_id = get_id(raw)
            employer = s.get(Employer, employer_id) if employer_id is not None else None
            if employer is None or not contract_valid_on(employer, today):
                flash(_("Bitte ein Partnerunternehmen mit gültigem Vertrag wählen."), "error")
                return redirect(url_for("cases.show", case_id=case_id) + "#abrechnung")
            changed = link_case_to_employer(s, case=case, employer=employer, now=now)
            message = _(
                "Verknüpft mit %(name)s: Es gilt der Tarif für Partnerunternehmen.", name=employer.name
            )
    flash(message if changed else _("Keine Änderungen."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#abrechnung")


@bp.post("/cases/<int:case_id>/tariff")
@login_required
def set_tariff(case_id: int) -> Any:
    """Choose the tariff code the case is billed at (empty: worked out automatically)."""
    services = current_services()
    now = services.clock.now()
    code = (request.form.get("tariff_code") or "").strip() or None
    try:
        with services.database.unit_of_work() as s:
            case = _case_or_404(s, case_id)
            changed = set_case_tariff(s, case=case, tariff_code=code, now=now, by=current_user.username)
    except BillingError:
        flash(_("Bitte einen Tarif aus der Liste wählen."), "error")
    else:
        flash(_("Tarif gespeichert.") if changed else _("Keine Änderungen."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#abrechnung")


@bp.post("/cases/<int:case_id>/care-times")
@login_required
def care_times(case_id: int) -> Any:
    """Enter or correct a care session's start and end (and confirm implausible but true times)."""
    services = current_services()
    now = services.clock.now()
    form = request.form
    started_at, start_error = parse_local(form.get("start_date"),
                                          with_reading(form.get("start_time"), form.get("start_time_reading")))
    ended_at, end_error = parse_local(form.get("end_date"), with_reading(form.get("end_time"), form.get("end_time_reading")))
    back = redirect(url_for("cases.show", case_id=case_id) + "#betreuungszeiten")
    if start_error or end_error:
        flash(_("Nicht gespeichert: %(why)s", why=start_error or end_error), "error")
        return back
    if started_at is None:
        flash(_("Nicht gespeichert: Bitte den Beginn der Betreuung eintragen."), "error")
        return back
    raw_id = (form.get("care_session_id") or "").strip()
    try:
        with services.database.unit_of_work() as s:
            case = _case_or_404(s, case_id)
            care = None
            if raw_id:
                care_id = get_id(raw_id)
                care = s.get(CareSession, care_id) if care_id is not None else None
                if care is None or care.case_id != case.id:
                    abort(404)
            elif case.caregiver_id is None:
                flash(_("Nicht gespeichert: Der Fall hat noch keine Betreuungskraft."), "error")
                return back
            saved = enter_care_times(
                s,
                case=case,
                started_at=started_at,
                ended_at=ended_at,
                now=now,
                care_session=care,
                confirmed=form.get("confirmed") == "1",
                entered_by=current_user.username,
            )
            flag = saved.flag
    except BillingError:
        flash(_("Nicht gespeichert: Diese Betreuungszeit ist schon abgerechnet."), "error")
        return back
    if flag:
        flash(_("Gespeichert, aber noch nicht abrechenbar: %(why)s", why=care_flag_label(flag)), "error")
    else:
        flash(_("Betreuungszeit gespeichert."), "success")
    return back


# --- the billing page ----------------------------------------------------------------------------------


def _months(today: date, run_months: set[str], count: int = 12) -> list[str]:
    """Return the current month and the `count` before it, plus any older month that was billed."""
    months = []
    first = today.replace(day=1)
    for _i in range(count + 1):
        months.append(f"{first:%Y-%m}")
        first = (first - timedelta(days=1)).replace(day=1)
    return sorted(set(months) | run_months, reverse=True)


def _previous_month(today: date) -> str:
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


@bp.get("/billing")
@lead_required
def index() -> Any:
    """Show the months with their run status, and a month's invoices, statements and flagged sessions."""
    services = current_services()
    now = services.clock.now()
    today = now.astimezone(BERLIN).date()
    try:
        month = billing_month(request.args.get("month") or _previous_month(today))
        first, last = month_bounds(month)
    except BillingError:
        flash(_("Bitte den Monat als JJJJ-MM angeben, z. B. 2026-11."), "error")
        return redirect(url_for("billing.index"))
    with services.database.unit_of_work() as s:
        runs = {r.month: r.ran_at for r in find_billing_runs(s)}
        run = get_billing_run(s, month=month)
        report = billing_report(s, run=run, now=now, already_run=True) if run else None
        over = today > last
        flagged = report.flagged if report else (preview_flagged(s, month=month, now=now) if over else [])
        months = [
            {
                "month": m,
                "label": month_label(m),
                "ran_at": _local(runs[m]) if m in runs else None,
                "over": today > month_bounds(m)[1],
            }
            for m in _months(today, set(runs))
        ]
    return render_template(
        "billing.html",
        month=month,
        label=month_label(month),
        months=months,
        report=report,
        over=over,
        ran_at=_local(run.ran_at) if run else None,
        flagged=flagged,
        flag_label=care_flag_label,
        billable_from=last + timedelta(days=1),
    )


@bp.post("/billing/run")
@lead_required
def run() -> Any:
    """Bill a finished month once; a second click changes nothing and says so."""
    services = current_services()
    now = services.clock.now()
    try:
        month = billing_month(request.form.get("month") or "")
    except BillingError:
        flash(_("Bitte den Monat als JJJJ-MM angeben, z. B. 2026-11."), "error")
        return redirect(url_for("billing.index"))
    try:
        with services.database.unit_of_work() as s:
            report = run_billing(s, month=month, now=now, unit_minutes=services.settings.billing_unit_minutes)
            record_audit(
                s,
                user=_me(s),
                action="billing_run",
                now=now,
                detail={"month": month, "already_run": report.already_run},
            )
    except MonthNotOver:
        last = month_bounds(month)[1]
        flash(
            _(
                "%(m)s ist noch nicht vorbei; abrechnen ab %(d)s.",
                m=month_label(month),
                d=f"{last + timedelta(days=1):%d.%m.%Y}",
            ),
            "error",
        )
    except BillingError as exc:
        flash(_("Die Abrechnung ging nicht: %(why)s", why=error_text(exc)), "error")
    else:
        if report.already_run:
            flash(
                _(
                    "%(m)s wurde schon am %(at)s abgerechnet; nichts geändert.",
                    m=month_label(month),
                    at=_local(report.ran_at),
                ),
                "success",
            )
        else:
            flash(
                _(
                    "%(m)s abgerechnet: %(n)d Rechnungen, %(k)d Arbeitgeber-Abrechnungen.",
                    m=month_label(month),
                    n=len(report.invoices),
                    k=len(report.statements),
                ),
                "success",
            )
    return redirect(url_for("billing.index", month=month))


@bp.get("/billing/invoices/<int:invoice_id>.pdf")
@lead_required
def invoice_pdf_download(invoice_id: int) -> Any:
    """Return an invoice as PDF, made on request."""
    services = current_services()
    with services.database.unit_of_work() as s:
        invoice = _get_or_404(s, Invoice, invoice_id)
        body, number = invoice_pdf(invoice), invoice.number
        record_audit(
            s,
            user=_me(s),
            action="download_invoice",
            now=services.clock.now(),
            detail={"invoice": invoice.id, "format": "pdf"},
        )
    return _download(body, "application/pdf", f"Rechnung-{number}.pdf", inline=True)


@bp.get("/billing/invoices/<int:invoice_id>.csv")
@lead_required
def invoice_csv_download(invoice_id: int) -> Any:
    """Return an invoice's lines as CSV (German Excel)."""
    services = current_services()
    with services.database.unit_of_work() as s:
        invoice = _get_or_404(s, Invoice, invoice_id)
        body, number = invoice_csv_for(s, invoice), invoice.number
        record_audit(
            s,
            user=_me(s),
            action="download_invoice",
            now=services.clock.now(),
            detail={"invoice": invoice.id, "format": "csv"},
        )
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"Rechnung-{number}.csv")


@bp.get("/billing/statements/<int:statement_id>.csv")
@lead_required
def statement_csv_download(statement_id: int) -> Any:
    """Return a partner employer's statement as CSV."""
    services = current_services()
    with services.database.unit_of_work() as s:
        statement = _get_or_404(s, EmployerStatement, statement_id)
        employer = s.get_one(Employer, statement.employer_id)
        body, number = statement_csv(statement, employer), statement.number
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"Abrechnung-{number}.csv")


@bp.get("/billing/<month>/accounting.csv")
@lead_required
def accounting_download(month: str) -> Any:
    """Return the city's accounting export of a month (docs/accounting-export.md)."""
    try:
        month = billing_month(month)
    except BillingError:
        abort(404)
    services = current_services()
    with services.database.unit_of_work() as s:
        if get_billing_run(s, month=month) is None:
            abort(404)
        body = accounting_csv(s, month=month)
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"Buchhaltung-{month}.csv")


# --- helpers ------------------------------------------------------------------------------------------------


def _download(body: bytes, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        body,
        mimetype=mimetype.split(";")[0],
        content_type=mimetype,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _case_or_404(s: Session, case_id: int) -> Case:
    try:
        return require_case(s, case_id)
    except CaseNotFound:
        abort(404)


def _get_or_404(s: Session, model: type[Any], id_: int) -> Any:
    row = s.get(model, id_) if get_id(id_) is not None else None
    if row is None:
        abort(404)
    return row


def _me(s: Session) -> User | None:
    return s.get(User, int(current_user.get_id()))

