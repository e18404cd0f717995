"""Surge mode end to end through signed voice webhooks: short menu, backups together, SMS once, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.settings import Settings
from models import AuditEntry, Case, OutboxMessage
from routing import surge
from routing.settings import surge_rules
from tests.factories import ANNA, BEN, CARLA, make_roster
from tests.functional.test_queue_webhooks import (
    dialled,
    hang_up_leg,
    parent,
    post,
    sid,
    start,
    take,
    wait_url,
)
from tests.helpers import PUBLIC_BASE_URL, TEST_TOKEN

SHORT_KEYS = [("caller_type", "1"), ("postcode", "30159"), ("urgency", "1")]


@pytest.fixture
def settings() -> Settings:
    """The usual test settings; surge mode switches itself on above one waiting caller."""
    return Settings(database_url="sqlite://", hotline_number="+4951187654321", public_base_url=PUBLIC_BASE_URL,
                    fallback_number="+495111680000", simulator_auth_token=TEST_TOKEN, surge_auto_on_waiting=1,
                    surge_auto_off_minutes=30)


def surge_sms(session: Any) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == surge.SMS_PURPOSE)))


def audits(session: Any) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_([surge.AUDIT_ON, surge.AUDIT_OFF]))
                                .order_by(AuditEntry.id)))


def short_start(client: Any, n: int) -> Any:
    root = post(client, "/voice/incoming", n)
    action = root.find("Gather").get("action")
    assert action.endswith("/voice/gather/caller_type/1?menu=short")
    for step, digits in SHORT_KEYS:
        root = post(client, f"/voice/gather/{step}/1?menu=short", n, Digits=digits)
        gather = root.find("Gather")
        assert gather is None or gather.get("action").endswith("?menu=short")
    return root


def test_a_lead_switches_surge_on_the_menu_shortens_backups_ring_together_and_off_duty_get_one_sms(
        client: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    assert surge.switch(session, on=True, now=clock.now(), user_id=None, why="strike") is True
    assert surge.switch(session, on=True, now=clock.now(), user_id=None, why="again") is False
    session.flush()

    root = short_start(client, 1)
    assert sorted(dialled(root)) == sorted([ANNA, BEN])  # together, not Anna first
    case = session.scalars(select(Case).where(Case.call_sid == sid(1))).one()
    assert case.postcode == "30159" and case.urgency.value == "now" and case.care_type is None
    assert case.reason is None and case.caller == parent(1)

    messages = surge_sms(session)
    assert [m.to_number for m in messages] == [CARLA]  # today's roster, not on duty; once
    assert "0 Anrufende warten" in messages[0].body and "mithelfen" in messages[0].body
    assert [(a.action, a.detail["why"]) for a in audits(session)] == [(surge.AUDIT_ON, "strike")]

    surge.switch(session, on=False, now=clock.now(), user_id=None, why="calm")
    root = start(client, 2)  # the full menu again; Anna first, alone
    assert dialled(root) == [ANNA]
    surge.switch(session, on=True, now=clock.now() + timedelta(minutes=5), user_id=None, why="again")
    assert len(surge_sms(session)) == 2  # one SMS per switch on
    assert [a.action for a in audits(session)] == [surge.AUDIT_ON, surge.AUDIT_OFF, surge.AUDIT_ON]


def test_surge_switches_itself_on_when_callers_wait_and_off_when_the_queue_stayed_empty(
        client: Any, session: Any, clock: Any, settings: Settings) -> None:
    make_roster(session, now=clock.now())
    start(client, 1)
    take(client, session, 1, ANNA, "CL-anna-1")
    start(client, 2)
    take(client, session, 2, BEN, "CL-ben-2")
    start(client, 3)  # one waits: not more than one
    assert not surge.is_on(session)
    clock.advance(seconds=10)
    start(client, 4)  # two wait: on
    assert surge.is_on(session)
    (entry,) = audits(session)
    assert entry.user_id is None and entry.detail["by"] == surge.AUTO and entry.detail["waiting"] == 2
    assert "2 Anrufende warten" in surge_sms(session)[0].body

    hang_up_leg(client, "CL-anna-1")
    hang_up_leg(client, "CL-ben-2")
    for n, who, leg in ((3, ANNA, "CL-anna-3"), (4, BEN, "CL-ben-4")):
        post(client, wait_url(session, n), n)
        take(client, session, n, who, leg)
    rules = surge_rules(settings)
    assert surge.evaluate(session, now=clock.now(), rules=rules) is None  # empty from now on
    assert surge.evaluate(session, now=clock.now() + timedelta(minutes=29), rules=rules) is None
    assert surge.evaluate(session, now=clock.now() + timedelta(minutes=30), rules=rules) is False
    assert not surge.is_on(session)
    assert audits(session)[-1].detail["why"] == "queue empty for 30 minutes"


def test_the_worker_tick_switches_surge_off_after_the_queue_stayed_empty(
        app: Any, session: Any, clock: Any) -> None:
    from worker.jobs import TICK_JOBS, surge_job, tick_job

    assert surge_job in TICK_JOBS
    make_roster(session, now=clock.now())
    surge.switch(session, on=True, now=clock.now(), user_id=None, why="strike")
    services = app.extensions["fluxx"]
    report = tick_job(services, jobs=[surge_job], name="test")  # empty from now on
    assert report.results["surge"] == "switched=0" and not report.errors and surge.is_on(session)
    clock.advance(minutes=30)
    assert tick_job(services, jobs=[surge_job], name="test").results["surge"] == "switched=1"
    session.expire_all()
    assert not surge.is_on(session)
    assert audits(session)[-1].detail == {"why": "queue empty for 30 minutes", "by": surge.AUTO, "waiting": 0}
