"""Dispatch: matching, offer waves, SMS replies, assignment, and the SMS outbox."""

from dispatch.offers import (
    AcceptResult,
    DeclineResult,
    DispatchError,
    accept_offer,
    decline_offer,
    open_offers_of,
    start_dispatch,
    withdraw_open_offers,
)
from dispatch.outbox import (
    DeliveryReport,
    SmsLookup,
    backoff_delay,
    deliver_due_messages,
    enqueue_sms,
    get_outbox_message_by_sid,
    record_delivery_status,
)
from dispatch.policy import DispatchPolicy
from dispatch.texts import sms_segments
from dispatch.waves import WaveReport, handle_undeliverable_offers, run_due_dispatch_work

__all__ = [
    "DeliveryReport",
    "SmsLookup",
    "backoff_delay",
    "deliver_due_messages",
    "enqueue_sms",
    "get_outbox_message_by_sid",
    "record_delivery_status",
    "AcceptResult",
    "DeclineResult",
    "DispatchError",
    "DispatchPolicy",
    "WaveReport",
    "accept_offer",
    "decline_offer",
    "handle_undeliverable_offers",
    "open_offers_of",
    "run_due_dispatch_work",
    "sms_segments",
    "start_dispatch",
    "withdraw_open_offers",
]
