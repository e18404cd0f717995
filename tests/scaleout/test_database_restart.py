"""A PostgreSQL restart drops every pooled connection: the app must notice before it costs a request.

The pool pings a connection only when it sat idle for over a second (core/database.py), so a busy
instance pays no extra round trip per webhook. What a restart means to each side of that second:
- idle longer: the dead connection is found by the ping and replaced; the request never notices;
- idle shorter: one request fails (a caller on it hears the fallback), the pool is refreshed and
  the next request works.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

import core.database
from core.database import make_engine
from tests.scaleout.conftest import PG_URL, REQUIRES_POSTGRES

pytestmark = REQUIRES_POSTGRES


@pytest.fixture
def app_engine(pg_engine: Engine) -> Iterator[Engine]:
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def terminate(admin: Engine, pid: int) -> None:
    """Do to one connection what a server restart does to all of them."""
    with admin.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()


def test_an_idle_connection_the_server_dropped_is_replaced_unnoticed(
    app_engine: Engine, pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid(app_engine)
    terminate(pg_engine, pid)
    monkeypatch.setattr(core.database, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if a second had passed
    assert backend_pid(app_engine) != pid


def test_within_the_busy_second_one_request_fails_and_the_next_one_works(
    app_engine: Engine, pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle long enough
    pid = backend_pid(app_engine)
    terminate(pg_engine, pid)
    with pytest.raises(OperationalError), app_engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert backend_pid(app_engine) != pid
