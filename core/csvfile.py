"""CSV files from the coordination office: decoding, separator, header, line numbers, row errors.

Both importers (roster, caregivers) read German Excel exports: UTF-8 with or without BOM or
Windows-1252 text, `,` or `;` as separator (sniffed from the header), header names in any case
and with stray spaces. Every record keeps the line it starts on in the file, so errors name it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.errors import HotlineError


@dataclass(frozen=True)
class RowError:
    """Why one line of a CSV file was refused: `message` German, `english` beside (as HotlineError)."""

    line: int
    message: str
    english: str = ""

    def text(self, language: str) -> str:
        """Return the reason in `language` ('de' or 'en'); German when there is no English one."""
        return self.english if language == "en" and self.english else self.message

    def __str__(self) -> str:
        """Return the error for people, German first: 'Zeile 4: … / line 4: …'."""
        if self.english:
            return f"Zeile {self.line}: {self.message} / line {self.line}: {self.english}"
        return f"Zeile {self.line}: {self.message}"


class CsvImportError(HotlineError):
    """A CSV file was refused; `errors` names every bad line, nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        """Keep the errors, sorted by line."""
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class CsvRecord:
    """One non-empty record: the line it starts on, and its values by (normalised) column name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    """A decoded file: its separator, header line and columns, and its non-empty records."""

    delimiter: str
    header_line: int
    columns: tuple[str, ...]
    records: tuple[CsvRecord, ...]


def decode_csv_bytes(data: bytes) -> str:
    """Decode UTF-16 with BOM, UTF-8 (with or without BOM), or else each line as UTF-8 or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export; before, its NUL-riddled cp1252 reading claimed every column missing.
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Line by line: a UTF-8 file with one line pasted from a Windows program used to be read wholly as
    # Windows-1252, turning every other line's "Müller" into "MÃ¼ller" without a word.
    lines = data.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True)
    return "".join(_decode_line(line) for line in lines)


def _decode_line(line: bytes) -> str:
    """Decode one line as UTF-8, or as Windows-1252 (German Excel) when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """Return `;` when the header has more semicolons than commas (German Excel), a tab for Excel's
    Unicode text when it has tabs and neither, else `,`."""
    if header_line.count(";") > header_line.count(","):
        return ";"
    if "," not in header_line and "\t" in header_line:
        return "\t"
    return ","


def normalize_column(name: str) -> str:
    """Return a header name as matched: no BOM, trimmed, lower case, inner spaces as `_`."""
    return "_".join(name.strip().lstrip("\ufeff").strip().lower().split())


def read_csv_table(
    data: bytes, *, required: Sequence[str], aliases: Mapping[str, str] | None = None
) -> CsvTable:
    """Decode and split a CSV file; raise CsvImportError when it is empty or lacks a required column.

    `aliases` maps other (normalised) header names to the column they stand for. Values are
    stripped; blank records are skipped but still counted, so line numbers are the file's.
    """
    text = decode_csv_bytes(data)
    nul = text.find("\x00")
    if nul >= 0:
        # A binary file (or UTF-16 without BOM): say so, instead of "columns missing" or, for a NUL
        # inside a value, a database error on PostgreSQL (its text cannot hold NUL).
        line = text.count("\n", 0, nul) + 1
        raise CsvImportError([RowError(
            line,
            "die Datei ist keine CSV-Textdatei (sie enthält Binärdaten); bitte in Excel als CSV (UTF-8) speichern",
            english="the file is not a CSV text file (it contains binary data); save it from Excel as CSV (UTF-8)",
        )])
    header_text = next((line for line in text.splitlines() if line.strip()), None)
    if header_text is None:
        raise CsvImportError([RowError(1, "die Datei ist leer", english="the file is empty")])
    delimiter = sniff_delimiter(header_text)
    aliases = aliases or {}

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: tuple[str, ...] | None = None
    header_line = 0
    records: list[CsvRecord] = []
    previous_end = 0
    for fields in reader:
        # A quoted field may span lines: a record starts on the line after the previous one ended.
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if columns is None:
            columns = tuple(aliases.get(n, n) for n in (normalize_column(f) for f in fields))
            header_line = line
            continue
        values = {col: (fields[i].strip() if i < len(fields) else "") for i, col in enumerate(columns) if col}
        records.append(CsvRecord(line, values))

    assert columns is not None  # the header line is not blank
    missing = [c for c in required if c not in columns]
    if missing:
        names = ", ".join(missing)
        expected = ",".join(required)
        raise CsvImportError(
            [
                RowError(
                    header_line,
                    f"Spalte(n) {names} fehlen in der Kopfzeile; erwartet wird {expected}",
                    english=f"missing column(s) {names} in the header; expected {expected}",
                )
            ]
        )
    return CsvTable(delimiter=delimiter, header_line=header_line, columns=columns, records=tuple(records))
