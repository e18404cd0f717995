"""Reports for the model project: the figures page with charts, and the CSV export (every signed-in user).

The figures, their definitions and the small-cell suppression live in reports/; this module parses
the period, reads the report in one unit of work, and puts German words and charts around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from core.container import current_services
from dashboard import error_text
from dashboard.words import (
    caller_language_label,
    caller_type_label,
    care_type_label,
    reason_label,
    urgency_label,
)
from reports import (
    ALL,
    UNKNOWN,
    WAIT_BUCKETS,
    WHOLE_PERIOD,
    Bar,
    Period,
    Report,
    ReportError,
    bar_chart,
    compile_report,
    default_period,
    hbar_chart,
    line_chart,
    parse_period,
    present,
    report_csv,
    report_filename,
    shown_histogram,
)

bp = Blueprint("reports", __name__, template_folder="templates")


@dataclass(frozen=True)
class Line:
    """One table row on the page: a label and the figures as shown (suppressed where small)."""

    label: str
    shown: dict[str, str]


def month_label(month: str, *, short: bool = False) -> str:
    """Return a month in words: "Januar 2026", or "Jan. 26" for a chart's axis."""
    names = [_("Januar"), _("Februar"), _("März"), _("April"), _("Mai"), _("Juni"), _("Juli"), _("August"),
             _("September"), _("Oktober"), _("November"), _("Dezember")]
    shorts = [_("Jan."), _("Feb."), _("März"), _("Apr."), _("Mai"), _("Juni"), _("Juli"), _("Aug."),
              _("Sept."), _("Okt."), _("Nov."), _("Dez.")]
    year, number = month.split("-")
    if short:
        return f"{shorts[int(number) - 1]} {year[2:]}"
    return f"{names[int(number) - 1]} {year}"


def value_label(dimension: str, value: str) -> str:
    """Return a breakdown value in words."""
    if value == ALL:
        return _("alle")
    if value == UNKNOWN:
        return _("unbekannt")
    if dimension == "reason":
        return reason_label(value)
    if dimension == "urgency":
        return urgency_label(value)
    if dimension == "care_type":
        return care_type_label(value)
    if dimension == "caller_type":
        return caller_type_label(value)
    if dimension == "language":
        return caller_language_label(value)
    return value  # municipality and employer names are shown as they are


def seconds_text(shown: str) -> str:
    """Return shown whole seconds as "45 s" or "4:05 Min."; "–" when not shown."""
    if not shown:
        return "–"
    seconds = int(shown)
    if seconds < 60:
        return _("%(n)s s", n=seconds)
    return _("%(m)s:%(s)s Min.", m=seconds // 60, s=f"{seconds % 60:02d}")


def _number(text: str) -> float | None:
    """Return a shown number as a float for a chart (None for "<3" and "")."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _lines(report: Report, dimension: str) -> list[Line]:
    return [Line(value_label(dimension, row.value), present(row.figures))
            for row in report.find_rows(dimension=dimension)]


def _bucket_label(lower: int, upper: int | None, *, short: bool = False) -> str:
    if upper is None:
        return _("ab %(n)s", n=lower) if short else _("ab %(h)s Std.", h=lower // 60)
    return f"{lower}–{upper}" if short else _("%(a)s–%(b)s Min.", a=lower, b=upper)


def build_page(report: Report) -> dict[str, Any]:
    """Return what the template shows: words, tables and charts around the report."""
    months = [(m, present(report.get(month=m))) for m in report.period.months]
    month_lines = [Line(month_label(m), shown) for m, shown in months]
    municipalities = _lines(report, "municipality")
    histogram = shown_histogram(report)
    buckets = [Line(_bucket_label(lower, upper), {"filled": text})
               for (lower, upper), text in zip(WAIT_BUCKETS, histogram, strict=True)]
    promise_index = next(i for i, (_lower, upper) in enumerate(WAIT_BUCKETS) if upper == 90)
    calls_chart = bar_chart(
        [Bar(month_label(m, short=True), _number(shown["calls"]), shown["calls"]) for m, shown in months],
        title=_("Anrufe pro Monat"), chart_id="chart-calls",
    )
    municipality_chart = hbar_chart(
        [Bar(line.label, _number(line.shown["calls"]), line.shown["calls"]) for line in municipalities],
        title=_("Anrufe nach Gemeinde"), chart_id="chart-municipalities",
    )
    wait_chart = bar_chart(
        [Bar(_bucket_label(lower, upper, short=True), _number(text), text)
         for (lower, upper), text in zip(WAIT_BUCKETS, histogram, strict=True)],
        title=_("Einsätze nach Minuten vom Anruf bis zur bestätigten Betreuungskraft"),
        chart_id="chart-waits", marker_after=promise_index, marker_label=_("Versprechen: 90 Min."),
    )
    median_chart = line_chart(
        [Bar(month_label(m, short=True), _number(shown["caregiver_median"]),
             shown["caregiver_median"] or "–") for m, shown in months],
        title=_("Median der Zeit bis zur Betreuungskraft pro Monat, in Minuten"), chart_id="chart-median",
        reference=90, reference_label=_("90 Min."),
    )
    return {
        "report": report,
        "total": present(report.get()),
        "months": month_lines,
        "municipalities": municipalities,
        "care_types": _lines(report, "care_type"),
        "reasons": _lines(report, "reason"),
        "urgencies": _lines(report, "urgency"),
        "caller_types": _lines(report, "caller_type"),
        "languages": _lines(report, "language"),
        "employers": [Line(row.value, present(row.figures)) for row in report.employer_rows()],
        "buckets": buckets,
        "charts": {name: Markup(svg) for name, svg in (  # noqa: S704 - built by reports.charts, every text escaped
            ("calls", calls_chart), ("municipalities", municipality_chart), ("waits", wait_chart),
            ("median", median_chart))},
        "seconds_text": seconds_text,
        "first_label": month_label(report.period.first),
        "last_label": month_label(report.period.last),
    }


def _period() -> tuple[Period, str | None]:
    """Return the period asked for, or the default one and the reason the request was refused."""
    now = current_services().clock.now()
    try:
        return parse_period(request.args.get("from"), request.args.get("to"), now=now), None
    except ReportError as exc:
        return default_period(now), error_text(exc)


@bp.get("/reports")
@login_required
def index() -> Any:
    """Show the figures of a period with charts and tables."""
    period, error = _period()
    with current_services().database.unit_of_work() as session:
        report = compile_report(session, period=period)
    status = 400 if error else 200
    return render_template("reports.html", error=error, whole=WHOLE_PERIOD,
                           form_from=request.args.get("from", period.first) if error else period.first,
                           form_to=request.args.get("to", period.last) if error else period.last,
                           **build_page(report)), status


@bp.get("/reports.csv")
@login_required
def export() -> Any:
    """Download the figures of a period as CSV (anonymous aggregates, small cells suppressed)."""
    period, error = _period()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    with current_services().database.unit_of_work() as session:
        report = compile_report(session, period=period)
    response = Response(report_csv(report).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
