"""Run the worker: the tick on an APScheduler interval, in the foreground, until SIGINT/SIGTERM.

Only one worker acts at a time. On PostgreSQL each worker process opens one dedicated connection
and tries `pg_try_advisory_lock(WORKER_LOCK_KEY)` on it before every tick: the holder runs the tick
jobs, any other worker skips them and tries again on the next tick. The lock is a session-level
lock, so it lives exactly as long as that connection: when the holding process dies (or loses its
connection), PostgreSQL releases the lock and a waiting worker takes over within one tick. Every
tick the holder also checks that its connection still holds the lock, so a dropped connection is
noticed. On SQLite (one machine, `make run`) no lock is taken: the jobs claim every row with
conditional UPDATEs anyway, so two workers would still never act twice on one item.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import Connection, Engine, text

from core.container import current_services
from core.database import WORKER_LOCK_KEY, Database
from worker.jobs import TickReport, tick_job

log = logging.getLogger(__name__)

class WorkerLock:
    """No lock (SQLite, or a database without a URL of its own): this worker always runs the jobs."""

    def acquire(self) -> bool:
        """Return True when this worker may run the tick jobs now."""
        return True

    def release(self) -> None:
        """Give the lock up (nothing to do)."""


class PostgresAdvisoryLock(WorkerLock):
    """A session-level advisory lock held on a dedicated connection for the life of the process."""

    def __init__(self, engine: Engine, key: int = WORKER_LOCK_KEY) -> None:
        """Prepare the lock; no connection is opened before the first acquire()."""
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        """Return True while this object believes it holds the lock."""
        return self._connection is not None

    def acquire(self) -> bool:
        """Return True when this process holds the lock (taking it if it is free)."""
        try:
            if self._connection is not None:
                if self._still_held(self._connection):
                    return True
                log.warning("worker lock lost (connection dropped); trying to take it again")
                self._discard()
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
            except Exception:
                connection.invalidate()
                connection.close()
                raise
            if not got:
                connection.close()  # the lock was not taken on it, so it may go back to the pool
                return False
            self._connection = connection
            log.info("worker lock taken: this worker runs the tick jobs")
            return True
        except Exception:
            log.exception("worker lock: database unavailable")
            self._discard()
            return False

    def release(self) -> None:
        """Give the lock up at once, then close its connection for good (never pooled holding it).

        Unlocked explicitly first: a closed connection's server process lets go of the lock only
        when it has exited, a moment later, and a standby asking in that moment would be refused.
        """
        if self._connection is not None:
            try:
                self._connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except Exception:  # the connection is broken: closing it below releases the lock
                log.debug("worker lock: unlocking failed; closing the connection instead", exc_info=True)
        self._discard()

    def _still_held(self, connection: Connection) -> bool:
        try:
            return bool(
                connection.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :key)"
                    ),
                    {"key": self.key},
                )
            )
        except Exception:
            return False

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.invalidate()  # closes the DBAPI connection: PostgreSQL releases the lock
            connection.close()
        except Exception:  # pragma: no cover - closing a broken connection
            log.debug("worker lock: closing the connection failed", exc_info=True)


def worker_lock_for(database: Database) -> WorkerLock:
    """Return the lock that keeps two workers on this database from ticking at once."""
    if database.url is not None and database.url.startswith("postgresql"):
        return PostgresAdvisoryLock(database.engine)
    return WorkerLock()


def run_worker(app: Flask, *, interval_seconds: float = 2.0, once: bool = False) -> TickReport | None:
    """Tick once (`once=True`, returns its report) or every `interval_seconds` until stopped."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    lock = worker_lock_for(app.extensions["fluxx"].database)
    if once:
        try:
            return _tick(app, lock)
        finally:
            lock.release()

    # The job store lives in this process's memory: the database, not the scheduler, holds the due work.
    scheduler = BlockingScheduler(timezone=UTC)
    ticking = threading.Lock()

    def tick() -> None:
        with ticking:
            try:
                _tick(app, lock)
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
        # Not here: the signal interrupts the main thread, which may be inside the scheduler's loop (holding
        # its locks, between looking a job up and updating it: shutting down under it ended the worker with
        # JobLookupError). A thread shuts down once the loop lets go of its locks, and wakes the loop.
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}, name="worker-stop").start()

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
        lock.release()
    log.info("worker stopped")
    return None


def _tick(app: Flask, lock: WorkerLock | None = None) -> TickReport:
    """Run one tick inside the app's context, when this worker holds the lock (else an empty report)."""
    with app.app_context():
        services = current_services()
        if lock is not None and not lock.acquire():
            log.debug("another worker holds the lock; this one stands by")
            return TickReport(worker="standby", now=services.clock.now())
        return tick_job(services)
