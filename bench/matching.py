"""Matching speed: rank_candidates over 10,000 and 100,000 synthetic caregivers, and the loader on SQLite.

Run with `python -m bench.matching` (add `--quick` for a smoke run). The synthetic pool is spread
over the region's postcodes (so the city, with most postcodes, has most caregivers) with mixed
gates: radii 5–25 km, age ranges, eldercare, languages, inactive and opted-out people, missing,
excluding and expired police certificates, holidays and other assignments. Each run times every
one of a fixed set of cases spread over the region; we report the median over the runs of the
per-case median and 95th percentile, with and without `limit=10` (the offer waves need only the
best few). Memory is the tracemalloc peak of one ranking. Then `find_ranked_candidates` (four
queries plus the ranking) against a SQLite file with 10,000 caregivers.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core import migrate
from core.clock import BERLIN
from core.database import make_engine
from dispatch.matching import (
    Candidate,
    CaseNeeds,
    case_needs,
    find_ranked_candidates,
    load_candidates,
    rank_candidates,
)
from geo.postcodes import _residential
from models import Caregiver, Case, CaseStatus, Unavailability

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Hannover
TODAY = NOW.astimezone(BERLIN).date()
LANGUAGE_MIXES = (
    ("de",),
    ("de",),
    ("de",),
    ("de", "en"),
    ("de", "tr"),
    ("tr", "de"),
    ("ar", "de"),
    ("ru", "de"),
    ("uk", "ru", "de"),
    ("de", "en", "tr"),
    ("en", "de"),
)
AGE_RANGES = ((0, 3), (0, 6), (0, 13), (1, 6), (2, 10), (3, 13), (6, 13), (0, 1))


def synthetic_pool(size: int, seed: int = 1) -> list[Candidate]:
    """Return `size` candidates with realistic spreads of places and gates."""
    rng = random.Random(seed)
    places = [(r.lat, r.lon) for r in _residential().values()]
    pool = []
    for i in range(1, size + 1):
        lat, lon = rng.choice(places)
        min_age, max_age = rng.choice(AGE_RANGES)
        roll = rng.random()
        certificate = None if roll < 0.08 else TODAY - timedelta(days=rng.randint(0, 6 * 365))
        unavailable: tuple[tuple[date, date], ...] = ()
        if rng.random() < 0.06:
            first = TODAY + timedelta(days=rng.randint(-10, 10))
            unavailable = ((first, first + timedelta(days=rng.randint(0, 14))),)
        busy: tuple[tuple[datetime, datetime], ...] = ()
        if rng.random() < 0.02:
            start = NOW + timedelta(hours=rng.randint(-6, 24))
            busy = ((start, start + timedelta(hours=4)),)
        pool.append(
            Candidate(
                caregiver_id=i,
                phone=f"+4917{i:09d}",
                lat=lat,
                lon=lon,
                max_distance_km=float(rng.choice((5, 8, 10, 12, 15, 20, 25))),
                min_age=min_age,
                max_age=max_age,
                eldercare=rng.random() < 0.3,
                languages=rng.choice(LANGUAGE_MIXES),
                active=rng.random() < 0.95,
                opted_out=rng.random() < 0.03,
                police_certificate_date=certificate,
                police_certificate_excluded=rng.random() < 0.01,
                unavailable=unavailable,
                busy=busy,
                recent_assignments=rng.choice((0, 0, 0, 1, 1, 2, 3, 5)),
            )
        )
    return pool


def synthetic_cases(count: int, seed: int = 2) -> list[CaseNeeds]:
    """Return cases spread over the region: mostly children of every age, some eldercare."""
    rng = random.Random(seed)
    codes = sorted(_residential().items())
    cases = []
    for _ in range(count):
        code, place = rng.choice(codes)
        eldercare = rng.random() < 0.15
        start = NOW + timedelta(minutes=rng.randint(0, 48 * 60))
        cases.append(
            CaseNeeds(
                care_type="eldercare" if eldercare else "child",
                child_age=None if eldercare or rng.random() < 0.05 else rng.randint(0, 12),
                postcode=code,
                lat=place.lat,
                lon=place.lon,
                language=rng.choice(("de",) * 8 + ("en", "tr", "ar")),
                window_start=start,
                window_end=start + timedelta(hours=rng.choice((2, 4, 4, 8))),
            )
        )
    return cases


def time_per_case(
    rank: Callable[[CaseNeeds], object], cases: Sequence[CaseNeeds], runs: int
) -> tuple[float, float]:
    """Return the median over runs of (median, p95) milliseconds per case."""
    medians, p95s = [], []
    for _ in range(runs):
        times = []
        for needs in cases:
            started = time.perf_counter()
            rank(needs)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        medians.append(statistics.median(times))
        p95s.append(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))])
    return statistics.median(medians), statistics.median(p95s)


def peak_memory_mb(rank: Callable[[], object]) -> float:
    """Return the tracemalloc peak of one call in MiB."""
    tracemalloc.start()
    rank()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _rank(needs: CaseNeeds, *, pool: Sequence[Candidate], limit: int | None) -> object:
    """Rank one case against the pool."""
    return rank_candidates(needs, pool, today=TODAY, limit=limit)


def bench_pure(sizes: Sequence[int], runs: dict[int, int], case_count: int) -> None:
    """Print the ranking figures for each pool size."""
    cases = synthetic_cases(case_count)
    print(f"rank_candidates, {case_count} cases spread over the region, median over runs")
    print(
        f"  {'pool':>8} {'runs':>5} {'matches':>8} {'median ms':>10} {'p95 ms':>8} "
        f"{'limit=10 median':>16} {'p95':>6} {'peak MiB':>9}"
    )
    for size in sizes:
        pool = synthetic_pool(size)
        matches = statistics.median(len(rank_candidates(n, pool, today=TODAY)) for n in cases)
        full = partial(_rank, pool=pool, limit=None)
        best = partial(_rank, pool=pool, limit=10)
        median, p95 = time_per_case(full, cases, runs[size])
        median10, p9510 = time_per_case(best, cases, runs[size])
        central = next(n for n in cases if n.postcode and n.postcode.startswith("301"))
        peak = peak_memory_mb(partial(full, central))
        print(
            f"  {size:>8,} {runs[size]:>5} {matches:>8.0f} {median:>10.2f} {p95:>8.2f} "
            f"{median10:>16.2f} {p9510:>6.2f} {peak:>9.2f}"
        )


def bench_database(size: int, runs: int, case_count: int) -> None:
    """Print the time of find_ranked_candidates against a SQLite file with `size` caregivers."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        with engine.begin() as connection:
            migrate.upgrade(connection=connection)
        with Session(engine) as session:
            case_ids = _fill(session, size, case_count)
            session.commit()
        with Session(engine) as session:
            cases = [session.get(Case, i) for i in case_ids]
            totals, loads = [], []
            for _ in range(runs):
                for case in cases:
                    assert case is not None
                    started = time.perf_counter()
                    load_candidates(session, needs=case_needs(case, now=NOW), now=NOW, case_id=case.id)
                    middle = time.perf_counter()
                    find_ranked_candidates(session, case=case, now=NOW)
                    loads.append((middle - started) * 1000)
                    totals.append((time.perf_counter() - middle) * 1000)
        engine.dispose()
    totals.sort()
    print(f"find_ranked_candidates on SQLite, {size:,} caregivers, {case_count} cases x {runs} runs")
    print(
        f"  load_candidates median {statistics.median(loads):.1f} ms; "
        f"find_ranked_candidates median {statistics.median(totals):.1f} ms, "
        f"p95 {totals[round(0.95 * (len(totals) - 1))]:.1f} ms"
    )


def _fill(session: Session, size: int, case_count: int) -> list[int]:
    """Insert `size` caregivers, some holidays and assignments, and the cases to match; return their ids."""
    rng = random.Random(3)
    codes = sorted(_residential())
    pool = synthetic_pool(size)
    session.execute(
        insert(Caregiver),
        [
            {
                "id": c.caregiver_id,
                "name": f"Betreuerin {c.caregiver_id}",
                "phone": c.phone,
                "postcode": rng.choice(codes),
                "max_distance_km": c.max_distance_km,
                "min_age": c.min_age,
                "max_age": c.max_age,
                "eldercare": c.eldercare,
                "languages": list(c.languages),
                "active": c.active,
                "opted_out": c.opted_out,
                "police_certificate_date": c.police_certificate_date,
                "police_certificate_excluded": c.police_certificate_excluded,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for c in pool
        ],
    )
    session.execute(
        insert(Unavailability),
        [
            {"caregiver_id": c.caregiver_id, "starts_on": s, "ends_on": e, "reason": "holiday"}
            for c in pool
            for s, e in c.unavailable
        ],
    )
    # About two assignments per caregiver and month, a few of them still open.
    session.execute(
        insert(Case),
        [
            {
                "reference": f"B{i:07d}",
                "status": CaseStatus.ASSIGNED if i % 20 == 0 else CaseStatus.CLOSED,
                "postcode": rng.choice(codes),
                "urgency": "now",
                "caregiver_id": rng.randint(1, size),
                "assigned_at": NOW - timedelta(hours=rng.randint(0, 60 * 24)),
                "created_at": NOW - timedelta(days=30),
                "updated_at": NOW,
            }
            for i in range(size // 15)
        ],
    )
    ids = []
    for i, needs in enumerate(synthetic_cases(case_count)):
        case = Case(
            reference=f"C{i:07d}",
            status=CaseStatus.OPEN,
            postcode=needs.postcode,
            care_type=needs.care_type,
            child_age=needs.child_age,
            urgency="now",
            language=needs.language,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(case)
        session.flush()
        ids.append(case.id)
    return ids


def main() -> None:
    """Run the matching benchmarks and print the figures with the machine they ran on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few runs only (smoke test)")
    args = parser.parse_args()
    runs = {10_000: 3, 100_000: 1} if args.quick else {10_000: 50, 100_000: 10}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), "
        f"{platform.machine()}, load average before the run {load}"
    )
    bench_pure((10_000, 100_000), runs, case_count=20)
    bench_database(10_000, runs=2 if args.quick else 10, case_count=20)


if __name__ == "__main__":
    main()
