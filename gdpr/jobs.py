"""The daily retention run, as a worker job that any worker may try and only one runs per day."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.claims import claim_id
from core.container import Services
from core.database import insert_ignore
from gdpr.retention import RetentionPolicy, RetentionReport, apply_retention
from models import JobRun
from telephony.gateway import delete_recording_with

log = logging.getLogger(__name__)

JOB_NAME = "retention"
EVERY = timedelta(hours=24)


def claim_daily_run(services: Services, *, name: str, now: datetime) -> bool:
    """Return True when this worker may run the daily job now (one claim per 24 hours, across workers)."""
    with services.database.unit_of_work() as session:
        if insert_ignore(session, JobRun.__table__, {"name": name, "last_run_at": now}, ["name"]):
            return True
        return claim_id(session, JobRun, name, JobRun.last_run_at <= now - EVERY, last_run_at=now)


def retention_job(services: Services, now: datetime) -> RetentionReport | None:
    """Once a day: delete old voicemails (at Twilio too), anonymise old cases, drop old certificate data."""
    if not claim_daily_run(services, name=JOB_NAME, now=now):
        return None
    with services.database.unit_of_work() as session:
        report = apply_retention(session, now=now, policy=RetentionPolicy.from_settings(services.settings),
                                 delete_recording=delete_recording_with(services.gateway))
    log.info("retention run: %s", report.summary())
    return report
