"""Run the worker: the tick on an APScheduler interval, in the foreground, until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from core.container import current_services
from worker.jobs import TickReport, tick_job

log = logging.getLogger(__name__)


def run_worker(app: Flask, *, interval_seconds: float = 2.0, once: bool = False) -> TickReport | None:
    """Tick once (`once=True`, returns its report) or every `interval_seconds` until stopped."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    if once:
        return _tick(app)

    # The job store lives in this process's memory: the database, not the scheduler, holds the due work.
    scheduler = BlockingScheduler(timezone=UTC)
    ticking = threading.Lock()

    def tick() -> None:
        with ticking:
            try:
                _tick(app)
            except Exception:  # keep ticking; the next run may find the database back
                log.exception("worker tick failed")

    scheduler.add_job(
        tick,
        "interval",
        seconds=interval_seconds,
        id="tick",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker stopping (%s)", signal.Signals(signum).name)
        # Don't wait here: the signal interrupts the main thread, which may hold scheduler locks.
        scheduler.shutdown(wait=False)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stop)
    log.info("worker started, ticking every %s s", interval_seconds)
    try:
        scheduler.start()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        with ticking:  # let a running tick finish its unit of work
            pass
    log.info("worker stopped")
    return None


def _tick(app: Flask) -> TickReport:
    """Run one tick inside the app's context."""
    with app.app_context():
        return tick_job(current_services())
