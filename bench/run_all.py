"""Run every benchmark, one after the other, and print (or record) the results as Markdown.

`make bench` runs `python -m bench.run_all`. With `--record` the results replace the section
between the markers in BENCHMARKS.md. Each benchmark also runs alone: `python -m bench.<name> --help`.
The machine should be as quiet as possible: the latency figures move with everything else it runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.webhook_latency import REPO, machine

BEGIN = "<!-- results:begin (written by python -m bench.run_all --record) -->"
END = "<!-- results:end -->"


def benchmarks(args: argparse.Namespace) -> list[tuple[str, list[str], bool]]:
    """Return (title, command, is Markdown) for each benchmark, in the order they run."""
    python = [sys.executable, "-m"]
    postgres = ["--no-postgres"] if args.no_postgres else []
    quick = ["--quick"] if args.quick else []
    return [
        ("Webhook budget: one menu step piece by piece, in the process and through gunicorn, next to the floor",
         [*python, "bench.webhook_budget", *quick, *postgres], True),
        ("Webhook latency: the app and the floor side by side (callers press keys back to back: a stress test)",
         [*python, "bench.webhook_latency", *quick, *postgres, *(["--profile"] if args.profile else [])], True),
        ("Webhook latency with callers pausing 250 ms between keys (still ten times faster than a real caller)",
         [*python, "bench.webhook_latency", "--pause-ms", "250", "--rounds", "2", *quick, *postgres], True),
        ("Memory", [*python, "bench.memory", *(["--calls", "60"] if args.quick else [])], True),
        ("Dispatch: from `cases dispatch` to the first offer at the REST client",
         [*python, "bench.dispatch_latency", *quick, *postgres], True),
        ("Matching: ranking 10,000 and 100,000 caregivers (bench/matching.py)",
         [*python, "bench.matching", *quick], False),
        ("Time to a human (bench/time_to_human.py)", [*python, "bench.time_to_human"], False),
        ("Demo load: a fresh database with the year of history, then the renewal of every `make run` "
         "(bench/demo_load.py)", [*python, "bench.demo_load"], False),
    ]


def run(args: argparse.Namespace) -> str:
    """Run the benchmarks; return the Markdown of their results."""
    m = machine()
    parts = [f"Run of {m['date']} on {m['nproc']} CPU(s) ({m['cpu']}), Python {m['python']}, "
             f"load average at the start {m['load']}. Command: `python -m bench.run_all"
             f"{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`.", ""]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for title, command, markdown in benchmarks(args):
        print(f"== {title}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
                                  timeout=args.timeout)
            output, failed = done.stdout.strip(), done.returncode != 0
        except subprocess.TimeoutExpired as exc:
            output, failed = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), True
        seconds = time.monotonic() - began
        parts += [f"### {title}", ""]
        parts += [output if markdown else f"```text\n{output}\n```"]
        if failed:
            parts.append(f"\n**This benchmark failed or timed out** (`{' '.join(command[1:])}`).")
        parts += ["", f"_({seconds:.0f} s)_", ""]
        print(f"   done in {seconds:.0f} s{' (FAILED)' if failed else ''}", file=sys.stderr, flush=True)
    return "\n".join(parts)


def record(results: str, path: Path) -> None:
    """Replace the results section of BENCHMARKS.md (or append one)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{results}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    """Run everything and print the results; record them in BENCHMARKS.md with --record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--quick", action="store_true", help="smoke run of every benchmark (minutes, not figures)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--profile", action="store_true", help="also profile one gunicorn worker")
    parser.add_argument("--record", action="store_true", help="write the results into BENCHMARKS.md")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark at most [%(default)s]")
    args = parser.parse_args()
    results = run(args)
    print(results)
    if args.record:
        record(results, REPO / "BENCHMARKS.md")
        print(f"recorded in {REPO / 'BENCHMARKS.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
