"""Browser tests: the real app on a local port, the worker ticking beside it, headless Debian Chromium.

The app runs in a background thread (werkzeug's make_server on 127.0.0.1, a free port) on a fresh
database built by the migrations — a SQLite file, and PostgreSQL too when TEST_DATABASE_URL is set
(in a schema of its own, dropped afterwards, so the other tests' database stays empty). It runs in
simulator mode with the system clock and SERVICE_HOURS=always, filled by `demo load` exactly as
`make run` does, and the worker's tick runs every half second, as `flask worker` would.

Without Chromium or Playwright the tests skip with a clear message on a developer's machine, and
fail in CI (where the environment variable CI is set): there a missing browser is a broken setup.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from core import migrate
from core.clock import SystemClock
from core.database import Database, make_engine
from core.settings import Settings
from telephony.gateway import SimulatorGateway

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
HOTLINE = "+4951187654321"
COORDINATOR = ("cora", "Cora Koordinatorin", "cora-passwort-123")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
PG_SCHEMA = "browser_tests"


@dataclass
class LiveApp:
    """The running app: its base URL, the Flask app, and the demo logins."""

    url: str
    app: Any
    lead: tuple[str, str]
    coordinator: tuple[str, str]
    backend: str

    @property
    def services(self) -> Any:
        """Return the app's services (database, clock, settings)."""
        return self.app.extensions["fluxx"]


def _missing_browser(reason: str) -> None:
    """Skip on a developer's machine, fail in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_api() -> Iterator[Any]:
    """Start Playwright, or skip (fail in CI) when it or Debian's chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("Python package playwright not installed: pip install -r requirements-dev.txt")
    if not Path(CHROMIUM).exists():
        _missing_browser("Debian package chromium not installed: apt-get install chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_api: Any) -> Iterator[Any]:
    """Launch headless Debian Chromium once (Playwright gives it a fresh, temporary profile)."""
    b = playwright_api.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """Return a fresh browser context (own cookies) per test, German, 1280x800."""
    ctx = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """Return a page in a fresh context."""
    return context.new_page()


def _database_url(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'browser.sqlite3'}"
    base = os.environ["TEST_DATABASE_URL"]
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{PG_SCHEMA}"


def _reset_postgres_schema(drop_only: bool = False) -> None:
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        if not drop_only:
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()


class LiveApps:
    """Starts one live app per database backend on first use, and stops them all at the end."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        """Prepare an empty set of running apps."""
        self.tmp_path_factory = tmp_path_factory
        self.running: dict[str, LiveApp] = {}
        self.stops: list[Any] = []

    def get(self, backend: str, *, history: bool = False) -> LiveApp:
        """Return the app on a backend (with the demo history when asked), starting it the first time."""
        key = f"{backend}-history" if history else backend
        if key not in self.running:
            live, stop = _start(backend, self.tmp_path_factory.mktemp(f"browser-{key}"), history=history)
            self.running[key] = live
            self.stops.append(stop)
        return self.running[key]

    def close(self) -> None:
        """Stop every app and its worker."""
        for stop in reversed(self.stops):
            stop()


@pytest.fixture(scope="session")
def live_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApps]:
    """The live apps of this test session, one per backend."""
    apps = LiveApps(tmp_path_factory)
    yield apps
    apps.close()


@pytest.fixture(scope="session", params=BACKENDS)
def live_app(request: pytest.FixtureRequest, live_apps: LiveApps) -> LiveApp:
    """The running app on each backend (the stories run on SQLite, and on PostgreSQL when configured)."""
    return live_apps.get(request.param)


@pytest.fixture(scope="session")
def live_demo(live_apps: LiveApps) -> LiveApp:
    """A second running app on SQLite, loaded as `make run` loads it: the demo with its year of history."""
    return live_apps.get("sqlite", history=True)


@pytest.fixture(scope="session")
def live_sqlite(live_apps: LiveApps) -> LiveApp:
    """The running app on SQLite (for checks of the pages, which do not depend on the database)."""
    return live_apps.get("sqlite")


@pytest.fixture(scope="session")
def lead_state(browser: Any, live_sqlite: LiveApp) -> dict[str, Any]:
    """Cookies of a signed-in lead on the SQLite app, so page checks need not sign in each time."""
    ctx = browser.new_context()
    page = ctx.new_page()
    sign_in(page, live_sqlite)
    state = ctx.storage_state()
    ctx.close()
    return state


def _start(backend: str, tmp: Path, *, history: bool = False) -> tuple[LiveApp, Any]:
    """Run the app and its worker in background threads on a migrated database with the demo data."""
    from accounts import create_user
    from app import create_app
    from worker.jobs import tick_job

    if backend == "postgresql":
        _reset_postgres_schema()
    url = _database_url(backend, tmp)
    database = Database(url)
    with database.engine.begin() as conn:
        migrate.upgrade(connection=conn)
    settings = Settings(
        database_url=url,
        hotline_number=HOTLINE,
        fallback_number="+495111680000",
        service_hours="always",
        simulator_auth_token=secrets.token_hex(16),
    )
    app = create_app(
        {"SECRET_KEY": secrets.token_hex(16)},
        settings=settings,
        database=database,
        clock=SystemClock(),
        gateway=SimulatorGateway(),
    )

    # The first run, as `make run` does it: roster, caregivers and a lead whose login is printed.
    output = app.test_cli_runner().invoke(args=["demo", "load", *([] if history else ["--no-history"])]).output
    username = re.search(r"Benutzername / user:\s+(\S+)", output)
    password = re.search(r"Passwort / password:\s+(\S+)", output)
    assert username and password, output
    services = app.extensions["fluxx"]
    with services.database.unit_of_work() as s:
        create_user(
            s,
            username=COORDINATOR[0],
            name=COORDINATOR[1],
            role="coordinator",
            password=COORDINATOR[2],
            now=services.clock.now(),
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, name=f"browser-app-{backend}", daemon=True)
    serving.start()
    halt = threading.Event()
    quiet = logging.getLogger("worker.jobs")  # one line per tick would bury a failing test's log
    level = quiet.level
    quiet.setLevel(logging.WARNING)

    def work() -> None:
        while not halt.wait(0.5):
            tick_job(services, name=f"browser-test-worker-{backend}")

    worker = threading.Thread(target=work, name=f"browser-worker-{backend}", daemon=True)
    worker.start()

    def stop() -> None:
        halt.set()
        worker.join(timeout=5)
        quiet.setLevel(level)
        server.shutdown()
        serving.join(timeout=5)
        database.engine.dispose()
        if backend == "postgresql":
            _reset_postgres_schema(drop_only=True)

    live = LiveApp(
        url=f"http://127.0.0.1:{server.server_port}",
        app=app,
        lead=(username.group(1), password.group(1)),
        coordinator=(COORDINATOR[0], COORDINATOR[2]),
        backend=backend,
    )
    return live, stop


def sign_in(page: Any, live: LiveApp, who: tuple[str, str] | None = None) -> None:
    """Sign in through the login form (the lead unless someone else is given)."""
    username, password = who or live.lead
    page.goto(live.url + "/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/login" not in url)
