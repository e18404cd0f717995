"""The call's way to a person: which stage rings now, screening, results, voicemail and its alert.

Every function takes a session and plain values, flushes, and never commits; each is safe to
call twice for the same Twilio delivery (the timeline event keys make repeats no-ops).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import case_fields, record_event
from core.database import insert_ignore
from core.phones import is_mobile
from dispatch.matching import NoPostcode, find_ranked_candidates
from dispatch.offers import DispatchError, start_dispatch
from dispatch.policy import DispatchPolicy
from geo.postcodes import PostcodeKind, lookup_postcode
from ivr.summary import describe_case
from messaging.outbox import enqueue_sms
from models import CallerType, Case, CaseEvent, CoordinatorLeg, LegState, Urgency
from models.call import LEG_ORDER
from roster.languages import find_languages
from roster.queries import find_on_duty
from routing import queue, surge
from routing import waiting as waiting_queue
from routing.dialplan import OnDuty, Stage, StageKind, build_dial_plan, is_reached, next_stage
from routing.waiting import QueueLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DialResult:
    """What a finished dial stage means for the caller."""

    reached: bool
    coordinator: str | None


def choose_next_stage(
    session: Session, *, case: Case, after: StageKind | None, now: datetime, fallback_number: str | None,
    queue_limits: QueueLimits | None = None, is_open: bool = True,
) -> Stage:
    """Return the stage to ring after the given one, and note it on the case and its timeline.

    With `queue_limits`, a caller nobody free can take (all talking, or the others rang out) waits
    in the queue while a coordinator on duty is talking; so does a new caller while others wait
    (the queue's order holds). The office's line keeps its place when nobody on duty is talking.
    Within a stage, coordinators who speak the caller's language come first (routing.dialplan).
    """
    shifts = find_on_duty(session, at=now)
    on_duty = [OnDuty(s.phone, s.role.value) for s in shifts]
    busy = waiting_queue.busy_coordinators(session)
    speaks = find_languages(session, phones=[s.phone for s in shifts]) if case.language != "de" else {}
    plan = build_dial_plan(on_duty, busy=busy, fallback_number=fallback_number, together=surge.is_on(session),
                           language=case.language, speaks=speaks)
    stage = next_stage(plan, after=after)
    if queue_limits is not None and after not in (StageKind.QUEUE, StageKind.FALLBACK, StageKind.VOICEMAIL):
        talking = any(s.phone in busy for s in shifts)
        waiting = waiting_queue.count_open(session)
        rang_out = stage.kind in (StageKind.FALLBACK, StageKind.VOICEMAIL)
        if (rang_out or waiting > 0) and queue.should_queue(
                someone_talking=talking, is_open=is_open, waiting=waiting, max_length=queue_limits.max_length):
            waiting_queue.enter_queue(session, case=case, now=now, limits=queue_limits,
                                      not_again=_last_rung_alone(case))
            stage = Stage(StageKind.QUEUE)
    case.dial_stage = stage.kind.value
    case.updated_at = now
    record_event(
        session, case, key=f"stage:{stage.kind.value}", kind=EventKind.DIAL_STAGE, now=now,
        detail={"stage": stage.kind.value, "numbers": list(stage.numbers)},
    )
    return stage


def _last_rung_alone(case: Case) -> str | None:
    """Return the coordinator who was just rung alone for this caller and did not take her, if one was."""
    for event in sorted(case.events, key=lambda e: (e.at, e.id), reverse=True):
        if event.kind == EventKind.DIAL_STAGE.value:
            numbers = (event.detail or {}).get("numbers") or []
            return str(numbers[0]) if len(numbers) == 1 else None
    return None


def screening_summary(case: Case) -> str:
    """Return the one-sentence summary a coordinator hears before she takes the call."""
    return describe_case(case_fields(case), language="de", style="speech")


def start_screening(
    session: Session, *, case: Case, leg_sid: str, parent_call_sid: str, coordinator: str, now: datetime
) -> None:
    """Note that a coordinator's phone answered and now hears the screening."""
    insert_ignore(
        session,
        CoordinatorLeg.__table__,
        {
            "leg_sid": leg_sid,
            "parent_call_sid": parent_call_sid,
            "case_id": case.id,
            "coordinator": coordinator,
            "state": LegState.SCREENING.value,
            "updated_at": now,
        },
        ["leg_sid"],
    )
    record_event(session, case, key=f"screen:{leg_sid}", kind=EventKind.SCREENING, now=now,
                 detail={"coordinator": coordinator})


def accept_screening(session: Session, *, case: Case, leg_sid: str, coordinator: str, now: datetime) -> None:
    """Note that the coordinator pressed 1: she is now talking to the caller."""
    start_screening(session, case=case, leg_sid=leg_sid, parent_call_sid=case.call_sid or "",
                    coordinator=coordinator, now=now)
    _advance_leg(session, leg_sid=leg_sid, state=LegState.BRIDGED, now=now)
    if record_event(session, case, key=f"accepted:{leg_sid}", kind=EventKind.COORDINATOR_ACCEPTED, now=now,
                    detail={"coordinator": coordinator}):
        case.coordinator = coordinator
        if case.connected_at is None:
            case.connected_at = now
        case.updated_at = now
    waiting_queue.mark_connected(session, case_id=case.id, coordinator=coordinator, now=now)


def decline_screening(session: Session, *, case: Case, leg_sid: str, digits: str | None, now: datetime) -> None:
    """Note that a coordinator's phone did not take the call (no 1: a mailbox, or she declined)."""
    _advance_leg(session, leg_sid=leg_sid, state=LegState.ENDED, now=now)
    record_event(session, case, key=f"declined:{leg_sid}", kind=EventKind.COORDINATOR_DECLINED, now=now,
                 detail={"digits": (digits or "")[:8]})


def record_dial_result(
    session: Session,
    *,
    case: Case,
    stage: StageKind,
    dial_call_status: str | None,
    dial_bridged: str | None,
    dial_call_sid: str | None,
    now: datetime,
) -> DialResult:
    """Record how a dial stage ended; a coordinator counts as reached only when bridged."""
    reached = is_reached(dial_call_status, dial_bridged)
    coordinator = None
    if reached and dial_call_sid:
        leg = session.scalars(select(CoordinatorLeg).where(CoordinatorLeg.leg_sid == dial_call_sid)).one_or_none()
        coordinator = leg.coordinator if leg else None
    if reached and case.coordinator is None:
        case.coordinator = coordinator
    if reached and case.connected_at is None:
        case.connected_at = now
    record_event(
        session, case, key=f"dial:{stage.value}", kind=EventKind.DIAL_RESULT, now=now,
        detail={"stage": stage.value, "status": dial_call_status, "bridged": dial_bridged, "reached": reached},
    )
    case.updated_at = now
    return DialResult(reached=reached, coordinator=case.coordinator if reached else None)


def start_voicemail(
    session: Session,
    *,
    case: Case,
    now: datetime,
    after_hours: bool = False,
    dispatch_policy: DispatchPolicy | None = None,
) -> int:
    """Flag the case for a call-back and alert the coordinators on duty by SMS; return alerts queued.

    An urgent case (now or today) with a region postcode is then offered to caregivers at once
    (`auto_dispatch`), with `dispatch_policy` or the default one.
    """
    case.dial_stage = StageKind.VOICEMAIL.value
    case.needs_callback = True
    if after_hours:
        case.add_flag("after_hours")
    case.updated_at = now
    if not record_event(session, case, key="voicemail", kind=EventKind.VOICEMAIL_OFFERED, now=now,
                        detail={"after_hours": after_hours}):
        return 0
    if after_hours:
        return 0
    body = voicemail_alert_text(case)
    recipients = sorted({s.phone for s in find_on_duty(session, at=now) if is_mobile(s.phone)})
    for phone in recipients:
        enqueue_sms(session, to=phone, body=body, purpose="voicemail_alert",
                    dedupe_key=f"voicemail-alert:{case.id}:{phone}", now=now, case_id=case.id)
    record_event(session, case, key="voicemail-alert", kind=EventKind.COORDINATORS_ALERTED, now=now,
                 detail={"recipients": recipients})
    auto_dispatch(session, case=case, now=now, policy=dispatch_policy or DispatchPolicy())
    return len(recipients)


def auto_dispatch(session: Session, *, case: Case, now: datetime, policy: DispatchPolicy) -> bool:
    """Start offering an urgent case (now/today, region postcode) to caregivers; never raise on the call path."""
    if case.urgency not in (Urgency.NOW, Urgency.TODAY) or case.caller_type not in (None, CallerType.PARENT):
        return False
    if not case.postcode or lookup_postcode(case.postcode).kind is not PostcodeKind.REGION:
        return False
    try:
        with session.begin_nested():  # a failure undoes the dispatch only, never the voicemail
            if not find_ranked_candidates(session, case=case, now=now):
                # The voicemail alert already asks for a call-back; a second "unfilled" SMS adds nothing.
                record_event(session, case, key="auto-dispatch", kind=EventKind.AUTO_DISPATCH_SKIPPED, now=now,
                             detail={"reason": "no candidates"})
                return False
            dispatch = start_dispatch(session, case=case, now=now, started_by="auto", policy=policy)
    except (NoPostcode, DispatchError) as exc:
        record_event(session, case, key="auto-dispatch", kind=EventKind.AUTO_DISPATCH_REFUSED, now=now,
                     detail={"reason": str(exc)[:200]})
        return False
    except Exception as exc:  # the caller is on the line: log it, leave the case to the coordinators
        log.exception("case %s: automatic dispatch failed", case.id)
        record_event(session, case, key="auto-dispatch", kind=EventKind.AUTO_DISPATCH_FAILED, now=now,
                     detail={"error": type(exc).__name__})
        return False
    record_event(session, case, key="auto-dispatch", kind=EventKind.AUTO_DISPATCH_STARTED, now=now,
                 detail={"dispatch": dispatch.id})
    return True


def voicemail_alert_text(case: Case) -> str:
    """Return the SMS that tells coordinators a caller could not be put through."""
    # E.164, so that the number is a tappable link on any phone.
    caller = case.caller or "Nummer unterdrückt"
    summary = describe_case(case_fields(case), language="de", style="sms")
    return (
        f"Fluxx: Rückruf nötig! Fall {case.reference}, Anrufer {caller}. {summary}. "
        "Niemand erreicht, Anrufer ist auf der Mailbox."
    )


def record_voicemail(
    session: Session, *, case: Case, recording_sid: str, recording_url: str | None,
    seconds: int | None, now: datetime,
) -> None:
    """Store the caller's voicemail on the case (once per recording)."""
    case.needs_callback = True
    case.voicemail_sid = recording_sid
    if recording_url:
        case.voicemail_url = recording_url
    if seconds is not None:
        case.voicemail_seconds = seconds
    case.updated_at = now
    record_event(session, case, key=f"recording:{recording_sid}", kind=EventKind.VOICEMAIL_RECORDED, now=now,
                 detail={"seconds": seconds})


def record_leg_status(session: Session, *, leg_sid: str, status: str, now: datetime) -> None:
    """Clear a coordinator's busy state when her leg of a call has ended.

    A leg rung for a caller from the queue that ends without her pressing 1 (she hung up during the
    summary) gives the caller back her place at once, before the caller's <Dial action> comes.
    """
    if status not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        return
    _advance_leg(session, leg_sid=leg_sid, state=LegState.ENDED, now=now)
    leg = session.scalars(select(CoordinatorLeg).where(CoordinatorLeg.leg_sid == leg_sid)).one_or_none()
    if leg is not None and leg.case_id is not None:
        started = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == leg.case_id,
                                                            CaseEvent.key == f"screen:{leg_sid}"))
        waiting_queue.release_unaccepted(session, case_id=leg.case_id, coordinator=leg.coordinator,
                                         leg_started_at=started, now=now)


def record_call_status(session: Session, *, case: Case, status: str, now: datetime) -> None:
    """Record the caller's call state; when it ended, free its coordinators and flag a missed call."""
    record_event(session, case, key=f"status:{status}", kind=EventKind.CALL_STATUS, now=now, detail={"status": status})
    if status not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        return
    session.execute(
        update(CoordinatorLeg)
        .where(CoordinatorLeg.parent_call_sid == case.call_sid, CoordinatorLeg.state != LegState.ENDED)
        .values(state=LegState.ENDED, updated_at=now)
    )
    waiting_queue.hung_up(session, case=case, now=now)
    if case.call_ended_at is None:
        case.call_ended_at = now
    if case.connected_at is None and case.caller and not case.needs_callback:
        # The caller hung up before anyone took the call: somebody should ring her back.
        case.needs_callback = True
        case.add_flag("hung_up_waiting")
    case.updated_at = now


def _advance_leg(session: Session, *, leg_sid: str, state: LegState, now: datetime) -> None:
    """Move a leg forward only (screening -> bridged -> ended); late callbacks never move it back."""
    leg = session.scalars(select(CoordinatorLeg).where(CoordinatorLeg.leg_sid == leg_sid)).one_or_none()
    if leg is None or LEG_ORDER[leg.state] >= LEG_ORDER[state]:
        return
    leg.state = state
    leg.updated_at = now
