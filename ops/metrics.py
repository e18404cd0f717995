"""The figures for Prometheus, read from the database, and their exposition.

Why the database: every gunicorn worker and every instance answers the same question with the
same rows, so a scrape of any process is right, a restart loses nothing, and nothing has to be
summed across processes. Only webhook latency is measured in the process that served the request
(see `webhooks/metrics.py`, prometheus-client's multiprocess mode).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from cases.events import EventKind
from models import Case, CaseEvent, CaseStatus, Offer, OfferStatus
from models.outbox import OutboxMessage, OutboxStatus
from ops.facts import read_outbox_facts, read_worker_facts

#: Dial stages in which a caller waits for a person (routing.dialplan.StageKind values), each counted
#: with its own `stage` label; "queue" is the hotline's call queue (strike days).
WAITING_STAGES: tuple[str, ...] = ("primary", "backup", "queue", "fallback")
#: A call with no news for this long is not counted as waiting (its end callback was lost).
WAITING_AT_MOST = timedelta(hours=1)
#: Upper bounds (seconds) of the time-to-a-person histogram's buckets.
TIME_TO_PERSON_BUCKETS: tuple[float, ...] = (10, 20, 30, 45, 60, 90, 120, 180, 300, 600)
#: Outbox rows due longer than this count as stuck (the same rule as the doctor).
OUTBOX_STUCK_AFTER = timedelta(minutes=5)


@dataclass
class Figures:
    """Everything /metrics reports from the database at one moment."""

    calls: dict[str, int] = field(default_factory=dict)
    time_to_person_count: int = 0
    time_to_person_sum: float = 0.0
    #: Cumulative counts, one per TIME_TO_PERSON_BUCKETS bound.
    time_to_person_buckets: list[int] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)
    longest_wait_seconds: float = 0.0
    callbacks_waiting: int = 0
    callback_oldest_age_seconds: float = 0.0
    cases: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)
    sms_sent: int = 0
    sms_failures: dict[str, int] = field(default_factory=dict)
    outbox_backlog: int = 0
    outbox_oldest_age_seconds: float = 0.0
    outbox_stuck: int = 0
    worker_last_tick: float | None = None
    lock_holder: str | None = None


def read_figures(session: Session, *, now: datetime, lock_key: int) -> Figures:
    """Read every figure from the database (demo rows left out)."""
    figures = Figures()
    real = Case.demo.is_(False)
    voicemail_left = exists().where(CaseEvent.case_id == Case.id, CaseEvent.kind == EventKind.VOICEMAIL_RECORDED.value)

    # Calls by outcome: a finished call ended at a person, in the voicemail, or without either.
    outcome = case(
        (Case.connected_at.is_not(None), "person"),
        (voicemail_left, "voicemail"),
        else_="no_person",
    )
    figures.calls = {name: 0 for name in ("person", "voicemail", "no_person")}
    for name, count in session.execute(
        select(outcome, func.count(Case.id)).where(real, Case.call_ended_at.is_not(None)).group_by(outcome)
    ):
        figures.calls[str(name)] = int(count)

    # Time to a person: counted per bucket in the database (one row, however many calls there were).
    seconds = _seconds_between(session, Case.created_at, Case.connected_at)
    row = session.execute(
        select(func.count(Case.id), func.coalesce(func.sum(seconds), 0),
               *(func.coalesce(func.sum(case((seconds <= bound, 1), else_=0)), 0) for bound in TIME_TO_PERSON_BUCKETS))
        .where(real, Case.connected_at.is_not(None))
    ).one()
    figures.time_to_person_count = int(row[0] or 0)
    figures.time_to_person_sum = float(row[1] or 0)
    figures.time_to_person_buckets = [int(v or 0) for v in row[2:]]

    # Callers on the line, ringing through the dial stages; waiting since the first stage began.
    first_ring = (
        select(func.min(CaseEvent.at)).where(CaseEvent.case_id == Case.id, CaseEvent.kind == EventKind.DIAL_STAGE.value)
        .scalar_subquery()
    )
    figures.waiting = {stage: 0 for stage in WAITING_STAGES}
    for stage, created, rang in session.execute(
        select(Case.dial_stage, Case.created_at, first_ring).where(
            real, Case.call_ended_at.is_(None), Case.connected_at.is_(None),
            Case.dial_stage.in_(WAITING_STAGES), Case.created_at > now - WAITING_AT_MOST,
        )
    ):
        figures.waiting[str(stage)] += 1
        since = rang or created
        figures.longest_wait_seconds = max(figures.longest_wait_seconds, (now - since).total_seconds())

    # Voicemails whose call-back is still owed.
    open_statuses = [s for s in CaseStatus if s not in (CaseStatus.CLOSED, CaseStatus.CANCELLED)]
    count, oldest = session.execute(
        select(func.count(Case.id), func.min(Case.created_at)).where(
            real, Case.needs_callback.is_(True), Case.status.in_(open_statuses), voicemail_left
        )
    ).one()
    figures.callbacks_waiting = int(count or 0)
    figures.callback_oldest_age_seconds = (now - oldest).total_seconds() if oldest else 0.0

    figures.cases = {s.value: 0 for s in CaseStatus}
    for status, count in session.execute(select(Case.status, func.count(Case.id)).where(real).group_by(Case.status)):
        figures.cases[CaseStatus(status).value] = int(count)

    offers: dict[str, int] = {
        OfferStatus(status).value: int(count)
        for status, count in session.execute(select(Offer.status, func.count(Offer.id)).group_by(Offer.status))
    }
    figures.offers = {
        "sent": int(sum(offers.values())),
        "accepted": offers.get(OfferStatus.ACCEPTED.value, 0),
        "expired": offers.get(OfferStatus.EXPIRED.value, 0),
    }

    sms = OutboxMessage.channel == "sms"
    failed = or_(OutboxMessage.status == OutboxStatus.FAILED,
                 OutboxMessage.delivery_status.in_(["undelivered", "failed"]))
    figures.sms_sent = int(session.scalar(
        select(func.count(OutboxMessage.id)).where(sms, OutboxMessage.status.in_([OutboxStatus.SENT,
                                                                                   OutboxStatus.FAILED]))
    ) or 0)
    for code, count in session.execute(
        select(OutboxMessage.error_code, func.count(OutboxMessage.id)).where(and_(sms, failed))
        .group_by(OutboxMessage.error_code)
    ):
        figures.sms_failures[str(code) if code is not None else "unknown"] = int(count)

    outbox = read_outbox_facts(session, now=now, stuck_after=OUTBOX_STUCK_AFTER)
    figures.outbox_backlog = outbox.backlog
    figures.outbox_oldest_age_seconds = outbox.oldest_age.total_seconds() if outbox.oldest_age else 0.0
    figures.outbox_stuck = outbox.stuck

    workers = read_worker_facts(session, lock_key=lock_key)
    if workers.last_tick is not None:
        figures.worker_last_tick = workers.last_tick[1].timestamp()
    figures.lock_holder = workers.lock_holder or (workers.last_tick[0] if workers.last_tick else None)
    return figures


def histogram_buckets(counts: list[int], total: int, bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    """Return cumulative (le, count) pairs for Prometheus, ending with +Inf."""
    padded = counts + [0] * (len(bounds) - len(counts))
    return [*((str(float(b)), float(c)) for b, c in zip(bounds, padded, strict=True)), ("+Inf", float(total))]


def _seconds_between(session: Session, start: Any, end: Any) -> Any:
    """Return an SQL expression for the seconds from `start` to `end` (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # julianday() counts days as a float: round to milliseconds so 15 s is 15, not 14.999999.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


class FiguresCollector(Collector):
    """A prometheus-client collector that reports one `Figures` snapshot."""

    def __init__(self, figures: Figures) -> None:
        """Report these figures."""
        self.figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        """Yield every metric family."""
        f = self.figures
        calls = CounterMetricFamily("fluxx_calls", "Finished calls by outcome (person, voicemail, no_person).",
                                    labels=["outcome"])
        for outcome, count in sorted(f.calls.items()):
            calls.add_metric([outcome], count)
        yield calls

        yield HistogramMetricFamily(
            "fluxx_time_to_person_seconds", "Seconds from the call's start to a person on the line.",
            buckets=histogram_buckets(f.time_to_person_buckets, f.time_to_person_count, TIME_TO_PERSON_BUCKETS),
            sum_value=f.time_to_person_sum,
        )

        waiting = GaugeMetricFamily("fluxx_callers_waiting", "Callers on the line waiting for a person, by dial stage.",
                                    labels=["stage"])
        for stage in WAITING_STAGES:
            waiting.add_metric([stage], f.waiting.get(stage, 0))
        yield waiting
        yield GaugeMetricFamily("fluxx_caller_longest_wait_seconds",
                                "Longest current wait for a person, from the first ring (0 when nobody waits).",
                                value=f.longest_wait_seconds)
        yield GaugeMetricFamily("fluxx_callbacks_waiting", "Voicemails whose call-back is still owed.",
                                value=f.callbacks_waiting)
        yield GaugeMetricFamily("fluxx_callback_oldest_age_seconds",
                                "Age of the oldest voicemail still owed a call-back (0 when none).",
                                value=f.callback_oldest_age_seconds)

        cases = GaugeMetricFamily("fluxx_cases", "Cases by status.", labels=["status"])
        for status, count in sorted(f.cases.items()):
            cases.add_metric([status], count)
        yield cases

        offers = CounterMetricFamily("fluxx_offers", "SMS offers to caregivers: sent, accepted, expired.",
                                     labels=["status"])
        for status, count in sorted(f.offers.items()):
            offers.add_metric([status], count)
        yield offers

        yield CounterMetricFamily("fluxx_sms_sent", "SMS the worker finished trying to send (sent or failed).",
                                  value=f.sms_sent)
        failures = CounterMetricFamily("fluxx_sms_failures", "SMS failed for good, by Twilio error code.",
                                       labels=["error_code"])
        for code, count in sorted(f.sms_failures.items()):
            failures.add_metric([code], count)
        yield failures

        yield GaugeMetricFamily("fluxx_outbox_backlog", "Outbox rows not yet sent (pending or sending).",
                                value=f.outbox_backlog)
        yield GaugeMetricFamily("fluxx_outbox_oldest_age_seconds", "Age of the oldest unsent outbox row (0 when none).",
                                value=f.outbox_oldest_age_seconds)
        yield GaugeMetricFamily("fluxx_outbox_stuck", "Outbox rows due (or leased) for more than 5 minutes.",
                                value=f.outbox_stuck)
        if f.worker_last_tick is not None:
            yield GaugeMetricFamily("fluxx_worker_last_tick_timestamp_seconds",
                                    "Unix time of the newest worker heartbeat.", value=f.worker_last_tick)
        holder = GaugeMetricFamily("fluxx_worker_lock_held", "1 for the worker that holds the lock (acts).",
                                   labels=["holder"])
        if f.lock_holder:
            holder.add_metric([f.lock_holder], 1)
        yield holder
