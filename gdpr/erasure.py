"""Anonymise: remove personal data and keep the anonymous figures (and the audit trail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.database import rowcount
from core.logs import mask_phone
from models import (
    AuditEntry,
    Caregiver,
    Case,
    CaseEvent,
    CoordinatorLanguages,
    CoordinatorLeg,
    InboundMessage,
    OutboxMessage,
    QueueEntry,
    Shift,
    User,
)

REDACTED = "[gelöscht]"


@dataclass
class EraseReport:
    """What an erasure changed, by kind."""

    cases: int = 0
    caregivers: int = 0
    shifts: int = 0
    users: int = 0
    messages: int = 0
    notes: list[str] = field(default_factory=list)


def anonymise_case(session: Session, case: Case, *, now: datetime) -> None:
    """Remove a case's personal data; keep what the reports count (care type, age, municipality, times)."""
    case.caller = None
    case.call_sid = None
    case.parent_name = None
    case.address = None
    case.notes = None
    case.postcode = None
    case.coordinator = None
    case.caregiver = None
    case.voicemail_sid = None
    case.voicemail_url = None
    case.voicemail_seconds = None
    case.anonymised_at = now
    case.updated_at = now
    # The timeline keeps what happened and when (time to a human), not who or which number.
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(detail={}, note=None))
    session.execute(
        update(OutboxMessage).where(OutboxMessage.case_id == case.id).values(to_number="", body=REDACTED)
    )
    session.execute(delete(CoordinatorLeg).where(CoordinatorLeg.case_id == case.id))
    session.execute(delete(QueueEntry).where(QueueEntry.case_id == case.id))  # CallSid, coordinators' numbers
    session.flush()


def erase_person(session: Session, *, phone: str, now: datetime) -> EraseReport:
    """Anonymise everything held about the person with this number; the audit trail is kept."""
    report = EraseReport()
    for case in session.scalars(select(Case).where(Case.caller == phone)):
        if case.status.value in ("open", "dispatching", "assigned"):
            report.notes.append(f"case {case.reference} was still {case.status.value}")
        anonymise_case(session, case, now=now)
        report.cases += 1
    caregiver = session.scalars(select(Caregiver).where(Caregiver.phone == phone)).one_or_none()
    if caregiver is not None:
        caregiver.name = REDACTED
        caregiver.phone = f"x{caregiver.id}"[:16]
        caregiver.languages = []
        caregiver.police_certificate_date = None
        caregiver.police_certificate_excluded = False
        caregiver.first_aid_date = None
        caregiver.active = False
        caregiver.opted_out = True
        caregiver.left_at = caregiver.left_at or now
        caregiver.anonymised_at = now
        caregiver.updated_at = now
        session.execute(update(Case).where(Case.caregiver == phone).values(caregiver=None))
        report.caregivers = 1
    report.shifts = rowcount(session.execute(
        update(Shift).where(Shift.phone == phone).values(name=REDACTED, phone="")
    )) or 0
    session.execute(delete(CoordinatorLanguages).where(CoordinatorLanguages.phone == phone))
    report.users = rowcount(session.execute(update(User).where(User.phone == phone).values(phone=None))) or 0
    report.messages = (
        rowcount(session.execute(
            update(OutboxMessage).where(OutboxMessage.to_number == phone).values(to_number="", body=REDACTED)
        )) or 0
    ) + (
        rowcount(session.execute(
            update(InboundMessage).where(InboundMessage.from_number == phone).values(from_number=None, body=REDACTED)
        )) or 0
    )
    session.add(AuditEntry(user_id=None, case_id=None, action="gdpr_erase", at=now,
                           detail={"phone": mask_phone(phone), "cases": report.cases,
                                   "caregiver": report.caregivers, "shifts": report.shifts}))
    session.flush()
    return report


def find_cases_of(session: Session, *, phone: str) -> list[Case]:
    """Return the cases in which a number appears as caller, coordinator or caregiver."""
    return list(session.scalars(
        select(Case).where(or_(Case.caller == phone, Case.coordinator == phone, Case.caregiver == phone))
        .order_by(Case.created_at)
    ))
