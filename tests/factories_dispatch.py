"""Factories for dispatch tests: caregivers, a dispatchable case, a dispatch started the real way."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import Settings
from dispatch.offers import start_dispatch
from dispatch.policy import DispatchPolicy
from models import CallerType, Caregiver, CareType, Case, Dispatch, Offer, OfferStatus, Reason, Urgency
from tests.factories import make_case

DORA = "+4916000000011"
EVA = "+4916000000012"
FIONA = "+4916000000013"
GRACE = "+4916000000014"  # her first language is English


def make_caregiver(session: Session, *, phone: str = DORA, now: datetime, **fields: Any) -> Caregiver:
    """Add a caregiver in Hannover-Mitte who takes children of any age within 10 km."""
    values: dict[str, Any] = {
        "name": f"Betreuerin {phone[-2:]}",
        "postcode": "30159",
        "max_distance_km": 10.0,
        "min_age": 0,
        "max_age": 13,
        "eldercare": False,
        "languages": ["de"],
        "active": True,
        "opted_out": False,
        "police_certificate_date": date(now.year - 1, 1, 15),
        "police_certificate_excluded": False,
        "first_aid_date": date(now.year - 1, 3, 1),
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    caregiver = Caregiver(phone=phone, **values)
    session.add(caregiver)
    session.flush()
    return caregiver


def make_dispatchable_case(session: Session, *, now: datetime, call_sid: str, **fields: Any) -> Case:
    """Add a case at 30159 for a 3-year-old, needed now: every default caregiver fits."""
    values: dict[str, Any] = {
        "caller_type": "parent",
        "care_type": "child",
        "children": 1,
        "child_age": 3,
        "postcode": "30159",
        "municipality": "Hannover",
        "urgency": "now",
        "reason": "accident_illness",
        "parent_name": "Petra",
    }
    values.update(fields)
    enums = {"caller_type": CallerType, "care_type": CareType, "urgency": Urgency, "reason": Reason}
    for name, kind in enums.items():
        if isinstance(values.get(name), str):
            values[name] = kind(values[name])
    return make_case(session, now=now, call_sid=call_sid, **values)


def start_test_dispatch(session: Session, *, case: Case, now: datetime, settings: Settings) -> Dispatch:
    """Start a dispatch for a case the way the CLI does (real matching, real offers)."""
    dispatch = start_dispatch(
        session, case=case, now=now, started_by="cli", policy=DispatchPolicy.from_settings(settings)
    )
    session.flush()
    return dispatch


def open_offer_of(session: Session, *, case: Case, caregiver: Caregiver) -> Offer:
    """Return the open offer of a case to a caregiver."""
    return session.scalars(
        select(Offer).where(
            Offer.case_id == case.id, Offer.caregiver_id == caregiver.id, Offer.status == OfferStatus.OPEN
        )
    ).one()
