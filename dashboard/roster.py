"""The roster pages: the week view with gaps, languages and calendar links; lead-only editing and CSV import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.clock import BERLIN
from core.container import current_services
from core.languages import LANGUAGES
from core.languages import name as language_name
from core.phones import format_national
from dashboard import error_text
from dashboard.auth import lead_required
from dashboard.words import language as ui_language
from models.roster import Shift
from roster import RosterImportError, find_shifts_between, import_roster
from roster.calendar import InvalidFeedPhone, find_feeds, regenerate_feed
from roster.editing import (
    InvalidShift,
    ShiftNotFound,
    ShiftValues,
    add_shift,
    delete_shift,
    require_shift,
    update_shift,
)
from roster.gaps import GAP_HORIZON, find_gaps
from roster.languages import InvalidLanguages, find_languages, set_languages
from roster.service_hours import parse_service_hours

bp = Blueprint("roster", __name__, template_folder="templates")

#: Roster files are small, but larger than a Twilio webhook body (the app-wide limit).
MAX_UPLOAD_BYTES = 1024 * 1024


@dataclass
class Entry:
    """A shift's part on one day, as the week view shows it."""

    shift_id: int
    name: str
    times: str
    role: str
    role_label: str


@dataclass
class Row:
    """One coordinator's line in the week view."""

    phone: str
    phone_display: str
    name: str
    feed_url: str | None
    cells: list[list[Entry]] = field(default_factory=list)
    #: The languages she speaks (codes), as recorded for her number.
    languages: tuple[str, ...] = ()

    @property
    def languages_label(self) -> str:
        """Return her languages by name in the dashboard's language: 'Deutsch, Türkisch'."""
        return ", ".join(language_name(code, ui_language()) for code in self.languages)


@bp.get("/roster")
@login_required
def week() -> Any:
    """Show one ISO week of shifts per coordinator, the gaps of the next 14 days and calendar links."""
    services = current_services()
    now = services.clock.now()
    monday = _monday_of(request.args.get("week", ""), now)
    if monday is None:
        flash(_("Die Woche „%(week)s“ gibt es nicht; hier ist die aktuelle Woche.",
                week=request.args.get("week", "")), "error")
        monday = _monday_of("", now)
        assert monday is not None
    days = [monday + timedelta(days=i) for i in range(7)]
    week_start, week_end = _midnight(days[0]), _midnight(days[-1] + timedelta(days=1))
    hours = parse_service_hours(services.settings.service_hours)
    with services.database.unit_of_work() as s:
        shifts = find_shifts_between(s, start=week_start, end=week_end)
        upcoming = find_shifts_between(s, start=now, end=now + GAP_HORIZON)
        gaps = find_gaps([(x.starts_at, x.ends_at, x.role.value) for x in upcoming], hours=hours,
                         open_on_holidays=services.settings.service_on_holidays, start=now, end=now + GAP_HORIZON)
        rows = _rows(shifts, days)
        spoken = find_languages(s, phones=[r.phone for r in rows])
        for row in rows:
            row.languages = spoken.get(row.phone, ())
        feed_rows = _feed_rows(s, rows)
    by_day = [sorted((e for r in rows for e in r.cells[i]), key=lambda e: (e.times, e.role, e.name))
              for i in range(len(days))]
    gap_cells = [[_clip_label(a, b, day) for a, b in gaps if _clip_label(a, b, day)] for day in days]
    iso = monday.isocalendar()
    return render_template(
        "roster_week.html",
        days=days, day_labels=[_day_label(d) for d in days], rows=rows, by_day=by_day, gap_cells=gap_cells,
        gaps=[_gap_label(a, b) for a, b in gaps], week_number=iso.week, year=iso.year, feed_rows=feed_rows,
        previous_week=_week_param(monday - timedelta(days=7)), next_week=_week_param(monday + timedelta(days=7)),
        this_week=_week_param(_monday_of("", now) or monday), today=now.astimezone(BERLIN).date(),
        languages=[(code, language_name(code, ui_language())) for code in LANGUAGES],
    )


@bp.route("/roster/shifts/new", methods=["GET", "POST"])
@lead_required
def new_shift() -> Any:
    """Add a shift (leads only)."""
    form = _form_values()
    if request.method == "POST":
        services = current_services()
        try:
            with services.database.unit_of_work() as s:
                shift = add_shift(s, values=form)
                target = _week_param(shift.starts_at.astimezone(BERLIN).date())
        except InvalidShift as exc:
            errors = [error_text(e) for e in exc.errors]
            return render_template("roster_shift_form.html", form=form, errors=errors, shift_id=None), 422
        flash(_("Die Schicht wurde eingetragen."), "ok")
        return redirect(url_for("roster.week", week=target))
    return render_template("roster_shift_form.html", form=form, errors=[], shift_id=None)


@bp.route("/roster/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@lead_required
def edit_shift(shift_id: int) -> Any:
    """Change a shift (leads only)."""
    services = current_services()
    if request.method == "POST":
        form = _form_values()
        try:
            with services.database.unit_of_work() as s:
                shift = update_shift(s, shift_id=shift_id, values=form)
                target = _week_param(shift.starts_at.astimezone(BERLIN).date())
        except ShiftNotFound:
            abort(404)
        except InvalidShift as exc:
            return render_template("roster_shift_form.html", form=form, errors=[error_text(e) for e in exc.errors],
                                   shift_id=shift_id), 422
        flash(_("Die Schicht wurde geändert."), "ok")
        return redirect(url_for("roster.week", week=target))
    with services.database.unit_of_work() as s:
        try:
            shift = require_shift(s, shift_id)
        except ShiftNotFound:
            abort(404)
        form = ShiftValues(name=shift.name, phone=format_national(shift.phone), start=_typed_time(shift.starts_at),
                           end=_typed_time(shift.ends_at), role=shift.role.value)
    return render_template("roster_shift_form.html", form=form, errors=[], shift_id=shift_id)


@bp.post("/roster/shifts/<int:shift_id>/delete")
@lead_required
def remove_shift(shift_id: int) -> Any:
    """Delete a shift (leads only)."""
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            target = _week_param(require_shift(s, shift_id).starts_at.astimezone(BERLIN).date())
            delete_shift(s, shift_id=shift_id)
    except ShiftNotFound:
        abort(404)
    flash(_("Die Schicht wurde gelöscht."), "ok")
    return redirect(url_for("roster.week", week=target))


@bp.route("/roster/import", methods=["GET", "POST"])
@lead_required
def upload() -> Any:
    """Import shifts from a CSV file: all lines or none, every error with its line (leads only)."""
    if request.method == "GET":
        return render_template("roster_import.html", errors=[])
    request.max_content_length = MAX_UPLOAD_BYTES
    file = request.files.get("file")
    data = file.read() if file else b""
    if not data:
        return render_template("roster_import.html", errors=[_("Bitte eine CSV-Datei auswählen.")]), 422
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            report = import_roster(s, data=data, now=services.clock.now())
    except RosterImportError as exc:
        errors = [_("Zeile %(line)d: %(message)s", line=e.line, message=error_text(e)) if e.line else error_text(e)
                  for e in exc.errors]
        return render_template("roster_import.html", errors=errors), 422
    flash(_("Import abgeschlossen: %(added)d Schichten eingetragen, %(skipped)d waren schon vorhanden.",
            added=report.added, skipped=report.skipped), "ok")
    if report.languages:
        flash(_("Sprachen von %(n)d Koordinatorinnen gespeichert.", n=report.languages), "ok")
    return redirect(url_for("roster.week"))


@bp.post("/roster/languages")
@lead_required
def save_languages() -> Any:
    """Set the languages a coordinator speaks (they belong to her number, for every shift) (leads only)."""
    services = current_services()
    phone = request.form.get("phone", "")
    try:
        with services.database.unit_of_work() as s:
            set_languages(s, phone=phone, text=";".join(request.form.getlist("languages")),
                          now=services.clock.now())
    except InvalidLanguages:
        abort(400)
    flash(_("Die Sprachen für %(phone)s sind gespeichert.", phone=format_national(phone)), "ok")
    return redirect(url_for("roster.week", week=request.form.get("week") or None))


@bp.post("/roster/feeds")
@lead_required
def renew_feed() -> Any:
    """Create or replace a coordinator's secret calendar link; the old link stops working (leads only)."""
    services = current_services()
    try:
        with services.database.unit_of_work() as s:
            regenerate_feed(s, phone=request.form.get("phone", ""), now=services.clock.now())
    except InvalidFeedPhone:
        abort(400)
    flash(_("Der Kalender-Link für %(phone)s ist neu; der bisherige Link gilt nicht mehr.",
            phone=format_national(request.form.get("phone", ""))), "ok")
    return redirect(url_for("roster.week", week=request.form.get("week") or None))


def _form_values() -> ShiftValues:
    """Return the shift form's values as typed (empty for a new shift)."""
    values = request.form if request.method == "POST" else {}
    return ShiftValues(**{k: values.get(k, "").strip() for k in ("name", "phone", "start", "end", "role")})


def _rows(shifts: list[Shift], days: list[date]) -> list[Row]:
    """Group a week's shifts per coordinator (by phone) and per day."""
    rows: dict[str, Row] = {}
    for shift in shifts:
        row = rows.get(shift.phone)
        if row is None:
            row = rows[shift.phone] = Row(shift.phone, format_national(shift.phone), shift.name, None,
                                          [[] for _ in days])
        for i, day in enumerate(days):
            label = _clip_label(shift.starts_at, shift.ends_at, day, with_day=False)
            if label:
                role = shift.role.value
                row.cells[i].append(Entry(shift.id, shift.name, label, role,
                                          _("Hauptdienst") if role == "primary" else _("Vertretung")))
    return sorted(rows.values(), key=lambda r: (r.name.casefold(), r.phone))


def _clip_label(start: datetime, end: datetime, day: date, *, with_day: bool = False) -> str:
    """Return 'HH:MM–HH:MM' for the part of [start, end) on a Berlin calendar day, or ''."""
    lo, hi = max(start, _midnight(day)), min(end, _midnight(day + timedelta(days=1)))
    if lo >= hi:
        return ""
    end_label = "24:00" if hi == _midnight(day + timedelta(days=1)) else f"{hi.astimezone(BERLIN):%H:%M}"
    return f"{lo.astimezone(BERLIN):%H:%M}–{end_label}"


def _gap_label(start: datetime, end: datetime) -> str:
    """Return a gap as people read it: 'Di 24.11. 16:00–24:00 ohne Hauptdienst'."""
    lo, hi = start.astimezone(BERLIN), end.astimezone(BERLIN)
    if hi.time() == time(0) and hi.date() == lo.date() + timedelta(days=1):
        when = f"{_day_label(lo.date())} {lo:%H:%M}–24:00"
    elif hi.date() == lo.date():
        when = f"{_day_label(lo.date())} {lo:%H:%M}–{hi:%H:%M}"
    elif hi.time() == time(0):
        # Ending at midnight reads as the end of the day before: "Fr 27.11. 00:00 – Sa 28.11. 24:00".
        when = f"{_day_label(lo.date())} {lo:%H:%M} – {_day_label(hi.date() - timedelta(days=1))} 24:00"
    else:
        when = f"{_day_label(lo.date())} {lo:%H:%M} – {_day_label(hi.date())} {hi:%H:%M}"
    return _("%(when)s ohne Hauptdienst", when=when)


def _day_label(day: date) -> str:
    """Return 'Di 24.11.'."""
    names = (_("Mo"), _("Di"), _("Mi"), _("Do"), _("Fr"), _("Sa"), _("So"))
    return f"{names[day.weekday()]} {day:%d.%m.}"


def _midnight(day: date) -> datetime:
    """Return the start of a Berlin calendar day in UTC (midnight always exists in Berlin)."""
    return datetime.combine(day, time(), tzinfo=BERLIN).astimezone(UTC)


def _monday_of(week: str, now: datetime) -> date | None:
    """Return the Monday of an ISO week like '2026-W48' (empty: this week); None when it is no week."""
    if not week:
        today = now.astimezone(BERLIN).date()
        return today - timedelta(days=today.weekday())
    try:
        year, number = week.upper().split("-W")
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return None


def _week_param(day: date) -> str:
    """Return the ISO week of a day as the page's parameter, e.g. '2026-W48'."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _typed_time(at: datetime) -> str:
    """Return a time as a person types it; with its offset when the wall time happens twice."""
    local = at.astimezone(BERLIN)
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() != local.utcoffset():
        return local.isoformat(timespec="minutes")
    return f"{local:%d.%m.%Y %H:%M}"


def _feed_rows(s: Any, rows: list[Row]) -> list[Row]:
    """Return whose calendar links this person may see: a lead all of the week's, anyone else only her own.

    The link is a secret (whoever knows it sees the shifts); a coordinator's own is found by her phone,
    whether or not she has a shift this week.
    """
    if getattr(current_user, "is_lead", False):
        shown = rows
    else:
        mine = getattr(current_user, "phone", None)
        shown = [Row(phone=mine, phone_display=format_national(mine), name=current_user.name, feed_url=None)] \
            if mine else []
    feeds = find_feeds(s, phones=[r.phone for r in shown])
    for row in shown:
        feed = feeds.get(row.phone)
        row.feed_url = _feed_url(feed.token) if feed else None
    return shown


def _feed_url(token: str) -> str:
    """Return the full URL of a calendar feed."""
    base = current_services().settings.public_base_url
    path = url_for("calendar.feed", token=token)
    return base.rstrip("/") + path if base else url_for("calendar.feed", token=token, _external=True)


def can_edit() -> bool:
    """Return True when the signed-in user may change the roster."""
    return bool(getattr(current_user, "is_lead", False))


@bp.app_context_processor
def _roster_helpers() -> dict[str, Any]:
    return {"roster_can_edit": can_edit}
