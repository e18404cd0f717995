"""Shifts changed by hand: add, edit, delete — checked exactly like a line of the roster CSV.

The values come as a person typed them (phone in any German notation, start and end as Berlin
wall-clock times `2026-11-24T16:00` or `24.11.2026 16:00`, or with an explicit offset for the
night the clocks go back). Nothing here commits; the caller's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.csvfile import CsvRecord, RowError
from core.errors import HotlineError
from core.inputs import get_id
from models.roster import Shift
from roster.importer import ShiftRow, _parse_row


class ShiftNotFound(HotlineError):
    """No shift has this id."""


class InvalidShift(HotlineError):
    """A shift that cannot be stored; `errors` names every reason (English and German)."""

    def __init__(self, errors: list[RowError]) -> None:
        """Keep the reasons."""
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors), english="; ".join(e.text("en") for e in errors))

    @property
    def messages_de(self) -> list[str]:
        """Return the reasons in German."""
        return [e.message for e in self.errors]


@dataclass(frozen=True)
class ShiftValues:
    """A shift as typed into the form."""

    name: str
    phone: str
    start: str
    end: str
    role: str


def parse_shift(values: ShiftValues) -> ShiftRow:
    """Check typed shift values as strictly as a CSV line; raise InvalidShift naming every problem."""
    record = CsvRecord(
        line=0,
        values={"name": values.name, "phone": values.phone, "start": values.start, "end": values.end,
                "role": values.role},
    )
    row, errors = _parse_row(record)
    if errors or row is None:
        raise InvalidShift(errors)
    return row


def require_shift(session: Session, shift_id: int) -> Shift:
    """Return the shift with this id; raise ShiftNotFound when there is none."""
    shift = session.get(Shift, shift_id) if get_id(shift_id) is not None else None
    if shift is None:
        raise ShiftNotFound(f"no shift with id {shift_id}")
    return shift


def add_shift(session: Session, *, values: ShiftValues) -> Shift:
    """Add a shift; raise InvalidShift when a value is wrong or the same shift exists; flush."""
    row = parse_shift(values)
    _refuse_duplicate(session, row, ignore_id=None)
    shift = Shift(name=row.name, phone=row.phone, starts_at=row.starts_at, ends_at=row.ends_at, role=row.role)
    session.add(shift)
    session.flush()
    return shift


def update_shift(session: Session, *, shift_id: int, values: ShiftValues) -> Shift:
    """Change a shift; raise ShiftNotFound or InvalidShift; flush."""
    shift = require_shift(session, shift_id)
    row = parse_shift(values)
    _refuse_duplicate(session, row, ignore_id=shift.id)
    shift.name, shift.phone, shift.role = row.name, row.phone, row.role
    shift.starts_at, shift.ends_at = row.starts_at, row.ends_at
    session.flush()
    return shift


def delete_shift(session: Session, *, shift_id: int) -> None:
    """Delete a shift; raise ShiftNotFound when there is none; flush."""
    session.delete(require_shift(session, shift_id))
    session.flush()


def _refuse_duplicate(session: Session, row: ShiftRow, *, ignore_id: int | None) -> None:
    """Refuse a second shift with the same phone, start, end and role (the import skips those)."""
    stmt = select(Shift.id).where(
        Shift.phone == row.phone, Shift.starts_at == row.starts_at, Shift.ends_at == row.ends_at,
        Shift.role == row.role,
    )
    if ignore_id is not None:
        stmt = stmt.where(Shift.id != ignore_id)
    if session.scalars(stmt).first() is not None:
        raise InvalidShift([RowError(0, "diese Schicht steht schon im Dienstplan",
                                     english="this shift is already on the roster")])
