"""The one CSV writer for every export: reports, billing files, the accounting export, CLI output.

Every file opens in German Excel without a dialogue: `;` between fields, UTF-8 with a byte order
mark, CRLF line ends. A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return, which Excel skips before such a sign) as a formula, so a name typed as
`=HYPERLINK(...)` would run in the office. Every cell is therefore *text* unless its column is
declared *coded* (numbers, dates, document numbers, fixed codes the program produced): a text cell
that starts with one of those characters gets a leading apostrophe, which Excel and LibreOffice
show as text and never evaluate. Coded cells keep their exact shape, so a documented format (the
accounting export) stays byte for byte what the treasury imports.

Nothing else in the code base may use `csv.writer` (tests/unit/test_csv_exports.py checks it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence

BOM = "\ufeff"
DELIMITER = ";"
#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralize(text: str) -> str:
    """Return a free-text value a spreadsheet shows as text: `'` before a formula-like start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, coded: Collection[str] = ()
) -> str:
    """Return a `;`-separated CSV with a BOM; every cell outside the `coded` columns is neutralised.

    `coded` names the columns whose values the program produced in a fixed shape (amounts like
    `-12,50`, dates, numbers, codes); their cells are written exactly. `None` is an empty cell.
    """
    unknown = set(coded) - set(header)
    if unknown:
        raise ValueError(f"coded columns not in the header: {sorted(unknown)}")
    keep = [name in coded for name in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralize(str(name)) for name in header])
    for row in rows:
        cells = ["" if cell is None else str(cell) for cell in row]
        writer.writerow(
            [cell if (i < len(keep) and keep[i]) else neutralize(cell) for i, cell in enumerate(cells)]
        )
    return BOM + buffer.getvalue()
