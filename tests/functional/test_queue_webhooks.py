"""The call queue end to end through signed voice webhooks: who waits, in which order, and how she leaves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import Case, CaseEvent, CoordinatorLeg, LegState, OutboxMessage, QueueEntry, QueueKind, QueueState
from tests.factories import ANNA, BEN, make_roster
from tests.helpers import twilio_post, twiml, verbs

TODAY_KEYS = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
              ("postcode", "30159"), ("urgency", "2"), ("reason", "1")]
NOW_KEYS = TODAY_KEYS[:5] + [("urgency", "1"), ("reason", "1")]


def sid(n: int) -> str:
    return f"CA{n:032d}"


def parent(n: int) -> str:
    return f"+49151123400{n:02d}"


def post(client: Any, path: str, n: int, **params: str) -> Any:
    base = {"CallSid": sid(n), "From": parent(n), "To": "+4951187654321", "CallStatus": "in-progress"}
    return twiml(twilio_post(client, path, {**base, **params}))


def start(client: Any, n: int, keys: list[tuple[str, str]] = TODAY_KEYS) -> Any:
    """Call the hotline as caller n and answer the menu; return the last TwiML."""
    root = post(client, "/voice/incoming", n)
    for step, digits in keys:
        root = post(client, f"/voice/gather/{step}/1", n, Digits=digits)
    return root


def case_of(session: Any, n: int) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.call_sid == sid(n))).one()


def entry_of(session: Any, n: int) -> QueueEntry:
    session.expire_all()
    return session.scalars(select(QueueEntry).where(QueueEntry.call_sid == sid(n))).one()


def take(client: Any, session: Any, n: int, coordinator: str, leg: str) -> Any:
    """The coordinator's phone answers caller n's ring, hears the screening and presses 1."""
    case_id = case_of(session, n).id
    leg_params = {"CallSid": leg, "ParentCallSid": sid(n), "To": coordinator, "From": parent(n)}
    twiml(twilio_post(client, f"/voice/screen/{case_id}", leg_params))
    return twiml(twilio_post(client, f"/voice/screen/{case_id}/answer", {**leg_params, "Digits": "1"}))


def decline(client: Any, session: Any, n: int, coordinator: str, leg: str) -> None:
    case_id = case_of(session, n).id
    leg_params = {"CallSid": leg, "ParentCallSid": sid(n), "To": coordinator, "From": parent(n)}
    twiml(twilio_post(client, f"/voice/screen/{case_id}", leg_params))
    twiml(twilio_post(client, f"/voice/screen/{case_id}/answer", {**leg_params, "Digits": "9"}))


def hang_up_leg(client: Any, leg: str) -> None:
    twilio_post(client, "/voice/leg-status", {"CallSid": leg, "CallStatus": "completed"})


def dialled(root: Any) -> list[str]:
    dial = root.find("Dial")
    return [n.text for n in dial.findall("Number")] if dial is not None else []


def said(root: Any) -> str:
    return " ".join(s.text or "" for s in root.iter("Say"))


def wait_url(session: Any, n: int) -> str:
    return f"/voice/queue/{case_of(session, n).id}/wait"


@pytest.fixture
def all_talking(client: Any, session: Any, clock: Any) -> None:
    """Anna (primary) talks to caller 1, Ben (backup) to caller 2."""
    make_roster(session, now=clock.now())
    assert dialled(start(client, 1)) == [ANNA]
    take(client, session, 1, ANNA, "CL-anna-1")
    clock.advance(seconds=30)
    assert dialled(start(client, 2)) == [BEN]
    take(client, session, 2, BEN, "CL-ben-2")
    clock.advance(seconds=30)


def test_all_talking_the_caller_waits_hears_her_place_and_gets_the_next_free_coordinator(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    root = start(client, 3)
    assert verbs(root)[-1] == "Redirect" and root.find("Redirect").text.endswith(wait_url(session, 3))
    assert "Warteschlange" in said(root)
    assert case_of(session, 3).dial_stage == "queue"

    turn = post(client, wait_url(session, 3), 3)
    gather = turn.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action").endswith("/key")
    assert "Platz 1" in said(gather) and "drücken Sie die 1" in said(gather) and "die 2" in said(gather)
    assert "Minute" not in said(gather)  # no handling times yet: no number promised
    assert gather.find("Pause") is not None and verbs(turn)[-1] == "Redirect"
    assert post(client, wait_url(session, 3), 3).find("Dial") is None  # still nobody free

    hang_up_leg(client, "CL-anna-1")  # Anna finished her call
    clock.advance(seconds=20)
    ring = post(client, wait_url(session, 3), 3)
    assert dialled(ring) == [ANNA]
    number = ring.find("Dial").find("Number")
    assert number.get("url").endswith(f"/voice/screen/{case_of(session, 3).id}")  # the same screening
    assert ring.find("Dial").get("action").endswith(f"/voice/queue/{case_of(session, 3).id}/dialed")
    assert entry_of(session, 3).state is QueueState.OFFERED
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]  # a repeated delivery rings the same

    take(client, session, 3, ANNA, "CL-anna-3")
    assert entry_of(session, 3).state is QueueState.CONNECTED
    done = post(client, f"/voice/queue/{case_of(session, 3).id}/dialed", 3, DialCallStatus="completed",
                DialBridged="true", DialCallSid="CL-anna-3")
    assert verbs(done) == ["Hangup"]
    kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_of(session, 3).id))]
    assert {"queue_entered", "queue_position_announced", "queue_dequeued", "coordinator_accepted"} <= set(kinds)


def test_now_goes_first_then_the_longest_wait(client: Any, session: Any, clock: Any, all_talking: None) -> None:
    start(client, 3)  # today, first
    clock.advance(seconds=10)
    start(client, 4)  # today, second
    clock.advance(seconds=10)
    start(client, 5, NOW_KEYS)  # now, last to come
    assert "Platz 1" in said(post(client, wait_url(session, 5), 5))
    assert "Platz 2" in said(post(client, wait_url(session, 3), 3))
    assert "Platz 3" in said(post(client, wait_url(session, 4), 4))

    hang_up_leg(client, "CL-anna-1")
    assert dialled(post(client, wait_url(session, 3), 3)) == []  # Anna is for the "now" caller
    assert dialled(post(client, wait_url(session, 5), 5)) == [ANNA]
    hang_up_leg(client, "CL-ben-2")
    assert dialled(post(client, wait_url(session, 4), 4)) == []
    assert dialled(post(client, wait_url(session, 3), 3)) == [BEN]  # the longest wait next


def test_a_coordinator_who_declines_leaves_the_caller_her_place(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    start(client, 3)
    clock.advance(seconds=10)
    start(client, 4)
    hang_up_leg(client, "CL-anna-1")
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]
    decline(client, session, 3, ANNA, "CL-anna-3")
    back = post(client, f"/voice/queue/{case_of(session, 3).id}/dialed", 3, DialCallStatus="completed",
                DialBridged="false", DialCallSid="CL-anna-3")
    entry = entry_of(session, 3)
    assert entry.state is QueueState.WAITING and entry.declined_by == ANNA
    assert "Platz 1" in said(back)  # she keeps her place; Anna goes to the next caller for now
    assert dialled(post(client, wait_url(session, 4), 4)) == [ANNA]


def test_the_longest_wait_leads_to_the_office_then_voicemail_without_the_worker(
        client: Any, session: Any, clock: Any, settings: Any, all_talking: None) -> None:
    start(client, 3)
    post(client, wait_url(session, 3), 3)
    clock.advance(minutes=10)
    office = post(client, wait_url(session, 3), 3)
    assert dialled(office) == [settings.fallback_number]
    assert office.find("Dial").get("action").endswith("/voice/dial/fallback")
    assert entry_of(session, 3).state is QueueState.VOICEMAIL
    mailbox = post(client, "/voice/dial/fallback", 3, DialCallStatus="no-answer", DialBridged="false")
    assert "Record" in verbs(mailbox)
    assert case_of(session, 3).needs_callback


def test_key_1_a_call_back_keeps_her_place(client: Any, session: Any, clock: Any, all_talking: None) -> None:
    start(client, 3)
    entered = entry_of(session, 3).entered_at
    clock.advance(seconds=5)
    start(client, 4)
    bye = post(client, f"/voice/queue/{case_of(session, 3).id}/key", 3, Digits="1")
    assert verbs(bye)[-1] == "Hangup" and "zurück" in said(bye)
    twilio_post(client, "/voice/status", {"CallSid": sid(3), "CallStatus": "completed"})
    entry = entry_of(session, 3)
    assert entry.kind is QueueKind.CALLBACK and entry.state is QueueState.WAITING and entry.entered_at == entered
    assert case_of(session, 3).needs_callback
    assert "Platz 2" in said(post(client, wait_url(session, 4), 4))  # the call-back is still ahead of her


def test_key_2_the_voicemail_as_today(client: Any, session: Any, all_talking: None) -> None:
    start(client, 3)
    mailbox = post(client, f"/voice/queue/{case_of(session, 3).id}/key", 3, Digits="2")
    assert "Record" in verbs(mailbox)
    assert entry_of(session, 3).state is QueueState.VOICEMAIL
    alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "voicemail_alert")).all()
    assert {a.to_number for a in alerts} == {ANNA, BEN}
    other = post(client, f"/voice/queue/{case_of(session, 3).id}/key", 3, Digits="7")
    assert verbs(other) == ["Redirect"]


def test_hanging_up_leaves_the_queue(client: Any, session: Any, all_talking: None) -> None:
    start(client, 3)
    twilio_post(client, "/voice/status", {"CallSid": sid(3), "CallStatus": "completed"})
    assert entry_of(session, 3).state is QueueState.LEFT


def test_a_full_queue_sends_the_next_caller_the_way_of_today(
        app: Any, client: Any, session: Any, settings: Any, all_talking: None) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(queue_max_length=1)
    start(client, 3)
    assert dialled(start(client, 4)) == [settings.fallback_number]
    assert session.scalars(select(QueueEntry).where(QueueEntry.call_sid == sid(4))).first() is None


def test_the_others_rang_out_while_one_is_talking(client: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    start(client, 1)
    take(client, session, 1, ANNA, "CL-anna-1")
    assert dialled(start(client, 2)) == [BEN]
    queued = post(client, "/voice/dial/backup", 2, DialCallStatus="no-answer", DialBridged="false")
    assert queued.find("Redirect").text.endswith(wait_url(session, 2))
    assert entry_of(session, 2).declined_by == BEN  # Ben, who just rang out, is not rung again at once
    assert dialled(post(client, wait_url(session, 2), 2)) == []


def test_nobody_talking_the_office_keeps_its_place(client: Any, session: Any, clock: Any, settings: Any) -> None:
    make_roster(session, now=clock.now())
    start(client, 1)
    post(client, "/voice/dial/primary", 1, DialCallStatus="no-answer", DialBridged="false")
    office = post(client, "/voice/dial/backup", 1, DialCallStatus="no-answer", DialBridged="false")
    assert dialled(office) == [settings.fallback_number]
    assert session.scalars(select(QueueEntry)).first() is None


def test_no_queue_outside_service_hours(app: Any, client: Any, session: Any, settings: Any, clock: Any,
                                        all_talking: None) -> None:
    start(client, 3)
    app.extensions["fluxx"].settings = settings.with_overrides(service_hours="sun 00:00-01:00")
    onward = post(client, wait_url(session, 3), 3)
    assert dialled(onward) == [settings.fallback_number]
    assert entry_of(session, 3).state is QueueState.VOICEMAIL
    root = post(client, "/voice/incoming", 4)
    assert "Record" in verbs(root)  # closed: the voicemail as always, no queue


def test_the_estimate_comes_from_recent_handling_times(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    now = clock.now()
    for i in range(5):
        c = Case(reference=f"QT-{i}", call_sid=f"CAold{i}", created_at=now - timedelta(hours=1),
                 updated_at=now, connected_at=now - timedelta(minutes=50), call_ended_at=now - timedelta(minutes=47))
        session.add(c)
    session.flush()
    start(client, 3)
    start(client, 4)
    text = said(post(client, wait_url(session, 4), 4))
    assert "Platz 2" in text and "etwa 3 Minuten" in text  # two on duty, median 3 minutes: one round


def test_legs_still_count_as_busy_while_talking(session: Any, all_talking: None) -> None:
    legs = session.scalars(select(CoordinatorLeg).where(CoordinatorLeg.state == LegState.BRIDGED)).all()
    assert {leg.coordinator for leg in legs} == {ANNA, BEN}


def test_a_coordinator_coming_on_duty_gets_the_next_caller(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    from tests.factories import CARLA, make_shift

    start(client, 3)
    assert dialled(post(client, wait_url(session, 3), 3)) == []
    make_shift(session, phone=CARLA, role="backup", name="Carla Castro", starts_at=clock.now())
    assert dialled(post(client, wait_url(session, 3), 3)) == [CARLA]


def test_callers_in_the_queue_count_as_waiting_in_the_metrics(
        session: Any, clock: Any, client: Any, all_talking: None) -> None:
    from ops.metrics import read_figures

    start(client, 3)
    start(client, 4)
    clock.advance(seconds=30)
    figures = read_figures(session, now=clock.now(), lock_key=0)
    assert figures.waiting["queue"] == 2


def test_a_failure_while_waiting_answers_with_the_static_fallback(
        client: Any, session: Any, settings: Any, monkeypatch: Any, all_talking: None) -> None:
    import webhooks.voice_queue

    start(client, 3)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database gone")

    monkeypatch.setattr(webhooks.voice_queue, "queue_turn", broken)
    monkeypatch.setattr(webhooks.voice_queue, "queue_key", broken)
    for path in ("wait", "key"):
        root = post(client, f"/voice/queue/{case_of(session, 3).id}/{path}", 3, Digits="1")
        assert dialled(root) == [settings.fallback_number], path  # the office, then the voicemail: never dropped


def test_a_coordinator_placing_a_call_back_is_busy_and_the_next_caller_waits(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    """Found by the day simulation: coordinators ringing families back were rung for a new caller,
    whose call then ran through the busy phones to the voicemail she never chose."""
    for n, coordinator in ((3, ANNA), (4, BEN)):
        start(client, n)
        entry = entry_of(session, n)
        entry.kind, entry.state, entry.offered_to, entry.offered_at = (
            QueueKind.CALLBACK, QueueState.OFFERED, coordinator, clock.now())
        session.commit()
    hang_up_leg(client, "CL-anna-1")
    hang_up_leg(client, "CL-ben-2")  # nobody bridged: both are on the phone for the queue's call-backs
    root = start(client, 5)
    assert dialled(root) == []
    assert case_of(session, 5).dial_stage == "queue" and entry_of(session, 5).state is QueueState.WAITING


def test_a_coordinator_hanging_up_during_the_summary_frees_the_caller_at_once(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    """Her leg's status callback ends the offer: no waiting for the stale timeout, nor for the <Dial action>."""
    start(client, 3)
    clock.advance(seconds=10)
    start(client, 4)
    hang_up_leg(client, "CL-anna-1")
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]
    case_id = case_of(session, 3).id
    twiml(twilio_post(client, f"/voice/screen/{case_id}",
                      {"CallSid": "CL-anna-3", "ParentCallSid": sid(3), "To": ANNA, "From": parent(3)}))
    clock.advance(seconds=5)
    hang_up_leg(client, "CL-anna-3")  # she hangs up while the summary plays: no key, no bridge
    entry = entry_of(session, 3)
    assert entry.state is QueueState.WAITING and entry.declined_by == ANNA and entry.offered_to is None
    assert dialled(post(client, wait_url(session, 4), 4)) == [ANNA]  # free for the next caller, now
    back = post(client, f"/voice/queue/{case_id}/dialed", 3, DialCallStatus="completed", DialBridged="false",
                DialCallSid="CL-anna-3")  # the <Dial action> comes after: she hears her place, nothing twice
    assert "Platz 1" in said(back) and entry_of(session, 3).state is QueueState.WAITING


def test_a_late_status_of_an_older_leg_leaves_the_new_offer(
        client: Any, session: Any, clock: Any, all_talking: None) -> None:
    from routing.queue import DECLINE_PAUSE

    start(client, 3)
    hang_up_leg(client, "CL-anna-1")
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]
    decline(client, session, 3, ANNA, "CL-anna-3")
    post(client, f"/voice/queue/{case_of(session, 3).id}/dialed", 3, DialCallStatus="completed",
         DialBridged="false", DialCallSid="CL-anna-3")
    clock.advance(seconds=DECLINE_PAUSE.total_seconds() + 1)
    assert dialled(post(client, wait_url(session, 3), 3)) == [ANNA]  # offered to her again
    hang_up_leg(client, "CL-anna-3")  # the first leg's status, late
    assert entry_of(session, 3).state is QueueState.OFFERED and entry_of(session, 3).offered_to == ANNA
    take(client, session, 3, ANNA, "CL-anna-3b")
    hang_up_leg(client, "CL-anna-3b")  # the end of the call she took releases nothing
    assert entry_of(session, 3).state is QueueState.CONNECTED


@pytest.mark.parametrize("stage", ["queue", "voicemail"])
def test_a_stage_that_never_dials_has_no_dial_result(
        client: Any, session: Any, settings: Any, all_talking: None, stage: str) -> None:
    """Our TwiML names /voice/dial/<stage> only for a stage that dials: the queue's and the voicemail's
    are answered like an unknown stage (the static fallback), and the waiting caller's case is untouched."""
    start(client, 3)
    root = post(client, f"/voice/dial/{stage}", 3, DialCallStatus="no-answer", DialBridged="false")
    assert dialled(root) == [settings.fallback_number]
    assert root.find("Dial").get("action").endswith("/voice/fallback/after-dial")
    case = case_of(session, 3)
    assert case.dial_stage == "queue" and entry_of(session, 3).state is QueueState.WAITING
    assert not [e for e in case.events if e.kind == "dial_result"]
