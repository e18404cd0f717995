"""The kinds of a case's timeline entries: one typed vocabulary, its values the strings stored.

`case_events.kind` holds the value (a StrEnum member equals its string), so stored rows, the case
JSON and queries on the column are unchanged. Every kind has a description on the case page
(dashboard.timeline); a test keeps the two in step.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What happened to a case; the value is what `case_events.kind` stores."""

    # The call: menu, ringing the roster, screening, voicemail (routing)
    CALL_RECEIVED = "call_received"
    MENU_ANSWER = "menu_answer"
    MENU_DONE = "menu_done"
    DIAL_STAGE = "dial_stage"
    SCREENING = "screening"
    COORDINATOR_ACCEPTED = "coordinator_accepted"
    COORDINATOR_DECLINED = "coordinator_declined"
    DIAL_RESULT = "dial_result"
    VOICEMAIL_OFFERED = "voicemail_offered"
    VOICEMAIL_RECORDED = "voicemail_recorded"
    CALL_STATUS = "call_status"
    COORDINATORS_ALERTED = "coordinators_alerted"
    # The queue: waiting for a coordinator who is talking, on the line or for a call-back (routing.waiting)
    QUEUE_ENTERED = "queue_entered"
    QUEUE_POSITION_ANNOUNCED = "queue_position_announced"
    QUEUE_LEFT = "queue_left"
    QUEUE_DEQUEUED = "queue_dequeued"
    QUEUE_CALLED_BACK = "queue_called_back"
    # Dispatch: offers by SMS, the first yes, the family told (dispatch)
    AUTO_DISPATCH_STARTED = "auto_dispatch_started"
    AUTO_DISPATCH_SKIPPED = "auto_dispatch_skipped"
    AUTO_DISPATCH_REFUSED = "auto_dispatch_refused"
    AUTO_DISPATCH_FAILED = "auto_dispatch_failed"
    DISPATCH_STARTED = "dispatch_started"
    DISPATCH_WAVE = "dispatch_wave"
    OFFER_SENT = "offer_sent"
    OFFER_DECLINED = "offer_declined"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_TAKEN = "offer_taken"
    OFFER_WITHDRAWN = "offer_withdrawn"
    OFFER_UNDELIVERABLE = "offer_undeliverable"
    CAREGIVER_BACKED_OUT = "caregiver_backed_out"
    DISPATCH_FILLED = "dispatch_filled"
    NO_MATCH = "no_match"
    DISPATCH_EXHAUSTED = "dispatch_exhausted"
    DISPATCH_EXPIRED = "dispatch_expired"
    DISPATCH_CANCELLED = "dispatch_cancelled"
    PARENT_NOTIFIED = "parent_notified"
    PARENT_CALL_REQUESTED = "parent_call_requested"
    FAMILY_SMS_UNDELIVERED = "family_sms_undelivered"
    # The coordinator's hand on the case page (cases, dispatch.manual)
    ASSIGNED_BY_HAND = "assigned_by_hand"
    REDISPATCH_REQUESTED = "redispatch_requested"
    CASE_EDITED = "case_edited"
    CASE_CLOSED = "case_closed"
    CASE_CANCELLED = "case_cancelled"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_ANSWERED = "callback_answered"
    CALLBACK_MAILBOX = "callback_mailbox"
    CALLBACK_RESULT = "callback_result"
    CALLBACK_CALL_STATUS = "callback_call_status"
    # Billing: the family, the employer, the tariff, the hours (billing)
    FAMILY_RECOGNISED = "family_recognised"
    NON_MEMBER_MUNICIPALITY = "non_member_municipality"
    EMPLOYER_LINKED = "employer_linked"
    EMPLOYER_UNLINKED = "employer_unlinked"
    TARIFF_SET = "tariff_set"
    CARE_STARTED = "care_started"
    CARE_ENDED = "care_ended"
    CARE_TIMES_ENTERED = "care_times_entered"
    # Retention (gdpr)
    VOICEMAIL_DELETED = "voicemail_deleted"
