"""The menu's fast path: record one answer of a running call with one or two plain SQL statements.

A caller walks through seven questions; each key she presses is one webhook, and each webhook
must answer in a few milliseconds even when many parents call at once. Loading the case as an
ORM object, flushing it and reading it back cost four statements and most of a request's time
(profiled in BENCHMARKS.md), so a plain answer is written here instead:

1. the timeline event, inserted only once per call and key (`INSERT … SELECT … ON CONFLICT DO
   NOTHING RETURNING`): this finds the case by its call SID and makes a repeated webhook a no-op;
2. when it was new, the answered columns of the case (`UPDATE … RETURNING language`).

Both are written atomically. On PostgreSQL an answer without flags is ONE statement (the two as
data-modifying CTEs) sent in autocommit mode: one round trip instead of four (BEGIN, INSERT,
UPDATE, COMMIT), and its commit does not wait for the WAL flush (`synchronous_commit`
off for this statement only). A crash of the database server may therefore lose the last
fraction of a second of menu answers, never half of one; the call itself goes on either way,
and every other write of the hotline commits synchronously. Anything that needs more than this
(the first answer of a call we never saw, a postcode whose municipality must be checked for
membership, ringing a person) takes the ORM path in routing.call_flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, TextClause, bindparam, text

from cases.events import EventKind
from cases.service import ENUM_ANSWERS, PLAIN_ANSWERS
from core.database import Database
from models.base import UTCDateTime

_INSERT_EVENT = text(
    'INSERT INTO case_events (case_id, "key", kind, at, detail) '
    "SELECT id, :key, :kind, :at, :detail FROM cases WHERE call_sid = :call_sid "
    'ON CONFLICT (case_id, "key") DO NOTHING '
    "RETURNING case_id"
).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("detail", type_=JSON()))

_FIND_CASE = text("SELECT id, language FROM cases WHERE call_sid = :call_sid")
_READ_FLAGS = text("SELECT flags FROM cases WHERE id = :case_id").columns(flags=JSON())

_UPDATES: dict[tuple[str, ...], TextClause] = {}
_ONE_STATEMENT: dict[tuple[str, ...], TextClause] = {}


@dataclass(frozen=True)
class JournalEntry:
    """Where an answer went: the case, the language the call now speaks, and whether it was new."""

    case_id: int
    language: str
    recorded: bool


def record_answer(
    database: Database,
    *,
    call_sid: str,
    key: str,
    kind: EventKind,
    detail: Mapping[str, Any],
    answers: Mapping[str, object],
    flags: tuple[str, ...] | list[str] = (),
    language: str | None = None,
    now: datetime,
) -> JournalEntry | None:
    """Record one answer of the call's case once per key; None when the call has no case yet."""
    event = {"key": key[:160], "kind": EventKind(kind).value, "at": now, "detail": dict(detail), "call_sid": call_sid}
    values: dict[str, object] = {name: _column_value(name, value) for name, value in answers.items()
                                 if name in ENUM_ANSWERS or name in PLAIN_ANSWERS}
    if language:
        values["language"] = language
    values["updated_at"] = now
    if not flags and database.dialect_name == "postgresql":
        with database.autocommit() as connection:
            row = connection.execute(_one_statement(tuple(values)), {**event, **values}).first()
        return None if row is None else JournalEntry(case_id=row.id, language=row.language, recorded=row.recorded)
    with database.transaction() as connection:
        return _record_in_steps(connection, event=event, values=values, flags=flags)


def _record_in_steps(connection: Connection, *, event: dict[str, Any], values: dict[str, object],
                     flags: tuple[str, ...] | list[str]) -> JournalEntry | None:
    """Insert the event, then update the case: two or three statements in the caller's transaction."""
    call_sid = event["call_sid"]
    inserted = connection.execute(_INSERT_EVENT, event).first()
    if inserted is None:  # no case for this call, or this answer was recorded before (a retry)
        row = connection.execute(_FIND_CASE, {"call_sid": call_sid}).first()
        return None if row is None else JournalEntry(case_id=row.id, language=row.language, recorded=False)
    case_id = inserted.case_id
    if flags:
        current = connection.execute(_READ_FLAGS, {"case_id": case_id}).scalar_one() or []
        values["flags"] = [*current, *(flag for flag in dict.fromkeys(flags) if flag not in current)]
    updated = connection.execute(_update(tuple(values)), {**values, "case_id": case_id}).scalar_one()
    return JournalEntry(case_id=case_id, language=updated, recorded=True)


def _column_value(name: str, value: object) -> object:
    if value is None or name not in ENUM_ANSWERS:
        return value
    return ENUM_ANSWERS[name](value).value  # refuses a value the column's enum does not know


#: Every column the journal may set; statements are built from these names only, values are bound.
_COLUMNS = frozenset({*ENUM_ANSWERS, *PLAIN_ANSWERS, "language", "updated_at", "flags"})


def _assignments(columns: tuple[str, ...]) -> str:
    unknown = set(columns) - _COLUMNS
    if unknown:
        raise ValueError(f"the journal does not write {', '.join(sorted(unknown))}")
    return ", ".join(f"{column} = :{column}" for column in columns)


def _update(columns: tuple[str, ...]) -> TextClause:
    """Return the UPDATE for this set of columns, built once."""
    statement = _UPDATES.get(columns)
    if statement is None:
        # Column names from _COLUMNS, values bound:
        statement = text(f"UPDATE cases SET {_assignments(columns)} WHERE id = :case_id RETURNING language")  # noqa: S608
        if "flags" in columns:
            statement = statement.bindparams(bindparam("flags", type_=JSON()))
        statement = statement.bindparams(bindparam("updated_at", type_=UTCDateTime()))
        _UPDATES[columns] = statement
    return statement


def _one_statement(columns: tuple[str, ...]) -> TextClause:
    """Return PostgreSQL's event insert and case update as one statement, built once per column set.

    The sub-statements share one snapshot, so the case read at the end is the row before the
    update: its language is taken from the update when there was one (a new answer), else from
    the row (a repeated delivery). No row at all means the call has no case.
    """
    statement = _ONE_STATEMENT.get(columns)
    if statement is None:
        # Column names from _COLUMNS, values bound:
        sql = (
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true) AS setting), "  # noqa: S608
            'event AS (INSERT INTO case_events (case_id, "key", kind, at, detail) '
            "SELECT id, :key, :kind, :at, :detail FROM cases WHERE call_sid = :call_sid "
            'ON CONFLICT (case_id, "key") DO NOTHING RETURNING case_id), '
            f"answer AS (UPDATE cases SET {_assignments(columns)} "
            "WHERE id IN (SELECT case_id FROM event) RETURNING id, language) "
            "SELECT c.id, COALESCE(answer.language, c.language) AS language, answer.id IS NOT NULL AS recorded "
            "FROM cases AS c CROSS JOIN quick LEFT JOIN answer ON answer.id = c.id WHERE c.call_sid = :call_sid"
        )
        statement = text(sql).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("detail", type_=JSON()),
                                         bindparam("updated_at", type_=UTCDateTime()))
        _ONE_STATEMENT[columns] = statement
    return statement
