"""The database: engine, sessions, and the unit of work every boundary opens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
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
    return create_engine(url, pool_pre_ping=True, **kwargs)


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


_INSERT_IGNORE_CACHE: dict[tuple[str, str, tuple[str, ...] | None], Any] = {}


def insert_ignore(
    session: Session, table: Table, values: dict[str, Any], conflict: list[str] | None = None
) -> bool:
    """Insert a row unless it clashes with a unique key (the given one, or any); True when inserted."""
    dialect = session.get_bind().dialect.name
    key = (table.name, dialect, tuple(conflict) if conflict else None)
    stmt = _INSERT_IGNORE_CACHE.get(key)
    if stmt is None:
        # Built once per table and key: building it anew costs more than executing it (profiled).
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database {dialect}")
        # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING.
        stmt = (
            dialect_insert(table)
            .on_conflict_do_nothing(index_elements=conflict or None)
            .returning(*table.primary_key.columns)
        )
        _INSERT_IGNORE_CACHE[key] = stmt
    return session.execute(stmt, values).first() is not None
