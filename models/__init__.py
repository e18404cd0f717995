"""SQLAlchemy models, one module per aggregate."""

from models.base import Base, UTCDateTime
from models.billing import (
    BillingRun,
    CareSession,
    Employer,
    EmployerStatement,
    Family,
    FamilyPhone,
    Invoice,
    InvoiceLine,
    MemberMunicipality,
    Tariff,
)
from models.call import CoordinatorLeg, LegState
from models.caregiver import Caregiver, Unavailability
from models.case import CallerType, CareType, Case, CaseEvent, CaseStatus, Reason, Urgency
from models.dispatch import Dispatch, DispatchStatus, Offer, OfferStatus
from models.outbox import InboundMessage, JobRun, OutboxMessage, OutboxStatus, WorkerHeartbeat
from models.queue import OPEN_STATES, QueueEntry, QueueKind, QueueState
from models.roster import CoordinatorLanguages, Shift, ShiftRole
from models.surge import SURGE_ROW, SurgeState
from models.user import AuditEntry, CalendarFeed, LoginAttempt, Role, User

__all__ = [
    "Tariff",
    "MemberMunicipality",
    "InvoiceLine",
    "Invoice",
    "FamilyPhone",
    "Family",
    "EmployerStatement",
    "Employer",
    "CareSession",
    "BillingRun",
    "AuditEntry",
    "CalendarFeed",
    "LoginAttempt",
    "Role",
    "User",
    "Base",
    "CallerType",
    "Caregiver",
    "Dispatch",
    "DispatchStatus",
    "Offer",
    "OfferStatus",
    "Unavailability",
    "CareType",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "CoordinatorLanguages",
    "CoordinatorLeg",
    "InboundMessage",
    "JobRun",
    "LegState",
    "OutboxMessage",
    "OutboxStatus",
    "Reason",
    "Shift",
    "SURGE_ROW",
    "SurgeState",
    "ShiftRole",
    "UTCDateTime",
    "Urgency",
    "WorkerHeartbeat",
    "OPEN_STATES",
    "QueueEntry",
    "QueueKind",
    "QueueState",
]
