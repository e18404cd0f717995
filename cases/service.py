"""The case log: open a case per call, record answers and timeline events, list cases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.references import new_reference, normalize_reference
from core.database import insert_ignore
from core.errors import HotlineError
from core.inputs import get_id
from models import CallerType, CareType, Case, CaseEvent, CaseStatus, Reason, Urgency

BERLIN = ZoneInfo("Europe/Berlin")

#: The case columns a voice-menu answer may set: enum columns (stored by value), then plain ones.
ENUM_ANSWERS: dict[str, Any] = {
    "caller_type": CallerType,
    "care_type": CareType,
    "urgency": Urgency,
    "reason": Reason,
}
PLAIN_ANSWERS = {"children", "child_age", "care_level", "postcode", "municipality"}


class CaseNotFound(HotlineError):
    """No case with that id or reference."""


_CASE_BY_CALL_SID = select(Case).where(Case.call_sid == bindparam("call_sid"))  # built once: every webhook asks


def get_case_by_call_sid(session: Session, call_sid: str) -> Case | None:
    """Return the case of a call, or None."""
    return session.scalars(_CASE_BY_CALL_SID, {"call_sid": call_sid}).one_or_none()


def get_case_by_reference(session: Session, reference: str) -> Case | None:
    """Return the case with a reference as a person typed it, or None."""
    return session.scalars(select(Case).where(Case.reference == normalize_reference(reference))).one_or_none()


def require_case(session: Session, case_id: int) -> Case:
    """Return a case by id or raise CaseNotFound."""
    case = session.get(Case, case_id) if get_id(case_id) is not None else None
    if case is None:
        raise CaseNotFound(f"case {case_id} does not exist")
    return case


def open_case_for_call(session: Session, *, call_sid: str, caller: str | None, now: datetime) -> Case:
    """Return the call's case, creating it once even when Twilio delivers the call twice."""
    for _ in range(20):
        case = get_case_by_call_sid(session, call_sid)
        if case is not None:
            return case
        insert_ignore(
            session,
            Case.__table__,
            {
                "reference": new_reference(),
                "call_sid": call_sid,
                "status": CaseStatus.OPEN.value,
                "caller": caller,
                "language": "de",
                "flags": [],
                "needs_callback": False,
                "created_at": now,
                "updated_at": now,
            },
        )
    raise HotlineError("could not allocate a case reference")  # pragma: no cover - 20 collisions in a row


def record_event(
    session: Session,
    case: Case,
    *,
    key: str,
    kind: EventKind,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """Add a timeline event once per key; return False when it was already recorded (a repeat)."""
    inserted = insert_ignore(
        session,
        CaseEvent.__table__,
        {"case_id": case.id, "key": key[:160], "kind": EventKind(kind).value, "at": now, "detail": dict(detail or {})},
        ["case_id", "key"],
    )
    if inserted:
        session.expire(case, ["events"])
    return inserted


def apply_answers(
    case: Case,
    *,
    answers: Mapping[str, object],
    flags: tuple[str, ...] | list[str] = (),
    language: str | None = None,
    now: datetime,
) -> None:
    """Record what the caller answered, as it comes, so a call cut off halfway keeps what it had."""
    for name, value in answers.items():
        if name in ENUM_ANSWERS:
            setattr(case, name, None if value is None else ENUM_ANSWERS[name](value))
        elif name in PLAIN_ANSWERS:
            setattr(case, name, value)
    for flag in flags:
        case.add_flag(flag)
    if language:
        case.language = language
    case.updated_at = now


def find_cases(session: Session, *, limit: int | None = None) -> list[Case]:
    """Return cases, newest first."""
    stmt = select(Case).order_by(Case.created_at.desc(), Case.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def case_fields(case: Case) -> dict[str, object]:
    """Return what the voice menu captured, as plain values (for summaries)."""
    return {
        "caller_type": _value(case.caller_type),
        "care_type": _value(case.care_type),
        "children": case.children,
        "child_age": case.child_age,
        "care_level": case.care_level,
        "postcode": case.postcode,
        "municipality": case.municipality,
        "urgency": _value(case.urgency),
        "reason": _value(case.reason),
        "flags": list(case.flags or []),
        "language": case.language,
    }


def case_to_json(case: Case) -> dict[str, object]:
    """Return a case in the public JSON shape of `cases list --json` (README, "The case JSON")."""
    return {
        "id": case.id,
        "reference": case.reference,
        "status": _value(case.status),
        "caller": case.caller,
        "caller_type": _value(case.caller_type),
        "care_type": _value(case.care_type),
        "children": case.children,
        "child_age": case.child_age,
        "care_level": case.care_level,
        "postcode": case.postcode,
        "municipality": case.municipality,
        "urgency": _value(case.urgency),
        "reason": _value(case.reason),
        "language": case.language,
        "coordinator": case.coordinator,
        "needs_callback": case.needs_callback,
        "caregiver": case.caregiver,
        "created_at": case.created_at.astimezone(BERLIN).isoformat(),
        "flags": list(case.flags or []),
    }


def _value(member: Any) -> Any:
    return None if member is None else member.value
