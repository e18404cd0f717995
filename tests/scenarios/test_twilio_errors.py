"""Twilio answers with errors while a case is being offered: what caregivers, parents and coordinators see.

The worker's tick runs the way `flask --app app worker` runs it, with the real REST gateway
(TwilioRestGateway) talking to the local Twilio stand-in, which fails on demand: HTTP 500, 429
with Retry-After, a request that hangs past the gateway's timeout, and the permanent errors 21211
(invalid number) and 21610 (the recipient opted out with STOP). The clock is frozen and moved by
hand. In every story each person's phone receives each SMS at most once: the stand-in counts the
messages it created per number and text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.offers import start_dispatch
from dispatch.policy import DispatchPolicy
from models import Caregiver, Case, CaseEvent, Offer, OfferStatus, OutboxMessage, OutboxStatus
from tests.factories import ANNA, BEN, PARENT, make_roster
from tests.fixtures_twilio import TEST_AUTH_TOKEN
from tests.helpers import twilio_post
from tests.integration.test_offers import make_caregiver, make_child_case
from tests.twilio_standin import ERRORS, RecordedRequest, TwilioStandIn, _error
from worker.jobs import tick_job

#: Five caregivers around Hannover-Mitte, nearest first as the matching ranks them.
POSTCODES = ["30159", "30161", "30171", "30169", "30419"]


@dataclass
class RefusingStandIn(TwilioStandIn):
    """The stand-in, refusing every SMS to some numbers with a Twilio error code (like a real ban)."""

    refuse: dict[str, int] = field(default_factory=dict)

    def _serve(
        self, record: RecordedRequest, account: str, resource: str, sid: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        code = self.refuse.get(record.param("To") or "")
        if resource == "Messages" and record.method == "POST" and code:
            return 400, _error(code, ERRORS.get(code, "Error"), 400)
        return super()._serve(record, account, resource, sid)


@pytest.fixture
def twilio_standin() -> Iterator[RefusingStandIn]:
    """Replace the shared stand-in by one that can refuse single numbers."""
    standin = RefusingStandIn(auth_token=TEST_AUTH_TOKEN).start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def gateway(twilio_gateway: Any) -> Any:
    """The app's gateway is the real REST gateway, pointed at the stand-in (0.5 s timeout)."""
    return twilio_gateway


@dataclass
class Story:
    """A case being offered to five caregivers, the coordinators Anna and Ben on duty."""

    app: Any
    session: Any
    clock: Any
    standin: RefusingStandIn
    case: Case
    people: list[Caregiver]

    def tick(self, times: int = 1) -> None:
        """Let the worker tick."""
        for _ in range(times):
            tick_job(self.app.extensions["fluxx"])

    def received(self, number: str) -> list[str]:
        """Return the texts that reached a phone (created at Twilio), oldest first."""
        return [m["body"] for m in self.standin.messages if m["to"] == number]

    def posts_to(self, number: str) -> int:
        """Return how many send requests for this number reached Twilio (failed ones included)."""
        return sum(1 for r in self.standin.message_requests() if r.param("To") == number)

    def row(self, *, to: str, purpose: str) -> OutboxMessage:
        """Return the one outbox row of this purpose to this number, fresh from the database."""
        row = self.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_number == to, OutboxMessage.purpose == purpose)
        ).one()
        self.session.refresh(row)
        return row

    def offer_of(self, person: Caregiver) -> Offer:
        """Return the caregiver's offer for the case, fresh from the database."""
        offer = self.session.scalars(select(Offer).where(Offer.caregiver_id == person.id)).one()
        self.session.refresh(offer)
        return offer

    def assert_no_duplicates(self) -> None:
        """Fail when any phone got the same text twice."""
        created = Counter((m["to"], m["body"]) for m in self.standin.messages)
        assert [k for k, n in created.items() if n > 1] == []


@pytest.fixture
def story(app: Any, session: Any, clock: Any, settings: Any, twilio_standin: RefusingStandIn) -> Story:
    """Start the dispatch of a child case at 30159: offers to the three nearest, queued, not sent yet."""
    now = clock.now()
    make_roster(session, now=now)
    people = [
        make_caregiver(session, name=f"Frau{i} Muster", postcode=p, now=now) for i, p in enumerate(POSTCODES)
    ]
    case = make_child_case(session, now=now)
    start_dispatch(
        session, case=case, now=now, started_by="test", policy=DispatchPolicy.from_settings(settings)
    )
    session.flush()
    return Story(app, session, clock, twilio_standin, case, people)


def test_twilio_has_a_server_error_the_caregiver_gets_her_offer_once_ten_seconds_later(story: Story) -> None:
    """Twilio answers 500 to the first offer. The other two caregivers get theirs at once; Frau0's
    phone buzzes ten seconds later (the worker waits before trying again), and only once."""
    story.standin.fail_next("500")
    story.tick()
    first = story.people[0]
    assert story.received(first.phone) == []
    assert all(story.received(p.phone) for p in story.people[1:3])
    row = story.row(to=first.phone, purpose="offer")
    assert row.status is OutboxStatus.PENDING and "HTTP 500" in (row.last_error or "")
    assert row.next_attempt_at == story.clock.now() + timedelta(seconds=10)

    story.clock.advance(seconds=9)
    story.tick()
    assert story.posts_to(first.phone) == 1  # the backoff is not over yet
    story.clock.advance(seconds=1)
    story.tick(2)
    assert len(story.received(first.phone)) == 1
    assert story.row(to=first.phone, purpose="offer").status is OutboxStatus.SENT
    assert story.offer_of(first).status is OfferStatus.OPEN  # still hers to answer
    story.assert_no_duplicates()


@pytest.mark.parametrize("accepted", [False, True], ids=["lost", "accepted-but-answer-lost"])
def test_twilio_does_not_answer_in_time_the_offer_still_arrives_exactly_once(
    story: Story, accepted: bool
) -> None:
    """Twilio does not answer within the gateway's timeout; perhaps it took the SMS, perhaps not.
    Ten seconds later the worker asks Twilio whether the message exists before sending again:
    either way Frau0 gets her offer exactly once."""
    story.standin.fail_next("hang", seconds=2, create=accepted)
    story.tick()
    first = story.people[0]
    assert story.row(to=first.phone, purpose="offer").status is OutboxStatus.PENDING

    story.clock.advance(seconds=10)
    story.tick(2)
    assert len(story.received(first.phone)) == 1
    assert story.posts_to(first.phone) == (1 if accepted else 2)  # found at Twilio: not posted again
    row = story.row(to=first.phone, purpose="offer")
    [sid] = [m["sid"] for m in story.standin.messages if m["to"] == first.phone]
    assert row.status is OutboxStatus.SENT and row.provider_sid == sid
    story.assert_no_duplicates()


def test_twilio_says_slow_down_the_worker_waits_as_long_as_asked(story: Story) -> None:
    """Twilio answers 429 Too Many Requests with Retry-After: 42. The worker does not try again
    before 42 seconds have passed (not after its usual 10), then Frau0 gets her offer, once."""
    story.standin.fail_next("429", retry_after=42)
    story.tick()
    first = story.people[0]
    row = story.row(to=first.phone, purpose="offer")
    assert row.next_attempt_at == story.clock.now() + timedelta(seconds=42)

    story.clock.advance(seconds=41)
    story.tick()
    assert story.posts_to(first.phone) == 1
    story.clock.advance(seconds=1)
    story.tick()
    assert len(story.received(first.phone)) == 1
    story.assert_no_duplicates()


@pytest.mark.parametrize("code", [21211, 21610], ids=["invalid-number", "opted-out"])
def test_an_offer_twilio_refuses_for_good_goes_to_the_next_caregiver_at_once(story: Story, code: int) -> None:
    """Frau0's number is invalid (21211) or she sent STOP to the hotline's number at Twilio (21610).
    Nobody tries her number again; the case is offered to the next caregiver, Frau3, right away,
    without waiting five minutes for the next wave."""
    first, fourth = story.people[0], story.people[3]
    story.standin.refuse[first.phone] = code
    story.tick()  # her SMS is refused; her offer is replaced in the same tick ...
    assert story.offer_of(first).status is OfferStatus.UNDELIVERABLE
    story.tick()  # ... and the replacement is sent on the next
    assert len(story.received(fourth.phone)) == 1
    assert str(code) in (story.row(to=first.phone, purpose="offer").last_error or "")

    story.clock.advance(hours=2)
    story.tick(2)
    assert story.posts_to(first.phone) == 1  # never retried
    assert not story.session.scalars(
        select(OutboxMessage).where(OutboxMessage.purpose == "family_sms_undelivered")
    ).all()  # a caregiver's failed SMS is no reason to phone the family
    story.assert_no_duplicates()


def _say_yes(client: Any, story: Story, person: Caregiver) -> None:
    """Frau0 replies `JA <code>` to her offer."""
    code = story.offer_of(person).code
    response = twilio_post(
        client, "/sms/incoming", {"MessageSid": "SM" + "7" * 32, "From": person.phone, "Body": f"JA {code}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("code", "reason"),
    [(21211, "ungültige Nummer"), (21610, "SMS per STOP abbestellt")],
    ids=["invalid", "stop"],
)
def test_the_parents_confirmation_is_refused_so_the_coordinators_are_asked_to_phone_them(
    story: Story, client: Any, code: int, reason: str
) -> None:
    """Frau0 takes the job, but Twilio refuses the SMS to the parent (invalid number, or the parent
    sent STOP once). The parent is not left waiting: Anna and Ben, on duty, each get one SMS with
    the case, the parent's number and who is coming, asking them to phone the parent. Nobody
    retries the parent's number, and nobody is told twice."""
    first = story.people[0]
    story.standin.refuse[PARENT] = code
    story.tick()  # the offers go out
    _say_yes(client, story, first)
    story.tick()  # the caregiver's details go out; the parent's confirmation is refused ...
    story.tick()  # ... and the coordinators' request to phone goes out

    for coordinator in (ANNA, BEN):
        [text] = [t for t in story.received(coordinator) if "Eltern" in t]
        assert story.case.reference in text and PARENT in text and reason in text
        assert "Frau0 Muster" in text and first.phone in text
    assert story.row(to=PARENT, purpose="parent_confirmation").status is OutboxStatus.FAILED
    events = story.session.scalars(select(CaseEvent).where(CaseEvent.kind == "family_sms_undelivered")).all()
    assert len(events) == 1 and events[0].detail["recipients"] == [ANNA, BEN]

    story.clock.advance(hours=1)
    story.tick(3)
    assert story.posts_to(PARENT) == 1  # a refused number is not tried again
    assert sum("Eltern" in t for t in story.received(ANNA)) == 1
    story.assert_no_duplicates()


def test_the_parents_confirmation_is_reported_undelivered_later_and_the_coordinators_hear_once(
    story: Story, client: Any
) -> None:
    """Twilio accepts the SMS to the parent but reports a minute later that it never reached the
    phone (30003: switched off, out of reach), twice. Anna and Ben are asked once to phone the
    parent; the status reports arriving again change nothing."""
    first = story.people[0]
    story.tick()
    _say_yes(client, story, first)
    story.tick()
    confirmation = story.row(to=PARENT, purpose="parent_confirmation")
    assert confirmation.status is OutboxStatus.SENT and len(story.received(PARENT)) == 1

    story.clock.advance(minutes=1)
    for _ in range(2):  # Twilio's status callback, delivered twice
        response = twilio_post(
            client,
            "/sms/status",
            {
                "MessageSid": str(confirmation.provider_sid),
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
            },
        )
        assert response.status_code == 200
        story.tick(2)

    for coordinator in (ANNA, BEN):
        [text] = [t for t in story.received(coordinator) if "Eltern" in t]
        assert "Handy nicht erreichbar" in text and PARENT in text
    assert story.posts_to(PARENT) == 1
    story.assert_no_duplicates()


def test_a_server_error_on_the_parents_confirmation_is_retried_and_nobody_is_alarmed(
    story: Story, client: Any
) -> None:
    """Twilio has a hiccup (500) just as the parent's confirmation goes out. It is retried ten
    seconds later and arrives once; the coordinators are not bothered, since nothing is wrong."""
    first = story.people[0]
    story.tick()
    _say_yes(client, story, first)
    story.standin.fail_next("500", times=2)  # the caregiver's details and the parent's confirmation
    story.tick()
    story.clock.advance(seconds=10)
    story.tick(2)
    assert len(story.received(PARENT)) == 1
    assert story.row(to=first.phone, purpose="offer_won").status is OutboxStatus.SENT  # her job details
    assert all("Eltern" not in t for t in story.received(ANNA) + story.received(BEN))
    story.assert_no_duplicates()
