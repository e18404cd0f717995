"""Simulate a day at the hotline: `python -m bench.daysim strike` (see bench/daysim/README in the README).

Prints the telephone figures (without and with the queue), the dispatch figures per dispatch
policy on the same seed, a coordinator sweep, and writes an SVG of the day with the queue.
With `--phones webhooks` (the default) every telephone day — without the queue, with it, and each
day of the coordinator sweep — is played through the product's signed webhooks, database and
worker job (webhook_phones); `--phones model` plays them on the event model over routing.queue's
decisions instead (phones.py: seconds instead of minutes, but blind to what only the product's
own state shows, such as a coordinator busy with a call-back).
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, time
from pathlib import Path

from bench.daysim import dispatching, figures, phones, webhook_phones
from bench.daysim.scenario import Scenario, load
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
    parser.add_argument("--seeds", type=int, default=1, help="days to play (the scenario's seed, +1, ...)")
    parser.add_argument("--phones", choices=("webhooks", "model"), default="webhooks",
                        help="the telephone days (without and with the queue, the sweep): through the product's "
                             "webhooks, database and worker (webhooks), or the event model over routing.queue "
                             "(model, faster)")
    parser.add_argument("--no-dispatch", action="store_true", help="the telephone side only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the product's own notes (unfilled alerts, ...) are expected here
    scenario = load(args.scenario)
    day_start = datetime.combine(TODAY, time(scenario.start_hour % 24), tzinfo=BERLIN)
    seeds = [scenario.seed + i for i in range(args.seeds)]
    print(f"# {scenario.name} (seeds {', '.join(map(str, seeds))}; figures over all seeds together)")
    days: dict[bool, list[phones.PhoneDay]] = {}
    phone_summary = {}
    through = args.phones == "webhooks"
    how = " (through the webhooks)" if through else " (model)"
    for label, queue_on in (("today's product, no queue" + how, False), ("with the queue" + how, True)):
        days[queue_on] = [_phone_day(scenario, day_start, seed, through=through, queue_on=queue_on)
                          for seed in seeds]
        phone_summary[queue_on] = figures.phone_figures(_pooled(days[queue_on]))
        print(f"\n## Telephone, {label}")
        for line in figures.phone_lines(phone_summary[queue_on]):
            print(f"- {line}")
    if args.sweep:
        print(f"\n## Coordinators on duty all day, with the queue{how}: time to a person median / p90 (min), "
              "voicemail unchosen, longest key 1 -> call-back (min)")
        for count in (int(n) for n in args.sweep.split(",")):
            f = figures.phone_figures(_pooled([_phone_day(scenario, day_start, seed, through=through, queue_on=True,
                                                          coordinators=count) for seed in seeds]))
            spread = figures.spread(f.to_person_minutes).rsplit(" / ", 1)[0]
            longest = f"{max(f.callback_delays):.1f}" if f.callback_delays else "-"
            print(f"- {count}: {spread}, {f.voicemail_unchosen}, {longest}")
    by_policy = {}
    if not args.no_dispatch:
        for name in args.policies.split(","):
            results = _dispatch(scenario, days[True], seeds, day_start, name, scenario.pool)
            by_policy[name] = results
            print(f"\n## Dispatch policy {name!r} ({scenario.pool} caregivers)")
            for line in figures.case_lines(figures.case_figures(results)):
                print(f"- all cases: {line}")
            for line in figures.case_lines(figures.case_figures(results, urgency="now")):
                print(f"- 'now' cases: {line}")
        first = args.policies.split(",")[0]
        for pool in (int(n) for n in args.pool_sweep.split(",") if n):
            cf = figures.case_figures(_dispatch(scenario, days[True], seeds, day_start, first, pool), urgency="now")
            print(f"- pool {pool}, policy {first!r}, 'now' cases: filled within 90 min {cf.within_90:.0%}, "
                  f"median {figures.spread(cf.to_caregiver_minutes).split(' / ')[0]} min, unfilled {cf.unfilled}")
    print("\n## Issue 13's strike-morning goals (with the queue; dispatch: 'waves', today's default)")
    now_cases = figures.case_figures(by_policy["waves"], urgency="now") if "waves" in by_policy else None
    everyone = figures.case_figures(by_policy["all"], urgency="now") if "all" in by_policy else None
    for line in figures.goal_lines(phone_summary[True], now_cases, everyone):
        print(f"- {line}")
    target = Path(args.svg or f".cache/daysim-{Path(args.scenario).stem}.svg")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(figures.svg(days[True][0], start_hour=scenario.start_hour, end_hour=scenario.end_hour,
                                  title=scenario.name), encoding="utf-8")
    print(f"\nSVG: {target}")


def _phone_day(scenario: Scenario, day_start: datetime, seed: int, *, through: bool, queue_on: bool,
               coordinators: int | None = None) -> phones.PhoneDay:
    """Play one telephone day through the product's webhooks, or on the event model."""
    if through:
        return webhook_phones.simulate_phones_via_webhooks(scenario, day_start=day_start, seed=seed,
                                                           coordinators=coordinators, queue_on=queue_on)
    return phones.simulate_phones(scenario, day_start=day_start, queue_on=queue_on, coordinators=coordinators,
                                  seed=seed)


def _pooled(days: list[phones.PhoneDay]) -> phones.PhoneDay:
    """Return the calls of several days as one (the queue's length is the first day's)."""
    return phones.PhoneDay([c for d in days for c in d.calls], days[0].queue_length)


def _dispatch(scenario: Scenario, days: list[phones.PhoneDay], seeds: list[int], day_start: datetime, policy: str,
              pool: int) -> list[dispatching.CaseResult]:
    """Dispatch each day's cases on its own fresh database; return all results."""
    results = []
    for day, seed in zip(days, seeds, strict=True):
        with dispatching.region_database(pool) as database:
            results += dispatching.simulate_dispatch(database, scenario, day.calls, day_start=day_start,
                                                     policy=dispatching.POLICIES[policy], seed=seed)
    return results


if __name__ == "__main__":
    main()
