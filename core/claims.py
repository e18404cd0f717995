"""Claims: take a row for yourself with one conditional UPDATE, so that of many racing callers exactly one wins.

The pattern, written once: flush what the session holds, run `UPDATE ... SET values WHERE id = :id AND
<the state you expect>`, and count the rows it matched — 1 means this caller moved the row, 0 means
another transaction (another request, worker or instance) got there first or the state was never right.
PostgreSQL re-checks the WHERE after waiting for a concurrent writer's lock (READ COMMITTED); SQLite
serialises writers (BEGIN IMMEDIATE, core.database). `claim` then refreshes the instance, so the
caller reads the row as it is now, whether it won or not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from core.database import rowcount


def claim(session: Session, row: object, *where: ColumnElement[bool], refresh: bool = True, **values: Any) -> bool:
    """Set `values` on `row` only where every condition in `where` still holds; True when this call did.

    `row` is a persistent ORM instance; it is refreshed afterwards (unless `refresh=False`), so its
    attributes show the winner's values when this call lost.
    """
    session.flush()
    state = instance_state(row)
    if state.identity is None:
        raise ValueError(f"{type(row).__name__} is not in the database yet: flush it before claiming it")
    won = _claim(session, state.mapper.class_, state.identity, where, values)
    if refresh:
        session.refresh(row)
    return won


def claim_id(session: Session, model: type[Any], row_id: object, *where: ColumnElement[bool], **values: Any) -> bool:
    """Like `claim`, for a row known only by its primary key (nothing to refresh)."""
    session.flush()
    return _claim(session, model, (row_id,), where, values)


def _claim(session: Session, model: type[Any], identity: tuple[Any, ...], where: tuple[ColumnElement[bool], ...],
           values: dict[str, Any]) -> bool:
    if not values:
        raise ValueError("a claim must set something")
    keys = inspect(model).primary_key
    if len(keys) != len(identity):
        raise ValueError(f"{model.__name__} has a primary key of {len(keys)} columns, not {len(identity)}")
    statement = (
        update(model)
        .where(*(key == value for key, value in zip(keys, identity, strict=True)), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(session.execute(statement)) == 1
