"""An invoice as a PDF (fpdf2), in German, with what a family needs to claim childcare costs for tax.

Layout (DIN 5008-like): the sender line, the recipient, invoice number, date and service period, a
table of the care sessions (day, service, hours, tariff, rate, amount), the total, how to pay, and
the tax notes: the amount is for childcare services (Kinderbetreuungskosten, § 10 Abs. 1 Nr. 5
EStG), it is deductible only when paid by bank transfer (not cash), the name of the care service,
and the days the children were cared for.

Font: DejaVu Sans (Debian's fonts-dejavu-core) when it is installed, so every name prints as
written; fpdf2 ships no font of its own. Without it (a bare CI machine) the PDF uses the core font
Helvetica, and the text is reduced to Latin-1 ("€" becomes "EUR", "–" becomes "-").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import object_session

from billing.exports import PAYMENT_DAYS, decimal_de
from core.formats import date_de, euro_de
from models import Invoice, InvoiceLine

#: Where Debian's fonts-dejavu-core puts DejaVu Sans.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"

#: The sender, as it appears in the letterhead.
ISSUER = "Landeshauptstadt Hannover – Fluxx"
ISSUER_LINES = (
    "Landeshauptstadt Hannover – Fluxx",
    "Hannoversche Notfallbetreuung",
    "Familienmanagement",
    "Trammplatz 2, 30159 Hannover",
)
#: The care service named for the tax office (who provided the childcare).
SERVICE_NAME = "Fluxx – Hannoversche Notfallbetreuung der Landeshauptstadt Hannover"
#: The city treasury's account; set before the first real invoice (None prints a neutral sentence).
PAYEE = "Stadtkasse Hannover"
IBAN: str | None = None
BIC: str | None = None
VAT_NOTE = "Die Leistung ist nach § 4 Nr. 25 UStG von der Umsatzsteuer befreit."
TAX_NOTE_CHILDCARE = (
    "Hinweis für die Steuererklärung: Der Rechnungsbetrag betrifft Kinderbetreuungsleistungen "
    "(Kinderbetreuungskosten nach § 10 Abs. 1 Nr. 5 EStG). Die Kosten sind nur absetzbar, wenn Sie "
    "den Betrag per Überweisung auf das Konto des Leistungserbringers zahlen; Barzahlungen werden vom "
    "Finanzamt nicht anerkannt. Bitte bewahren Sie diese Rechnung und den Kontoauszug auf."
)
TAX_NOTE_ELDERCARE = (
    "Die Betreuung von Angehörigen ist eine Pflege- und Betreuungsleistung im Haushalt (§ 35a Abs. 2 "
    "EStG); auch sie ist nur bei Zahlung per Überweisung steuerlich begünstigt."
)

_LATIN1_LOOKALIKES = {
    "€": "EUR", "–": "-", "—": "-", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "…": "...",
    "\u00a0": " ", "\u202f": " ", "ı": "i", "İ": "I", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE",
}


def unicode_font_available(font_dir: Path | None = FONT_DIR) -> bool:
    """Return True when DejaVu Sans (regular and bold) is installed in `font_dir`."""
    return font_dir is not None and (font_dir / FONT_REGULAR).is_file() and (font_dir / FONT_BOLD).is_file()


def to_latin1(text: str) -> str:
    """Return text the core PDF fonts can print: close Latin-1 spellings, "?" for the rest."""
    out = []
    for ch in text:
        if ch in _LATIN1_LOOKALIKES:
            out.append(_LATIN1_LOOKALIKES[ch])
            continue
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


class _InvoiceDocument(FPDF):
    """An A4 page with a footer naming the invoice and the page."""

    def __init__(self, *, number: str, unicode_font: bool, font_dir: Path | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.number = number
        self.unicode_font = unicode_font
        if unicode_font and font_dir is not None:
            self.add_font("DejaVu", "", str(font_dir / FONT_REGULAR))
            self.add_font("DejaVu", "B", str(font_dir / FONT_BOLD))
            self.family_name = "DejaVu"
        else:
            self.family_name = "Helvetica"
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)

    def text_of(self, text: str) -> str:
        """Return text as the chosen font can print it."""
        return text if self.unicode_font else to_latin1(text)

    def use(self, size: float, *, bold: bool = False) -> None:
        """Set the font size and weight."""
        self.set_font(self.family_name, "B" if bold else "", size)

    def line_of(self, text: str, *, h: float = 5, w: float = 0, align: str = "L") -> None:
        """Write one line and move to the next."""
        self.cell(w, h, self.text_of(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, *, h: float = 4.5) -> None:
        """Write a wrapped paragraph."""
        self.multi_cell(0, h, self.text_of(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        """Print the invoice number and the page on every page."""
        self.set_y(-15)
        self.use(8)
        self.cell(0, 5, self.text_of(f"{ISSUER} · Rechnung {self.number} · Seite {self.page_no()}/{{nb}}"),
                  align="C")


def invoice_pdf(
    invoice: Invoice,
    lines: Sequence[InvoiceLine] | None = None,
    *,
    font_dir: Path | None = FONT_DIR,
) -> bytes:
    """Return an invoice as PDF bytes (German layout, tax notes); lines are loaded when not given."""
    if lines is None:
        from billing.run import find_invoice_lines

        session = object_session(invoice)
        if session is None:
            raise ValueError("give the invoice's lines, or an invoice attached to a session")
        lines = find_invoice_lines(session, invoice=invoice)
    lines = sorted(lines, key=lambda line: (line.service_date, line.id or 0))
    pdf = _InvoiceDocument(number=invoice.number, unicode_font=unicode_font_available(font_dir), font_dir=font_dir)
    pdf.set_title(f"Rechnung {invoice.number}")
    pdf.set_subject(f"Fluxx Rechnung {invoice.number} {invoice.month}")
    pdf.set_author("Landeshauptstadt Hannover - Fluxx")
    pdf.set_creator("Fluxx")
    pdf.set_creation_date(invoice.created_at)
    pdf.alias_nb_pages()
    pdf.add_page()

    # Letterhead: the sender on the right, the return line above the address window.
    pdf.use(9)
    for text in ISSUER_LINES:
        pdf.line_of(text, h=4.5, align="R")
    pdf.set_y(45)
    pdf.use(7)
    pdf.line_of(f"{ISSUER_LINES[0]} · {ISSUER_LINES[-1]}", h=4)
    pdf.use(11)
    pdf.line_of(invoice.recipient_name)
    for part in (invoice.recipient_address or "").split(","):
        if part.strip():
            pdf.line_of(part.strip())

    # The invoice's facts.
    days = [line.service_date for line in lines]
    period = f"{date_de(min(days))} – {date_de(max(days))}" if days else invoice.month
    pdf.set_y(85)
    pdf.use(10)
    for label, value in (
        ("Rechnungsnummer", invoice.number),
        ("Rechnungsdatum", date_de(invoice.issued_on)),
        ("Leistungszeitraum", period),
    ):
        pdf.cell(45, 5, pdf.text_of(label))
        pdf.line_of(value)
    pdf.ln(4)
    pdf.use(14, bold=True)
    pdf.line_of(f"Rechnung Nr. {invoice.number}", h=8)
    pdf.use(10)
    pdf.paragraph(
        "Für die Notfallbetreuung durch Fluxx berechnen wir Ihnen je angefangene Stunde zum am "
        "Betreuungstag gültigen Stundensatz:"
    )
    pdf.ln(2)

    # The table of care sessions.
    widths = (22, 78, 16, 18, 18, 18)
    header = ("Datum", "Leistung", "Std.", "Tarif", "Satz", "Betrag")
    pdf.use(9, bold=True)
    for width, text, align in zip(widths, header, ("L", "L", "R", "L", "R", "R"), strict=True):
        pdf.cell(width, 6, pdf.text_of(text), border="B", align=align)
    pdf.ln(6)
    pdf.use(9)
    for line in lines:
        cells = (
            date_de(line.service_date),
            line.description,
            decimal_de(line.hours),
            line.tariff_code,
            decimal_de(line.hourly_rate),
            decimal_de(line.amount),
        )
        for width, text, align in zip(widths, cells, ("L", "L", "R", "L", "R", "R"), strict=True):
            text = pdf.text_of(text)
            while pdf.get_string_width(text) > width - 1 and len(text) > 4:
                text = text[:-2] + "…" if pdf.unicode_font else text[:-4] + "..."
            pdf.cell(width, 5.5, text, align=align)
        pdf.ln(5.5)
    pdf.use(10, bold=True)
    pdf.cell(sum(widths[:-1]), 7, pdf.text_of("Gesamtbetrag"), border="T")
    pdf.cell(widths[-1], 7, pdf.text_of(euro_de(invoice.total)), border="T", align="R")
    pdf.ln(10)

    # How to pay, and what the tax office needs.
    pdf.use(9)
    account = f"IBAN {IBAN}" + (f", BIC {BIC}" if BIC else "") if IBAN else "das in der Zahlungsaufforderung genannte Konto"
    pdf.paragraph(
        f"Bitte überweisen Sie den Betrag innerhalb von {PAYMENT_DAYS} Tagen an die {PAYEE} "
        f"({account}) und geben Sie als Verwendungszweck die Rechnungsnummer {invoice.number} an. "
        "Barzahlung ist nicht möglich."
    )
    pdf.ln(2)
    descriptions = " ".join(line.description for line in lines)
    if not lines or "Kinderbetreuung" in descriptions:
        pdf.paragraph(TAX_NOTE_CHILDCARE)
        pdf.ln(1)
    if "Angehörige" in descriptions:
        pdf.paragraph(TAX_NOTE_ELDERCARE)
        pdf.ln(1)
    pdf.paragraph(f"Leistungserbringer: {SERVICE_NAME}.")
    care_days = ", ".join(date_de(day) for day in sorted(set(days))) or "-"
    pdf.paragraph(f"Betreuungstage: {care_days}.")
    pdf.paragraph(VAT_NOTE)
    return bytes(pdf.output())
