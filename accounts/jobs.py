"""The worker job that deletes sign-in attempts once the throttle no longer needs them (PRIVACY.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.service import purge_login_attempts
from core.container import Services


@dataclass(frozen=True)
class LoginAttemptsReport:
    """How many sign-in attempts one run deleted."""

    deleted: int

    def summary(self) -> str:
        """Return the run as counts."""
        return f"deleted={self.deleted}"


def login_attempts_job(services: Services, now: datetime) -> LoginAttemptsReport:
    """Delete sign-in attempts older than LOGIN_ATTEMPTS_KEPT (a cheap indexed DELETE, safe to run twice)."""
    with services.database.unit_of_work() as session:
        return LoginAttemptsReport(deleted=purge_login_attempts(session, now=now))
