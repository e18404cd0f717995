"""The call policy read from settings: parsed once, and never an exception on a caller's path."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from core.settings import Settings
from dispatch.policy import DispatchPolicy
from roster.service_hours import ServiceHours, parse_service_hours
from routing.call_flow import CallPolicy
from routing.surge import SurgeRules
from routing.waiting import QueueLimits

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=8)
def _hours(spec: str) -> ServiceHours:
    try:
        return parse_service_hours(spec)
    except ValueError:
        log.error("SERVICE_HOURS %r cannot be read; the hotline stays open around the clock", spec)
        return parse_service_hours("always")


@functools.lru_cache(maxsize=8)
def call_policy(settings: Settings) -> CallPolicy:
    """Return the call policy of the settings (built once per settings: every webhook asks for it)."""
    return CallPolicy(
        hours=_hours(settings.service_hours),
        open_on_holidays=settings.service_on_holidays,
        fallback_number=settings.fallback_number,
        dispatch_policy=DispatchPolicy.from_settings(settings),
        queue_limits=QueueLimits(max_wait=timedelta(minutes=settings.queue_max_wait_minutes),
                                 max_length=settings.queue_max_length),
        surge_rules=surge_rules(settings),
        languages=settings.languages,
    )


def surge_rules(settings: Settings) -> SurgeRules:
    """Return when surge mode switches itself, from SURGE_AUTO_ON_WAITING and SURGE_AUTO_OFF_MINUTES."""
    return SurgeRules(auto_on_waiting=settings.surge_auto_on_waiting,
                      auto_off=timedelta(minutes=settings.surge_auto_off_minutes))
