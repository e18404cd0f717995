"""The roster: shifts, their CSV import, and who is on duty when."""

from core.csvfile import RowError
from roster.demo import load_demo_roster
from roster.importer import (
    ImportReport,
    RosterImportError,
    ShiftRow,
    import_roster,
    parse_roster_csv,
)
from roster.queries import find_on_duty, find_shifts_between, has_any_shift

__all__ = [
    "ImportReport",
    "RosterImportError",
    "RowError",
    "ShiftRow",
    "find_on_duty",
    "find_shifts_between",
    "has_any_shift",
    "import_roster",
    "load_demo_roster",
    "parse_roster_csv",
]
