"""The dispatch side of a simulated day, through the product's own code on a real database.

Each call that needs a caregiver becomes a case (needs drawn by bench/matching.py's generator over
the demo region) whose dispatch starts when the call with a person ends (or, for a voicemail,
when a coordinator has listened: voicemail_followup_minutes later). Then, minute by minute on the
simulated clock: `start_dispatch` (matching, wave 1), `run_due_dispatch_work` (the worker's waves
and deadlines) and, at their drawn times, the caregivers' answers through `accept_offer` and
`decline_offer`: the same functions the SMS webhook calls. The SMS themselves stay in the outbox
(nothing is delivered; an offer counts as received when it is written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import func, select

from bench.daysim.phones import Call
from bench.daysim.scenario import Scenario
from bench.matching import _fill, synthetic_cases
from core import migrate
from core.clock import BERLIN
from core.database import Database
from dispatch import DispatchPolicy, accept_offer, decline_offer, run_due_dispatch_work, start_dispatch
from models import Caregiver, Case, CaseStatus, Offer

#: Dispatch policies compared: today's waves (the settings' defaults), everyone at once, and the
#: growing waves (DISPATCH_POLICY=growing).
POLICIES: dict[str, DispatchPolicy] = {
    "waves": DispatchPolicy(),
    "all": DispatchPolicy(wave_size=10_000),
    "growing": DispatchPolicy(kind="growing"),
}
#: How long after the last call the dispatches are still followed (hours).
TAIL_HOURS = 6
#: Spread of a caregiver's answer time around the median (lognormal sigma) [guess].
REPLY_SIGMA = 0.8


@dataclass(frozen=True)
class CaseResult:
    """What became of one call's case."""

    call_id: int
    started: datetime
    filled_at: datetime | None
    offers: int
    arrival: datetime
    urgency: str

    @property
    def minutes_to_caregiver(self) -> float | None:
        """Minutes from the first ring to the confirmed caregiver, or None when unfilled."""
        return None if self.filled_at is None else (self.filled_at - self.arrival).total_seconds() / 60


@contextmanager
def region_database(pool: int) -> Iterator[Database]:
    """Yield a fresh SQLite database, migrated, with a synthetic caregiver pool over the demo region."""
    with TemporaryDirectory(prefix="fluxx-daysim-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'day.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        with database.unit_of_work() as session:
            _fill(session, pool, 0)
        try:
            yield database
        finally:
            database.engine.dispose()


def simulate_dispatch(database: Database, scenario: Scenario, calls: list[Call], *, day_start: datetime,
                      policy: DispatchPolicy, seed: int) -> list[CaseResult]:
    """Dispatch the cases of the day's calls on `database` and return what became of each."""
    rng = random.Random(seed)
    needing = sorted((c for c in calls if c.needs_care and c.case_from is not None), key=lambda c: c.case_from or 0)
    needs = synthetic_cases(len(needing), seed=seed)
    pending: list[tuple[datetime, Call, int]] = []  # (start, call, index into needs)
    for index, call in enumerate(needing):
        pending.append((day_start + timedelta(seconds=call.case_from or 0), call, index))
    case_of: dict[int, int] = {}  # call id -> case id
    replies: list[tuple[datetime, int, str, bool]] = []  # (when, caregiver, code, yes)
    last_offer = 0
    if not pending:
        return []
    now = pending[0][0].replace(second=0, microsecond=0)
    horizon = day_start + timedelta(hours=scenario.end_hour - scenario.start_hour + TAIL_HOURS)
    while now <= horizon:
        while pending and pending[0][0] <= now:
            _, call, index = pending.pop(0)
            with database.unit_of_work() as session:
                n = needs[index]
                case = Case(reference=f"S{call.id:07d}", status=CaseStatus.OPEN, postcode=n.postcode,
                            care_type=n.care_type, child_age=n.child_age, urgency=call.urgency,
                            language=n.language, created_at=now, updated_at=now)
                session.add(case)
                session.flush()
                case_of[call.id] = case.id
                start_dispatch(session, case=case, now=now, started_by="daysim", policy=policy)
        replies.sort()
        while replies and replies[0][0] <= now:
            when, caregiver_id, code, yes = replies.pop(0)
            with database.unit_of_work() as session:
                caregiver = session.get(Caregiver, caregiver_id)
                assert caregiver is not None
                if yes:
                    accept_offer(session, caregiver=caregiver, code=code, now=when)
                else:
                    decline_offer(session, caregiver=caregiver, code=code, now=when)
        run_due_dispatch_work(database, now=now, policy=policy)
        with database.unit_of_work() as session:
            for offer in session.scalars(select(Offer).where(Offer.id > last_offer).order_by(Offer.id)):
                last_offer = offer.id
                behaviour = scenario.replies_at(_local_hour(offer.created_at))
                if rng.random() >= behaviour.answer:
                    continue
                delay = behaviour.median_minutes * math.exp(rng.gauss(0, REPLY_SIGMA))
                replies.append((offer.created_at + timedelta(minutes=delay), offer.caregiver_id, offer.code,
                                rng.random() < behaviour.yes))
        if not pending and not replies and now.minute % 10 == 0 and not _any_active(database):
            break
        now += timedelta(minutes=1)
    return _results(database, needing, case_of, day_start)


def _local_hour(at: datetime) -> float:
    local = at.astimezone(BERLIN)
    return local.hour + local.minute / 60


def _any_active(database: Database) -> bool:
    with database.unit_of_work() as session:
        return bool(session.scalar(select(func.count(Case.id)).where(Case.status == CaseStatus.DISPATCHING)))


def _results(database: Database, calls: list[Call], case_of: dict[int, int], day_start: datetime) -> list[CaseResult]:
    results = []
    with database.unit_of_work() as session:
        for call in calls:
            case_id = case_of.get(call.id)
            if case_id is None:
                continue
            case = session.get(Case, case_id)
            assert case is not None
            offers = session.scalar(select(func.count(Offer.id)).where(Offer.case_id == case_id)) or 0
            results.append(CaseResult(call.id, case.created_at, case.assigned_at, offers,
                                      day_start + timedelta(seconds=call.arrival), call.urgency))
    return results
