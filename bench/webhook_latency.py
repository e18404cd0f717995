"""Webhook latency: N simulated calls at once through the whole voice menu, app and floor side by side.

Run with `python -m bench.webhook_latency` (`--quick` for a smoke run, `--help` for the options).

Each simulated call posts what Twilio would post, signed with the auth token as Twilio signs it:
incoming -> caller_type 1 -> care_type 1 -> children 1 -> child_age 3 -> postcode 30159 ->
urgency 1 -> reason 1, whose answer is the <Dial> to the primary on duty. N callers walk their
calls at the same time, each call's requests one after the other with no pause between them (a
real caller needs seconds per question, so this is far more load than N real callers make).

Three servers run at once, each under gunicorn with 2 sync workers on 127.0.0.1:
- `floor`:  bench/floor_app.py, a bare Flask app answering a fixed TwiML document of similar size;
- `sqlite`: the hotline on a fresh SQLite file, migrated with `flask --app app db upgrade`,
            with the demo roster (`flask --app app demo load`, a primary on duty now);
- `postgres`: the hotline on its own PostgreSQL database (default `bench` on 127.0.0.1; its public
            schema is dropped and migrated anew on every run).
The app runs with fake Twilio credentials and TWILIO_API_BASE pointing at a closed local port, so
nothing can leave the machine (no voice webhook makes a network call anyway).

For each concurrency level the targets are measured one after the other, and the whole sequence is
repeated for `--rounds` rounds in rotating order, so the floor and the app see the same noise. The
latency of a request is from connect() to the last byte of the answer, measured by a raw-socket
client with every request (body and signature) built before the clock starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "be" * 16
HOTLINE = "+4951100000000"

Step = tuple[str, str, dict[str, str], bytes]
#: The happy path: (webhook name, path, parameters besides the call's, what the answer must contain).
MENU: tuple[Step, ...] = (
    ("incoming", "/voice/incoming", {}, b"/voice/gather/caller_type/1"),
    ("caller_type", "/voice/gather/caller_type/1", {"Digits": "1"}, b"/voice/gather/care_type/1"),
    ("care_type", "/voice/gather/care_type/1", {"Digits": "1"}, b"/voice/gather/children/1"),
    ("children", "/voice/gather/children/1", {"Digits": "1"}, b"/voice/gather/child_age/1"),
    ("child_age", "/voice/gather/child_age/1", {"Digits": "3"}, b"/voice/gather/postcode/1"),
    ("postcode", "/voice/gather/postcode/1", {"Digits": "30159"}, b"/voice/gather/urgency/1"),
    ("urgency", "/voice/gather/urgency/1", {"Digits": "1"}, b"/voice/gather/reason/1"),
    ("reason -> Dial", "/voice/gather/reason/1", {"Digits": "1"}, b"<Dial"),
)
#: Then nobody answers: the backup rings, then the caller gets the voicemail (and the coordinators an SMS).
TO_VOICEMAIL: tuple[Step, ...] = (
    ("dial primary", "/voice/dial/primary", {"DialCallStatus": "no-answer", "DialBridged": "false"},
     b"/voice/dial/backup"),
    ("dial backup", "/voice/dial/backup", {"DialCallStatus": "no-answer", "DialBridged": "false"}, b"<Record"),
)
WEBHOOKS = [name for name, *_ in MENU]
#: Environment variables of the app that the bench sets or clears, so the caller's shell can't leak in.
APP_VARIABLES = ("DATABASE_URL", "PUBLIC_BASE_URL", "FALLBACK_NUMBER", "AUDIO_BASE_URL", "HOTLINE_NUMBER",
                 "SERVICE_HOURS", "SERVICE_ON_HOLIDAYS")


# --- the machine and small helpers ---------------------------------------------------------------


def machine() -> dict[str, str]:
    """Return what the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def machine_line() -> str:
    """Return the machine as one line for the printed reports."""
    m = machine()
    return f"{m['date']}, {m['nproc']} CPU(s) {m['cpu']}, Python {m['python']}, load average {m['load']}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    """Return the nearest-rank percentile of the values (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rss_kib(pid: int) -> int:
    """Return a process's resident set size (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def app_environment(*, database_url: str, port: int, **extra: str) -> dict[str, str]:
    """Return the environment of an app process: fake Twilio credentials, nothing reachable outside."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "DISPATCH_")) and k not in APP_VARIABLES}
    env.update(
        DATABASE_URL=database_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE=f"http://127.0.0.1:{free_port()}",  # closed: a stray REST request fails fast
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HOTLINE_NUMBER=HOTLINE,
        SERVICE_HOURS="mon-sun 00:00-24:00",
        SERVICE_ON_HOLIDAYS="true",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def flask_command(env: dict[str, str], *args: str) -> None:
    """Run `flask --app app ARGS` in the repository with this environment; raise when it fails."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)


def prepare_database(database_url: str, env: dict[str, str]) -> None:
    """Make an empty, migrated database with the demo roster (PostgreSQL: drop the public schema first).

    `demo load` refuses to run with Twilio credentials (demo data only in simulator mode), so it runs
    without them; `--no-history` leaves out the invented year of cases, so the database holds what
    the earlier runs measured with: the demo roster, caregivers and billing set-up.
    """
    if database_url.startswith("postgresql"):
        reset_postgres(database_url)
    flask_command(env, "db", "upgrade")
    simulator = {k: v for k, v in env.items() if not k.startswith("TWILIO_")}
    flask_command(simulator, "demo", "load", "--no-history")


def reset_postgres(database_url: str) -> None:
    """Drop and recreate the public schema of the bench's own PostgreSQL database."""
    from sqlalchemy import create_engine, make_url, text

    name = make_url(database_url).database or ""
    if name.startswith("test"):
        raise SystemExit(f"refusing to reset database {name!r}: the bench uses its own database")
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


# --- gunicorn ------------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn master on 127.0.0.1, its log in a file, stopped by its own pid only."""

    name: str
    app: str
    port: int
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    config: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start gunicorn and wait until every worker answers."""
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "sync",
                   "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--log-level", "warning"]
        if self.config:
            command += ["--config", str(self.config)]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([*command, self.app], cwd=REPO, env=self.env, stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited; see {self.log_path}")
            if len(self.worker_pids()) == self.workers:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name}: gunicorn did not start within {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's worker processes."""
        if self.process is None:
            return []
        pid = self.process.pid
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return sorted(int(c) for c in children)
        return []

    def stop(self, timeout: float = 15.0) -> None:
        """Stop gunicorn gracefully (SIGTERM to the master), killing its process group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


@contextlib.contextmanager
def running(servers: Sequence[Server]) -> Iterator[None]:
    """Start the servers, and stop every one of them however the block ends."""
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in servers:
            server.stop()


# --- the load generator --------------------------------------------------------------------------


@dataclass
class Request:
    """One prebuilt HTTP request of a call and what its answer must contain."""

    webhook: str
    raw: bytes
    expect: bytes


@dataclass
class Sample:
    """One answered (or failed) request."""

    webhook: str
    ms: float
    ok: bool


@dataclass
class LoadResult:
    """Everything one load phase measured."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    calls_done: int = 0
    seconds: float = 0.0
    stopped_early: bool = False


def caller_number(index: int) -> str:
    """Return a distinct German mobile number for simulated call `index`."""
    return f"+49151{20_000_000 + index % 80_000_000:08d}"


def build_call(*, port: int, index: int, tag: str, validator: RequestValidator,
               menu: Sequence[Step] = MENU) -> list[Request]:
    """Return one call's requests, signed for PUBLIC_BASE_URL http://127.0.0.1:port."""
    call_sid = f"CA{tag}{index:08d}".ljust(34, "0")[:34]
    base = f"http://127.0.0.1:{port}"
    common = {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "From": caller_number(index), "To": HOTLINE,
              "Direction": "inbound", "CallStatus": "in-progress"}
    requests = []
    for webhook, path, extra, expect in menu:
        params = {**common, **extra}
        body = urlencode(params).encode()
        signature = validator.compute_signature(base + path, params)
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: TwilioProxy/1.1\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                f"X-Twilio-Signature: {signature}\r\nConnection: close\r\n\r\n")
        requests.append(Request(webhook, head.encode() + body, expect))
    return requests


def send(port: int, raw: bytes, timeout: float) -> bytes:
    """Send one request on a new connection and return the whole answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def check_answer(answer: bytes, expect: bytes | None) -> str | None:
    """Return what is wrong with an answer, or None when it is a 200 with the expected TwiML."""
    if answer[9:12] != b"200":
        return f"HTTP {answer[9:12].decode(errors='replace')}"
    if expect is not None and expect not in answer:
        return "unexpected TwiML: " + answer.split(b"\r\n\r\n", 1)[-1][:160].decode(errors="replace")
    return None


def run_load(port: int, calls: Sequence[Sequence[Sequence[Request]]], *, check: bool,
             time_limit: float, request_timeout: float = 30.0, pause: float = 0.0) -> LoadResult:
    """Let each caller (one thread each) walk its calls; stop by itself after `time_limit` seconds."""
    result = LoadResult()
    lock = threading.Lock()
    start = threading.Barrier(len(calls) + 1)
    deadline = time.monotonic() + time_limit

    def caller(own_calls: Sequence[Sequence[Request]]) -> None:
        samples: list[Sample] = []
        errors: list[str] = []
        done = 0
        start.wait()
        for call in own_calls:
            if time.monotonic() > deadline:
                break
            for request in call:
                began = time.perf_counter()
                try:
                    answer = send(port, request.raw, request_timeout)
                    problem = check_answer(answer, request.expect if check else None)
                except OSError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                samples.append(Sample(request.webhook, (time.perf_counter() - began) * 1000, problem is None))
                if problem:
                    errors.append(f"{request.webhook}: {problem}")
                    break  # a call that went wrong is abandoned, as Twilio would hang up
                if pause:
                    time.sleep(pause)  # the caller listens to the prompt and presses a key
            else:
                done += 1
        with lock:
            result.samples += samples
            result.errors += errors
            result.calls_done += done

    threads = [threading.Thread(target=caller, args=(c,), daemon=True) for c in calls]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(time_limit + request_timeout + 5)
    result.seconds = time.perf_counter() - began
    result.stopped_early = result.calls_done < sum(len(c) for c in calls)
    return result


def make_calls(port: int, *, callers: int, calls_per_caller: int, tag: str,
               menu: Sequence[Step] = MENU) -> list[list[list[Request]]]:
    """Return each caller's list of prebuilt calls."""
    validator = RequestValidator(AUTH_TOKEN)
    index = iter(range(10**8))
    return [[build_call(port=port, index=next(index), tag=tag, validator=validator, menu=menu)
             for _ in range(calls_per_caller)] for _ in range(callers)]


# --- the benchmark -------------------------------------------------------------------------------


@dataclass
class Phase:
    """One (target, concurrency, round) measurement."""

    target: str
    callers: int
    round: int
    result: LoadResult

    def p50(self) -> float:
        """Return the median latency of every answered request of the phase."""
        return percentile([s.ms for s in self.result.samples if s.ok], 50)


def measure(servers: dict[str, Server], *, levels: Sequence[tuple[int, int]], rounds: int,
            time_limit: float, warmup_calls: int = 6, log: bool = True, pause: float = 0.0) -> list[Phase]:
    """Measure every target at every level, `rounds` times in rotating order; return the phases."""
    names = list(servers)
    for name in names:  # warm up: imports, connection pools, prompt caches in both workers
        server = servers[name]
        run_load(server.port, make_calls(server.port, callers=2, calls_per_caller=warmup_calls // 2,
                                         tag=f"w{name[:2]}"), check=False, time_limit=time_limit)
    phases = []
    serial = 0
    for round_ in range(rounds):
        for callers, per_caller in levels:
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                server = servers[name]
                serial += 1
                calls = make_calls(server.port, callers=callers, calls_per_caller=per_caller,
                                   tag=f"{serial:04d}")
                result = run_load(server.port, calls, check=name != "floor", time_limit=time_limit, pause=pause)
                phase = Phase(name, callers, round_ + 1, result)
                phases.append(phase)
                if log:
                    rate = len(result.samples) / result.seconds if result.seconds else 0
                    print(f"  round {round_ + 1} N={callers:<3} {name:<9} {result.calls_done:>4} calls "
                          f"{len(result.samples):>5} requests {rate:>6.0f} req/s  p50 {phase.p50():6.1f} ms"
                          f"{'  ERRORS ' + str(len(result.errors)) if result.errors else ''}"
                          f"{'  STOPPED AT TIME LIMIT' if result.stopped_early else ''}",
                          file=sys.stderr, flush=True)
    return phases


def summarize(phases: Sequence[Phase]) -> dict[str, object]:
    """Return the figures: pooled percentiles per target, level and webhook; ratios to the floor."""
    pooled: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    errors: dict[tuple[str, int], list[str]] = defaultdict(list)
    seconds: dict[tuple[str, int], float] = defaultdict(float)
    for phase in phases:
        key = (phase.target, phase.callers)
        for sample in phase.result.samples:
            if sample.ok:
                pooled[key][sample.webhook].append(sample.ms)
                pooled[key]["all"].append(sample.ms)
        errors[key] += phase.result.errors
        seconds[key] += phase.result.seconds
    rows = []
    for (target, callers), by_webhook in pooled.items():
        floor = pooled.get(("floor", callers), {})
        for webhook in [*WEBHOOKS, "all"]:
            values = by_webhook.get(webhook, [])
            p50 = percentile(values, 50)
            floor_p50 = percentile(floor.get(webhook, []), 50) if floor else float("nan")
            rows.append({
                "target": target, "N": callers, "webhook": webhook, "count": len(values),
                "p50": p50, "p95": percentile(values, 95), "p99": percentile(values, 99),
                "max": max(values, default=float("nan")),
                "ratio_p50": p50 / floor_p50 if floor_p50 and floor_p50 == floor_p50 else float("nan"),
            })
    ratios: dict[str, list[float]] = defaultdict(list)
    by_round = {(p.target, p.callers, p.round): p for p in phases}
    for (target, callers, round_), phase in by_round.items():
        floor_phase = by_round.get(("floor", callers, round_))
        if target != "floor" and floor_phase:
            ratios[f"{target} N={callers}"].append(phase.p50() / floor_phase.p50())
    throughput = {f"{t} N={n}": sum(len(p) for p in pooled[(t, n)].values() if p) / 2 / seconds[(t, n)]
                  for (t, n) in pooled if seconds[(t, n)]}
    return {
        "rows": rows,
        "round_ratios": {k: sorted(v) for k, v in ratios.items()},
        "throughput": throughput,
        "errors": {f"{t} N={n}": e[:5] + ([f"... {len(e) - 5} more"] if len(e) > 5 else [])
                   for (t, n), e in errors.items() if e},
        "error_counts": {f"{t} N={n}": len(e) for (t, n), e in errors.items() if e},
    }


def report(summary: dict[str, object], *, targets: Sequence[str], levels: Sequence[tuple[int, int]],
           rounds: int) -> str:
    """Return the figures as Markdown tables."""
    rows = summary["rows"]
    assert isinstance(rows, list)
    lines = [f"Webhook latency, ms ({rounds} round(s); per level: N callers x calls each: "
             + ", ".join(f"N={n}: {n}x{c}" for n, c in levels) + "; 8 requests per call; "
             "percentiles pooled over the rounds; ratio = app p50 / floor p50 of the same webhook)", ""]
    for callers, _ in levels:
        header = "| webhook | " + " | ".join(f"{t} p50 / p95 / p99" for t in targets) + " | " + " | ".join(
            f"{t} / floor" for t in targets if t != "floor") + " |"
        lines += [f"**N = {callers}**", "", header, "|" + "---|" * (header.count("|") - 1)]
        for webhook in [*WEBHOOKS, "all"]:
            cells, ratio_cells = [], []
            for target in targets:
                row = next((r for r in rows if r["target"] == target and r["N"] == callers
                            and r["webhook"] == webhook), None)
                if row is None:
                    cells.append("–")
                    continue
                cells.append(f"{row['p50']:.1f} / {row['p95']:.1f} / {row['p99']:.1f}")
                if target != "floor":
                    ratio_cells.append(f"{row['ratio_p50']:.2f}x")
            name = f"**{webhook}**" if webhook == "all" else webhook
            lines.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratio_cells) + " |")
        lines.append("")
    ratios = summary["round_ratios"]
    assert isinstance(ratios, dict)
    if ratios:
        lines += ["p50 ratio to the floor, all webhooks, per round (min / median / max): " + "; ".join(
            f"{k}: {min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}" for k, v in ratios.items()), ""]
    throughput = summary["throughput"]
    assert isinstance(throughput, dict)
    lines += ["Requests per second while loaded: " + "; ".join(f"{k}: {v:.0f}" for k, v in throughput.items()),
              ""]
    counts = summary["error_counts"]
    assert isinstance(counts, dict)
    lines.append("Errors: " + ("; ".join(f"{k}: {v}" for k, v in counts.items()) if counts else "none")
                 + " (every app answer is checked: HTTP 200 and the next step's Gather, or the Dial)")
    return "\n".join(lines)


def targets_check(summary: dict[str, object], callers: int = 10) -> list[str]:
    """Return the issue's two targets at N=10 with their status, one line each."""
    rows = summary["rows"]
    assert isinstance(rows, list)
    lines = []
    for row in rows:
        if row["N"] == callers and row["webhook"] == "all" and row["target"] != "floor":
            lines.append(f"{row['target']} N={callers}: p99 {row['p99']:.1f} ms (target < 50: "
                         f"{'met' if row['p99'] < 50 else 'NOT met'}); p50 {row['ratio_p50']:.2f}x the floor "
                         f"(target <= 1.5x: {'met' if row['ratio_p50'] <= 1.5 else 'NOT met'})")
    return lines


def start_servers(folder: Path, *, postgres_url: str | None, sqlite: bool = True, workers: int = 2,
                  config: Path | None = None, floor: bool = True) -> dict[str, Server]:
    """Prepare the databases and return the (not yet started) servers by name."""
    servers: dict[str, Server] = {}
    if floor:
        port = free_port()
        servers["floor"] = Server("floor", "bench.floor_app:app", port,
                                  app_environment(database_url="sqlite://", port=port),
                                  folder / "floor.log", workers=workers)
    databases = []
    if sqlite:
        databases.append(("sqlite", f"sqlite:///{folder / 'fluxx.sqlite3'}"))
    if postgres_url:
        databases.append(("postgres", postgres_url))
    for name, url in databases:
        port = free_port()
        env = app_environment(database_url=url, port=port)
        prepare_database(url, env)
        servers[name] = Server(name, "app:create_app()", port, env, folder / f"{name}.log", workers=workers,
                               config=config)
    return servers


PROFILE_CONFIG = '''
import cProfile, os
_profile = cProfile.Profile()
def pre_request(worker, req):
    _profile.enable()
def post_request(worker, req, environ, resp):
    _profile.disable()
def worker_exit(server, worker):
    _profile.dump_stats(os.environ["BENCH_PROFILE"] + "." + str(os.getpid()))
'''


def profile(folder: Path, *, postgres_url: str | None, callers: int, calls_per_caller: int,
            time_limit: float, top: int) -> str:
    """Profile one gunicorn worker (cProfile around each request) under load; return the top functions."""
    config = folder / "profile_conf.py"
    config.write_text(PROFILE_CONFIG)
    out = []
    for name, url in [("sqlite", None), ("postgres", postgres_url)]:
        if name == "postgres" and not postgres_url:
            continue
        stats_prefix = folder / f"profile-{name}"
        servers = start_servers(folder, postgres_url=url, sqlite=name == "sqlite", workers=1, config=config,
                                floor=False)
        server = servers[name]
        server.env["BENCH_PROFILE"] = str(stats_prefix)
        with running([server]):
            run_load(server.port, make_calls(server.port, callers=2, calls_per_caller=2, tag="wprof"),
                     check=False, time_limit=time_limit)
            result = run_load(server.port, make_calls(server.port, callers=callers, calls_per_caller=calls_per_caller,
                                                      tag="prof"), check=True, time_limit=time_limit)
        files = sorted(folder.glob(f"profile-{name}.*"))
        if not files:
            out.append(f"{name}: no profile written (see {server.log_path})")
            continue
        buffer = _Buffer()
        stats = pstats.Stats(*[str(f) for f in files], stream=buffer)  # type: ignore[arg-type]  # pstats only calls write()
        requests = len(result.samples)
        total = stats.total_tt  # type: ignore[attr-defined]  # set by pstats.Stats.load_stats, not declared in typeshed
        buffer.write(f"\n### {name}: one gunicorn worker, {requests} requests at N={callers}, "
                     f"{total * 1000 / max(requests, 1):.2f} ms of profiled CPU per request\n")
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        out.append(buffer.text())
    return "\n".join(out)


class _Buffer:
    """A file-like sink for pstats."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        """Collect text."""
        self.parts.append(text)
        return len(text)

    def text(self) -> str:
        """Return the text collected, with the repository's path shortened."""
        return "".join(self.parts).replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")


def parse_levels(text: str) -> list[tuple[int, int]]:
    """Parse '1x20,10x10,50x4' (callers x calls per caller)."""
    levels = []
    for part in text.split(","):
        callers, _, calls = part.strip().partition("x")
        levels.append((int(callers), int(calls or 1)))
    return levels


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the measurement with parsed arguments; return the summary with its Markdown."""
    postgres_url = None if args.no_postgres else args.postgres_url
    levels = parse_levels(args.levels)
    with tempfile.TemporaryDirectory(prefix="fluxx-bench-") as tmp:
        folder = Path(tmp)
        servers = start_servers(folder, postgres_url=postgres_url)
        print(f"webhook latency: {', '.join(servers)}; {machine_line()}", file=sys.stderr, flush=True)
        with running(list(servers.values())):
            phases = measure(servers, levels=levels, rounds=args.rounds, time_limit=args.time_limit,
                             pause=args.pause_ms / 1000)
        summary = summarize(phases)
        summary["markdown"] = report(summary, targets=list(servers), levels=levels, rounds=args.rounds)
        summary["targets"] = targets_check(summary)
        summary["machine"] = machine()
        if args.profile:
            summary["profile"] = profile(folder, postgres_url=postgres_url, callers=10, calls_per_caller=10,
                                         time_limit=args.time_limit, top=args.top)
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this benchmark's options."""
    parser.add_argument("--levels", default="1x20,10x10,50x4",
                        help="concurrency levels as CALLERSxCALLS_EACH, comma-separated [%(default)s]")
    parser.add_argument("--rounds", type=int, default=3, help="repeat every level this often [%(default)s]")
    parser.add_argument("--pause-ms", type=float, default=0.0,
                        help="pause of each caller between her requests (0 = back to back, a stress test; "
                             "a real caller needs seconds per question) [%(default)s]")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="seconds after which one load phase stops by itself [%(default)s]")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="the bench's OWN PostgreSQL database; its public schema is dropped "
                             "[BENCH_DATABASE_URL or %(default)s]")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite and the floor only")
    parser.add_argument("--profile", action="store_true",
                        help="then profile one gunicorn worker (cProfile per request) at N=10")
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile [%(default)s]")


def main() -> None:
    """Measure and print the Markdown tables (and the JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    add_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, few calls")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.levels = 1, "1x3,10x2,50x1"
    summary = run(args)
    print(summary["markdown"])
    print()
    targets = summary["targets"]
    assert isinstance(targets, list)
    print("\n".join(targets))
    if "profile" in summary:
        print("\nProfile (cProfile around each request, so it slows the worker down about twice):\n")
        print("```text" + str(summary["profile"]) + "\n```")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, default=str))


if __name__ == "__main__":
    main()
