"""Dispatch latency: from `cases dispatch` to the first offer handed to the REST client.

Run with `python -m bench.dispatch_latency` (`--quick` for a smoke run, `--help` for the options).

A database (a fresh SQLite file, and the bench's own PostgreSQL database) is filled with 10,000
synthetic caregivers and open cases by bench/matching.py's generator. For each case, in this
process, we time what `flask --app app cases dispatch` and the worker do:
1. `start_dispatch` inside a unit of work, until its commit (matching, wave 1 in the outbox);
2. then one worker tick (`worker.tick_job`, every tick job in order) with a gateway that records
   time.perf_counter() when `send_sms` is first called: the moment the first offer reaches the
   REST client.
In production the tick is not immediate: the worker ticks every 2 s (`--interval`), so on
average 1 s more passes before step 2 starts.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.matching import NOW, _fill
from bench.webhook_latency import DEFAULT_POSTGRES, HOTLINE, machine_line, percentile, reset_postgres
from core import migrate
from core.clock import FrozenClock
from core.container import Services
from core.database import Database
from core.settings import Settings
from dispatch import DispatchPolicy, start_dispatch
from models import Case
from worker import tick_job


@dataclass
class RecordingGateway:
    """An SMS gateway that notes when each message is handed to it and sends nothing."""

    handed: list[float] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send_sms(self, *, to: str, body: str, from_: str | None, status_callback: str | None) -> str:
        """Record the time and return a fake MessageSid."""
        self.handed.append(time.perf_counter())
        return f"SMbench{next(self._ids):026d}"


def measure(url: str, *, caregivers: int, runs: int) -> dict[str, list[float]]:
    """Dispatch `runs` cases one after the other; return the phases' milliseconds."""
    if url.startswith("postgresql"):
        reset_postgres(url)
    migrate.upgrade(url)
    database = Database(url)
    with database.unit_of_work() as session:
        case_ids = _fill(session, caregivers, runs + 1)
    settings = Settings(database_url=url, twilio_account_sid="AC" + "be" * 16, twilio_auth_token="bench",
                        hotline_number=HOTLINE)
    policy = DispatchPolicy.from_settings(settings)
    gateway = RecordingGateway()
    services = Services(settings=settings, database=database, clock=FrozenClock(NOW), gateway=gateway, extras={})
    times: dict[str, list[float]] = {"start_dispatch + commit": [], "tick to first send": [], "total": []}
    for index, case_id in enumerate(case_ids):
        gateway.handed.clear()
        began = time.perf_counter()
        with database.unit_of_work() as session:
            case = session.get(Case, case_id)
            assert case is not None
            start_dispatch(session, case=case, now=NOW, started_by="bench", policy=policy)
        committed = time.perf_counter()
        tick_job(services, name="bench")
        if not gateway.handed:
            raise RuntimeError(f"case {case_id}: the tick handed no offer to the gateway")
        if index == 0:
            continue  # warm-up: first queries compile and cache their statements
        times["start_dispatch + commit"].append((committed - began) * 1000)
        times["tick to first send"].append((gateway.handed[0] - committed) * 1000)
        times["total"].append((gateway.handed[0] - began) * 1000)
    database.engine.dispose()
    return times


def main() -> None:
    """Measure on SQLite and PostgreSQL and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--caregivers", type=int, default=10_000, help="caregivers in the database [%(default)s]")
    parser.add_argument("--runs", type=int, default=20, help="cases dispatched one after the other [%(default)s]")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="the bench's OWN PostgreSQL database; its public schema is dropped "
                             "[BENCH_DATABASE_URL or %(default)s]")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 caregivers, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.caregivers, args.runs = 1000, 3
    print(f"Dispatch latency, {args.caregivers:,} caregivers, {args.runs} cases dispatched one after the other "
          f"(plus one warm-up); {machine_line()}")
    print()
    print("| database | phase | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="fluxx-dispatch-") as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'dispatch.sqlite3'}")]
        if not args.no_postgres:
            targets.append(("PostgreSQL", args.postgres_url))
        for name, url in targets:
            for phase, values in measure(url, caregivers=args.caregivers, runs=args.runs).items():
                print(f"| {name} | {phase} | {statistics.median(values):.1f} | {percentile(values, 95):.1f} | "
                      f"{max(values):.1f} |", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
