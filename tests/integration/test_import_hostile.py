"""Broken and hostile CSV files for the roster and caregivers imports: a clear report, all rows or none, bounded memory.

Both importers go through core.csvfile, so each broken file is tried on both. The 50,000-row
memory checks run the real imports under tracemalloc on SQLite only: the Python-side peak (parsed
rows and ORM objects) does not depend on the backend, and tracemalloc slows the run several times
(about 30 s of CPU per import; minutes of wall time on a busy machine).
"""

from __future__ import annotations

import codecs
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caregivers import CaregiverImportError, import_caregivers
from core.csvfile import CsvImportError
from models import Caregiver
from models.roster import Shift
from roster import RosterImportError, import_roster

ROSTER_HEADER = "name,phone,start,end,role"
CAREGIVER_HEADER = "name,phone,postcode,max_distance_km,min_age,max_age,languages,eldercare"
ROWS = 50_000
#: tracemalloc peaks measured for 50,000 rows (Nov 2026, Python 3.11, SQLAlchemy 2.0): roster 142 MB,
#: caregivers 241 MB — almost all of it ORM objects held until the flush. Bounds with ~40 % headroom.
MAX_PEAK_ROSTER = 200 * 2**20
MAX_PEAK_CAREGIVERS = 340 * 2**20


def roster_line(i: int, name: str = "") -> str:
    """Return a valid roster line with a distinct phone number."""
    day = 1 + i % 28
    return (f"{name or f'Person {i}'},0151 {10_000_000 + i:08d},2026-11-{day:02d}T08:00,"
            f"2026-11-{day:02d}T16:00,{'primary' if i % 2 else 'backup'}")


def caregiver_line(i: int, name: str = "") -> str:
    """Return a valid caregivers line with a distinct mobile number."""
    return f"{name or f'Betreuerin {i}'},0151 {10_000_000 + i:08d},30159,7.5,0,13,de;en,no"


def csv_text(header: str, lines: list[str]) -> str:
    """Return a CSV file's text: the header, then the lines."""
    return "\n".join([header, *lines]) + "\n"


class Importer:
    """One of the two imports, with what it needs to build files and count what it stored."""

    def __init__(self, name: str, header: str, line: Callable[..., str], model: Any, error: type[CsvImportError],
                 run: Callable[[Session, bytes, Any], Any]) -> None:
        self.name, self.header, self.line, self.model, self.error, self._run = name, header, line, model, error, run

    def run(self, session: Session, data: bytes, clock: Any) -> Any:
        """Import a file's bytes."""
        return self._run(session, data, clock)

    def count(self, session: Session) -> int:
        """Return how many rows the import's table holds."""
        return session.scalar(select(func.count()).select_from(self.model)) or 0

    def names(self, session: Session) -> set[str]:
        """Return the stored names."""
        return set(session.scalars(select(self.model.name)))


IMPORTERS = [
    Importer("roster", ROSTER_HEADER, roster_line, Shift, RosterImportError,
             lambda s, data, clock: import_roster(s, data=data, now=clock.now())),
    Importer("caregivers", CAREGIVER_HEADER, caregiver_line, Caregiver, CaregiverImportError,
             lambda s, data, clock: import_caregivers(s, data=data, now=clock.now())),
]


@pytest.fixture(params=IMPORTERS, ids=lambda i: i.name)
def importer(request: pytest.FixtureRequest) -> Importer:
    """Each import in turn."""
    return request.param


def refused(importer: Importer, session: Session, data: bytes, clock: Any) -> list[str]:
    """Import a file that must be refused; return its errors as text, after checking nothing was stored."""
    before = importer.count(session)
    with pytest.raises(importer.error) as info:
        importer.run(session, data, clock)
    assert importer.count(session) == before
    return [str(e) for e in info.value.errors]


# --- Files that must be refused, with the line and the reason ---


def test_wrong_columns_name_the_header_line_and_the_missing_columns(importer: Importer, session: Session,
                                                                    clock: Any) -> None:
    data = b"\n\nName;Telefon;Von;Bis\nx;y;z;w\n"
    [error] = refused(importer, session, data, clock)
    assert error.startswith("Zeile 3:") and "line 3: missing column(s)" in error
    assert "phone" in error


def test_an_empty_file_is_refused(importer: Importer, session: Session, clock: Any) -> None:
    for data in (b"", b"\n\r\n  \n", codecs.BOM_UTF8):
        assert refused(importer, session, data, clock) == [
            "Zeile 1: die Datei ist leer / line 1: the file is empty"]


def test_a_header_only_file_imports_nothing_and_says_so(importer: Importer, session: Session, clock: Any) -> None:
    report = importer.run(session, (importer.header + "\r\n").encode(), clock)
    assert importer.count(session) == 0
    assert sum(vars(report).values()) == 0


def test_a_binary_file_is_refused_as_not_csv(importer: Importer, session: Session, clock: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    for data in (png, bytes(range(256)) * 40):
        [error] = refused(importer, session, data, clock)
        assert "not a CSV text file" in error and "keine CSV-Textdatei" in error


def test_a_nul_inside_a_value_is_refused_naming_its_line(importer: Importer, session: Session,
                                                         clock: Any) -> None:
    # PostgreSQL text cannot hold NUL: this used to fail at the flush with a database error.
    data = csv_text(importer.header, [importer.line(1), importer.line(2, name="Ann\x00a")]).encode()
    [error] = refused(importer, session, data, clock)
    assert error.startswith("Zeile 3:") and "line 3: the file is not a CSV text file" in error


def test_a_utf16_file_without_bom_is_refused_not_misread(importer: Importer, session: Session,
                                                         clock: Any) -> None:
    data = csv_text(importer.header, [importer.line(1)]).encode("utf-16-le")
    [error] = refused(importer, session, data, clock)
    assert "not a CSV text file" in error


def test_one_bad_line_among_many_imports_nothing_and_names_the_line(importer: Importer, session: Session,
                                                                    clock: Any) -> None:
    lines = [importer.line(i) for i in range(2_000)]
    lines[1_234] = lines[1_234].replace("0151 ", "0151 x")
    errors = refused(importer, session, csv_text(importer.header, lines).encode(), clock)
    assert len(errors) == 1 and errors[0].startswith("Zeile 1236:") and "line 1236: invalid phone number" in errors[0]


def test_duplicates_within_a_file(importer: Importer, session: Session, clock: Any) -> None:
    data = csv_text(importer.header, [importer.line(1), importer.line(2), importer.line(1)]).encode()
    if importer.name == "caregivers":
        # A caregiver twice is a mistake in the office's list: refused, both lines named.
        [error] = refused(importer, session, data, clock)
        assert "line 4: phone number 01511 0000001 is already on line 2" in error
    else:
        # The same shift twice is the same shift: stored once, the repeat counted as skipped.
        report = importer.run(session, data, clock)
        assert (report.added, report.skipped) == (2, 1)
        assert importer.count(session) == 2


def test_many_bad_lines_are_all_reported_in_line_order(importer: Importer, session: Session, clock: Any) -> None:
    lines = [importer.line(i) for i in range(50)]
    for i in (40, 3, 17):
        lines[i] = lines[i].replace(",0151 ", ",")
    errors = refused(importer, session, csv_text(importer.header, lines).encode(), clock)
    assert [e.split(":")[0] for e in errors] == ["Zeile 5", "Zeile 19", "Zeile 42"]


# --- Encodings that must be read correctly ---


def test_a_utf8_file_with_one_windows_1252_line_keeps_every_name(importer: Importer, session: Session,
                                                                  clock: Any) -> None:
    # One line pasted from a Windows program into a UTF-8 file: before, the whole file was read as
    # Windows-1252 and "Jörg Müller" was stored as "JÃ¶rg MÃ¼ller".
    data = (codecs.BOM_UTF8 + csv_text(importer.header, [importer.line(1, name="Jörg Müller")]).encode()
            + (importer.line(2, name="Anke Wöhler") + "\r\n").encode("cp1252"))
    importer.run(session, data, clock)
    assert importer.names(session) == {"Jörg Müller", "Anke Wöhler"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "cp1252", "utf-8-sig"])
def test_whole_files_in_other_encodings(importer: Importer, session: Session, clock: Any, encoding: str) -> None:
    text = csv_text(importer.header, [importer.line(1, name="Öznur Çelik"), importer.line(2, name="Łukasz")])
    if encoding == "cp1252":
        text = text.replace("Ł", "L")  # cp1252 has no Ł
    data = (codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b"") + text.encode(encoding)
    importer.run(session, data, clock)
    assert "Öznur Çelik" in importer.names(session)


def test_excel_unicode_text_export_is_read(importer: Importer, session: Session, clock: Any) -> None:
    # Excel's "Unicode text": UTF-16 with BOM, tab-separated, CRLF.
    text = csv_text(importer.header, [importer.line(1, name="Öznur Çelik")]).replace(",", "\t")
    importer.run(session, text.replace("\n", "\r\n").encode("utf-16"), clock)
    assert importer.names(session) == {"Öznur Çelik"}


# --- 50,000 rows ---


def test_fifty_thousand_rows_with_one_bad_line_at_the_end_import_nothing(importer: Importer, session: Session,
                                                                         clock: Any) -> None:
    lines = [importer.line(i) for i in range(ROWS)]
    lines[-1] = lines[-1].replace(",0151 ", ",12")
    errors = refused(importer, session, csv_text(importer.header, lines).encode(), clock)
    assert len(errors) == 1 and errors[0].startswith(f"Zeile {ROWS + 1}:")


# A memory test, not a time test: 50,000 rows under tracemalloc take about 35 s of CPU, and under make test's
# coverage tracing about twice that, past the default 60 s timeout.
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("name", "bound"), [pytest.param("roster", MAX_PEAK_ROSTER, id="roster"),
                                             pytest.param("caregivers", MAX_PEAK_CAREGIVERS, id="caregivers")])
def test_fifty_thousand_rows_import_in_bounded_memory(session: Session, backend: str, clock: Any, name: str,
                                                      bound: int) -> None:
    if backend != "sqlite":
        pytest.skip("the Python-side peak does not depend on the backend; measured once, on SQLite")
    importer = next(i for i in IMPORTERS if i.name == name)
    data = csv_text(importer.header, [importer.line(i) for i in range(ROWS)]).encode()
    tracemalloc.start()
    try:
        importer.run(session, data, clock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert importer.count(session) == ROWS
    assert peak < bound, f"{name}: peak {peak / 2**20:.0f} MB for {ROWS} rows"
