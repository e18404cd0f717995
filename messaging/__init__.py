"""Messaging: the outbox of SMS and calls (enqueue in the caller's transaction, the worker sends) and SMS wording."""

from messaging.outbox import (
    DeliveryReport,
    SmsLookup,
    backoff_delay,
    deliver_due_messages,
    enqueue_call,
    enqueue_sms,
    get_outbox_message_by_sid,
    record_delivery_status,
)
from messaging.texts import sms_segments

__all__ = [
    "DeliveryReport",
    "SmsLookup",
    "backoff_delay",
    "deliver_due_messages",
    "enqueue_call",
    "enqueue_sms",
    "get_outbox_message_by_sid",
    "record_delivery_status",
    "sms_segments",
]
