"""Webhook budget: what one menu step costs inside the process, piece by piece, next to the floor.

The latency benchmark measures whole requests through gunicorn; this one takes the HTTP server
and the sockets away and calls the WSGI apps directly, one request at a time, so the parts can be
told apart: the floor app, the hotline answering without a database (`/voice/fallback/after-dial`:
form, signature, a short TwiML), a plain menu step (`/voice/gather/children/1`), the answer's write alone
(`cases.journal.record_answer`), and one bare database round trip (`SELECT 1`).

It explains the latency table: under gunicorn the floor answers in about 0.3-0.4 ms, so "p50
within 1.5x of the floor" leaves 0.15-0.2 ms for everything the hotline itself does, and the
parts below show what a signed request and a durable write cost on this machine. A second table
repeats the comparison through gunicorn (one sync worker per app, one request at a time), with a
floor that reads the posted form as every webhook must. Medians over many requests; the databases
are prepared as in the latency benchmark.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.webhook_latency import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    DEFAULT_POSTGRES,
    HOTLINE,
    Server,
    app_environment,
    caller_number,
    free_port,
    machine_line,
    prepare_database,
    running,
    send,
)

PORT = 8000
BASE = f"http://127.0.0.1:{PORT}"
#: The steps walked (not timed) before the timed one, with their keys.
BEFORE: tuple[tuple[str, dict[str, str]], ...] = (("/voice/incoming", {}), ("/voice/gather/caller_type/1", {"Digits": "1"}),
          ("/voice/gather/care_type/1", {"Digits": "1"}))
TIMED = ("/voice/gather/children/1", {"Digits": "1"})
#: Rounds of the served comparison, each measuring every server in turn.
ROUNDS = 4


def environ(path: str, params: dict[str, str], validator: RequestValidator) -> dict[str, Any]:
    """Return the WSGI environ of a signed Twilio POST."""
    body = urlencode(params).encode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(PORT), "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": f"127.0.0.1:{PORT}",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": validator.compute_signature(BASE + path, params),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def call(app: Any, env: dict[str, Any], expect: bytes) -> None:
    """Run one request through the WSGI app; fail loudly unless it is a 200 with the expected TwiML."""
    status: list[str] = []
    body = b"".join(app(env, lambda s, _h, _e=None: status.append(s)))
    if not status or not status[0].startswith("200") or expect not in body:
        raise SystemExit(f"unexpected answer to {env['PATH_INFO']}: {status} {body[:200]!r}")


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def timed(run: Callable[[], object], count: int, warmup: int) -> list[float]:
    """Return the duration of each of `count` runs after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return samples


def make_app(database_url: str) -> Any:
    """Prepare a database like the latency benchmark does, and create the hotline app on it."""
    env = app_environment(database_url=database_url, port=PORT)
    prepare_database(database_url, env)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from app import create_app

        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure_app(app: Any, *, count: int, tag: str) -> dict[str, float]:
    """Return the medians (microseconds) of the hotline's parts on one database."""
    import logging

    from sqlalchemy import text

    from cases.events import EventKind
    from cases.journal import record_answer

    logging.disable(logging.INFO)  # the app logs each new call; the floor logs nothing
    validator = RequestValidator(AUTH_TOKEN)
    wsgi = app.wsgi_app
    calls = []
    for index in range(count + 50):
        params = {"CallSid": f"CA{tag}{index:08d}".ljust(34, "0")[:34], "AccountSid": ACCOUNT_SID,
                  "From": caller_number(index), "To": HOTLINE, "Direction": "inbound", "CallStatus": "in-progress"}
        for path, extra in BEFORE:
            call(wsgi, environ(path, {**params, **extra}, validator), b"<Gather")
        calls.append(environ(TIMED[0], {**params, **TIMED[1]}, validator))
    step = timed(lambda: call(wsgi, calls.pop(), b"/voice/gather/child_age/1"), count, 50)
    fallback_env = environ("/voice/fallback/after-dial", {"CallSid": "CA" + "f" * 32, "From": caller_number(1),
                                                          "DialCallStatus": "completed", "DialBridged": "true"},
                           validator)

    def fallback() -> None:
        fallback_env["wsgi.input"].seek(0)
        call(wsgi, dict(fallback_env), b"<Hangup")

    without_database = timed(fallback, count, 50)
    database = app.extensions["fluxx"].database
    call_sid = f"CA{tag}{0:08d}".ljust(34, "0")[:34]
    keys = iter(range(10**9))
    now = datetime.now(UTC)
    write = timed(lambda: record_answer(database, call_sid=call_sid, key=f"bench:{next(keys)}",
                                        kind=EventKind.MENU_ANSWER,
                                        detail={}, answers={"children": 1}, now=now), count, 50)
    with database.engine.connect() as connection:
        round_trip = timed(lambda: connection.execute(text("SELECT 1")).scalar_one(), count, 50)
    logging.disable(logging.NOTSET)
    return {"fallback": median_us(without_database), "step": median_us(step), "write": median_us(write),
            "round_trip": median_us(round_trip)}


def measure_floor(count: int) -> float:
    """Return the floor app's median (microseconds) for the same request."""
    from bench.floor_app import app as floor

    validator = RequestValidator(AUTH_TOKEN)
    env = environ(TIMED[0], {"CallSid": "CA" + "0" * 32, **TIMED[1]}, validator)

    def request() -> None:
        env["wsgi.input"].seek(0)
        call(floor.wsgi_app, dict(env), b"<Gather")

    return median_us(timed(request, count, 200))


def http_request(port: int, path: str, params: dict[str, str], validator: RequestValidator) -> bytes:
    """Return a signed raw HTTP request for the server on `port` (signed for its PUBLIC_BASE_URL)."""
    body = urlencode(params).encode()
    signature = validator.compute_signature(f"http://127.0.0.1:{port}{path}", params)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def serving(port: int, requests: list[bytes], expect: bytes, *, keep: bool) -> Callable[[], None]:
    """Return one measured request: the same one each time (`keep`), or the next of `requests` (popped)."""

    def measure() -> None:
        served(port, requests[0] if keep else requests.pop(), expect)

    return measure


def served(port: int, raw: bytes, expect: bytes) -> None:
    """Send one request to a gunicorn server; fail loudly unless it answers 200 with the expected TwiML."""
    answer = send(port, raw, 10.0)
    if answer[9:12] != b"200" or expect not in answer:
        raise SystemExit(f"unexpected answer from port {port}: {answer[:200]!r}")


def measure_served(folder: Path, databases: dict[str, str], *, count: int) -> dict[str, dict[str, float]]:
    """Return medians (microseconds) of one request at a time through gunicorn (one sync worker each)."""
    validator = RequestValidator(AUTH_TOKEN)
    floors = {name: Server(name, target, free_port(), app_environment(database_url="sqlite://", port=0),
                           folder / f"{name}.log", workers=1)
              for name, target in (("floor", "bench.floor_app:app"), ("form", "bench.floor_app:app_reading_form"))}
    apps = {}
    for name, url in databases.items():
        port = free_port()
        env = app_environment(database_url=url, port=port)
        prepare_database(url, env)
        apps[name] = Server(name, "app:create_app()", port, env, folder / f"{name}.log", workers=1)
    samples: dict[tuple[str, str], list[float]] = {}
    with running([*floors.values(), *apps.values()]):
        any_call = {"CallSid": "CA" + "0" * 32, **TIMED[1]}
        measures: list[tuple[str, str, Callable[[], None]]] = []
        for name, server in floors.items():
            raw = http_request(server.port, TIMED[0], any_call, validator)
            measures.append((name, "request", serving(server.port, [raw], b"<Gather", keep=True)))
        for name, server in apps.items():
            port = server.port
            hangup = http_request(port, "/voice/fallback/after-dial",
                                  {"CallSid": "CA" + "f" * 32, "DialCallStatus": "completed", "DialBridged": "true"},
                                  validator)
            steps = []
            for index in range(count + 50 * ROUNDS):
                params = {"CallSid": f"CAsv{name[:2]}{index:08d}".ljust(34, "0")[:34], "AccountSid": ACCOUNT_SID,
                          "From": caller_number(index), "To": HOTLINE, "Direction": "inbound"}
                for path, extra in BEFORE:
                    served(port, http_request(port, path, {**params, **extra}, validator), b"<Gather")
                steps.append(http_request(port, TIMED[0], {**params, **TIMED[1]}, validator))
            measures.append((name, "no_database", serving(port, [hangup], b"<Hangup", keep=True)))
            measures.append((name, "step", serving(port, steps, b"/voice/gather/child_age/1", keep=False)))
        # Interleaved rounds, so a noisy moment of the shared machine does not land on one server only.
        for _ in range(ROUNDS):
            for name, what, request in measures:
                samples.setdefault((name, what), []).extend(timed(request, count // ROUNDS, 50))
    results: dict[str, dict[str, float]] = {}
    for (name, what), values in samples.items():
        results.setdefault(name, {})[what] = median_us(values)
    return results


def run(args: argparse.Namespace) -> str:
    """Measure and return the Markdown tables."""
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="fluxx-budget-") as tmp:
        databases = {"sqlite": f"sqlite:///{Path(tmp) / 'budget.db'}"}
        if not args.no_postgres:
            databases["postgres"] = args.postgres_url
        for name, url in databases.items():
            results[name] = measure_app(make_app(url), count=args.count, tag=f"b{name[0]}")
        databases["sqlite"] = f"sqlite:///{Path(tmp) / 'served.db'}"
        serving = measure_served(Path(tmp), databases, count=args.count)
    floor = measure_floor(args.count * 4)
    engines = list(results)
    rows = [
        ("the floor: fixed TwiML, nothing read, nothing checked", {e: floor for e in engines[:1]}),
        ("the hotline without a database: `/voice/fallback/after-dial` (form, signature, `<Hangup/>`)",
         {e: results[e]["fallback"] for e in engines}),
        ("a plain menu step: `/voice/gather/children/1`", {e: results[e]["step"] for e in engines}),
        ("… of which the answer's durable write (`cases.journal.record_answer`)",
         {e: results[e]["write"] for e in engines}),
        ("one database round trip (`SELECT 1`)", {e: results[e]["round_trip"] for e in engines}),
    ]
    lines = [f"In-process medians, µs ({args.count} requests each; no HTTP server; {machine_line()})", "",
             f"| what | {' | '.join(engines)} |", f"|---|{'---|' * len(engines)}"]
    for label, values in rows:
        lines.append(f"| {label} | {' | '.join(f'{values[e]:.0f}' if e in values else '–' for e in engines)} |")
    floor_served, form_served = serving["floor"]["request"], serving["form"]["request"]
    lines += ["", f"Through gunicorn (one sync worker each, one request at a time, {args.count} requests; "
              "medians, µs, and the ratio to the floor)", "",
              f"| what | {' | '.join(engines)} |", f"|---|{'---|' * len(engines)}"]
    served_rows = [
        ("the floor", {engines[0]: floor_served}),
        ("the floor reading Twilio's form (`bench.floor_app:app_reading_form`)", {engines[0]: form_served}),
        ("the hotline without a database: `/voice/fallback/after-dial`",
         {e: serving[e]["no_database"] for e in engines}),
        ("a plain menu step: `/voice/gather/children/1`", {e: serving[e]["step"] for e in engines}),
    ]
    for label, values in served_rows:
        cells = [f"{values[e]:.0f} ({values[e] / floor_served:.1f}x)" if e in values else "–" for e in engines]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    """Print the budget table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--count", type=int, default=1000, help="timed requests per part [%(default)s]")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="the bench's OWN PostgreSQL database; its public schema is dropped "
                             "[BENCH_DATABASE_URL or %(default)s]")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 requests per part")
    args = parser.parse_args()
    if args.quick:
        args.count = 100
    print(run(args))


if __name__ == "__main__":
    main()
