"""Voice webhooks of a caller waiting in the hotline's queue (internal URLs, reached through TwiML).

`/wait` is her loop turn (ring a free coordinator, or her place and a pause, or on to the office
and the voicemail at the longest wait), `/key` takes 1 (call-back) and 2 (voicemail), `/dialed`
ends the ring of a coordinator for her. Each is signed, idempotent for a repeated delivery, and
answers with the static fallback when anything fails: a caller is never dropped.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from core.container import current_services
from ivr.menu import Line
from routing.queue_call import KeyChoice, QueueTurn, TurnKind, queue_dialed, queue_key, queue_turn
from routing.settings import call_policy
from routing.twiml import (
    Voice,
    render_connect,
    render_fallback,
    render_goodbye,
    render_hangup,
    render_queue_back,
    render_queue_ring,
    render_queue_voicemail,
    render_queue_wait,
)
from webhooks.twilio_request import param, twilio_only, xml
from webhooks.voice import never_drop_caller

bp = Blueprint("voice_queue", __name__, url_prefix="/voice/queue")


@bp.post("/<int:case_id>/wait")
@twilio_only
@never_drop_caller
def wait(case_id: int) -> Any:
    """One loop turn of a waiting caller."""
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid:
        return xml(render_fallback(services.settings))
    with services.database.unit_of_work() as session:
        turn = queue_turn(session, case_id=case_id, call_sid=call_sid, now=services.clock.now(),
                          policy=call_policy(services.settings))
        return xml(_render_turn(turn))


@bp.post("/<int:case_id>/dialed")
@twilio_only
@never_drop_caller
def dialed(case_id: int) -> Any:
    """The coordinator rung for her took the call (hang up after it), or not (back to her place)."""
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid:
        return xml(render_fallback(services.settings))
    with services.database.unit_of_work() as session:
        turn = queue_dialed(
            session, case_id=case_id, call_sid=call_sid, dial_call_status=param("DialCallStatus"),
            dial_bridged=param("DialBridged"), dial_call_sid=param("DialCallSid"), call_status=param("CallStatus"),
            now=services.clock.now(), policy=call_policy(services.settings),
        )
        return xml(_render_turn(turn))


@bp.post("/<int:case_id>/key")
@twilio_only
@never_drop_caller
def key(case_id: int) -> Any:
    """A key pressed while waiting: 1 a call-back that keeps her place, 2 a voicemail, anything else waits on."""
    services = current_services()
    call_sid = param("CallSid")
    if not call_sid:
        return xml(render_fallback(services.settings))
    with services.database.unit_of_work() as session:
        case, choice = queue_key(session, case_id=case_id, call_sid=call_sid, digits=param("Digits", limit=8),
                                 now=services.clock.now(), policy=call_policy(services.settings))
        voice = Voice(services.settings, case.language)
        if choice is KeyChoice.CALLBACK:
            return xml(render_goodbye(voice, "queue_callback_confirmed"))
        if choice is KeyChoice.VOICEMAIL:
            return xml(render_queue_voicemail(voice, case))
        if choice is KeyChoice.CALLBACK_IMPOSSIBLE:
            return xml(render_queue_back(voice, case, say=[Line("queue_callback_impossible")]))
        return xml(render_queue_back(voice, case))


def _render_turn(turn: QueueTurn) -> Any:
    voice = Voice(current_services().settings, turn.case.language)
    if turn.kind is TurnKind.RING and turn.coordinator:
        return render_queue_ring(voice, turn.case, turn.coordinator)
    if turn.kind is TurnKind.WAIT:
        a = turn.announcement
        return render_queue_wait(voice, turn.case, position=a.position if a else None,
                                 minutes=a.minutes if a else None)
    if turn.kind is TurnKind.ONWARD and turn.stage is not None:
        say = [Line("queue_max_wait")] if turn.why == "max_wait" and turn.stage.numbers else []
        return render_connect(voice, turn.case, turn.stage, say_first=say)
    return render_hangup()
