"""Dispatch: matching, offer waves, SMS replies, assignment, and the SMS outbox."""

from dispatch.outbox import (
    DeliveryReport,
    SmsLookup,
    backoff_delay,
    deliver_due_messages,
    enqueue_sms,
    get_outbox_message_by_sid,
    record_delivery_status,
)

__all__ = [
    "DeliveryReport",
    "SmsLookup",
    "backoff_delay",
    "deliver_due_messages",
    "enqueue_sms",
    "get_outbox_message_by_sid",
    "record_delivery_status",
]
