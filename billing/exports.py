"""CSV files: one invoice's lines, one employer statement, and the city's accounting export.

Every CSV here is what German Excel opens without a dialogue: `;` between fields, a decimal comma,
dates as DD.MM.YYYY, UTF-8 with a byte order mark, CRLF line ends. The accounting export's columns
are documented in docs/accounting-export.md; its account and cost centre are the constants below,
to be agreed with the city's treasury (Stadtkasse) before the first real export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.employers import month_bounds
from billing.run import find_invoice_lines, find_invoices, find_statements
from core.clock import BERLIN
from core.csvexport import export_csv
from models import Employer, EmployerStatement, Invoice, InvoiceLine

#: Document types in the accounting export.
DOC_INVOICE = "RE"
DOC_STATEMENT = "AG"
#: The cost centre (Kostenstelle) every Fluxx document is booked on.
COST_CENTRE = "51FLUXX"
#: Revenue accounts (Sachkonto): families' hourly charges, and partner employers' contract fees.
ACCOUNT_FAMILIES = "4411000"
ACCOUNT_EMPLOYERS = "4412000"
#: Days until an invoice or statement is due.
PAYMENT_DAYS = 14
CURRENCY = "EUR"

ACCOUNTING_COLUMNS = (
    "Belegart",
    "Belegnummer",
    "Belegdatum",
    "Faellig",
    "Leistungszeitraum",
    "Debitor",
    "Debitor_Referenz",
    "Anschrift",
    "Betrag",
    "Waehrung",
    "Kostenstelle",
    "Sachkonto",
    "Buchungstext",
)
INVOICE_COLUMNS = ("Rechnungsnummer", "Datum", "Leistung", "Stunden", "Tarif", "Stundensatz", "Betrag")
STATEMENT_COLUMNS = (
    "Belegnummer", "Monat", "Arbeitgeber", "Vertragsnummer", "Entgelt", "anteilig", "Faelle", "Betreuungsstunden",
)


def decimal_de(value: Decimal, *, places: int = 2) -> str:
    """Return a number with a decimal comma and no thousands separator, "1234,50" (the CSV files' shape)."""
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(quantum):f}".replace(".", ",")


def date_de(day: date) -> str:
    """Return a date as DD.MM.YYYY, as the CSV files write it (display: core.formats.date_de)."""
    return day.strftime("%d.%m.%Y")


#: Columns the program fills in a fixed shape; every other column is free text and neutralised.
ACCOUNTING_CODED = (
    "Belegart", "Belegnummer", "Belegdatum", "Faellig", "Leistungszeitraum", "Betrag", "Waehrung", "Kostenstelle",
    "Sachkonto",
)
INVOICE_CODED = ("Rechnungsnummer", "Datum", "Stunden", "Tarif", "Stundensatz", "Betrag")
STATEMENT_CODED = ("Belegnummer", "Monat", "Entgelt", "anteilig", "Faelle", "Betreuungsstunden")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], *, coded: Sequence[str] = ()) -> str:
    """Return a `;`-separated CSV with a BOM, as Excel in Germany expects it (core.csvexport)."""
    return export_csv(header, rows, coded=coded)


def invoice_csv(invoice: Invoice, lines: Sequence[InvoiceLine]) -> str:
    """Return one invoice's lines as CSV (with a last row carrying the total)."""
    rows: list[Sequence[object]] = [
        (
            invoice.number,
            date_de(line.service_date),
            line.description,
            decimal_de(line.hours),
            line.tariff_code,
            decimal_de(line.hourly_rate),
            decimal_de(line.amount),
        )
        for line in lines
    ]
    rows.append((invoice.number, date_de(invoice.issued_on), "Gesamtbetrag", "", "", "", decimal_de(invoice.total)))
    return write_csv(INVOICE_COLUMNS, rows, coded=INVOICE_CODED)


def statement_csv(statement: EmployerStatement, employer: Employer) -> str:
    """Return an employer's statement as a one-row CSV (anonymous: counts and hours only)."""
    return write_csv(
        STATEMENT_COLUMNS,
        [
            (
                statement.number,
                statement.month,
                employer.name,
                employer.contract_number,
                decimal_de(statement.fee),
                "ja" if statement.prorated else "nein",
                statement.cases,
                decimal_de(statement.care_hours),
            )
        ],
        coded=STATEMENT_CODED,
    )


def accounting_rows(session: Session, *, month: str) -> list[tuple[object, ...]]:
    """Return the accounting export's rows for a month: invoices first, then statements, by number."""
    month_bounds(month)  # refuses a malformed month
    period = f"{month[5:]}/{month[:4]}"
    rows: list[tuple[object, ...]] = []
    for invoice in find_invoices(session, month=month):
        debtor_ref = f"F{invoice.family_id}" if invoice.family_id is not None else f"C{invoice.case_id}"
        rows.append(
            (
                DOC_INVOICE,
                invoice.number,
                date_de(invoice.issued_on),
                date_de(_due(invoice.issued_on)),
                period,
                invoice.recipient_name,
                debtor_ref,
                invoice.recipient_address or "",
                decimal_de(invoice.total),
                CURRENCY,
                COST_CENTRE,
                ACCOUNT_FAMILIES,
                f"Fluxx Betreuung {period}",
            )
        )
    employers = {e.id: e for e in session.scalars(select(Employer))}
    for statement in find_statements(session, month=month):
        employer = employers[statement.employer_id]
        issued = statement.created_at.astimezone(BERLIN).date()
        rows.append(
            (
                DOC_STATEMENT,
                statement.number,
                date_de(issued),
                date_de(_due(issued)),
                period,
                employer.name,
                employer.contract_number,
                "",
                decimal_de(statement.fee),
                CURRENCY,
                COST_CENTRE,
                ACCOUNT_EMPLOYERS,
                f"Fluxx Rahmenvertrag {employer.contract_number} {period}" + (" anteilig" if statement.prorated else ""),
            )
        )
    return rows


def accounting_csv(session: Session, *, month: str) -> str:
    """Return the city's accounting export of a month: one row per invoice and employer statement."""
    return write_csv(ACCOUNTING_COLUMNS, accounting_rows(session, month=month), coded=ACCOUNTING_CODED)


def invoice_csv_for(session: Session, invoice: Invoice) -> str:
    """Return an invoice's CSV, loading its lines."""
    return invoice_csv(invoice, find_invoice_lines(session, invoice=invoice))


def _due(issued: date) -> date:
    return issued + timedelta(days=PAYMENT_DAYS)
