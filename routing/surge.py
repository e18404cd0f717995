"""Surge mode: a short menu, backups rung with the primaries, and off-duty coordinators asked to help.

A lead switches it on or off from the board; it switches itself on when more than
SURGE_AUTO_ON_WAITING callers wait, and off when the queue has been empty for
SURGE_AUTO_OFF_MINUTES (`evaluate`, from the worker's tick and the queue's webhooks). Every switch
is audited (who, why, how many waited). Each function flushes and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import BERLIN
from core.database import insert_ignore
from messaging.outbox import enqueue_sms
from messaging.texts import job_text
from models import SURGE_ROW, AuditEntry, SurgeState
from roster.queries import find_on_duty, find_shifts_between
from routing import waiting as waiting_queue

AUTO = "auto"
AUDIT_ON = "surge_on"
AUDIT_OFF = "surge_off"
SMS_PURPOSE = "surge_help"


@dataclass(frozen=True)
class SurgeRules:
    """When surge mode switches itself: on above `auto_on_waiting` callers waiting (0: never), off after
    the queue was empty for `auto_off`."""

    auto_on_waiting: int
    auto_off: timedelta


def is_on(session: Session) -> bool:
    """Return True while the hotline is in surge mode."""
    return bool(session.scalar(select(SurgeState.active).where(SurgeState.id == SURGE_ROW)))


def get_state(session: Session) -> SurgeState | None:
    """Return the surge row (None: never switched, so off)."""
    return session.get(SurgeState, SURGE_ROW)


def switch(session: Session, *, on: bool, now: datetime, user_id: int | None, why: str) -> bool:
    """Switch surge mode on or off; return False when it already was. Audited; switching on texts the
    coordinators of today's roster who are off duty (once per switch on)."""
    state = _lock_state(session)
    if state.active == on:
        return False
    waiting = waiting_queue.count_open(session)
    state.active = on
    state.switched_at = now
    state.switched_by = str(user_id) if user_id is not None else AUTO
    state.empty_since = None
    state.updated_at = now
    if on:
        state.epoch += 1
    session.add(AuditEntry(user_id=user_id, case_id=None, action=AUDIT_ON if on else AUDIT_OFF, at=now,
                           detail={"why": why, "by": state.switched_by, "waiting": waiting}))
    session.flush()
    if on:
        ask_off_duty_to_help(session, now=now, waiting=waiting, epoch=state.epoch)
    return True


def evaluate(session: Session, *, now: datetime, rules: SurgeRules) -> bool | None:
    """Switch surge mode by the queue's length; return the new state when it switched, else None."""
    waiting = waiting_queue.count_open(session)
    state = get_state(session)
    active = bool(state and state.active)
    if not active:
        if rules.auto_on_waiting > 0 and waiting > rules.auto_on_waiting:
            switch(session, on=True, now=now, user_id=None,
                   why=f"more than {rules.auto_on_waiting} callers waiting ({waiting})")
            return True
        return None
    assert state is not None
    if waiting > 0:
        if state.empty_since is not None:
            state.empty_since = None
            state.updated_at = now
        return None
    if state.empty_since is None:
        state.empty_since = now
        state.updated_at = now
        session.flush()
        return None
    if now - state.empty_since >= rules.auto_off:
        minutes = int(rules.auto_off.total_seconds() // 60)
        switch(session, on=False, now=now, user_id=None, why=f"queue empty for {minutes} minutes")
        return False
    return None


def off_duty_today(session: Session, *, now: datetime) -> list[str]:
    """Return the numbers of today's roster (the Berlin day of `now`) who are not on duty right now."""
    day = now.astimezone(BERLIN).date()
    start = datetime.combine(day, time(0), tzinfo=BERLIN)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)
    on_duty = {shift.phone for shift in find_on_duty(session, at=now)}
    phones: list[str] = []
    for shift in find_shifts_between(session, start=start, end=end):
        if shift.phone not in on_duty and shift.phone not in phones:
            phones.append(shift.phone)
    return phones


def ask_off_duty_to_help(session: Session, *, now: datetime, waiting: int, epoch: int) -> int:
    """Queue one SMS (German) to each off-duty coordinator of today's roster; return how many."""
    body = job_text(SMS_PURPOSE, language="de", waiting=waiting)
    phones = off_duty_today(session, now=now)
    for phone in phones:
        enqueue_sms(session, to=phone, body=body, purpose=SMS_PURPOSE, dedupe_key=f"surge:{epoch}:{phone}", now=now)
    return len(phones)


def _lock_state(session: Session) -> SurgeState:
    """Return the surge row, created when missing, locked for this transaction where the database can."""
    state = session.scalars(select(SurgeState).where(SurgeState.id == SURGE_ROW).with_for_update()).one_or_none()
    if state is None:
        insert_ignore(session, SurgeState.__table__, {"id": SURGE_ROW, "active": False, "epoch": 0}, ["id"])
        state = session.scalars(select(SurgeState).where(SurgeState.id == SURGE_ROW).with_for_update()).one()
    return state
