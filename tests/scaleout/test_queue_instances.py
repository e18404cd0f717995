"""The call queue on two app instances (real gunicorn processes) sharing one PostgreSQL.

Every step of a waiting caller may land on either instance; the database is the queue. Callers
wait in the order they came; when the coordinator is free again, every waiting caller's loop turn
is sent to both instances at the same moment, and still exactly one caller, the longest waiting,
is put through to her, once.
"""

from __future__ import annotations

import itertools
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Case, QueueEntry, QueueState
from tests.factories import ANNA, make_shift
from tests.scaleout.conftest import HOTLINE, REQUIRES_POSTGRES, Instance
from tests.scaleout.test_two_instances import HoppingPhone
from tests.scenarios.test_call_stories import HAPPY

pytestmark = REQUIRES_POSTGRES
WAITING = 5


def _case_id(sessions: sessionmaker[Session], call_sid: str) -> int:
    with sessions() as s:
        return int(s.scalars(select(Case.id).where(Case.call_sid == call_sid)).one())


def _said(root: ET.Element) -> str:
    return " ".join(s.text or "" for s in root.iter("Say"))


def _dialled(root: ET.Element) -> list[str]:
    return [(n.text or "").strip() for n in root.iter("Number")]


def test_the_queue_holds_its_order_and_offers_once_across_two_instances(
    instances: list[Instance], pg_sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    with pg_sessions.begin() as s:
        make_shift(s, phone=ANNA, role="primary", name="Anna Albers", starts_at=now - timedelta(hours=1))

    first = HoppingPhone(instances, itertools.count(0), caller="+4915130000100")
    first.post("/voice/incoming")
    for step, digits in HAPPY:
        root = first.post(f"/voice/gather/{step}/1", Digits=digits)
    assert _dialled(root) == [ANNA]
    first_case = _case_id(pg_sessions, first.call_sid)
    leg = {"CallSid": "CA" + "e" * 32, "ParentCallSid": first.call_sid, "To": ANNA, "From": first.caller}
    assert instances[0].post(f"/voice/screen/{first_case}", leg).status_code == 200
    assert instances[1].post(f"/voice/screen/{first_case}/answer", {**leg, "Digits": "1"}).status_code == 200

    waiting: list[HoppingPhone] = []
    for n in range(WAITING):  # one after the other: their order is the order they came in
        phone = HoppingPhone(instances, itertools.count(n), caller=f"+49151300002{n:02d}")
        phone.post("/voice/incoming")
        for step, digits in HAPPY:
            root = phone.post(f"/voice/gather/{step}/1", Digits=digits)
        assert (root.findtext("Redirect") or "").endswith("/wait"), ET.tostring(root)
        waiting.append(phone)
    for place, phone in enumerate(waiting, start=1):
        turn = phone.post(f"/voice/queue/{_case_id(pg_sessions, phone.call_sid)}/wait")
        assert f"Platz {place}." in _said(turn), ET.tostring(turn)

    assert instances[1].post("/voice/leg-status", {"CallSid": leg["CallSid"], "CallStatus": "completed"}
                             ).status_code == 200  # Anna is free again
    paths = [(phone, f"/voice/queue/{_case_id(pg_sessions, phone.call_sid)}/wait") for phone in waiting]
    requests_ = [(phone, path, instance) for phone, path in paths for instance in instances]
    barrier = threading.Barrier(len(requests_))

    def loop_turn(item: tuple[HoppingPhone, str, Instance]) -> tuple[str, list[str]]:
        phone, path, instance = item
        params = {"CallSid": phone.call_sid, "From": phone.caller, "To": HOTLINE, "CallStatus": "in-progress"}
        barrier.wait(timeout=10)
        response = instance.post(path, params)
        assert response.status_code == 200, response.text
        return phone.call_sid, _dialled(ET.fromstring(response.content))

    with ThreadPoolExecutor(max_workers=len(requests_)) as pool:
        results = list(pool.map(loop_turn, requests_))

    rung_for = {call_sid for call_sid, numbers in results if numbers}
    assert rung_for == {waiting[0].call_sid}  # the longest wait, and nobody else
    assert all(numbers in ([], [ANNA]) for _, numbers in results)
    with pg_sessions() as s:
        entries = {e.call_sid: e for e in s.scalars(select(QueueEntry))}
    offered = [e for e in entries.values() if e.state is QueueState.OFFERED]
    assert [(e.call_sid, e.offered_to) for e in offered] == [(waiting[0].call_sid, ANNA)]
    assert all(entries[p.call_sid].state is QueueState.WAITING for p in waiting[1:])
