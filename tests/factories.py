"""Factories: take the session, default everything, accept overrides, flush."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cases.service import open_case_for_call
from models import Case, Shift, ShiftRole

ANNA = "+4915700000001"  # primary
BEN = "+4915700000002"  # backup
CARLA = "+4915700000003"  # off duty
PARENT = "+4915112345678"


def make_shift(session: Session, *, phone: str = ANNA, role: str = "primary", name: str | None = None,
               starts_at: datetime, ends_at: datetime | None = None) -> Shift:
    """Add a shift (8 hours unless told otherwise)."""
    shift = Shift(name=name or f"Koordinatorin {phone[-2:]}", phone=phone, role=ShiftRole(role),
                  starts_at=starts_at, ends_at=ends_at or starts_at + timedelta(hours=8))
    session.add(shift)
    session.flush()
    return shift


def make_roster(session: Session, *, now: datetime) -> None:
    """Anna primary and Ben backup around `now`; Carla on a shift that ended an hour ago."""
    make_shift(session, phone=ANNA, role="primary", name="Anna Albers", starts_at=now - timedelta(hours=2))
    make_shift(session, phone=BEN, role="backup", name="Ben Brandt", starts_at=now - timedelta(hours=2))
    make_shift(session, phone=CARLA, role="primary", name="Carla Castro", starts_at=now - timedelta(hours=9))


def make_case(session: Session, *, now: datetime, call_sid: str = "CA" + "1" * 32, **fields: Any) -> Case:
    """Add a case for a call, with any fields set."""
    case = open_case_for_call(session, call_sid=call_sid, caller=fields.pop("caller", PARENT), now=now)
    for name, value in fields.items():
        setattr(case, name, value)
    session.flush()
    return case
