"""Facts about the running system, read from the database: shared by the doctor and the metrics.

Everything here is derived from rows, so every gunicorn worker and every instance reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from models import WorkerHeartbeat
from models.outbox import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class WorkerFacts:
    """The workers' heartbeats (name, last tick) and, on PostgreSQL, who holds the advisory lock."""

    ticks: list[tuple[str, datetime]]
    lock_holder: str | None

    @property
    def last_tick(self) -> tuple[str, datetime] | None:
        """Return the newest heartbeat: only the lock holder ticks, so this is the active worker."""
        return max(self.ticks, key=lambda t: t[1]) if self.ticks else None


def read_worker_facts(session: Session, *, lock_key: int) -> WorkerFacts:
    """Return the heartbeats and the lock holder (PostgreSQL backend pid and address of the session holding it)."""
    ticks = [(name, at) for name, at in session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.last_tick_at))]
    holder: str | None = None
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            text(
                "SELECT l.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key LIMIT 1"
            ),
            {"key": lock_key},
        ).first()
        if row is not None:
            newest = max(ticks, key=lambda t: t[1])[0] if ticks else "?"
            holder = f"{newest} (PostgreSQL pid {row.pid}, {row.client_addr or 'local'})"
    return WorkerFacts(ticks=ticks, lock_holder=holder)


@dataclass(frozen=True)
class OutboxFacts:
    """The outbox backlog: rows not yet sent, those stuck, the oldest one's age, recent failures."""

    backlog: int
    oldest_age: timedelta | None
    stuck: int
    oldest_stuck_age: timedelta | None
    failed_last_day: int


def read_outbox_facts(session: Session, *, now: datetime, stuck_after: timedelta) -> OutboxFacts:
    """Count pending/sending rows, those due (or leased) longer than `stuck_after`, and failures of the last day."""
    waiting = OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    backlog, oldest = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(waiting)
    ).one()
    limit = now - stuck_after
    stuck_filter = or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at < limit),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_until < limit),
    )
    stuck, oldest_stuck = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(stuck_filter)
    ).one()
    failed = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= now - timedelta(days=1)
        )
    )
    return OutboxFacts(
        backlog=int(backlog or 0),
        oldest_age=(now - oldest) if oldest is not None else None,
        stuck=int(stuck or 0),
        oldest_stuck_age=(now - oldest_stuck) if oldest_stuck is not None else None,
        failed_last_day=int(failed or 0),
    )
