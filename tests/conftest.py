"""Fixtures: every database test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from core import migrate
from core.clock import FrozenClock
from core.database import Database, make_engine
from core.settings import Settings
from telephony.gateway import SimulatorGateway
from tests.helpers import PUBLIC_BASE_URL, TEST_TOKEN

pytest_plugins = ["tests.fixtures_twilio"]
BERLIN = ZoneInfo("Europe/Berlin")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
#: pytest-timeout: a hang fails one test, not the whole run. The default (pyproject.toml) is 60 s;
#: browser stories, real processes (scaleout) and hypothesis properties get longer.
LONG_TIMEOUT = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give the slow kinds of test a longer timeout, unless a test names its own."""
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        slow = (
            item.get_closest_marker("browser") is not None
            or "scaleout" in item.nodeid.split("/")
            or getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        )
        if slow:
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly on any outbound connection that is not to this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Create a migrated database once per backend and test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        eng = make_engine(url)
    else:
        url = os.environ["TEST_DATABASE_URL"]
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    yield eng
    eng.dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    """Return the name of the database backend the test runs on."""
    return engine.dialect.name


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """Open a connection with an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Return sessions that join the test's transaction through savepoints."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """Return a session inside the test's transaction."""
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def database(session_factory: sessionmaker[Session]) -> Database:
    """Return a Database whose units of work run inside the test's transaction."""
    return Database(session_factory=session_factory)


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen on an ordinary Monday morning in Hannover (2026-11-23 10:00)."""
    return FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN))


@pytest.fixture
def settings() -> Settings:
    """Settings of a configured hotline in simulator mode, signing with a known token."""
    return Settings(
        database_url="sqlite://",
        hotline_number="+4951187654321",
        public_base_url=PUBLIC_BASE_URL,
        fallback_number="+495111680000",
        simulator_auth_token=TEST_TOKEN,
    )


@pytest.fixture
def gateway() -> SimulatorGateway:
    """A simulator gateway that remembers what it sent."""
    return SimulatorGateway()


@pytest.fixture
def app(settings: Settings, database: Database, clock: FrozenClock, gateway: SimulatorGateway,
        tmp_path_factory: pytest.TempPathFactory):
    """Return the app wired to the test database, clock and gateway (its SMS spool in a temporary folder)."""
    from app import create_app

    app = create_app({"TESTING": True}, settings=settings, database=database, clock=clock, gateway=gateway)
    app.extensions["fluxx"].extras["sms_spool"] = tmp_path_factory.mktemp("sms-spool")
    return app


@pytest.fixture
def client(app):
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner."""
    return app.test_cli_runner()
