"""The voice call from the first ring to a person: one function per webhook step.

Webhooks parse Twilio's request, call one of these inside a unit of work, and render the plain
result as TwiML. Nothing here knows Flask or TwiML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from billing.families import recognise_family
from billing.membership import flag_membership
from cases.events import EventKind
from cases.journal import record_answer
from cases.service import apply_answers, get_case_by_call_sid, open_case_for_call, record_event, require_case
from core.database import Database
from core.languages import LANGUAGES
from core.phones import normalize_phone
from dispatch.policy import DispatchPolicy
from ivr.menu import Ask, Connect, Step, advance, first_ask
from models import Case
from roster.service_hours import ServiceHours
from routing import surge
from routing.dialplan import Stage, StageKind
from routing.escalation import choose_next_stage, record_dial_result, start_voicemail
from routing.waiting import QueueLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallPolicy:
    """The settings that shape a call: opening hours, the office's number, how urgent cases dispatch."""

    hours: ServiceHours
    open_on_holidays: bool
    fallback_number: str | None
    dispatch_policy: DispatchPolicy | None = None
    #: The call queue's limits; None: no queue (a caller nobody takes goes to the office, then voicemail).
    queue_limits: QueueLimits | None = None
    #: When surge mode switches itself (checked when a caller joins the queue); None: only by hand.
    surge_rules: surge.SurgeRules | None = None
    #: The caller languages offered at the first question (setting LANGUAGES).
    languages: tuple[str, ...] = LANGUAGES


@dataclass(frozen=True)
class CallStart:
    """How the hotline greets a new call."""

    case: Case
    is_open: bool
    ask: Ask | None


@dataclass(frozen=True)
class StepOutcome:
    """What happens after the caller answered (or did not answer) one question.

    `case` is loaded only when the step needed the whole case (ringing a person, checking a
    municipality, a call seen for the first time); a plain answer leaves it None.
    """

    case_id: int
    language: str
    next: Ask | Connect
    stage: Stage | None
    case: Case | None = None


@dataclass(frozen=True)
class DialOutcome:
    """What happens after one dial stage ended."""

    case: Case
    reached: bool
    stage: Stage | None


def begin_call(session: Session, *, call_sid: str, caller: str | None, now: datetime, policy: CallPolicy) -> CallStart:
    """Open the call's case and decide whether the hotline is open right now."""
    case = open_case_for_call(session, call_sid=call_sid, caller=normalize_phone(caller), now=now)
    if case.caller:
        _never_fail(session, case, "known family", lambda: recognise_family(session, case=case, now=now))
    is_open = policy.hours.is_open(now, open_on_holidays=policy.open_on_holidays)
    record_event(session, case, key="incoming", kind=EventKind.CALL_RECEIVED, now=now, detail={"open": is_open})
    if not is_open:
        start_voicemail(session, case=case, now=now, after_hours=True)
        return CallStart(case=case, is_open=False, ask=None)
    return CallStart(case=case, is_open=True, ask=first_ask(short=surge.is_on(session)))


def answer_step(
    database: Database,
    *,
    call_sid: str,
    caller: str | None,
    step: Step,
    attempt: int,
    digits: str | None,
    now: datetime,
    policy: CallPolicy,
    short: bool = False,
) -> StepOutcome:
    """Record the caller's answer to one question and decide what she hears next.

    Runs its own transaction: a plain answer followed by the next question is the menu's hot path
    and is written by cases.journal in one or two statements; everything else (a call seen for
    the first time, a municipality to check, ringing a person) in one unit of work with the case.
    `short`: the caller hears surge mode's short menu (decided when her call began).
    """
    result = advance(step, attempt, digits, short=short, offered=policy.languages)
    # A language switch (9, 4-8) re-asks the same question at the same attempt: its answer gets a key of its
    # own, or the caller's real answer that follows would be taken for a repeated delivery and dropped.
    key = f"gather:{step.value}:{attempt}" + (f":language:{result.language}" if result.language else "")
    detail = {"step": step.value, "attempt": attempt, "answers": dict(result.answers), "flags": list(result.flags)}
    if result.language:  # the case's timeline says which language she chose
        detail["language"] = result.language
    if isinstance(result.next, Connect):  # why the menu ends here: "0 for a person" is a wish, not a wrong key
        detail["why"] = result.next.why.value
    if isinstance(result.next, Ask) and not result.answers.get("municipality"):
        entry = record_answer(database, call_sid=call_sid, key=key, kind=EventKind.MENU_ANSWER, detail=detail,
                              answers=result.answers, flags=result.flags, language=result.language, now=now)
        if entry is not None:
            return StepOutcome(case_id=entry.case_id, language=entry.language, next=result.next, stage=None)
    with database.unit_of_work() as session:
        case = open_case_for_call(session, call_sid=call_sid, caller=normalize_phone(caller), now=now)
        if record_event(session, case, key=key, kind=EventKind.MENU_ANSWER, now=now, detail=detail):
            apply_answers(case, answers=result.answers, flags=result.flags, language=result.language, now=now)
            if result.answers.get("municipality"):
                _never_fail(session, case, "membership", lambda: flag_membership(session, case=case, now=now))
        stage = None
        if isinstance(result.next, Connect):
            record_event(session, case, key="connect", kind=EventKind.MENU_DONE, now=now,
                         detail={"why": result.next.why.value})
            stage = ring_next(session, case=case, after=None, now=now, policy=policy)
        return StepOutcome(case_id=case.id, language=case.language, next=result.next, stage=stage, case=case)


def ring_next(session: Session, *, case: Case, after: StageKind | None, now: datetime, policy: CallPolicy) -> Stage:
    """Choose the next stage to ring (or the queue); when it is the voicemail, flag the case and alert by SMS."""
    is_open = policy.hours.is_open(now, open_on_holidays=policy.open_on_holidays)
    stage = choose_next_stage(session, case=case, after=after, now=now, fallback_number=policy.fallback_number,
                              queue_limits=policy.queue_limits, is_open=is_open)
    if stage.kind is StageKind.VOICEMAIL:
        start_voicemail(session, case=case, now=now, dispatch_policy=policy.dispatch_policy)
    rules = policy.surge_rules
    if stage.kind is StageKind.QUEUE and rules is not None:
        _never_fail(session, case, "surge", lambda: surge.evaluate(session, now=now, rules=rules))
    return stage


def finish_dial(
    session: Session,
    *,
    call_sid: str,
    stage: StageKind,
    dial_call_status: str | None,
    dial_bridged: str | None,
    dial_call_sid: str | None,
    call_status: str | None,
    now: datetime,
    policy: CallPolicy,
) -> DialOutcome:
    """Record how a stage ended; unless she was reached or hung up, ring the next stage."""
    case = open_case_for_call(session, call_sid=call_sid, caller=None, now=now)
    result = record_dial_result(session, case=case, stage=stage, dial_call_status=dial_call_status,
                                dial_bridged=dial_bridged, dial_call_sid=dial_call_sid, now=now)
    if result.reached or (call_status or "").lower() in {"completed", "canceled"}:
        return DialOutcome(case=case, reached=result.reached, stage=None)
    return DialOutcome(case=case, reached=False, stage=ring_next(session, case=case, after=stage, now=now,
                                                                 policy=policy))


def find_call_case(session: Session, *, call_sid: str | None, case_id: int | None = None) -> Case | None:
    """Return the case of a call by its SID, or by id for a coordinator's leg."""
    if case_id is not None:
        return require_case(session, case_id)
    return get_case_by_call_sid(session, call_sid) if call_sid else None


def _never_fail(session: Session, case: Case, what: str, check: Callable[[], object]) -> None:
    """Run a billing check on the call path in a savepoint; a failure is logged, never costs the call."""
    try:
        with session.begin_nested():
            check()
    except Exception:
        log.exception("case %s: %s check failed; the call goes on", case.id, what)
