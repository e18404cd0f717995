"""Dispatch: matching, offer waves, SMS replies and assignment (the outbox lives in messaging/)."""

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
from dispatch.policy import DispatchPolicy
from dispatch.waves import WaveReport, handle_undeliverable_offers, run_due_dispatch_work

__all__ = [
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
    "start_dispatch",
    "withdraw_open_offers",
]
