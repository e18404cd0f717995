"""Memory: resident size of one gunicorn worker after 1,000 calls, and of the worker after their SMS.

Run with `python -m bench.memory` (`--calls 100` for a smoke run, `--help` for the options).

1. The hotline runs under gunicorn with ONE sync worker (so that one process serves every call)
   on a fresh SQLite file with the demo roster. Each of the calls walks the whole menu to the
   <Dial>, nobody answers at the primary nor at the backup, and the caller reaches the voicemail:
   10 signed requests per call, 10 callers at a time. That path makes the app queue SMS: the
   coordinators on duty are alerted (voicemail alert) and, the case being urgent, it is
   dispatched at once; without caregivers the dispatch is exhausted and the coordinators are
   told again: 4 SMS per call.
2. The worker (`flask --app app worker --interval 0.2`) runs meanwhile against the same database,
   with fake Twilio credentials and TWILIO_API_BASE pointing at a stand-in for Twilio's REST API
   on 127.0.0.1 (this script), so each SMS goes through twilio-python's real request path.
We read VmRSS from /proc/<pid>/status: at start (idle), after a warm-up (the first 10 calls and
their SMS: imports, caches and pools are filled), along the way, and at the end. Growth after the
warm-up is what would matter for a long-running process.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.webhook_latency import (
    MENU,
    REPO,
    TO_VOICEMAIL,
    Server,
    app_environment,
    free_port,
    machine_line,
    make_calls,
    prepare_database,
    rss_kib,
    run_load,
    running,
)


class FakeTwilio(ThreadingHTTPServer):
    """Answers Twilio's Messages.json like Twilio does (201 with a MessageSid), counting what it got."""

    daemon_threads = True

    def __init__(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[str] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """Return the URL to put into TWILIO_API_BASE."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        """Accept a message."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        sid = "SM" + secrets.token_hex(16)
        with self.server.lock:
            self.server.received.append(body)
        payload = json.dumps({"sid": sid, "status": "queued", "account_sid": "AC" + "be" * 16,
                              "num_segments": "1", "direction": "outbound-api"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        """Stay quiet."""


@contextlib.contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """Run the stand-in for Twilio's REST API in a thread for the duration of the block."""
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def outbox_counts(path: Path) -> tuple[int, int]:
    """Return (all, sent) outbox messages in the SQLite file."""
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        total, sent = db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN provider_sid IS NOT NULL THEN 1 ELSE 0 END), 0) "
            "FROM outbox_messages").fetchone()
    return int(total), int(sent)


def wait_sent(path: Path, *, time_limit: float) -> tuple[int, int, float]:
    """Wait until every queued SMS has a provider SID (or the time limit); return (all, sent, seconds)."""
    began = time.monotonic()
    while True:
        total, sent = outbox_counts(path)
        if sent >= total or time.monotonic() - began > time_limit:
            return total, sent, time.monotonic() - began
        time.sleep(0.5)


def measure(calls: int, *, callers: int, time_limit: float, steps: int = 4) -> list[str]:
    """Run the memory benchmark; return the report's lines."""
    lines = [f"Memory (VmRSS, MiB), {calls:,} calls to the voicemail, {callers} at a time; {machine_line()}", ""]
    with tempfile.TemporaryDirectory(prefix="fluxx-mem-") as tmp, fake_twilio() as twilio:
        folder = Path(tmp)
        database = folder / "fluxx.sqlite3"
        port = free_port()
        env = app_environment(database_url=f"sqlite:///{database}", port=port, TWILIO_API_BASE=twilio.base_url)
        prepare_database(f"sqlite:///{database}", env)
        server = Server("sqlite", "app:create_app()", port, env, folder / "gunicorn.log", workers=1)
        log = (folder / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.2"],
                                  cwd=REPO, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            with running([server]):
                time.sleep(2)  # a few idle ticks
                (web_pid,) = server.worker_pids()
                rows = [("start (idle)", 0, rss_kib(web_pid), rss_kib(worker.pid), 0)]
                menu = (*MENU, *TO_VOICEMAIL)
                warmup = 10
                done = 0
                errors: list[str] = []
                plan = [warmup] + [round((calls - warmup) * i / steps) - round((calls - warmup) * (i - 1) / steps)
                                   for i in range(1, steps + 1)]
                for serial, count in zip(itertools.count(1), plan, strict=False):
                    per_caller = max(1, count // callers)
                    batches = [per_caller] * (count // per_caller) + ([count % per_caller] if count % per_caller else [])
                    calls_list = make_calls(port, callers=len(batches), calls_per_caller=per_caller,
                                            tag=f"m{serial:02d}", menu=menu)
                    calls_list = [c[:n] for c, n in zip(calls_list, batches, strict=True)]
                    result = run_load(port, calls_list, check=True, time_limit=time_limit)
                    done += result.calls_done
                    errors += result.errors
                    total, sent, _ = wait_sent(database, time_limit=time_limit)
                    label = "after warm-up" if serial == 1 else f"after {done:,} calls"
                    rows.append((label, done, rss_kib(web_pid), rss_kib(worker.pid), sent))
                    if worker.poll() is not None:
                        raise RuntimeError(f"the worker exited; see {folder / 'worker.log'}")
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
            log.close()
        total, sent = outbox_counts(database)
    warm = rows[1]
    lines += ["| when | calls | gunicorn worker | worker (`flask worker`) | SMS sent |", "|---|---|---|---|---|"]
    lines += [f"| {label} | {n:,} | {web / 1024:.1f} | {wrk / 1024:.1f} | {s:,} |" for label, n, web, wrk, s in rows]
    last = rows[-1]
    lines += ["", f"Growth after the warm-up: gunicorn worker {(last[2] - warm[2]) / 1024:+.1f} MiB, "
              f"worker {(last[3] - warm[3]) / 1024:+.1f} MiB over {last[1] - warm[1]:,} calls "
              f"and {last[4] - warm[4]:,} SMS.",
              f"SMS queued {total:,}, sent {sent:,}, requests received by the Twilio stand-in "
              f"{len(twilio.received):,} (more than sent would mean a duplicate). "
              f"Call errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else "") + "."]
    return lines


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--calls", type=int, default=1000, help="calls to walk [%(default)s]")
    parser.add_argument("--callers", type=int, default=10, help="calls at a time [%(default)s]")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="seconds after which a load step or the wait for SMS stops by itself [%(default)s]")
    args = parser.parse_args()
    print("\n".join(measure(args.calls, callers=args.callers, time_limit=args.time_limit)))


if __name__ == "__main__":
    main()
