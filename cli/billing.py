"""`flask --app app billing ...`: the monthly billing run and the accounting export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app

from billing.employers import billing_month
from billing.exports import accounting_csv, invoice_csv_for, statement_csv
from billing.invoice_pdf import invoice_pdf, unicode_font_available
from billing.run import find_invoices, find_statements, run_billing
from billing.tariffs import BillingError
from cli.params import MONTH
from core.clock import BERLIN
from core.container import current_services
from core.formats import euro_de
from models import Employer


@click.group("billing", help="Abrechnung: Monatslauf, Rechnungen, Buchhaltungsexport / billing.")
def group() -> None:
    """Billing commands."""


def _previous_month() -> str:
    today = current_services().clock.now().astimezone(BERLIN).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def _check_month(month: str | None) -> str:
    month = month or _previous_month()
    try:
        month = billing_month(month)
    except BillingError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from exc
    return month


@group.command("run")
@click.option("--month", type=MONTH, help="Monat JJJJ-MM (Standard: der Vormonat) / month to bill.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Ordner für PDFs und CSVs (Standard: instance/billing/JJJJ-MM).",
)
def run_command(month: str | None, output_dir: Path | None) -> None:
    """Bill a month once (a re-run changes nothing) and write its invoices and statements as files."""
    month = _check_month(month)
    services = current_services()
    now = services.clock.now()
    files: dict[str, bytes] = {}
    try:
        with services.database.unit_of_work() as session:
            report = run_billing(session, month=month, now=now, unit_minutes=services.settings.billing_unit_minutes)
            for invoice in find_invoices(session, month=month):
                files[f"Rechnung-{invoice.number}.pdf"] = invoice_pdf(invoice)
                files[f"Rechnung-{invoice.number}.csv"] = invoice_csv_for(session, invoice).encode("utf-8")
            for statement in find_statements(session, month=month):
                employer = session.get_one(Employer, statement.employer_id)
                files[f"Abrechnung-{statement.number}.csv"] = statement_csv(statement, employer).encode("utf-8")
            files[f"Buchhaltung-{month}.csv"] = accounting_csv(session, month=month).encode("utf-8")
    except BillingError as exc:
        raise click.ClickException(str(exc)) from exc

    # Files only after the commit: a run that rolled back leaves no invoice behind.
    folder = output_dir or Path(current_app.instance_path) / "billing" / month
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)

    if report.already_run:
        click.echo(f"Monat {month} wurde schon am {report.ran_at.astimezone(BERLIN):%d.%m.%Y %H:%M} abgerechnet; "
                   "nichts geändert. (Already billed; nothing changed.)")
    else:
        click.echo(f"Monat {month} abgerechnet. (Month billed.)")
    click.echo(f"Rechnungen: {len(report.invoices)}, zusammen {euro_de(report.invoiced_total)}")
    for billed in report.invoices:
        click.echo(f"  {billed.number}  {euro_de(billed.total):>12}  {billed.lines} Position(en)  {billed.recipient}")
    click.echo(f"Arbeitgeber-Abrechnungen: {len(report.statements)}, Entgelte zusammen {euro_de(report.fees_total)}")
    for stated in report.statements:
        anteilig = " (anteilig)" if stated.prorated else ""
        click.echo(f"  {stated.number}  {euro_de(stated.fee):>12}{anteilig}  {stated.employer} "
                   f"({stated.contract_number}): {stated.cases} Fälle, "
                   f"{str(stated.care_hours).replace('.', ',')} Std.")
    if report.flagged:
        click.echo(f"Nicht abgerechnet, bitte prüfen: {len(report.flagged)} Betreuungszeit(en)")
        for flagged in report.flagged:
            day = f"{flagged.day:%d.%m.%Y}" if flagged.day else "-"
            click.echo(f"  Fall {flagged.case_reference}  {day}  {flagged.flag}  (Sitzung {flagged.care_session_id})")
    else:
        click.echo("Keine offenen Betreuungszeiten. (No flagged sessions.)")
    if not unicode_font_available():
        click.echo("Hinweis: DejaVu Sans fehlt (fonts-dejavu-core); PDFs in Helvetica, Latin-1.", err=True)
    click.echo(f"Dateien: {folder}")


@group.command("export")
@click.option("--month", type=MONTH, help="Monat JJJJ-MM (Standard: der Vormonat) / month to export.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Datei statt Standardausgabe.")
def export_command(month: str | None, output: Path | None) -> None:
    """Print (or write) the accounting export of a billed month: `;`-separated, UTF-8 with BOM."""
    month = _check_month(month)
    services = current_services()
    with services.database.unit_of_work() as session:
        text = accounting_csv(session, month=month)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(text.encode("utf-8"))
    click.echo(f"Buchhaltungsexport {month}: {output}")
