"""Simulate a day at the hotline: `python -m bench.daysim strike` (see bench/daysim/README in the README).

Prints the telephone figures (without and with the queue), the dispatch figures per dispatch
policy on the same seed, a coordinator sweep, and writes an SVG of the day with the queue.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, time
from pathlib import Path

from bench.daysim import dispatching, figures, phones
from bench.daysim.scenario import load
from bench.matching import TODAY
from core.clock import BERLIN


def main(argv: list[str] | None = None) -> None:
    """Run a scenario and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="a name in bench/daysim/scenarios (strike, weekday, night, smoke) or a path")
    parser.add_argument("--svg", default=None, help="where to write the SVG [.cache/daysim-<scenario>.svg]")
    parser.add_argument("--policies", default=",".join(dispatching.POLICIES), help="dispatch policies to compare")
    parser.add_argument("--sweep", default="1,2,3,4,6", help="coordinator counts to sweep (with the queue)")
    parser.add_argument("--pool-sweep", default="", help="caregiver pool sizes to sweep with the first policy")
    parser.add_argument("--no-dispatch", action="store_true", help="the telephone side only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the product's own notes (unfilled alerts, ...) are expected here
    scenario = load(args.scenario)
    day_start = datetime.combine(TODAY, time(scenario.start_hour % 24), tzinfo=BERLIN)
    print(f"# {scenario.name} (seed {scenario.seed})")
    days = {}
    for label, queue_on in (("today's product, no queue", False), ("with the queue", True)):
        day = phones.simulate_phones(scenario, day_start=day_start, queue_on=queue_on)
        days[queue_on] = day
        print(f"\n## Telephone, {label}")
        for line in figures.phone_lines(figures.phone_figures(day)):
            print(f"- {line}")
    if args.sweep:
        print("\n## Coordinators on duty all day, with the queue: time to a person p90 (min) / voicemail unchosen")
        for count in (int(n) for n in args.sweep.split(",")):
            f = figures.phone_figures(phones.simulate_phones(scenario, day_start=day_start, queue_on=True,
                                                             coordinators=count))
            p90 = f"{figures.percentile(f.to_person_minutes, 90):.1f}" if f.to_person_minutes else "n/a"
            print(f"- {count}: {p90} / {f.voicemail_unchosen}")
    if not args.no_dispatch:
        for name in args.policies.split(","):
            with dispatching.region_database(scenario.pool) as database:
                results = dispatching.simulate_dispatch(database, scenario, days[True].calls, day_start=day_start,
                                                        policy=dispatching.POLICIES[name], seed=scenario.seed)
            print(f"\n## Dispatch policy {name!r} ({scenario.pool} caregivers)")
            for line in figures.case_lines(figures.case_figures(results)):
                print(f"- {line}")
        first = args.policies.split(",")[0]
        for pool in (int(n) for n in args.pool_sweep.split(",") if n):
            with dispatching.region_database(pool) as database:
                results = dispatching.simulate_dispatch(database, scenario, days[True].calls, day_start=day_start,
                                                        policy=dispatching.POLICIES[first], seed=scenario.seed)
            cf = figures.case_figures(results)
            print(f"- pool {pool}, policy {first!r}: filled within 90 min {cf.within_90:.0%}, "
                  f"median {figures.spread(cf.to_caregiver_minutes).split(' / ')[0]} min, unfilled {cf.unfilled}")
    target = Path(args.svg or f".cache/daysim-{Path(args.scenario).stem}.svg")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(figures.svg(days[True], start_hour=scenario.start_hour, end_hour=scenario.end_hour,
                                  title=scenario.name), encoding="utf-8")
    print(f"\nSVG: {target}")


if __name__ == "__main__":
    main()
