"""The telephone side of a simulated day played through the product itself: signed webhooks, database, worker.

Each caller drawn by `phones.arrivals` (same seed, same calls) goes through the Flask app's signed
voice webhooks on a fresh migrated SQLite database and a frozen clock moved by the simulation:
/voice/incoming when she calls, then the menu's /voice/gather steps as the product asks them (its
short menu in surge mode; or 0 for a person) once her menu time has passed, the coordinator's screening
(/voice/screen, she presses 1), the leg's and the Dial's end after the handling time, the queue's
loop turns (/voice/queue/<case>/wait every TURN_SECONDS), key 1 / 2 when her patience ends, the
office that does not answer and the voicemail, and for call-backs the worker's queue_callbacks job,
the outbox delivery through the simulator gateway and the call-back webhooks (/voice/callback/...).
Who waits, who gets whom and when she gives up waiting are the product's decisions, not the
simulation's; so is surge mode (it switches itself on when the queue grows; a scenario's [surge]
on_hour switches it on as a lead would). `queue_on=False` plays today's product without the queue
(QUEUE_MAX_LENGTH=0), `coordinators` a fixed number on duty all day (the sweeps). Simulated: Twilio (the TwiML is read and the next request posted), the coordinators'
answering (always, after ring_seconds) and the families (a call-back reaches her with callback_answer).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bench.daysim.phones import Call, PhoneDay, arrivals
from bench.daysim.scenario import Scenario
from core import migrate
from core.clock import FrozenClock
from core.database import Database
from core.settings import Settings
from messaging.outbox import deliver_due_messages
from models import Case, QueueEntry, QueueState, Shift, ShiftRole
from telephony.gateway import SimulatorGateway

#: A waiting caller's loop turn: <Say> position + <Pause length=15> (as phones.TURN_SECONDS).
TURN_SECONDS = 20.0
#: The worker's tick for call-backs (seconds).
TICK_SECONDS = 10.0
BASE = "https://daysim.example.org"
TOKEN = "daysim-simulated-twilio-token-0123"
HOTLINE = "+4951100000000"
OFFICE = "+4951100000099"
#: Menu answers by question: a parent, child care, one child of 3, a postcode in the demo region; reason.
ANSWERS = {"caller_type": "1", "care_type": "1", "children": "1", "child_age": "3", "care_level": "1",
           "postcode": "30159", "reason": "1"}
URGENCY_KEY = {"now": "1", "today": "2", "tomorrow": "3", "later": "4"}
#: More questions than the menu has: a menu that keeps asking is a simulation error, not a long call.
MAX_MENU_STEPS = 20


def coordinator_phone(i: int) -> str:
    """The phone of simulated coordinator i (1-based)."""
    return f"+491570000{i:04d}"


@contextmanager
def _app(clock: FrozenClock, gateway: SimulatorGateway, *, queue_on: bool = True) -> Iterator[tuple[Any, Database]]:
    from app import create_app

    with TemporaryDirectory(prefix="fluxx-daysim-phones-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'phones.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        settings = Settings(database_url=url, hotline_number=HOTLINE, public_base_url=BASE,
                            fallback_number=OFFICE, simulator_auth_token=TOKEN)
        if not queue_on:
            settings = settings.with_overrides(queue_max_length=0)
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        app = create_app({"TESTING": True}, settings=settings, database=database, clock=clock, gateway=gateway)
        app.extensions["fluxx"].extras["sms_spool"] = Path(tmp) / "sms-spool"
        logging.disable(logging.WARNING)  # the product's notes per call; errors still show
        try:
            yield app, database
        finally:
            logging.disable(logging.NOTSET)
            root.handlers[:] = handlers  # the app configured logging for a server; the simulation's own stays
            root.setLevel(level)
            database.engine.dispose()


def simulate_phones_via_webhooks(scenario: Scenario, *, day_start: datetime, seed: int | None = None,
                                 coordinators: int | None = None, queue_on: bool = True) -> PhoneDay:
    """Play the day's calls through the real webhooks and worker job; return them as `phones.simulate_phones` does."""
    rng = random.Random(scenario.seed if seed is None else seed)
    calls = arrivals(scenario, rng)
    clock = FrozenClock(day_start)
    gateway = SimulatorGateway()
    with _app(clock, gateway, queue_on=queue_on) as (app, database):
        sim = _WebSim(scenario, rng, day_start, clock, gateway, app, database, coordinators)
        return sim.run(calls)


class _WebSim:
    def __init__(self, scenario: Scenario, rng: random.Random, day_start: datetime, clock: FrozenClock,
                 gateway: SimulatorGateway, app: Any, database: Database, coordinators: int | None) -> None:
        self.s, self.rng, self.day_start, self.clock = scenario, rng, day_start, clock
        self.gateway, self.database, self.client = gateway, database, app.test_client()
        self.fixed = coordinators
        self.signer = RequestValidator(TOKEN)
        self.events: list[tuple[float, int, str, Any]] = []
        self.seq = itertools.count()
        self.legs = itertools.count(1)
        self.end = 3600.0 * (scenario.end_hour - scenario.start_hour)
        self.calls_by_sid: dict[str, Call] = {}
        self.placed = 0  # call-backs the gateway has placed so far
        self.lengths: list[tuple[float, int]] = [(0.0, 0)]
        self.requests = 0
        self.engaged: set[str] = set()  # coordinators' phones ringing or in a call (a second ring: busy)

    # -- plumbing ---------------------------------------------------------------------------------
    def at(self, t: float, what: str, obj: Any = None) -> None:
        heapq.heappush(self.events, (t, next(self.seq), what, obj))

    def post(self, url: str, params: dict[str, str]) -> ET.Element:
        """POST to a webhook as Twilio would (signed); return the TwiML."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "") if url.startswith("http") else url
        headers = {"X-Twilio-Signature": self.signer.compute_signature(BASE + path, params)}
        response = self.client.post(path, data=urlencode(params), headers=headers,
                                    content_type="application/x-www-form-urlencoded")
        self.requests += 1
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        body = response.get_data()
        return ET.fromstring(body) if body.strip() else ET.Element("Response")

    def caller(self, call: Call, url: str, **params: str) -> ET.Element:
        return self.post(url, {"CallSid": sid(call), "From": parent(call), "To": HOTLINE,
                               "CallStatus": "in-progress", **params})

    def case_id(self, call: Call) -> int:
        with self.database.unit_of_work() as session:
            return session.scalars(select(Case.id).where(Case.call_sid == sid(call))).one()

    def call_of_case(self, case_id: int) -> Call:
        with self.database.unit_of_work() as session:
            call_sid = session.scalars(select(Case.call_sid).where(Case.id == case_id)).one()
        return self.calls_by_sid[str(call_sid)]

    def waiting_count(self) -> int:
        with self.database.unit_of_work() as session:
            return len(session.scalars(select(QueueEntry.id).where(
                QueueEntry.state.in_((QueueState.WAITING, QueueState.OFFERED)))).all())

    def note_length(self, t: float) -> None:
        n = self.waiting_count()
        if n != self.lengths[-1][1]:
            self.lengths.append((t, n))

    def roster(self) -> None:
        """Shifts as the scenario's coordinators on duty: the first primary, the others backup."""
        hours = sorted(self.s.on_duty)
        with self.database.unit_of_work() as session:
            for k, hour in enumerate(hours):
                count = self.fixed if self.fixed is not None else self.s.on_duty[hour]
                start = self.day_start + timedelta(hours=hour - self.s.start_hour)
                stop = self.day_start + timedelta(hours=(hours[k + 1] if k + 1 < len(hours) else self.s.end_hour + 6)
                                                  - self.s.start_hour)
                for i in range(1, count + 1):
                    session.add(Shift(name=f"Koordinatorin {i}", phone=coordinator_phone(i),
                                      role=ShiftRole.PRIMARY if i == 1 else ShiftRole.BACKUP,
                                      starts_at=start, ends_at=stop))

    def run(self, calls: list[Call]) -> PhoneDay:
        self.roster()
        if self.s.surge_on_hour is not None:
            self.at(3600.0 * (self.s.surge_on_hour - self.s.start_hour), "surge")
        for call in calls:
            call.ready_at = call.arrival + (self.s.zero_seconds if call.pressed_0 else self.s.menu_seconds)
            self.calls_by_sid[sid(call)] = call
            self.at(call.arrival, "arrive", call)
        t = 0.0
        while t < self.end + 3600 * 3:  # the worker ticks through the day and after it
            self.at(t, "tick")
            t += TICK_SECONDS
        while self.events:
            t, _, what, obj = heapq.heappop(self.events)
            self.clock.set(self.day_start + timedelta(seconds=t))
            getattr(self, f"_{what}")(t, obj)
        return PhoneDay(calls, self.lengths)

    # -- the caller ---------------------------------------------------------------------------------
    def _surge(self, t: float, _: object) -> None:
        """A lead switches surge mode on (the scenario's [surge] on_hour)."""
        from routing import surge

        with self.database.unit_of_work() as session:
            surge.switch(session, on=True, now=self.clock.now(), user_id=None, why="scenario")

    def _arrive(self, t: float, call: Call) -> None:
        """She calls: the product greets her (surge mode's short menu, or the full one); her menu time starts."""
        root = self.caller(call, "/voice/incoming")
        gather = root.find("Gather")
        short = gather is not None and "menu=short" in (gather.get("action") or "")
        if short and not call.pressed_0 and self.s.surge_menu_seconds is not None:
            call.ready_at = call.arrival + self.s.surge_menu_seconds
        self.at(call.ready_at, "ready", (call, root))

    def _ready(self, t: float, payload: tuple[Call, ET.Element]) -> None:
        """The menu (played at once when she is through it), then whatever the product answers."""
        call, root = payload
        answers = {**ANSWERS, "urgency": URGENCY_KEY.get(call.urgency, "2")}
        for _ in range(MAX_MENU_STEPS):
            gather = root.find("Gather")
            action = gather.get("action") or "" if gather is not None else ""
            if "/voice/gather/" not in action:
                break
            step = urlsplit(action).path.split("/voice/gather/", 1)[1].split("/", 1)[0]
            digits = "0" if call.pressed_0 and step == "caller_type" else answers.get(step, "1")
            root = self.caller(call, action, Digits=digits)
        else:
            raise RuntimeError(f"call {call.id}: the menu asked more than {MAX_MENU_STEPS} questions")
        self.follow(t, call, root)

    def follow(self, t: float, call: Call, root: ET.Element) -> None:
        """Do what the TwiML tells Twilio to do for her call."""
        dial = root.find("Dial")
        redirect = root.find("Redirect")
        if dial is not None:
            numbers = dial.findall("Number")
            number = next((n for n in numbers if (n.text or "").strip() not in self.engaged), None)
            if numbers and number is None:  # every phone rung is engaged: Twilio reports busy
                self.follow(t, call, self.caller(call, dial.get("action") or "", DialCallStatus="busy",
                                                 DialBridged="false"))
                return
            if number is None or (number.text or "").strip() == OFFICE:
                # The office does not answer (today's "nobody answers" path): on to the voicemail.
                self.follow(t, call, self.caller(call, dial.get("action") or "/voice/dial/fallback",
                                                 DialCallStatus="no-answer", DialBridged="false"))
                return
            self.engaged.add((number.text or "").strip())
            self.at(t + self.s.ring_seconds, "answer", (call, (number.text or "").strip(), number.get("url") or "",
                                                        dial.get("action") or ""))
            return
        if root.find("Record") is not None:
            if call.outcome == "open":
                call.outcome = "voicemail"
            self.voicemail(t, call)
            return
        if redirect is not None and "/voice/queue/" in (redirect.text or ""):
            if call.queued_at is None:
                call.queued_at = t
                self.note_length(t)
            self.at(t + TURN_SECONDS, "turn", (call, redirect.text))
            return
        gather = root.find("Gather")
        if gather is not None and "/voice/queue/" in (gather.get("action") or ""):
            self.at(t + TURN_SECONDS, "turn", (call, redirect.text if redirect is not None else ""))
            return
        if redirect is not None:
            self.follow(t, call, self.caller(call, redirect.text or ""))
            return
        if call.outcome == "open":  # hung up (a call-back confirmed, or a goodbye)
            self.caller(call, "/voice/status", CallStatus="completed")

    def _turn(self, t: float, payload: tuple[Call, str]) -> None:
        call, url = payload
        if call.outcome != "open" or call.callback_chosen_at is not None:  # she hung up
            return
        if call.queued_at is not None and t >= call.queued_at + call.patience and call.callback_chosen_at is None:
            self._patience(t, call)
            if call.outcome != "open" or call.callback_chosen_at is not None:
                return
        self.follow(t, call, self.caller(call, url))
        self.note_length(t)

    def _patience(self, t: float, call: Call) -> None:
        """Her patience ends at a loop turn (never while a coordinator is rung for her): key 1 or key 2."""
        if call.outcome != "open" or call.callback_chosen_at is not None or call.connected_at is not None:
            return
        if t < (call.queued_at or 0) + call.patience:
            return
        case_id = self.case_id(call)
        if self.rng.random() < self.s.share_callback:
            root = self.caller(call, f"/voice/queue/{case_id}/key", Digits="1")
            if root.find("Hangup") is not None:
                call.callback_chosen_at = t
                call.outcome = "open"
                self.caller(call, "/voice/status", CallStatus="completed")
                return
            self.follow(t, call, root)
        else:
            call.outcome = "voicemail_chosen"
            self.follow(t, call, self.caller(call, f"/voice/queue/{case_id}/key", Digits="2"))
        self.note_length(t)

    def voicemail(self, t: float, call: Call) -> None:
        later = 60.0 if call.urgency == "now" and not call.pressed_0 else 60 * self.s.voicemail_followup_minutes
        call.case_from = t + later
        self.caller(call, "/voice/status", CallStatus="completed")
        self.note_length(t)

    # -- the coordinator ----------------------------------------------------------------------------
    def _answer(self, t: float, payload: tuple[Call, str, str, str]) -> None:
        """She answers, hears the screening and presses 1: bridged."""
        call, coordinator, screen_url, action = payload
        leg = f"CL{next(self.legs):032d}"
        params = {"CallSid": leg, "ParentCallSid": sid(call), "To": coordinator, "From": parent(call)}
        self.post(screen_url, params)
        self.post(urlsplit(screen_url).path + "/answer", {**params, "Digits": "1"})
        call.connected_at = t
        call.outcome = "queue" if call.queued_at is not None else "direct"
        call.case_from = t + call.handling
        self.note_length(t)
        self.at(t + call.handling, "hangup", (call, leg, action, coordinator))

    def _hangup(self, t: float, payload: tuple[Call, str, str, str]) -> None:
        call, leg, action, coordinator = payload
        self.engaged.discard(coordinator)
        self.post("/voice/leg-status", {"CallSid": leg, "CallStatus": "completed"})
        if action:
            self.caller(call, action, DialCallStatus="completed", DialBridged="true", DialCallSid=leg)
        self.caller(call, "/voice/status", CallStatus="completed")

    # -- the worker: call-backs from the queue ------------------------------------------------------
    def _tick(self, t: float, _: object) -> None:
        from routing.queue_callbacks import place_due_callbacks

        with self.database.unit_of_work() as session:
            placed = place_due_callbacks(session, now=self.clock.now(), public_base_url=BASE, hotline_number=HOTLINE)
        if not placed:
            return
        deliver_due_messages(self.database, self.gateway, now=self.clock.now(), default_from=HOTLINE,
                             status_callback_url=None)
        for placed_call in self.gateway.calls[self.placed:]:
            self.engaged.add(str(placed_call["to"]))
            self.at(t + self.s.ring_seconds, "callback", placed_call)
        self.placed = len(self.gateway.calls)

    def _callback(self, t: float, placed: dict[str, str | None]) -> None:
        """The coordinator answers the call-back; the family answers (or not); after the talk it ends."""
        url = str(placed.get("url") or placed.get("twiml_url") or "")
        case_id = int(urlsplit(url).path.rsplit("/", 1)[-1])
        call = self.call_of_case(case_id)
        leg = str(placed["sid"])
        self.post(f"/voice/callback/{case_id}", {"CallSid": leg, "AnsweredBy": "human"})
        if self.rng.random() < self.s.callback_answer:
            call.connected_at = t
            call.outcome = "callback"
            call.case_from = t + call.handling
            self.at(t + call.handling, "callback_done", (case_id, leg, True, str(placed["to"])))
        else:
            self.at(t + self.s.ring_seconds, "callback_done", (case_id, leg, False, str(placed["to"])))

    def _callback_done(self, t: float, payload: tuple[int, str, bool, str]) -> None:
        case_id, leg, reached, coordinator = payload
        self.engaged.discard(coordinator)
        self.post(f"/voice/callback/{case_id}/dialed", {"CallSid": leg, "DialCallStatus": "completed" if reached
                                                        else "no-answer", "DialBridged": "true" if reached else "false"})
        with self.database.unit_of_work() as session:
            entry = session.scalars(select(QueueEntry).where(QueueEntry.case_id == case_id)).first()
            failed = entry is not None and entry.state is QueueState.FAILED
        call = self.call_of_case(case_id)
        if failed and call.outcome == "open":
            call.outcome = "callback_failed"
            call.case_from = t + 60 * self.s.voicemail_followup_minutes
        self.note_length(t)


def sid(call: Call) -> str:
    return f"CA{call.id:032d}"


def parent(call: Call) -> str:
    return f"+49151{call.id:08d}"
