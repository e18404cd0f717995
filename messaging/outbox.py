"""The SMS outbox: enqueue in the caller's transaction, deliver later from the worker, at most once.

Delivery (`deliver_due_messages`) works row by row in three steps:

1. claim — one short transaction with an atomic conditional UPDATE
   (`status = pending AND next_attempt_at <= now` -> `sending`, `attempts + 1`,
   `lease_until = now + LEASE`, `now` read from the clock at this claim, not when the tick began: a
   slow batch of 20 sends must not claim its last rows with leases that already ran out), checked by
   row count. Of two workers racing for a row exactly one
   sees rowcount 1; the other skips it. The new `lease_until` is this claim's token.
2. send — outside any transaction, so no database lock is held during the HTTP request.
3. record — another short transaction: sent (provider_sid, sent_at); transient failure -> back to
   pending with exponential backoff (honouring Retry-After) until MAX_ATTEMPTS, then failed;
   permanent failure -> failed with the provider's error.

Crash window policy. A worker can die (or lose the database) after claiming and before recording.
The row then stays `sending` until its lease expires. Such a row is never resent blindly:

- When the gateway can look messages up (`SmsLookup`, e.g. TwilioRestGateway via the Messages
  list endpoint), the row is re-claimed (conditional UPDATE on the expired lease) and the provider
  is asked whether a message with this body went to this number since the lost claim began
  (`find_recent_sms`). Found -> recorded as sent with that SID. Not found -> back to pending and
  sent on a later tick (the lease, LEASE, is far longer than the gateway's request timeout, so a
  request from the dead worker has long finished). A lookup that fails transiently leaves the row
  `sending` with a fresh lease, to look again later; one that fails permanently marks it failed.
- When the gateway cannot look messages up, the row is marked failed with a last_error that says
  the delivery is unknown and that it was deliberately not resent, so a coordinator checks it.
- The same lookup runs before every retry of a row whose earlier attempt failed transiently: a
  timeout may hide a message Twilio did accept, and a retry must not send it a second time.
- A found SID that already belongs to another outbox row is ambiguous (the same text went to the
  same number twice); the row is marked failed for a human rather than guessed.

Calls. A row with channel "call" is an outbound call to `to_number` that runs the TwiML at
`twiml_url` (e.g. "call back": ring the coordinator, then connect her to the parent). It is placed
with the gateway's `place_call`, claimed and recorded like an SMS, with two differences: nobody can
look a call up afterwards, so a call left `sending` by a crash is marked failed (never rung twice
blindly), and a call is tried at most MAX_CALL_ATTEMPTS times, because a call back that comes
many minutes late helps nobody. Its status callback is `twiml_url + "/status"`.

Recording uses the claim token (`status = sending AND lease_until = <my lease>`), so a worker that
lost its lease never overwrites another's result; a success is always recorded when the row has
no provider SID yet, because the SMS did go out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.claims import claim_id
from core.database import Database, insert_ignore
from core.logs import mask_phone
from models.outbox import OutboxMessage, OutboxStatus
from telephony.gateway import SendError, SmsGateway

log = logging.getLogger(__name__)

#: How long a claimed row belongs to the worker that claimed it. Far longer than a send may take.
LEASE = timedelta(minutes=2)
#: Waits before the 2nd, 3rd, ... attempt after a transient failure; the last one repeats.
BACKOFF = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
)
#: The longest wait, also the cap on a provider's Retry-After.
MAX_BACKOFF = timedelta(hours=1)
#: After this many transient failures a message is given up (failed).
MAX_ATTEMPTS = 8
#: A call is worth placing only soon after it was asked for: give up after this many tries.
MAX_CALL_ATTEMPTS = 3
#: Allowance for the difference between our clock and the provider's when looking messages up.
CLOCK_SKEW = timedelta(minutes=1)

#: Twilio's delivery states in the order they happen; a callback only ever moves a row forward.
DELIVERY_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}


@runtime_checkable
class SmsLookup(Protocol):
    """A gateway that can tell whether an SMS already went out (used after a crash or a timeout)."""

    def find_recent_sms(self, *, to: str, body: str, since: datetime) -> str | None:
        """Return the SID of a message to `to` with this body created since `since`, or None."""
        ...


@dataclass
class DeliveryReport:
    """What one delivery run did, in counts (no personal data)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    requeued: int = 0
    unknown: int = 0
    skipped: int = 0

    def summary(self) -> str:
        """Return the counts as one log-friendly line."""
        return (
            f"sent={self.sent} retried={self.retried} failed={self.failed} reconciled={self.reconciled} "
            f"requeued={self.requeued} unknown={self.unknown} skipped={self.skipped}"
        )


@dataclass(frozen=True)
class _Claim:
    """A row this worker holds, copied out of its transaction."""

    id: int
    to: str
    body: str
    from_number: str | None
    attempts: int
    lease_until: datetime
    created_at: datetime
    channel: str = "sms"
    twiml_url: str | None = None

    @property
    def is_call(self) -> bool:
        """Return True for an outbound call rather than an SMS."""
        return self.channel == "call"


def enqueue_sms(
    session: Session,
    *,
    to: str,
    body: str,
    purpose: str,
    dedupe_key: str,
    now: datetime,
    case_id: int | None = None,
    from_number: str | None = None,
) -> OutboxMessage:
    """Queue one SMS, once per dedupe_key; return the (new or existing) row. Flushes, never commits."""
    session.flush()
    insert_ignore(
        session,
        OutboxMessage.__table__,
        {
            "dedupe_key": dedupe_key,
            "purpose": purpose,
            "to_number": to,
            "from_number": from_number,
            "body": body,
            "case_id": case_id,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
        ["dedupe_key"],
    )
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).one()
    return message


def enqueue_call(
    session: Session,
    *,
    to: str,
    twiml_url: str,
    purpose: str,
    dedupe_key: str,
    now: datetime,
    case_id: int | None = None,
    from_number: str | None = None,
    note: str = "",
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue one outbound call running the TwiML at `twiml_url`, once per dedupe_key. Flushes, never commits.

    `not_before`: placed no earlier than this (a timer in the database: any worker places it when due).
    """
    session.flush()
    insert_ignore(
        session,
        OutboxMessage.__table__,
        {
            "dedupe_key": dedupe_key,
            "purpose": purpose,
            "channel": "call",
            "twiml_url": twiml_url,
            "to_number": to,
            "from_number": from_number,
            "body": note,
            "case_id": case_id,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": not_before or now,
            "created_at": now,
        },
        ["dedupe_key"],
    )
    return session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).one()


def get_outbox_message_by_sid(session: Session, *, message_sid: str) -> OutboxMessage | None:
    """Return the outbox row Twilio knows by this MessageSid, or None."""
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_sid == message_sid)
    ).one_or_none()


def twilio_error_code(value: str | None) -> int | None:
    """Return Twilio's ErrorCode as a number (ASCII digits, at most 6), or None for anything else."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def record_delivery_status(
    session: Session, *, message_sid: str, status: str, error_code: str | None, now: datetime
) -> OutboxMessage | None:
    """Apply a status callback, only ever forward; return the row, or None for an unknown SID."""
    status = (status or "").strip().lower()
    rank = DELIVERY_RANK.get(status)
    if rank is not None:
        behind = [s for s, r in DELIVERY_RANK.items() if r < rank]
        values: dict[str, object] = {"delivery_status": status}
        if error_code and status in ("undelivered", "failed"):
            values["last_error"] = f"delivery {status} (Twilio error {error_code}) at {now.isoformat()}"
            values["error_code"] = twilio_error_code(error_code)
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.provider_sid == message_sid,
                or_(OutboxMessage.delivery_status.is_(None), OutboxMessage.delivery_status.in_(behind)),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    else:
        log.info("ignored SMS status %r for %s", status[:20], message_sid)
    message = get_outbox_message_by_sid(session, message_sid=message_sid)
    if message is not None:
        session.refresh(message)
    return message


def deliver_due_messages(
    database: Database,
    gateway: SmsGateway,
    *,
    now: datetime,
    default_from: str | None,
    status_callback_url: str | None,
    batch: int = 20,
    worker: str = "worker",
    clock: Callable[[], datetime] | None = None,
) -> DeliveryReport:
    """Send up to `batch` due messages, each claimed atomically and sent at most once.

    `now` selects the due rows; `clock` (the worker's clock) is read again at every claim and every
    record, so each lease runs LEASE from the moment its row was claimed, however slow the sends
    before it were. Without a clock, `now` is used throughout (one instant, as in unit tests).
    """
    report = DeliveryReport()
    lookup = gateway if isinstance(gateway, SmsLookup) else None
    current: Callable[[], datetime] = clock if clock is not None else (lambda: now)

    for row_id in _find_expired_leases(database, now=now, limit=batch):
        claim = _claim_expired(database, row_id, now=current())
        if claim is None:
            report.skipped += 1
            continue
        _settle_expired(
            database, None if claim.is_call else lookup, claim, now=current(), worker=worker, report=report
        )

    for row_id in _find_due(database, now=now, limit=batch):
        claim = _claim_due(database, row_id, now=current())
        if claim is None:
            report.skipped += 1  # another worker took it first
            continue
        if claim.is_call:
            try:
                sid = _place_call(gateway, claim, default_from=default_from)
            except SendError as exc:
                _record_failure(database, claim, exc, now=current(), worker=worker, report=report)
                continue
            _record_sent(database, claim, sid, now=current(), worker=worker)
            report.sent += 1
            continue
        if claim.attempts > 1 and lookup is not None:
            try:
                found = lookup.find_recent_sms(
                    to=claim.to, body=claim.body, since=claim.created_at - CLOCK_SKEW
                )
            except SendError as exc:
                _record_failure(database, claim, exc, now=current(), worker=worker, report=report)
                continue
            if found is not None:
                _record_found(database, claim, found, now=current(), worker=worker, report=report)
                continue
        try:
            sid = gateway.send_sms(
                to=claim.to,
                body=claim.body,
                from_=claim.from_number or default_from,
                status_callback=status_callback_url,
            )
        except SendError as exc:
            _record_failure(database, claim, exc, now=current(), worker=worker, report=report)
            continue
        _record_sent(database, claim, sid, now=current(), worker=worker)
        report.sent += 1
    return report


def _place_call(gateway: object, claim: _Claim, *, default_from: str | None) -> str:
    """Place a claimed call row through the gateway; a gateway without calls fails permanently."""
    place_call = getattr(gateway, "place_call", None)
    if place_call is None:
        raise SendError(f"{type(gateway).__name__} cannot place calls", transient=False)
    if not claim.twiml_url:
        raise SendError("call row without a twiml_url", transient=False)
    sid: str = place_call(
        to=claim.to,
        from_=claim.from_number or default_from,
        url=claim.twiml_url,
        status_callback=claim.twiml_url.rstrip("/") + "/status",
    )
    return sid


def backoff_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """Return how long to wait after the `attempts`-th failed attempt (at least Retry-After)."""
    delay = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    if retry_after is not None and retry_after > 0:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, MAX_BACKOFF)


def _find_due(database: Database, *, now: datetime, limit: int) -> Sequence[int]:
    """Return the ids of pending rows that are due, oldest first."""
    with database.unit_of_work() as session:
        return session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()


def _find_expired_leases(database: Database, *, now: datetime, limit: int) -> Sequence[int]:
    """Return the ids of rows left `sending` by a worker whose lease has run out."""
    with database.unit_of_work() as session:
        return session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
            .order_by(OutboxMessage.lease_until, OutboxMessage.id)
            .limit(limit)
        ).all()


def _claim_due(database: Database, row_id: int, *, now: datetime) -> _Claim | None:
    """Move one due pending row to sending; return it when this worker won the row."""
    lease_until = now + LEASE
    with database.unit_of_work() as session:
        if not claim_id(session, OutboxMessage, row_id, OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.next_attempt_at <= now,
                        status=OutboxStatus.SENDING, lease_until=lease_until, attempts=OutboxMessage.attempts + 1):
            return None
        return _load_claim(session, row_id, lease_until)


def _claim_expired(database: Database, row_id: int, *, now: datetime) -> _Claim | None:
    """Take over a row whose lease expired while sending; return it when this worker won the row."""
    lease_until = now + LEASE
    with database.unit_of_work() as session:
        if not claim_id(session, OutboxMessage, row_id, OutboxMessage.status == OutboxStatus.SENDING,
                        OutboxMessage.lease_until < now, lease_until=lease_until):
            return None
        return _load_claim(session, row_id, lease_until)


def _load_claim(session: Session, row_id: int, lease_until: datetime) -> _Claim:
    """Copy the claimed row's fields out of the session."""
    row = session.execute(
        select(
            OutboxMessage.to_number,
            OutboxMessage.body,
            OutboxMessage.from_number,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
            OutboxMessage.channel,
            OutboxMessage.twiml_url,
        ).where(OutboxMessage.id == row_id)
    ).one()
    return _Claim(
        id=row_id,
        to=row.to_number,
        body=row.body,
        from_number=row.from_number,
        attempts=row.attempts,
        lease_until=lease_until,
        created_at=row.created_at,
        channel=row.channel or "sms",
        twiml_url=row.twiml_url,
    )


def _settle_expired(
    database: Database,
    lookup: SmsLookup | None,
    claim: _Claim,
    *,
    now: datetime,
    worker: str,
    report: DeliveryReport,
) -> None:
    """Decide what a row orphaned in `sending` becomes: sent, pending again, or failed for a human."""
    if lookup is None:
        lease_start = (claim.lease_until - LEASE).strftime("%Y-%m-%d %H:%M:%S UTC")
        _update_claimed(
            database,
            claim,
            status=OutboxStatus.FAILED,
            lease_until=None,
            last_error=(
                f"delivery unknown: a worker stopped while sending (lease expired, noticed {lease_start}) and "
                "this gateway cannot check what was sent; not resent to avoid a duplicate "
                f"{'call' if claim.is_call else 'SMS'} - check with the recipient or the provider and re-queue by hand"
            ),
        )
        report.unknown += 1
        log.error("outbox %s: delivery unknown after an expired lease; marked failed (%s)", claim.id, worker)
        return
    since = claim.created_at - CLOCK_SKEW
    try:
        sid = lookup.find_recent_sms(to=claim.to, body=claim.body, since=since)
    except SendError as exc:
        if exc.transient:
            # Keep it `sending` under the fresh lease; it is looked at again when that runs out.
            _update_claimed(database, claim, last_error=f"lookup after expired lease failed: {exc}")
        else:
            _update_claimed(
                database,
                claim,
                status=OutboxStatus.FAILED,
                lease_until=None,
                last_error=f"delivery unknown: lookup after expired lease failed permanently ({exc}); not resent",
            )
            report.unknown += 1
        return
    if sid is not None:
        _record_found(database, claim, sid, now=now, worker=worker, report=report)
        return
    _update_claimed(
        database,
        claim,
        status=OutboxStatus.PENDING,
        lease_until=None,
        next_attempt_at=now,
        last_error="lease expired while sending; the provider has no such message, so it is sent again",
    )
    report.requeued += 1
    log.warning("outbox %s: expired lease, not found at the provider; requeued (%s)", claim.id, worker)


def _record_found(
    database: Database, claim: _Claim, sid: str, *, now: datetime, worker: str, report: DeliveryReport
) -> None:
    """Record a message the provider already has, unless its SID belongs to another row."""
    with database.unit_of_work() as session:
        owner = session.scalar(select(OutboxMessage.id).where(OutboxMessage.provider_sid == sid))
    if owner is not None and owner != claim.id:
        _update_claimed(
            database,
            claim,
            status=OutboxStatus.FAILED,
            lease_until=None,
            last_error=(
                f"delivery unknown: the provider's matching message {sid} belongs to outbox row {owner} "
                f"(same text to the same number); not resent - check by hand"
            ),
        )
        report.unknown += 1
        log.error("outbox %s: ambiguous match %s (row %s); marked failed (%s)", claim.id, sid, owner, worker)
        return
    _record_sent(
        database,
        claim,
        sid,
        now=now,
        worker=worker,
        note="found at the provider after an interrupted attempt",
    )
    report.reconciled += 1


def _record_sent(
    database: Database, claim: _Claim, sid: str, *, now: datetime, worker: str, note: str | None = None
) -> None:
    """Record a message the provider accepted; a success wins over any later state but another SID."""
    with database.unit_of_work() as session:
        recorded = claim_id(session, OutboxMessage, claim.id, OutboxMessage.provider_sid.is_(None),
                            status=OutboxStatus.SENT, provider_sid=sid, sent_at=now, lease_until=None, last_error=note)
    if recorded:
        log.info("outbox %s sent as %s to %s (%s)", claim.id, sid, mask_phone(claim.to), worker)
    else:
        log.error("outbox %s: sent as %s but the row already has a provider SID (%s)", claim.id, sid, worker)


def _record_failure(
    database: Database, claim: _Claim, exc: SendError, *, now: datetime, worker: str, report: DeliveryReport
) -> None:
    """Record a failed attempt: retry later with backoff, or give up."""
    code = f" (code {exc.code})" if exc.code and str(exc.code) not in str(exc) else ""
    limit = MAX_CALL_ATTEMPTS if claim.is_call else MAX_ATTEMPTS
    if exc.transient and claim.attempts < limit:
        delay = backoff_delay(claim.attempts, exc.retry_after)
        _update_claimed(
            database,
            claim,
            status=OutboxStatus.PENDING,
            lease_until=None,
            next_attempt_at=now + delay,
            last_error=f"attempt {claim.attempts}: {exc}{code}; retry in {int(delay.total_seconds())} s",
        )
        report.retried += 1
        log.warning(
            "outbox %s attempt %s failed, retry in %s: %s (%s)", claim.id, claim.attempts, delay, exc, worker
        )
        return
    reason = "permanent error" if not exc.transient else f"gave up after {claim.attempts} attempts"
    _update_claimed(
        database,
        claim,
        status=OutboxStatus.FAILED,
        lease_until=None,
        last_error=f"{reason}: {exc}{code}",
        error_code=exc.code,
    )
    report.failed += 1
    log.warning("outbox %s failed (%s): %s (%s)", claim.id, reason, exc, worker)


def _update_claimed(database: Database, claim: _Claim, **values: object) -> bool:
    """Update a row only while this worker still holds its claim; return True when it did."""
    with database.unit_of_work() as session:
        done = claim_id(session, OutboxMessage, claim.id, OutboxMessage.status == OutboxStatus.SENDING,
                        OutboxMessage.lease_until == claim.lease_until, **values)
    if not done:
        log.error("outbox %s: claim lost before its result was recorded", claim.id)
    return done
