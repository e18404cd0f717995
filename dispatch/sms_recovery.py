"""Nothing a caregiver texts is lost when the database is down: a local spool, and Twilio's own list.

Two ways back, both ending in `handle_incoming_sms`, which stores each MessageSid once (a unique
key), so whichever comes first acts and the other changes nothing:

1. The spool. `/sms/incoming` answers 503 when it could not store and act on a message, so Twilio
   calls the number's messaging fallback URL, `/sms/fallback`. That webhook touches no database: it
   writes the message as one JSON file into the instance folder's `sms-spool/` (written to a
   temporary file, fsynced, renamed into place, the folder fsynced), and answers 200.
   `drain_sms_spool` (a worker job) hands each file to `handle_incoming_sms` once the database
   answers again, and deletes it after the commit.
2. Reconciliation. Every RECONCILE_EVERY, `reconcile_inbound_sms` (a worker job) lists the SMS
   Twilio received for the hotline number in the last RECONCILE_WINDOW (REST Messages list) and
   handles every MessageSid not yet recorded: this also covers a fallback that failed, a spool on
   another machine, and Twilio giving up on both URLs.

A message is handled with the time it arrived (never later than now), so a yes sent before an
offer ran out counts as sent then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from core.claims import claim_id
from core.database import Database, insert_ignore
from core.settings import Settings
from dispatch.sms_inbox import handle_incoming_sms
from models import InboundMessage, JobRun
from telephony.gateway import InboundSms, SendError

log = logging.getLogger(__name__)

#: How often the worker asks Twilio for the SMS it received.
RECONCILE_EVERY = timedelta(minutes=2)
#: How far back it looks: longer than any outage worth bridging, shorter than any offer is open.
#: (Inbound rows, the once-only record of a MessageSid, are kept far longer: gdpr.retention.)
RECONCILE_WINDOW = timedelta(hours=6)
JOB_NAME = "reconcile_inbound_sms"
_SAFE_SID = re.compile(r"[A-Za-z0-9]{1,64}")


@runtime_checkable
class InboundLookup(Protocol):
    """A gateway that can list the SMS received for a number (TwilioRestGateway)."""

    def find_inbound_sms(self, *, to: str, since: datetime) -> list[InboundSms]:
        """Return the SMS received for `to` since `since`."""
        ...


@dataclass
class RecoveryReport:
    """What one drain or reconciliation did, in counts."""

    handled: int = 0
    repeated: int = 0
    waiting: int = 0

    def summary(self) -> str:
        """Return the counts as one log fragment."""
        return f"handled={self.handled} repeated={self.repeated} waiting={self.waiting}"


# --- the spool (no database) ----------------------------------------------------------------------


def spool_file_name(message_sid: str) -> str:
    """Return the spool file's name for a MessageSid: the SID itself when it is plain, else its hash."""
    if _SAFE_SID.fullmatch(message_sid):
        return f"{message_sid}.json"
    return "x" + hashlib.sha256(message_sid.encode("utf-8", "replace")).hexdigest() + ".json"


def spool_sms(
    folder: Path, *, message_sid: str, from_raw: str | None, to: str | None, body: str, received_at: datetime
) -> Path:
    """Write one incoming SMS durably into the spool folder (atomic; a repeat replaces it); return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / spool_file_name(message_sid)
    data = json.dumps({"message_sid": message_sid, "from": from_raw, "to": to, "body": body,
                       "received_at": received_at.astimezone(UTC).isoformat()}, ensure_ascii=False)
    temporary = folder / f".{final.name}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, data.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, final)
    _fsync_folder(folder)
    return final


def drain_sms_spool(
    database: Database, folder: Path, *, now: datetime, settings: Settings
) -> RecoveryReport:
    """Handle every spooled SMS (oldest first) and delete its file after the commit; stop while the database fails."""
    report = RecoveryReport()
    if not folder.is_dir():
        return report
    spooled: list[tuple[datetime, Path, dict[str, str]]] = []
    for path in folder.glob("*.json"):
        try:
            message = json.loads(path.read_text("utf-8"))
            received = datetime.fromisoformat(message["received_at"])
            str(message["message_sid"])
        except (OSError, ValueError, KeyError, TypeError):
            # Spool files are written whole (renamed into place), so this one is not ours: drop it.
            log.error("spool file %s is not a spooled SMS; deleted", path.name)
            path.unlink(missing_ok=True)
            continue
        spooled.append((received, path, message))
    for received, path, message in sorted(spooled, key=lambda item: (item[0], item[1].name)):
        handled = _handle(database, message_sid=message["message_sid"], from_raw=message.get("from"),
                          body=message.get("body") or "", at=min(received, now), settings=settings)
        if handled is None:
            report.waiting = len(spooled) - report.handled - report.repeated
            break
        path.unlink(missing_ok=True)
        _fsync_folder(folder)
        if handled:
            report.handled += 1
        else:
            report.repeated += 1
    return report


def _fsync_folder(folder: Path) -> None:
    """Make a rename or deletion in `folder` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- reconciliation against Twilio ---------------------------------------------------------------


def reconcile_inbound_sms(
    database: Database, lookup: InboundLookup, *, to: str, now: datetime, settings: Settings
) -> RecoveryReport:
    """Handle every SMS Twilio received for `to` in the last RECONCILE_WINDOW that is not recorded yet."""
    report = RecoveryReport()
    try:
        received = lookup.find_inbound_sms(to=to, since=now - RECONCILE_WINDOW)
    except SendError as exc:
        log.warning("inbound SMS reconciliation: Twilio's list not available (%s)", exc)
        report.waiting = 1
        return report
    sids = list({m.message_sid for m in received})
    with database.unit_of_work() as session:
        known = set(session.scalars(select(InboundMessage.message_sid).where(InboundMessage.message_sid.in_(sids))))
    missing = [m for m in received if m.message_sid not in known]
    for message in sorted(missing, key=lambda m: (m.sent_at or now, m.message_sid)):
        at = min(message.sent_at or now, now)
        handled = _handle(database, message_sid=message.message_sid, from_raw=message.from_number,
                          body=message.body, at=at, settings=settings)
        if handled is None:
            report.waiting += 1
            break
        if handled:
            report.handled += 1
            log.warning("SMS %s was not recorded when it arrived; handled now by reconciliation",
                        message.message_sid)
        else:
            report.repeated += 1
    return report


def claim_reconcile_run(database: Database, *, now: datetime, every: timedelta = RECONCILE_EVERY) -> bool:
    """Return True when this worker may reconcile now (one run per `every`, across workers)."""
    with database.unit_of_work() as session:
        if insert_ignore(session, JobRun.__table__, {"name": JOB_NAME, "last_run_at": now}, ["name"]):
            return True
        return claim_id(session, JobRun, JOB_NAME, JobRun.last_run_at <= now - every, last_run_at=now)


def _handle(
    database: Database, *, message_sid: str, from_raw: str | None, body: str, at: datetime, settings: Settings
) -> bool | None:
    """Store and act on one message in its own unit of work: True handled, False a repeat, None not now."""
    try:
        with database.unit_of_work() as session:
            return handle_incoming_sms(session, message_sid=message_sid, from_raw=from_raw, body=body, now=at,
                           settings=settings)
    except Exception:
        log.warning("SMS %s still cannot be handled; kept for the next try", message_sid, exc_info=True)
        return None
