"""The database: engine, sessions, and the unit of work every boundary opens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Result,
    Table,
    TextClause,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """Owns the engine and hands out units of work; connects lazily, so the app starts without it."""

    def __init__(self, url: str | None = None, *, session_factory: sessionmaker[Session] | None = None):
        """Configure the database from a URL, or from a ready session factory (tests)."""
        self.url = url
        self._engine: Engine | None = None
        self._session_factory = session_factory

    @property
    def engine(self) -> Engine:
        """Return the engine, creating it on first use."""
        if self._engine is None:
            if self.url is None:
                raise RuntimeError("no database URL configured")
            self._engine = make_engine(self.url)
        return self._engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """Return the session factory, creating it on first use."""
        if self._session_factory is None:
            self._session_factory = sessionmaker(self.engine, expire_on_commit=False)
        return self._session_factory

    @property
    def dialect_name(self) -> str:
        """Return 'sqlite' or 'postgresql'."""
        if self.url is None:  # a ready session factory (tests): ask what it is bound to
            return str(self.session_factory.kw["bind"].dialect.name)
        return self.engine.dialect.name

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """Yield a connection whose every statement commits by itself: for a write that is ONE statement.

        No BEGIN and no COMMIT: two round trips fewer than a unit of work on PostgreSQL. A
        statement is atomic by itself, so this is only for writes that are a single statement.
        SQLite has no round trips to save: there it is an ordinary transaction.
        """
        if self.url is None or self.dialect_name == "sqlite":
            with self.transaction() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yield a connection in a transaction (committed when the block succeeds): a unit of work
        for plain SQL, without the ORM session's bookkeeping."""
        if self.url is None:  # a ready session factory (tests): stay inside the test's transaction
            with self.unit_of_work() as session:
                yield session.connection()
            return
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Yield a session; commit when the block succeeds, roll back when it raises."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, with real transactions, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


#: A pooled connection unused for this long is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 1.0

#: The advisory lock key of the worker ("Fluxx" in ASCII); any other fixed bigint would do. The worker
#: holds it while it ticks; the doctor and /metrics ask whether someone holds it.
WORKER_LOCK_KEY = 0x466C757878


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it was idle, so a restarted server costs no request.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip in every webhook
    (a tenth of a menu step on PostgreSQL, profiled). A connection used within the last second is
    handed out as it is; should the server have gone away in that second, the request fails, the
    pool is refreshed, and a caller hears the fallback instead of losing the call.
    """

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the database connection is gone") from exc
        if not alive:  # pragma: no cover - psycopg's do_ping raises rather than returning False
            raise DisconnectionError("the database connection is gone")


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin transactions (needed for SAVEPOINT and BEGIN IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is safe against an app crash; only a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two processes never deadlock on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_INSERT_IGNORE_CACHE: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], TextClause] = {}


def insert_ignore(
    session: Session, table: Table, values: dict[str, Any], conflict: list[str] | None = None
) -> bool:
    """Insert a row unless it clashes with a unique key (the given one, or any); True when inserted."""
    columns = tuple(values)
    key = (table.name, columns, tuple(conflict) if conflict else None)
    stmt = _INSERT_IGNORE_CACHE.get(key)
    if stmt is None:
        # Written as text, built once per table and columns: SQLAlchemy cannot cache the compiled
        # form of the dialects' `insert().on_conflict_do_nothing()`, so every call compiled it anew
        # (the largest share of a webhook's time, profiled). SQLite and PostgreSQL share this syntax;
        # RETURNING, not rowcount, because psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING.
        def quoted(names: Any) -> str:
            return ", ".join(f'"{table.columns[name].name}"' for name in names)  # only the table's own columns

        target = f" ({quoted(conflict)})" if conflict else ""
        placeholders = ", ".join(f":{column}" for column in columns)
        stmt = text(  # names from the table's metadata, values bound
            f'INSERT INTO "{table.name}" ({quoted(columns)}) VALUES ({placeholders}) '  # noqa: S608
            f"ON CONFLICT{target} DO NOTHING RETURNING {quoted(c.name for c in table.primary_key.columns)}"
        ).bindparams(*(bindparam(column, type_=table.columns[column].type) for column in columns))
        _INSERT_IGNORE_CACHE[key] = stmt
    return session.execute(stmt, values).first() is not None


def rowcount(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE run through `Session.execute` matched.

    `Session.execute` is typed as returning a `Result`; for these statements it is a `CursorResult`,
    the one that carries the count."""
    assert isinstance(result, CursorResult), f"{type(result).__name__} has no rowcount"
    return result.rowcount
