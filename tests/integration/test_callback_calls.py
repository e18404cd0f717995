"""Call back: a call row in the outbox, placed by the worker through Twilio's Calls API, then TwiML that
connects the coordinator to the parent showing the hotline's number."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts import create_user
from core.database import Database
from dispatch.manual import ManualActionError, ManualReason
from messaging.outbox import LEASE, MAX_CALL_ATTEMPTS, deliver_due_messages
from models import CaseEvent, OutboxMessage, OutboxStatus, User
from routing.callbacks import request_callback
from telephony.gateway import SendError, SimulatorGateway
from tests.factories import PARENT
from tests.factories_dispatch import make_dispatchable_case
from tests.fixtures_twilio import assert_accepted_by_twilio_api
from tests.helpers import PUBLIC_BASE_URL, twilio_post, twiml, verbs

HOTLINE = "+4951187654321"
HER_PHONE = "+4915199887766"


@pytest.fixture
def clara(session: Session, clock: Any) -> User:
    return create_user(
        session,
        username="clara",
        name="Clara",
        role="coordinator",
        password="richtig-lang-genug",
        now=clock.now(),
        phone=HER_PHONE,
    )


@pytest.fixture
def case(session: Session, clock: Any) -> Any:
    return make_dispatchable_case(
        session, now=clock.now(), call_sid="CA-callback", reference="K7Q2", needs_callback=True
    )


def queue_callback(session: Session, clock: Any, case: Any, user: User) -> OutboxMessage:
    message = request_callback(
        session,
        case=case,
        user=user,
        now=clock.now(),
        public_base_url=PUBLIC_BASE_URL,
        hotline_number=HOTLINE,
    )
    session.commit()
    return message


def deliver(database: Database, gateway: Any, clock: Any) -> Any:
    return deliver_due_messages(
        database,
        gateway,
        now=clock.now(),
        default_from=HOTLINE,
        status_callback_url=PUBLIC_BASE_URL + "/sms/status",
    )


def kinds(session: Session, case: Any) -> list[str]:
    session.expire_all()
    return [
        e.kind
        for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    ]


# --- Queueing ----------------------------------------------------------------------------------------


def test_call_back_queues_a_call_to_her_phone(session: Session, clock: Any, case: Any, clara: User) -> None:
    message = queue_callback(session, clock, case, clara)
    assert (message.channel, message.to_number, message.from_number) == ("call", HER_PHONE, HOTLINE)
    assert message.twiml_url == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}"
    assert message.status is OutboxStatus.PENDING
    assert "callback_requested" in kinds(session, case)


def test_a_double_click_rings_her_once(session: Session, clock: Any, case: Any, clara: User) -> None:
    first = queue_callback(session, clock, case, clara)
    clock.advance(seconds=20)
    assert queue_callback(session, clock, case, clara).id == first.id
    clock.advance(minutes=5)
    assert queue_callback(session, clock, case, clara).id != first.id


def test_without_her_number_or_the_parents_there_is_no_call(session: Session, clock: Any, case: Any) -> None:
    nina = create_user(
        session,
        username="nina",
        name="Nina",
        role="coordinator",
        password="richtig-lang-genug",
        now=clock.now(),
    )
    with pytest.raises(ManualActionError) as refused:
        request_callback(
            session,
            case=case,
            user=nina,
            now=clock.now(),
            public_base_url=PUBLIC_BASE_URL,
            hotline_number=HOTLINE,
        )
    assert refused.value.reason is ManualReason.NO_USER_PHONE
    withheld = make_dispatchable_case(session, now=clock.now(), call_sid="CA-withheld", caller=None)
    nina.phone = HER_PHONE
    with pytest.raises(ManualActionError) as refused:
        request_callback(
            session,
            case=withheld,
            user=nina,
            now=clock.now(),
            public_base_url=PUBLIC_BASE_URL,
            hotline_number=HOTLINE,
        )
    assert refused.value.reason is ManualReason.NO_CALLER


# --- The worker places it ------------------------------------------------------------------------------


def test_the_worker_places_the_call_through_the_simulator(
    session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    message = queue_callback(session, clock, case, clara)
    gateway = SimulatorGateway()
    report = deliver(database, gateway, clock)
    assert report.sent == 1 and gateway.sent == []
    (call,) = gateway.calls
    assert call["to"] == HER_PHONE and call["from"] == HOTLINE
    assert call["url"] == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}"
    assert call["status_callback"] == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}/status"
    session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.provider_sid == call["sid"]


def test_the_calls_request_is_accepted_by_twilios_api(
    session: Session,
    database: Database,
    clock: Any,
    case: Any,
    clara: User,
    twilio_gateway: Any,
    twilio_standin: Any,
    twilio_openapi: Any,
) -> None:
    message = queue_callback(session, clock, case, clara)
    assert deliver(database, twilio_gateway, clock).sent == 1
    (request,) = [r for r in twilio_standin.requests if r.path.endswith("/Calls.json")]
    assert_accepted_by_twilio_api(request, twilio_openapi)
    assert request.param("To") == HER_PHONE and request.param("From") == HOTLINE
    assert request.param("Url") == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}"
    assert request.param("StatusCallback") == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}/status"
    assert request.param("MachineDetection") == "Enable"
    session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.provider_sid == twilio_standin.calls[0]["sid"]


def test_a_failing_call_is_given_up_soon(
    session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    class Down(SimulatorGateway):
        def place_call(self, **kwargs: Any) -> str:
            raise SendError("HTTP 500", transient=True)

    message = queue_callback(session, clock, case, clara)
    gateway = Down()
    for _ in range(MAX_CALL_ATTEMPTS):
        deliver(database, gateway, clock)
        clock.advance(hours=1)
    session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.attempts == MAX_CALL_ATTEMPTS


def test_a_call_left_sending_by_a_crash_is_never_placed_twice(
    session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    message = queue_callback(session, clock, case, clara)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=OutboxStatus.SENDING, lease_until=clock.now(), attempts=1)
    )
    session.commit()
    clock.advance(seconds=LEASE.total_seconds() + 1)
    gateway = SimulatorGateway()
    report = deliver(database, gateway, clock)
    assert report.unknown == 1 and gateway.calls == []
    session.refresh(message)
    assert message.status is OutboxStatus.FAILED and "call" in (message.last_error or "")


def test_a_gateway_that_cannot_call_fails_the_row(
    session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    class SmsOnly:
        def send_sms(self, **kwargs: Any) -> str:
            raise AssertionError("a call row must not be sent as SMS")

    message = queue_callback(session, clock, case, clara)
    deliver(database, SmsOnly(), clock)
    session.refresh(message)
    assert message.status is OutboxStatus.FAILED


# --- The TwiML she hears ---------------------------------------------------------------------------------


def test_she_hears_the_case_then_the_parent_is_dialled_with_the_hotlines_number(
    client: Any, session: Session, case: Any
) -> None:
    session.commit()
    root = twiml(
        twilio_post(client, f"/voice/callback/{case.id}", {"CallSid": "CAcb1", "AnsweredBy": "human"})
    )
    assert verbs(root) == ["Say", "Dial"]
    say = root.find("Say")
    assert say is not None and say.text is not None
    assert say.text.startswith("Rückruf für Fall K 7 Q 2, Kind, 3 Jahre")
    assert "Hannover" in say.text and say.text.endswith("Sie werden jetzt mit der Familie verbunden.")
    assert say.get("language") == "de-DE"
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("callerId") == HOTLINE
    assert dial.get("action") == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}/dialed"
    number = dial.find("Number")
    assert number is not None and number.text == PARENT
    assert "callback_answered" in kinds(session, case)


def test_a_mailbox_is_never_connected_to_the_parent(client: Any, session: Session, case: Any) -> None:
    session.commit()
    root = twiml(
        twilio_post(client, f"/voice/callback/{case.id}", {"CallSid": "CAcb2", "AnsweredBy": "machine_start"})
    )
    assert verbs(root) == ["Hangup"]
    assert "callback_mailbox" in kinds(session, case)


def test_a_case_without_the_parents_number_ends_with_a_clear_message(
    client: Any, session: Session, clock: Any
) -> None:
    withheld = make_dispatchable_case(session, now=clock.now(), call_sid="CA-withheld2", caller=None)
    session.commit()
    root = twiml(twilio_post(client, f"/voice/callback/{withheld.id}", {"CallSid": "CAcb3"}))
    assert verbs(root) == ["Say", "Hangup"]
    assert "keine Rufnummer der Familie" in (root.find("Say").text or "")


def test_the_callback_webhooks_need_twilios_signature(client: Any, session: Session, case: Any) -> None:
    session.commit()
    for path in (
        f"/voice/callback/{case.id}",
        f"/voice/callback/{case.id}/dialed",
        f"/voice/callback/{case.id}/status",
        f"/voice/callback/{case.id}/family",
    ):
        assert client.post(path, data={"CallSid": "CAx"}).status_code == 403


def test_the_result_goes_on_the_timeline_and_clears_the_callback_flag(
    client: Any, session: Session, case: Any
) -> None:
    session.commit()
    root = twiml(
        twilio_post(
            client, f"/voice/callback/{case.id}/dialed", {"CallSid": "CAcb4", "DialCallStatus": "completed"}
        )
    )
    assert verbs(root) == ["Hangup"]
    session.expire_all()
    assert case.needs_callback is False
    twilio_post(client, f"/voice/callback/{case.id}/status", {"CallSid": "CAcb4", "CallStatus": "completed"})
    assert kinds(session, case)[-2:] == ["callback_result", "callback_call_status"]


def test_a_parent_not_reached_keeps_the_flag(client: Any, session: Session, case: Any) -> None:
    session.commit()
    root = twiml(
        twilio_post(
            client, f"/voice/callback/{case.id}/dialed", {"CallSid": "CAcb5", "DialCallStatus": "no-answer"}
        )
    )
    assert verbs(root) == ["Say", "Hangup"]
    session.expire_all()
    assert case.needs_callback is True


def test_an_unknown_case_hangs_up_politely(client: Any) -> None:
    root = twiml(twilio_post(client, "/voice/callback/999999", {"CallSid": "CAcb6"}))
    assert verbs(root) == ["Say", "Hangup"]


def test_the_status_callback_of_a_call_row_is_not_the_sms_one(
    session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    queue_callback(session, clock, case, clara)
    gateway = SimulatorGateway()
    deliver(database, gateway, clock)
    assert not gateway.calls[0]["status_callback"].endswith("/sms/status")


# --- The family's leg: answering machine detection, one retry, then the flag ----------------------------


def test_the_familys_leg_has_answering_machine_detection_too(client: Any, session: Session, case: Any) -> None:
    session.commit()
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}", {"CallSid": "CAcb7", "AnsweredBy": "human"}))
    number = root.find("Dial/Number")
    assert number is not None and number.text == PARENT
    assert number.get("machineDetection") == "Enable"
    assert number.get("url") == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}/family"
    assert number.get("method") == "POST"


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "machine_end_silence", "fax"])
def test_the_familys_mailbox_is_hung_up_never_connected(
    client: Any, session: Session, case: Any, answered_by: str
) -> None:
    session.commit()
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/family",
                             {"CallSid": "CAfam1", "ParentCallSid": "CAcb8", "AnsweredBy": answered_by}))
    assert verbs(root) == ["Hangup"]
    assert "callback_mailbox" in kinds(session, case)


@pytest.mark.parametrize("answered_by", ["human", "unknown", None])
def test_the_family_herself_is_connected(client: Any, session: Session, case: Any, answered_by: str | None) -> None:
    session.commit()
    data: dict[str, str] = {"CallSid": "CAfam2", "ParentCallSid": "CAcb9"}
    if answered_by:
        data["AnsweredBy"] = answered_by
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/family", data))
    assert verbs(root) == []
    assert "callback_mailbox" not in kinds(session, case)


def test_the_familys_mailbox_does_not_count_as_reached(client: Any, session: Session, case: Any) -> None:
    """Her mailbox answered and was hung up: the leg ends 'completed' but was never bridged."""
    session.commit()
    twilio_post(client, f"/voice/callback/{case.id}/family",
                {"CallSid": "CAfam3", "ParentCallSid": "CAcb10", "AnsweredBy": "machine_start"})
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/dialed",
                             {"CallSid": "CAcb10", "DialCallStatus": "completed", "DialCallSid": "CAfam3",
                              "DialBridged": "false"}))
    assert verbs(root) == ["Say", "Hangup"]
    session.expire_all()
    assert case.needs_callback is True
    assert not any(e.detail.get("reached") for e in case.events if e.kind == "callback_result")


def test_the_family_reached_clears_the_flag(client: Any, session: Session, case: Any) -> None:
    session.commit()
    twilio_post(client, f"/voice/callback/{case.id}/family",
                {"CallSid": "CAfam4", "ParentCallSid": "CAcb11", "AnsweredBy": "human"})
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/dialed",
                             {"CallSid": "CAcb11", "DialCallStatus": "completed", "DialCallSid": "CAfam4",
                              "DialBridged": "true"}))
    assert verbs(root) == ["Hangup"]
    session.expire_all()
    assert case.needs_callback is False


def _calls(session: Session, case: Any) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                            OutboxMessage.channel == "call")
                                .order_by(OutboxMessage.id)))


def test_a_family_not_reached_is_retried_once_by_the_next_worker_then_flagged(
    client: Any, session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    case.needs_callback = False
    queue_callback(session, clock, case, clara)
    first_worker = SimulatorGateway()
    deliver(database, first_worker, clock)
    (first,) = first_worker.calls
    first_sid = str(first["sid"])
    # Her mailbox answers the family's phone: no connection, a second attempt in five minutes.
    twilio_post(client, f"/voice/callback/{case.id}/family",
                {"CallSid": "CAfam5", "ParentCallSid": first_sid, "AnsweredBy": "machine_start"})
    dialed = {"CallSid": first_sid, "DialCallStatus": "completed", "DialCallSid": "CAfam5",
              "DialBridged": "false"}
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/dialed", dialed))
    assert "In 5 Minuten versucht die Hotline es noch einmal" in (root.find("Say").text or "")
    twilio_post(client, f"/voice/callback/{case.id}/dialed", dialed)  # Twilio delivers it twice
    rows = _calls(session, case)
    assert [r.purpose for r in rows] == ["callback", "callback_retry"]
    retry = rows[1]
    assert retry.status is OutboxStatus.PENDING and retry.to_number == HER_PHONE
    assert retry.twiml_url == f"{PUBLIC_BASE_URL}/voice/callback/{case.id}"
    # The timer is in the database: not before it is due, and a new worker (restart) places it.
    assert deliver(database, first_worker, clock).sent == 0
    clock.advance(minutes=5)
    next_worker = SimulatorGateway()
    assert deliver(database, next_worker, clock).sent == 1
    (second,) = next_worker.calls
    assert second["to"] == HER_PHONE and second["url"] == retry.twiml_url
    # The second attempt misses her too: no third call, the case is flagged for a coordinator.
    root = twiml(twilio_post(client, f"/voice/callback/{case.id}/dialed",
                             {"CallSid": str(second["sid"]), "DialCallStatus": "no-answer"}))
    assert "der Fall ist für einen Rückruf markiert" in (root.find("Say").text or "")
    assert len(_calls(session, case)) == 2
    assert case.needs_callback is True
    results = [e.detail for e in case.events if e.kind == "callback_result"]
    assert [bool(d.get("retry_at")) for d in results] == [True, False]
    assert [bool(d.get("gave_up")) for d in results] == [False, True]
    assert results[0]["status"] == "machine"


def test_a_closed_case_is_not_called_again(
    client: Any, session: Session, database: Database, clock: Any, case: Any, clara: User
) -> None:
    from models import CaseStatus

    queue_callback(session, clock, case, clara)
    gateway = SimulatorGateway()
    deliver(database, gateway, clock)
    case.status = CaseStatus.CLOSED
    session.commit()
    twilio_post(client, f"/voice/callback/{case.id}/dialed",
                {"CallSid": str(gateway.calls[0]["sid"]), "DialCallStatus": "busy"})
    assert [r.purpose for r in _calls(session, case)] == ["callback"]
