"""Received SMS under retention, with a frozen clock: text and sender blanked after SMS_RETENTION_DAYS,
the MessageSid kept so that a repeated delivery still changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FrozenClock
from core.settings import Settings
from dispatch.sms_inbox import handle_incoming_sms
from gdpr import RetentionPolicy, apply_retention
from models import InboundMessage
from tests.factories_dispatch import DORA

OLD, NEW = "SM" + "0" * 31 + "1", "SM" + "0" * 31 + "2"


def receive(session: Session, settings: Settings, sid: str, clock: FrozenClock) -> bool:
    """Receive Dora's SMS at the clock's time."""
    return handle_incoming_sms(session, message_sid=sid, from_raw=DORA, body="HILFE, bin Dora aus der List",
                               now=clock.now(), settings=settings)


def stored(session: Session, sid: str) -> InboundMessage:
    """Return the stored message as the database has it."""
    session.expire_all()
    return session.scalars(select(InboundMessage).where(InboundMessage.message_sid == sid)).one()


def test_text_and_sender_are_blanked_after_the_retention_period_and_the_sid_stays(
    session: Session, settings: Settings, clock: FrozenClock
) -> None:
    policy = RetentionPolicy.from_settings(settings.with_overrides(sms_retention_days=30))
    assert policy.sms_days == 30
    assert receive(session, settings, OLD, clock)
    clock.advance(days=2)
    assert receive(session, settings, NEW, clock)

    clock.advance(days=28)  # OLD is exactly 30 days old: not yet past the period
    assert apply_retention(session, now=clock.now(), policy=policy).sms_blanked == 0
    assert stored(session, OLD).body.startswith("HILFE")

    clock.advance(seconds=1)
    report = apply_retention(session, now=clock.now(), policy=policy)
    assert report.sms_blanked == 1 and "sms=1" in report.summary()
    old, new = stored(session, OLD), stored(session, NEW)
    assert (old.body, old.from_number) == ("", None)
    assert old.message_sid == OLD and old.received_at is not None and old.outcome is not None
    assert (new.body.startswith("HILFE"), new.from_number) == (True, DORA)
    assert apply_retention(session, now=clock.now(), policy=policy).sms_blanked == 0  # twice is harmless

    # Twilio delivers the old message again (or the reconciliation finds it): still processed once.
    assert receive(session, settings, OLD, clock) is False
    assert stored(session, OLD).body == ""


def test_the_setting_is_read_from_the_environment(tmp_path: object) -> None:
    from core.settings import load_settings

    assert load_settings({}, instance_path=str(tmp_path)).sms_retention_days == 30
    assert load_settings({"SMS_RETENTION_DAYS": "7"}, instance_path=str(tmp_path)).sms_retention_days == 7
