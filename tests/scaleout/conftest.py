"""Two app instances (gunicorn) and two workers (`flask --app app worker`) against one PostgreSQL.

Everything here is a real process talking to a real database, the way the README's "Two
instances" deployment runs: the processes share nothing but the database (and the Twilio
credentials), so whatever works here works behind a load balancer. Outbound SMS go to a local
Twilio stand-in (TWILIO_API_BASE) in the test process, which records every request.

PostgreSQL only: without TEST_DATABASE_URL every test of this folder is skipped. The database's
tables are emptied (TRUNCATE) before each module and at the end; the schema is migrated if
missing. The two instances run for all tests of this folder; the workers for one test each.
Every process is started with a bounded wait and stopped at the end (SIGKILL after 10 s).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from core import migrate
from core.database import make_engine
from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.helpers import PUBLIC_BASE_URL, sign
from tests.twilio_standin import RecordedRequest, TwilioStandIn

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOTLINE = "+4951187654321"
FALLBACK = "+495111680000"
#: Every test of this folder is skipped without it, and marked postgres_only for `-m` selection.
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
SKIP_REASON = (
    "scale-out tests run real gunicorn and worker processes against one PostgreSQL: "
    "set TEST_DATABASE_URL (SQLite has no second instance to scale out to)"
)
REQUIRES_POSTGRES = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason=SKIP_REASON),
]
#: Upper bound for a process to come up (gunicorn imports the app: about a second).
START_TIMEOUT = 20.0


# --- The database ------------------------------------------------------------------------------


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table but Alembic's, so each module starts from a blank hotline."""
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if tables:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="package")
def pg_engine() -> Iterator[Engine]:
    """Return an engine on the migrated test database; emptied when the folder's tests are done."""
    if not PG_URL.startswith("postgresql"):
        pytest.skip(SKIP_REASON)
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        migrate.upgrade(connection=conn)
    yield engine
    empty_tables(engine)
    engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def blank_hotline(pg_engine: Engine) -> None:
    """Start every module with empty tables (the instances keep running between modules)."""
    empty_tables(pg_engine)


@pytest.fixture(scope="package")
def pg_sessions(pg_engine: Engine) -> sessionmaker[Session]:
    """Return sessions that commit for real (the app processes must see what the test writes)."""
    return sessionmaker(pg_engine, expire_on_commit=False)


# --- The Twilio stand-in -------------------------------------------------------------------------


@dataclass
class SlowStandIn(TwilioStandIn):
    """The stand-in, answering each SMS only after `latency` seconds (like a real round trip).

    `arrived` is set when the `signal_at`-th message request has been received: a test can kill
    the sender while that request is still being answered (the message is then created anyway,
    as Twilio would, and the sender never learns its SID).
    """

    latency: float = 0.0
    signal_at: int | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    _posts: int = 0

    def _handle(self, handler: Any) -> None:
        try:
            super()._handle(handler)
        except OSError:  # the sender died before the answer (a test killed it): as on Twilio, it stays sent
            pass

    def _serve(
        self, record: RecordedRequest, account: str, resource: str, sid: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        if resource == "Messages" and record.method == "POST":
            with self._lock:
                self._posts += 1
                reached = self.signal_at is not None and self._posts == self.signal_at
            if reached:
                self.arrived.set()
            if self.latency:
                time.sleep(self.latency)
        return super()._serve(record, account, resource, sid)

    def reset(self, *, latency: float = 0.0, signal_at: int | None = None) -> None:
        """Forget everything received so far and set the behaviour for the next test."""
        with self._lock:
            self.requests.clear()
            self.messages.clear()
            self.calls.clear()
            self._faults.clear()
            self._posts = 0
        self.latency, self.signal_at = latency, signal_at
        self.arrived.clear()


@pytest.fixture(scope="package")
def standin() -> Iterator[SlowStandIn]:
    """Start one stand-in for all the processes of this folder's tests."""
    server = SlowStandIn(auth_token=TEST_AUTH_TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


# --- The processes --------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_env(standin: TwilioStandIn) -> dict[str, str]:
    """Return the environment every instance and worker gets: the same database, URL and credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_URL", "FLASK_"))}
    env.update(
        DATABASE_URL=PG_URL,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        HOTLINE_NUMBER=HOTLINE,
        FALLBACK_NUMBER=FALLBACK,
        SERVICE_HOURS="always",  # the tests must not depend on the weekday CI runs on
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        TWILIO_API_BASE=standin.base_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Proc:
    """One started process and the file its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self.popen.pid

    def output(self, tail: int = 4000) -> str:
        """Return the end of what the process printed (for assertion messages)."""
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Ask the process to stop (SIGTERM unless told otherwise)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signum)

    def wait(self) -> None:
        """Wait for it to be gone; SIGKILL when it takes longer than 10 s."""
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)


def stop_all(procs: list[Proc], signum: int = signal.SIGTERM) -> None:
    """Stop several processes at once and wait for all of them."""
    for proc in procs:
        proc.stop(signum)
    for proc in procs:
        proc.wait()


def start_process(name: str, args: list[str], env: dict[str, str], logs: Path) -> Proc:
    """Start a process in the repository with its output in a log file."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Proc(name, popen, log)


def wait_until(predicate: Callable[[], object], *, timeout: float, step: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds passed; return whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


@dataclass
class Instance:
    """One app instance (gunicorn) on its own port, spoken to as Twilio and a load balancer would."""

    proc: Proc
    port: int

    @property
    def url(self) -> str:
        """Return the instance's own base URL (what the load balancer forwards to)."""
        return f"http://127.0.0.1:{self.port}"

    def post(
        self, path: str, params: dict[str, str], *, http: requests.Session | None = None
    ) -> requests.Response:
        """POST a Twilio webhook, signed for the public URL (both instances check against PUBLIC_BASE_URL)."""
        headers = {
            "X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params, TEST_AUTH_TOKEN),
            "Content-Type": "application/x-www-form-urlencoded",
            # What the reverse proxy adds; the signature check does not need them.
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "hotline.example.org",
        }
        return (http or requests).post(self.url + path, data=urlencode(params), headers=headers, timeout=15)

    def healthz(self) -> dict[str, Any]:
        """Return the instance's /healthz document."""
        response = requests.get(self.url + "/healthz", timeout=5)
        assert response.status_code == 200, response.text
        return dict(response.json())


def start_instance(name: str, env: dict[str, str], logs: Path) -> Instance:
    """Start `gunicorn -w 2 'app:create_app()'` on a free port (wait for it with wait_for_instance)."""
    port = free_port()
    args = [
        str(BIN / "gunicorn"),
        "-w", "2",
        "-b", f"127.0.0.1:{port}",
        "--timeout", "30",
        "--graceful-timeout", "5",
        "app:create_app()",
    ]  # fmt: skip
    return Instance(start_process(name, args, env, logs), port)


def wait_for_instance(instance: Instance) -> None:
    """Wait until the instance answers /healthz; fail with its output when it does not come up."""

    def up() -> bool:
        if instance.proc.popen.poll() is not None:
            raise AssertionError(f"{instance.proc.name} exited:\n{instance.proc.output()}")
        try:
            return requests.get(instance.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    assert wait_until(up, timeout=START_TIMEOUT, step=0.1), (
        f"{instance.proc.name} did not come up:\n{instance.proc.output()}"
    )


@pytest.fixture(scope="package")
def instances(
    pg_engine: Engine, standin: SlowStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Instance]]:
    """Start two app instances (two gunicorn workers each) on different ports; stop them after the module."""
    env = process_env(standin)
    logs = tmp_path_factory.mktemp("instances")
    started: list[Instance] = []
    try:
        for name in ("app-a", "app-b"):
            started.append(start_instance(name, env, logs))
        for instance in started:
            wait_for_instance(instance)
        yield started
    finally:
        stop_all([i.proc for i in started], signal.SIGINT)  # gunicorn's quick shutdown: nothing is running


@pytest.fixture
def start_worker(pg_engine: Engine, standin: SlowStandIn, tmp_path: Path) -> Iterator[Callable[[str], Proc]]:
    """Return a function that starts `flask --app app worker --interval 0.5`; all are stopped afterwards."""
    env = process_env(standin)
    started: list[Proc] = []

    def start(name: str) -> Proc:
        args = [str(BIN / "flask"), "--app", "app", "worker", "--interval", "0.5"]
        proc = start_process(name, args, env, tmp_path)
        started.append(proc)
        assert wait_until(
            lambda: "worker started" in proc.output() or proc.popen.poll() is not None,
            timeout=START_TIMEOUT,
            step=0.05,
        ), f"{name} did not start:\n{proc.output()}"
        assert proc.popen.poll() is None, f"{name} exited:\n{proc.output()}"
        return proc

    try:
        yield start
    finally:
        stop_all(started)
