"""The report as CSV, for the city and the region: anonymous aggregates only.

The file opens in German Excel without a dialogue: `;` between fields, a decimal comma, UTF-8 with
a byte order mark, CRLF line ends. One row per month × dimension × value; the whole period comes
last with the month "gesamt". Small cells are suppressed as on the page (see reports.figures):
"<3" stands for a count of 1 or 2, an empty field for a figure that rests on fewer than 3 cases
(or has no basis at all, e.g. a share of filled cases where no care was sought).

Columns:

| column | meaning |
|---|---|
| Monat | "2026-11", or "gesamt" for the whole period |
| Dimension | gesamt, Gemeinde, Anlass, Dringlichkeit, Betreuungsart, Anrufende, Arbeitgeber, Sprache |
| Auspraegung | the value: "alle", "Hannover", "Kinderbetreuung", "Betreuung von Angehörigen", "Türkisch", … |
| Anrufe | calls (consultations) |
| Anteil_Nacht_Prozent | share of calls arriving 20:00–06:00 Berlin time |
| Anteil_Person_erreicht_Prozent | share of calls in which a coordinator was reached |
| Anteil_Mailbox_Prozent | share of calls that ended on the voicemail without a person |
| Zeit_bis_Person_Median_Sek, Zeit_bis_Person_P90_Sek | call → coordinator bridged, in seconds |
| Betreuung_angefragt | cases dispatched to caregivers (or assigned) |
| Betreuungseinsaetze | cases with a confirmed caregiver |
| Anteil_besetzt_Prozent | Betreuungseinsaetze / Betreuung_angefragt |
| Zeit_bis_Betreuung_Median_Min, Zeit_bis_Betreuung_P90_Min | call → caregiver confirmed, in minutes |
| Anteil_in_90_Min_Prozent | share of care jobs confirmed within 90 minutes of the call |
| Angebote_je_Einsatz | SMS offers sent per care job |
| Betreuungsstunden | care hours (real elapsed time of unflagged sessions that started in the month) |
"""

from __future__ import annotations

from collections.abc import Mapping

from core.csvexport import export_csv
from core.languages import NAMES as LANGUAGE_NAMES
from core.vocabulary import CALLER_TYPE, CARE_TYPE, REASON, URGENCY, Word, word
from core.vocabulary import UNKNOWN as UNKNOWN_WORD
from reports.figures import ALL, SHOWN_FIELDS, TOTAL, UNKNOWN, WHOLE_PERIOD, Report, present

COLUMNS = (
    "Monat",
    "Dimension",
    "Auspraegung",
    "Anrufe",
    "Anteil_Nacht_Prozent",
    "Anteil_Person_erreicht_Prozent",
    "Anteil_Mailbox_Prozent",
    "Zeit_bis_Person_Median_Sek",
    "Zeit_bis_Person_P90_Sek",
    "Betreuung_angefragt",
    "Betreuungseinsaetze",
    "Anteil_besetzt_Prozent",
    "Zeit_bis_Betreuung_Median_Min",
    "Zeit_bis_Betreuung_P90_Min",
    "Anteil_in_90_Min_Prozent",
    "Angebote_je_Einsatz",
    "Betreuungsstunden",
)

#: Figures and months: written exactly; the value column (municipality, employer names) is free text.
CODED = tuple(name for name in COLUMNS if name not in ("Dimension", "Auspraegung"))

DIMENSION_NAMES = {
    TOTAL: "gesamt",
    "municipality": "Gemeinde",
    "reason": "Anlass",
    "urgency": "Dringlichkeit",
    "care_type": "Betreuungsart",
    "caller_type": "Anrufende",
    "employer": "Arbeitgeber",
    "language": "Sprache",
}
#: German words for the coded values: the shared vocabulary, as the dashboard's pages show them.
VALUE_NAMES: dict[str, Mapping[str, Word]] = {
    "care_type": CARE_TYPE,
    "reason": REASON,
    "urgency": URGENCY,
    "caller_type": CALLER_TYPE,
}


def value_name(dimension: str, value: str) -> str:
    """Return a breakdown value in German words, as the CSV writes it."""
    if value == ALL:
        return "alle"
    if value == UNKNOWN:
        return UNKNOWN_WORD.de
    if dimension == "language":
        return LANGUAGE_NAMES[value][0] if value in LANGUAGE_NAMES else value
    return word(VALUE_NAMES.get(dimension, {}), value, "de", default=value) or value


def report_csv(report: Report) -> str:
    """Return the report as a `;`-separated CSV with a BOM: one row per month × dimension × value."""
    rows = []
    for row in report.rows:
        shown = present(row.figures)
        month = "gesamt" if row.month == WHOLE_PERIOD else row.month
        rows.append([month, DIMENSION_NAMES[row.dimension], value_name(row.dimension, row.value),
                     *(shown[name] for name in SHOWN_FIELDS)])
    return export_csv(COLUMNS, rows, coded=CODED)


def report_filename(report: Report) -> str:
    """Return the download's file name, "fluxx-bericht-2026-01-bis-2026-11.csv"."""
    period = report.period
    if period.first == period.last:
        return f"fluxx-bericht-{period.first}.csv"
    return f"fluxx-bericht-{period.first}-bis-{period.last}.csv"
