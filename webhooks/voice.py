"""Voice webhooks: the caller's menu, the coordinators' screening, dial results, voicemail.

Each view checks the signature, reads the form, calls one function of routing.call_flow or
routing.escalation inside a unit of work (the menu's `answer_step` runs its own, so a plain
answer can take the journal's short path), and renders TwiML. Any failure on the caller's path
answers with the static fallback (ring the office, then voicemail): a caller is never dropped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request

from cases.service import CaseNotFound
from core.container import current_services
from core.inputs import InputError, optional_int
from core.logs import mask_phone
from core.phones import normalize_phone
from ivr.menu import Line, Step
from roster.service_hours import describe_service_hours
from routing import escalation
from routing.call_flow import answer_step, begin_call, find_call_case, finish_dial
from routing.dialplan import DIALLED, StageKind, is_reached
from routing.settings import call_policy
from routing.twiml import (
    Voice,
    render_ask,
    render_callback,
    render_callback_finished,
    render_callback_machine,
    render_callback_unavailable,
    render_closed,
    render_connect,
    render_fallback,
    render_fallback_voicemail,
    render_goodbye,
    render_hangup,
    render_next,
    render_screening,
    render_screening_accepted,
)
from webhooks.twilio_request import empty_twiml, param, twilio_only, xml

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def never_drop_caller(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer with the static fallback TwiML when anything on the caller's path fails."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception:
            log.exception("voice webhook %s failed for call %s; answering with the fallback",
                          view.__name__, param("CallSid"))
            return xml(render_fallback(current_services().settings))

    return guarded


@bp.post("/incoming")
@twilio_only
@never_drop_caller
def incoming() -> Any:
    """Greet a new call with the menu, or outside service hours with the hours and a voicemail."""
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid:
        return xml(render_fallback(services.settings))
    policy = call_policy(services.settings)
    with services.database.unit_of_work() as session:
        start = begin_call(session, call_sid=call_sid, caller=param("From"), now=services.clock.now(),
                           policy=policy)
        voice = Voice(services.settings, start.case.language)
        if not start.is_open or start.ask is None:
            hours = describe_service_hours(policy.hours, voice.language)
            return xml(render_closed(voice, start.case, hours))
        log.info("call %s from %s opened case %s", call_sid, mask_phone(start.case.caller), start.case.id)
        return xml(render_ask(voice, start.ask))


@bp.post("/gather/<step>/<int:attempt>")
@twilio_only
@never_drop_caller
def gather(step: str, attempt: int) -> Any:
    """Take the caller's keys for one question and say what comes next."""
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid or step not in {s.value for s in Step}:
        return xml(render_fallback(services.settings))
    outcome = answer_step(
        services.database, call_sid=call_sid, caller=param("From"), step=Step(step),
        attempt=min(max(attempt, 1), 2), digits=param("Digits", limit=64), now=services.clock.now(),
        policy=call_policy(services.settings), short=request.args.get("menu") == "short",
    )
    return xml(render_next(Voice(services.settings, outcome.language), outcome.case, outcome.next, outcome.stage))


@bp.post("/dial/<stage>")
@twilio_only
@never_drop_caller
def dial_result(stage: str) -> Any:
    """After a dial stage: hang up when she was reached, otherwise ring the next stage.

    Only a stage that dials has a result: our TwiML never names /voice/dial/queue or /voice/dial/voicemail,
    and such a request, like an unknown stage, gets the static fallback (never dropped) and changes no case.
    """
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid or stage not in {s.value for s in DIALLED}:
        return xml(render_fallback(services.settings))
    with services.database.unit_of_work() as session:
        outcome = finish_dial(
            session, call_sid=call_sid, stage=StageKind(stage), dial_call_status=param("DialCallStatus"),
            dial_bridged=param("DialBridged"), dial_call_sid=param("DialCallSid"),
            call_status=param("CallStatus"), now=services.clock.now(), policy=call_policy(services.settings),
        )
        if outcome.stage is None:
            return xml(render_hangup())
        return xml(render_connect(Voice(services.settings, outcome.case.language), outcome.case, outcome.stage))


@bp.post("/voicemail/<int:case_id>")
@twilio_only
def voicemail_done(case_id: int) -> Any:
    """Thank the caller for her message and store it on the case (the thanks comes even if storing fails)."""
    services = current_services()
    language = "de"
    try:
        with services.database.unit_of_work() as session:
            case = find_call_case(session, call_sid=None, case_id=case_id)
            assert case is not None
            language = case.language
            recording_sid = param("RecordingSid")
            if recording_sid:
                escalation.record_voicemail(
                    session, case=case, recording_sid=recording_sid, recording_url=param("RecordingUrl", 500),
                    seconds=_int(param("RecordingDuration")), now=services.clock.now(),
                )
    except CaseNotFound:
        log.warning("voicemail for unknown case %s not stored", case_id)  # not a URL our TwiML names
    except Exception:
        # The recording status callback (/voice/recording) stores it once the database answers again.
        log.exception("voicemail of case %s not stored here", case_id)
    return xml(render_goodbye(Voice(services.settings, language), "voicemail_thanks"))


@bp.post("/screen/<int:case_id>")
@twilio_only
def screen(case_id: int) -> Any:
    """The coordinator's phone answered: tell her the case and ask her to press 1."""
    services = current_services()
    voice = Voice(services.settings, "de")
    action = voice.url(f"/voice/screen/{case_id}/answer")
    try:
        with services.database.unit_of_work() as session:
            case = find_call_case(session, call_sid=None, case_id=case_id)
            assert case is not None
            escalation.start_screening(
                session, case=case, leg_sid=param("CallSid") or "", parent_call_sid=param("ParentCallSid") or "",
                coordinator=_coordinator_number(), now=services.clock.now(),
            )
            summary = escalation.screening_summary(case)
    except CaseNotFound:
        log.warning("screening for unknown case %s; screening without a summary", case_id)
        summary = voice.prompts.say(Line("fallback_summary")).text
    except Exception:
        log.exception("screening for case %s failed; screening without a summary", case_id)
        summary = voice.prompts.say(Line("fallback_summary")).text
    return xml(render_screening(voice, summary, action=action))


@bp.post("/screen/<int:case_id>/answer")
@twilio_only
def screen_answer(case_id: int) -> Any:
    """Bridge the coordinator when she pressed 1; otherwise end her leg so the next stage can ring."""
    services = current_services()
    digits = param("Digits", limit=8)
    accepted = digits == "1"
    try:
        with services.database.unit_of_work() as session:
            case = find_call_case(session, call_sid=None, case_id=case_id)
            assert case is not None
            if accepted:
                escalation.accept_screening(session, case=case, leg_sid=param("CallSid") or "",
                                            coordinator=_coordinator_number(), now=services.clock.now())
            else:
                escalation.decline_screening(session, case=case, leg_sid=param("CallSid") or "",
                                             digits=digits, now=services.clock.now())
    except CaseNotFound:
        log.warning("screening answer for unknown case %s not recorded", case_id)
    except Exception:
        log.exception("recording the screening answer for case %s failed", case_id)
    if accepted:
        return xml(render_screening_accepted())
    return xml(render_goodbye(Voice(services.settings, "de"), "screening_declined"))


@bp.post("/leg-status")
@twilio_only
def leg_status() -> Any:
    """A coordinator's leg changed state: when it ended, she is free for the next call."""
    services = current_services()
    leg_sid, status = param("CallSid"), param("CallStatus")
    if leg_sid and status:
        try:
            with services.database.unit_of_work() as session:
                escalation.record_leg_status(session, leg_sid=leg_sid, status=status, now=services.clock.now())
        except Exception:
            log.exception("leg status %s for %s not recorded", status, leg_sid)
    return empty_twiml()


@bp.post("/status")
@twilio_only
def call_status() -> Any:
    """The caller's call changed state (configure as the number's status callback)."""
    services = current_services()
    call_sid, status = param("CallSid"), param("CallStatus")
    if call_sid and status:
        try:
            with services.database.unit_of_work() as session:
                case = find_call_case(session, call_sid=call_sid)
                if case is not None:
                    escalation.record_call_status(session, case=case, status=status, now=services.clock.now())
        except Exception:
            log.exception("call status %s for %s not recorded", status, call_sid)
    return empty_twiml()


@bp.post("/recording")
@twilio_only
def recording() -> Any:
    """A voicemail recording is ready: keep it on the call's case (also for fallback-path calls)."""
    services = current_services()
    call_sid, recording_sid = param("CallSid"), param("RecordingSid")
    if call_sid and recording_sid and (param("RecordingStatus") or "completed") == "completed":
        try:
            with services.database.unit_of_work() as session:
                from cases.service import open_case_for_call

                now = services.clock.now()
                case = find_call_case(session, call_sid=call_sid)
                if case is None:  # a call that only ever saw the fallback TwiML
                    case = open_case_for_call(session, call_sid=call_sid, caller=None, now=now)
                    case.add_flag("fallback_voicemail")
                escalation.record_voicemail(
                    session, case=case, recording_sid=recording_sid, recording_url=param("RecordingUrl", 500),
                    seconds=_int(param("RecordingDuration")), now=now,
                )
        except Exception:
            log.exception("recording %s of call %s not stored", recording_sid, call_sid)
    return empty_twiml()


# --- Call back: the worker rang the coordinator's phone; these steer her call. ---


@bp.post("/callback/<int:case_id>")
@twilio_only
def callback(case_id: int) -> Any:
    """The coordinator answered a call back: tell her the case, then dial the parent as the hotline."""
    from cases.service import CaseNotFound, require_case
    from routing.callbacks import plan_callback

    services = current_services()
    voice = Voice(services.settings, "de")
    try:
        with services.database.unit_of_work() as session:
            case = require_case(session, case_id)
            plan = plan_callback(session, case=case, call_sid=param("CallSid"), answered_by=param("AnsweredBy"),
                                 now=services.clock.now())
    except CaseNotFound:
        return xml(render_callback_unavailable(voice, "no_case"))
    except Exception:  # without the case there is no number to dial: tell her instead of an error tone
        log.exception("call back for case %s failed", case_id)
        return xml(render_callback_unavailable(voice, "error"))
    if plan.machine:
        return xml(render_callback_machine())
    if not plan.parent:
        return xml(render_callback_unavailable(voice, "no_caller"))
    if not services.settings.hotline_number:
        return xml(render_callback_unavailable(voice, "no_hotline"))
    return xml(render_callback(voice, announcement=plan.announcement, parent=plan.parent,
                               caller_id=services.settings.hotline_number,
                               action=voice.url(f"/voice/callback/{case_id}/dialed"),
                               family_url=voice.url(f"/voice/callback/{case_id}/family")))


@bp.post("/callback/<int:case_id>/family")
@twilio_only
def callback_family(case_id: int) -> Any:
    """The family's phone was answered (answering machine detection on her leg): connect her, or hang up a mailbox.

    Decided from AnsweredBy alone, so a database failure still never connects a mailbox.
    """
    from cases.service import require_case
    from routing.callbacks import is_machine, screen_family

    services = current_services()
    answered_by = param("AnsweredBy")
    try:
        with services.database.unit_of_work() as session:
            case = require_case(session, case_id)
            screen_family(session, case=case, call_sid=param("CallSid"), answered_by=answered_by,
                          now=services.clock.now())
    except CaseNotFound:
        pass
    except Exception:
        log.exception("call back: the family's answer for case %s not recorded", case_id)
    return xml(render_callback_machine()) if is_machine(answered_by) else empty_twiml()


@bp.post("/callback/<int:case_id>/dialed")
@twilio_only
def callback_dialed(case_id: int) -> Any:
    """The call to the parent ended: record how, and end the coordinator's call."""
    from cases.service import CaseNotFound, require_case
    from routing.callbacks import CallbackOutcome, finish_callback

    services = current_services()
    now = services.clock.now()
    outcome = CallbackOutcome(reached=is_reached(param("DialCallStatus"), param("DialBridged") or "true"))
    try:
        with services.database.unit_of_work() as session:
            case = require_case(session, case_id)
            outcome = finish_callback(session, case=case, call_sid=param("CallSid"),
                                      dial_status=param("DialCallStatus"), dial_bridged=param("DialBridged"),
                                      dial_call_sid=param("DialCallSid"), now=now)
    except CaseNotFound:
        pass
    except Exception:  # she still hears how the call ended, never an error tone
        log.exception("call back result for case %s not recorded", case_id)
    retry_minutes = None
    if outcome.retry_at is not None:
        retry_minutes = max(1, -(-int((outcome.retry_at - now).total_seconds()) // 60))
    return xml(render_callback_finished(Voice(services.settings, "de"), reached=outcome.reached,
                                        retry_minutes=retry_minutes, gave_up=outcome.gave_up))


@bp.post("/callback/<int:case_id>/status")
@twilio_only
def callback_status(case_id: int) -> Any:
    """The call to the coordinator's phone ended (no answer, busy, failed or completed)."""
    from cases.service import CaseNotFound, require_case
    from routing.callbacks import record_callback_call_status

    services = current_services()
    try:
        with services.database.unit_of_work() as session:
            case = require_case(session, case_id)
            record_callback_call_status(session, case=case, call_sid=param("CallSid"),
                                        status=param("CallStatus"), now=services.clock.now())
    except CaseNotFound:
        pass
    except Exception:
        log.exception("call back status for case %s not recorded", case_id)
    return empty_twiml()


# --- The static fallback: no database anywhere below this line. ---


@bp.post("/fallback")
@twilio_only
def fallback() -> Any:
    """Ring the coordination office, then take a voicemail (the number's 'primary handler fails' URL)."""
    return xml(render_fallback(current_services().settings))


@bp.post("/fallback/after-dial")
@twilio_only
def fallback_after_dial() -> Any:
    """Hang up after a conversation with the office; otherwise take a voicemail."""
    if is_reached(param("DialCallStatus"), param("DialBridged")):
        return xml(render_hangup())
    return xml(render_fallback_voicemail(current_services().settings))


@bp.post("/fallback/screen")
@twilio_only
def fallback_screen() -> Any:
    """Screen the office's phone, so an answering machine cannot take the call."""
    voice = Voice(current_services().settings, "de")
    summary = voice.prompts.say(Line("fallback_summary")).text
    return xml(render_screening(voice, summary, action=voice.url("/voice/fallback/screen-answer")))


@bp.post("/fallback/screen-answer")
@twilio_only
def fallback_screen_answer() -> Any:
    """Bridge the office when someone pressed 1."""
    if param("Digits", limit=8) == "1":
        return xml(render_screening_accepted())
    return xml(render_goodbye(Voice(current_services().settings, "de"), "screening_declined"))


@bp.post("/fallback/recorded")
@twilio_only
def fallback_recorded() -> Any:
    """Thank the caller for her message (the recording callback stores it when the database is back)."""
    return xml(render_goodbye(Voice(current_services().settings, "de"), "voicemail_thanks"))


def _coordinator_number() -> str:
    return normalize_phone(param("To")) or normalize_phone(param("Called")) or (param("To") or "unknown")[:16]


def _int(value: str | None) -> int | None:
    """Return a duration Twilio sent (ASCII digits, at most a day), or None."""
    try:
        return optional_int(value, maximum=86_400)
    except InputError:
        return None

