"""Coordinator legs left `bridged` when both status callbacks were lost: reconcile them, or let them expire.

A coordinator whose leg is `bridged` counts as busy and is not rung (routing.escalation). The leg ends
with its own status callback or with the caller's call status callback; when both are lost (Twilio
could not reach us, the database was down), she would stay "busy" forever. The worker therefore asks
Twilio about every leg that has been bridged for CHECK_AFTER without news (and again every
CHECK_AFTER): a call Twilio reports as over, or does not know, ends the leg. Whatever Twilio says, a
leg bridged for MAX_BRIDGED has ended: no hotline call lasts four hours, and a coordinator must not
be skipped for a whole shift because of one lost callback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import func, select, update

from core.claims import claim_id
from core.database import Database
from core.logs import mask_phone
from models import CoordinatorLeg, LegState
from telephony.gateway import SendError

log = logging.getLogger(__name__)

#: Ask Twilio about a bridged leg after this long without news, and again after as long.
CHECK_AFTER = timedelta(minutes=5)
#: A leg bridged this long has ended, whatever anyone says.
MAX_BRIDGED = timedelta(hours=4)
#: Twilio's call statuses of a call that is over.
CALL_OVER = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@runtime_checkable
class CallStatusLookup(Protocol):
    """A gateway that can say how a call stands (TwilioRestGateway: the Calls resource)."""

    def get_call_status(self, call_sid: str) -> str | None:
        """Return the call's status ("in-progress", "completed", ...), or None when the provider has no such call."""
        ...


@dataclass
class LegReport:
    """What one run did, in counts."""

    checked: int = 0
    ended: int = 0
    expired: int = 0
    unknown: int = 0

    def summary(self) -> str:
        """Return the counts as one log fragment."""
        return f"checked={self.checked} ended={self.ended} expired={self.expired} unknown={self.unknown}"


@dataclass(frozen=True)
class _Leg:
    id: int
    leg_sid: str
    coordinator: str
    bridged_at: datetime


def settle_bridged_legs(
    database: Database, lookup: CallStatusLookup | None, *, now: datetime, limit: int = 20
) -> LegReport:
    """End the bridged legs whose call is over (asked at the provider, outside any transaction) or too old."""
    report = LegReport()
    for leg in _legs_to_check(database, now=now, limit=limit):
        if now - leg.bridged_at >= MAX_BRIDGED:
            if _end(database, leg, now=now):
                report.expired += 1
                log.warning("leg %s of %s bridged since %s without a callback: expired", leg.leg_sid,
                            mask_phone(leg.coordinator), leg.bridged_at.isoformat())
            continue
        if lookup is None:  # the simulator: nothing to ask; the leg expires at MAX_BRIDGED
            _mark_checked(database, leg, now=now)
            continue
        report.checked += 1
        try:
            status = lookup.get_call_status(leg.leg_sid)
        except SendError as exc:
            report.unknown += 1
            log.warning("leg %s: call status not available (%s); asking again later", leg.leg_sid, exc)
            _mark_checked(database, leg, now=now)
            continue
        if status is None or status in CALL_OVER:
            if _end(database, leg, now=now):
                report.ended += 1
                log.info("leg %s of %s ended (call %s; its callbacks were lost)", leg.leg_sid,
                         mask_phone(leg.coordinator), status or "unknown at Twilio")
        else:
            _mark_checked(database, leg, now=now)
    return report


def _legs_to_check(database: Database, *, now: datetime, limit: int) -> list[_Leg]:
    """Return bridged legs without news for CHECK_AFTER (since bridged or last asked), or past MAX_BRIDGED."""
    last_news = func.coalesce(CoordinatorLeg.checked_at, CoordinatorLeg.updated_at)
    with database.unit_of_work() as session:
        rows = session.execute(
            select(CoordinatorLeg.id, CoordinatorLeg.leg_sid, CoordinatorLeg.coordinator, CoordinatorLeg.updated_at)
            .where(CoordinatorLeg.state == LegState.BRIDGED)
            .where((CoordinatorLeg.checked_at.is_(None) & (CoordinatorLeg.updated_at <= now - CHECK_AFTER))
                   | (CoordinatorLeg.checked_at <= now - CHECK_AFTER)
                   | (CoordinatorLeg.updated_at <= now - MAX_BRIDGED))
            .order_by(last_news, CoordinatorLeg.id)
            .limit(limit)
        ).all()
    return [_Leg(r.id, r.leg_sid, r.coordinator, r.updated_at) for r in rows]


def _end(database: Database, leg: _Leg, *, now: datetime) -> bool:
    """End a leg that is still bridged (a callback may have ended it meanwhile); return True when this did."""
    with database.unit_of_work() as session:
        return claim_id(session, CoordinatorLeg, leg.id, CoordinatorLeg.state == LegState.BRIDGED,
                        state=LegState.ENDED, updated_at=now, checked_at=now)


def _mark_checked(database: Database, leg: _Leg, *, now: datetime) -> None:
    """Note that the leg was looked at, so it is asked about again only after CHECK_AFTER."""
    with database.unit_of_work() as session:
        session.execute(
            update(CoordinatorLeg)
            .where(CoordinatorLeg.id == leg.id, CoordinatorLeg.state == LegState.BRIDGED)
            .values(checked_at=now)
            .execution_options(synchronize_session=False)
        )
