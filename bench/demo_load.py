"""Demo load: how long `demo load` takes on a fresh database (with the year of history), and again.

Run with `python -m bench.demo_load [--postgres URL]`. Migrates a fresh SQLite file (and a fresh
PostgreSQL database when a URL is given: its public schema is dropped first, so never point it at
data you keep), then times the first `demo load` (roster, caregivers, billing set-up, about
thirteen months of history, billed and past retention anonymised) and a second one on the same
day (the renewal every `make run` does). Wall-clock and CPU seconds, as `make run` would spend them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.webhook_latency import machine_line
from core import migrate
from core.clock import SystemClock
from core.database import Database
from demo import load_demo


def measure(url: str) -> list[tuple[str, float, float, dict[str, int]]]:
    """Return (step, wall seconds, CPU seconds, what it added) for the first and the second load."""
    database = Database(url)
    with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with database.engine.begin() as conn:
        migrate.upgrade(connection=conn)
    rows = []
    for step in ("first load", "second load"):
        wall, cpu = time.perf_counter(), time.process_time()
        with database.unit_of_work() as session:
            result = load_demo(session, now=SystemClock().now(), lead_password="bench-passwort-123",
                               simulator_mode=True, history=True)
        added = {"shifts": result.shifts, "caregivers": result.caregivers, **result.history}
        rows.append((step, time.perf_counter() - wall, time.process_time() - cpu, added))
    database.engine.dispose()
    return rows


def main() -> None:
    """Print the timings of a first and a second `demo load` on SQLite (and PostgreSQL when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose public schema may be dropped")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'demo.sqlite3'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for name, url in targets:
            for step, wall, cpu, added in measure(url):
                what = ", ".join(f"{k} {v}" for k, v in added.items() if v)
                print(f"  {name:<10} {step:<12} {wall:6.1f} s wall {cpu:6.1f} s CPU   {what or 'nothing added'}")


if __name__ == "__main__":
    main()
