"""The worker's jobs: each tick runs every job in TICK_JOBS once, then writes the heartbeat.

A job is a function `(services, now) -> report`; the report's `summary()` (or its str) goes into
the tick's one log line. Jobs are thin and idempotent: they read due work from the database, so
running one twice, or in two workers at once, is harmless. Add a job by appending it to TICK_JOBS.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.container import Services
from dispatch.policy import DispatchPolicy
from dispatch.waves import WaveReport, handle_undeliverable_offers, run_due_dispatch_work
from messaging.outbox import DeliveryReport, deliver_due_messages
from models.outbox import WorkerHeartbeat

log = logging.getLogger(__name__)

Job = Callable[[Services, datetime], object]


@dataclass
class TickReport:
    """What one tick did: each job's report by name, and the jobs that raised."""

    worker: str
    now: datetime
    results: dict[str, Any] = field(default_factory=dict)  # each job reports in its own shape
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        """Return True when no job did anything (every count in every summary is zero)."""
        return not self.errors and all(
            result is None or not re.search(r"=[1-9]", _summarize(result)) for result in self.results.values()
        )

    def summary(self) -> str:
        """Return the tick as one log line (counts only, no personal data)."""
        parts = [f"{name}: {_summarize(result)}" for name, result in self.results.items() if result is not None]
        parts += [f"{name}: ERROR {error}" for name, error in self.errors.items()]
        return f"tick {self.worker} " + "; ".join(parts)


def worker_name() -> str:
    """Return this process's name for the heartbeat: hostname and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[-100:]


def sms_status_callback_url(services: Services) -> str | None:
    """Return the URL Twilio reports SMS delivery to, when the public URL is known."""
    base = services.settings.public_base_url
    return base.rstrip("/") + "/sms/status" if base else None


def deliver_outbox_job(services: Services, now: datetime) -> DeliveryReport:
    """Send the SMS that are due."""
    return deliver_due_messages(
        services.database,
        services.gateway,
        now=now,
        default_from=services.settings.hotline_number,
        status_callback_url=sms_status_callback_url(services),
        worker=worker_name(),
        clock=services.clock.now,
    )


def dispatch_waves_job(services: Services, now: datetime) -> WaveReport:
    """Send the offer waves that are due; alert the coordinators on exhausted or overdue dispatches."""
    return run_due_dispatch_work(
        services.database, now=now, policy=DispatchPolicy.from_settings(services.settings)
    )


def undeliverable_offers_job(services: Services, now: datetime) -> WaveReport:
    """Replace offers whose SMS could not be delivered by an offer to the next candidate."""
    return handle_undeliverable_offers(
        services.database, now=now, policy=DispatchPolicy.from_settings(services.settings)
    )


#: Run in this order on every tick. Other packages' jobs are appended here.
def retention_job(services: Services, now: datetime) -> object:
    """Run the daily data-retention job (gdpr.jobs) when it is due."""
    from gdpr.jobs import retention_job as run

    return run(services, now)


def login_attempts_job(services: Services, now: datetime) -> object:
    """Delete sign-in attempts past their retention (accounts), on every tick so none outlives it."""
    from accounts.jobs import login_attempts_job as run

    return run(services, now)


def sms_spool_job(services: Services, now: datetime) -> object:
    """Handle the SMS the fallback URL spooled while the database was down (before any wave moves on)."""
    from dispatch.sms_recovery import drain_sms_spool

    folder = services.extras.get("sms_spool")  # set by create_app: instance/sms-spool
    if folder is None:
        return None
    return drain_sms_spool(services.database, Path(folder), now=now, settings=services.settings)


def reconcile_inbound_sms_job(services: Services, now: datetime) -> object:
    """Every two minutes: handle any SMS Twilio received that was never recorded (its list, via REST)."""
    from dispatch.sms_recovery import InboundLookup, claim_reconcile_run, reconcile_inbound_sms

    gateway, hotline = services.gateway, services.settings.hotline_number
    if not (isinstance(gateway, InboundLookup) and hotline and claim_reconcile_run(services.database, now=now)):
        return None
    return reconcile_inbound_sms(services.database, gateway, to=hotline, now=now, settings=services.settings)


def bridged_legs_job(services: Services, now: datetime) -> object:
    """End coordinator legs left `bridged` by lost callbacks: ask Twilio about the call, or let them expire."""
    from routing.legs import CallStatusLookup, settle_bridged_legs

    gateway = services.gateway
    return settle_bridged_legs(
        services.database, gateway if isinstance(gateway, CallStatusLookup) else None, now=now
    )


def surge_job(services: Services, now: datetime) -> object:
    """Switch surge mode by the queue's length (on above SURGE_AUTO_ON_WAITING, off when empty for a while)."""
    from routing.settings import surge_rules
    from routing.surge import evaluate

    with services.database.unit_of_work() as session:
        switched = evaluate(session, now=now, rules=surge_rules(services.settings))
    return f"switched={0 if switched is None else 1}"


def queue_callbacks_job(services: Services, now: datetime) -> object:
    """Place the queue's call-backs whose turn it is (a free coordinator): a call to her phone via the outbox."""
    from routing.queue_callbacks import place_due_callbacks

    base = services.settings.public_base_url
    if not base:
        return "no PUBLIC_BASE_URL"
    with services.database.unit_of_work() as session:
        placed = place_due_callbacks(session, now=now, public_base_url=base,
                                     hotline_number=services.settings.hotline_number)
    return f"placed={placed}"


TICK_JOBS: list[Job] = [sms_spool_job, surge_job, queue_callbacks_job, deliver_outbox_job, dispatch_waves_job, undeliverable_offers_job,
                        retention_job, login_attempts_job, bridged_legs_job, reconcile_inbound_sms_job]


def tick_job(services: Services, *, jobs: Sequence[Job] | None = None, name: str | None = None) -> TickReport:
    """Run every tick job once with the services' clock, record the heartbeat, log one line."""
    now = services.clock.now()
    report = TickReport(worker=name or worker_name(), now=now)
    for job in TICK_JOBS if jobs is None else jobs:
        job_name = getattr(job, "__name__", repr(job)).removesuffix("_job")
        try:
            report.results[job_name] = job(services, now)
        except Exception as exc:  # one failing job must not stop the others
            log.exception("tick job %s failed", job_name)
            report.errors[job_name] = type(exc).__name__
    write_heartbeat(services, name=report.worker, now=now)
    # An idle tick every second or two would drown the log; it still shows at DEBUG.
    log.log(logging.DEBUG if report.idle else logging.INFO, "%s", report.summary())
    return report


def write_heartbeat(services: Services, *, name: str, now: datetime) -> None:
    """Record that this worker ticked at `now`."""
    with services.database.unit_of_work() as session:
        heartbeat = session.get(WorkerHeartbeat, name)
        if heartbeat is None:
            session.add(WorkerHeartbeat(name=name, last_tick_at=now))
        else:
            heartbeat.last_tick_at = now


def _summarize(result: object) -> str:
    """Return a job report's summary line."""
    summary = getattr(result, "summary", None)
    return summary() if callable(summary) else str(result)
