"""/metrics under gunicorn with two worker processes: every scrape, whichever worker answers, agrees.

Figures come from the database; webhook latency from prometheus-client's multiprocess files
(PROMETHEUS_MULTIPROC_DIR, as deploy/systemd/fluxx-web.service sets it), so the requests served by
both workers add up in any scrape.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from core import migrate
from core.database import make_engine
from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.helpers import PUBLIC_BASE_URL, sign

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
TOKEN = "scrape-token-for-two-workers"
CALLS = 24


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Start gunicorn with two workers on a migrated SQLite file; yield its URL and the multiprocess folder."""
    url = f"sqlite:///{tmp_path / 'fluxx.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(connection=conn)
    engine.dispose()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_URL", "FLASK_"))}
    env.update(DATABASE_URL=url, PUBLIC_BASE_URL=PUBLIC_BASE_URL, HOTLINE_NUMBER="+4951187654321",
               FALLBACK_NUMBER="+495111680000", SERVICE_HOURS="always", TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
               TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN, TWILIO_API_BASE="http://127.0.0.1:9", METRICS_TOKEN=TOKEN,
               PROMETHEUS_MULTIPROC_DIR=str(multiproc), PYTHONPATH=str(ROOT))
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen([str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(lambda: requests.get(f"{base}/healthz", timeout=2).ok, 30), (tmp_path / "gunicorn.log").read_text()
        yield base, multiproc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _post(base: str, path: str, params: dict[str, str]) -> None:
    headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params, TEST_AUTH_TOKEN),
               "Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    response = requests.post(base + path, data=urlencode(params), headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def _call(base: str, n: int) -> None:
    """One call that hangs up in the menu: /voice/incoming, then the status callback."""
    params = {"CallSid": f"CA{n:032d}", "From": "+4915112345678", "To": "+4951187654321"}
    _post(base, "/voice/incoming", params)
    _post(base, "/voice/status", {**params, "CallStatus": "completed"})


def _scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


@pytest.mark.timeout(300)  # real processes: several app start-ups
def test_two_gunicorn_workers_report_the_same_figures(instance: tuple[str, Path]) -> None:
    base, multiproc = instance
    assert requests.get(f"{base}/metrics", timeout=5).status_code == 401

    calls_made = 0
    deadline = time.monotonic() + 30
    while True:  # concurrent calls, until both workers have served some (the kernel picks the worker)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: _call(base, n), range(calls_made, calls_made + CALLS)))
        calls_made += CALLS
        pids = {p.stem.rsplit("_", 1)[-1] for p in multiproc.glob("histogram_*.db")}
        if len(pids) == 2 or time.monotonic() > deadline:
            break
    assert len(pids) == 2, f"both workers should have served webhooks: {sorted(pids)}"

    scrapes = [_scrape(base) for _ in range(12)]

    incoming = ("fluxx_webhook_duration_seconds_count", (("route", "/voice/incoming"),))
    calls = ("fluxx_calls_total", (("outcome", "no_person"),))
    for scrape in scrapes:
        assert scrape[calls] == calls_made
        assert scrape[incoming] == calls_made  # requests of both workers, added up
        assert scrape[("fluxx_cases", (("status", "open"),))] == calls_made
    assert len({tuple(sorted((k, v) for k, v in s.items() if k[0] != "fluxx_webhook_duration_seconds_sum"))
                for s in scrapes}) == 1
