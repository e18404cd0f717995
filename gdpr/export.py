"""Export everything the hotline holds about a person (GDPR Art. 15), as plain JSON-ready data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.service import case_to_json
from core.logs import mask_phone
from gdpr.erasure import find_cases_of
from models import (
    AuditEntry,
    Caregiver,
    CaseEvent,
    CoordinatorLanguages,
    InboundMessage,
    Offer,
    OutboxMessage,
    Shift,
    User,
)


def export_person(session: Session, *, phone: str, now: datetime) -> dict[str, Any]:
    """Return every record that names this number, and log that an export was made."""
    cases = find_cases_of(session, phone=phone)
    caregiver = session.scalars(select(Caregiver).where(Caregiver.phone == phone)).one_or_none()
    data: dict[str, Any] = {
        "phone": phone,
        "exported_at": now.isoformat(),
        "cases": [
            {
                **case_to_json(case),
                "parent_name": case.parent_name,
                "address": case.address,
                "notes": case.notes,
                "voicemail_url": case.voicemail_url,
                "timeline": [
                    {"at": e.at.isoformat(), "kind": e.kind, "detail": e.detail}
                    for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                             .order_by(CaseEvent.at, CaseEvent.id))
                ],
            }
            for case in cases
        ],
        "caregiver": _caregiver(session, caregiver),
        "shifts": [
            {"name": s.name, "start": s.starts_at.isoformat(), "end": s.ends_at.isoformat(), "role": s.role.value}
            for s in session.scalars(select(Shift).where(Shift.phone == phone).order_by(Shift.starts_at))
        ],
        "coordinator_languages": list(getattr(session.get(CoordinatorLanguages, phone), "languages", None) or []),
        "users": [
            {"username": u.username, "name": u.name, "role": u.role.value}
            for u in session.scalars(select(User).where(User.phone == phone))
        ],
        "sms_sent_to": [
            {"at": m.created_at.isoformat(), "purpose": m.purpose, "body": m.body, "status": m.status.value}
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.to_number == phone)
                                     .order_by(OutboxMessage.created_at))
        ],
        "sms_received_from": [
            {"at": m.received_at.isoformat(), "body": m.body}
            for m in session.scalars(select(InboundMessage).where(InboundMessage.from_number == phone)
                                     .order_by(InboundMessage.received_at))
        ],
    }
    session.add(AuditEntry(user_id=None, case_id=None, action="gdpr_export", at=now,
                           detail={"phone": mask_phone(phone)}))
    session.flush()
    return data


def _caregiver(session: Session, caregiver: Caregiver | None) -> dict[str, Any] | None:
    if caregiver is None:
        return None
    return {
        "name": caregiver.name,
        "postcode": caregiver.postcode,
        "max_distance_km": caregiver.max_distance_km,
        "ages": [caregiver.min_age, caregiver.max_age],
        "eldercare": caregiver.eldercare,
        "languages": caregiver.languages,
        "active": caregiver.active,
        "opted_out": caregiver.opted_out,
        "police_certificate_date": _day(caregiver.police_certificate_date),
        "police_certificate_excluded": caregiver.police_certificate_excluded,
        "first_aid_date": _day(caregiver.first_aid_date),
        "unavailability": [
            {"from": _day(u.starts_on), "to": _day(u.ends_on), "reason": u.reason} for u in caregiver.unavailability
        ],
        "offers": [
            {"at": o.created_at.isoformat(), "case_id": o.case_id, "status": o.status.value}
            for o in session.scalars(select(Offer).where(Offer.caregiver_id == caregiver.id).order_by(Offer.created_at))
        ],
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
