"""Retention: how long personal data is kept, enforced by a daily worker job.

- voicemails: deleted after `voicemail_days` (at Twilio too, through the REST API);
- cases: anonymised `case_months` after they were closed or cancelled (the anonymous figures stay);
- police-certificate data: deleted `certificate_months` after a caregiver left;
- received SMS: text and sender blanked `sms_days` after they came in. The row stays with its
  MessageSid, time and outcome (nothing personal): it is what makes a repeated delivery, or the
  worker's reconciliation against Twilio's list, change nothing (dispatch.sms_recovery).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core.database import rowcount
from core.settings import Settings, default
from gdpr.erasure import anonymise_case
from models import Caregiver, Case, CaseStatus, InboundMessage


@dataclass(frozen=True)
class RetentionPolicy:
    """The retention periods (settings VOICEMAIL_RETENTION_DAYS, CASE_RETENTION_MONTHS, …)."""

    voicemail_days: int = default("voicemail_retention_days")
    case_months: int = default("case_retention_months")
    certificate_months: int = default("certificate_retention_months")
    sms_days: int = default("sms_retention_days")

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """Read the periods from the settings."""
        return cls(
            voicemail_days=settings.voicemail_retention_days,
            case_months=settings.case_retention_months,
            certificate_months=settings.certificate_retention_months,
            sms_days=settings.sms_retention_days,
        )


@dataclass
class RetentionReport:
    """What one retention run removed."""

    voicemails_deleted: int = 0
    cases_anonymised: int = 0
    certificates_deleted: int = 0
    sms_blanked: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return a one-line summary for the log."""
        return (f"voicemails={self.voicemails_deleted} cases={self.cases_anonymised} "
                f"certificates={self.certificates_deleted} sms={self.sms_blanked} errors={len(self.errors)}")


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same wall time `months` calendar months earlier (clamped to the month's end)."""
    month_index = moment.month - 1 - months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def find_expired_voicemails(session: Session, *, now: datetime, policy: RetentionPolicy) -> list[tuple[int, str]]:
    """Return (case id, recording SID) of voicemails older than the retention period."""
    cutoff = now - timedelta(days=policy.voicemail_days)
    rows = session.execute(
        select(Case.id, Case.voicemail_sid).where(Case.voicemail_sid.is_not(None), Case.created_at < cutoff)
    )
    return [(case_id, sid) for case_id, sid in rows]


def forget_voicemail(session: Session, *, case_id: int, now: datetime) -> None:
    """Remove a voicemail from its case, noting the deletion (not the content) on the timeline."""
    case = session.get(Case, case_id)
    if case is None or case.voicemail_sid is None:
        return
    sid = case.voicemail_sid
    case.voicemail_sid = case.voicemail_url = None
    case.voicemail_seconds = None
    case.updated_at = now
    record_event(session, case, key=f"voicemail-deleted:{sid}", kind=EventKind.VOICEMAIL_DELETED, now=now)


def apply_retention(
    session: Session,
    *,
    now: datetime,
    policy: RetentionPolicy,
    delete_recording: Callable[[str], None] | None = None,
) -> RetentionReport:
    """Delete and anonymise what is past its retention period; safe to run twice."""
    report = RetentionReport()
    for case_id, sid in find_expired_voicemails(session, now=now, policy=policy):
        try:
            if delete_recording is not None:
                delete_recording(sid)
        except Exception as exc:  # try again on the next run; never keep the rest from running
            report.errors.append(f"recording {sid}: {type(exc).__name__}")
            continue
        forget_voicemail(session, case_id=case_id, now=now)
        report.voicemails_deleted += 1

    closed_before = months_before(now, policy.case_months)
    ended = func.coalesce(Case.closed_at, Case.updated_at)
    for case in session.scalars(
        select(Case).where(
            Case.status.in_([CaseStatus.CLOSED, CaseStatus.CANCELLED]),
            Case.anonymised_at.is_(None),
            ended < closed_before,
        )
    ):
        anonymise_case(session, case, now=now)
        report.cases_anonymised += 1

    left_before = months_before(now, policy.certificate_months)
    for caregiver in session.scalars(
        select(Caregiver).where(
            Caregiver.left_at.is_not(None),
            Caregiver.left_at < left_before,
            Caregiver.police_certificate_date.is_not(None) | Caregiver.police_certificate_excluded.is_(True),
        )
    ):
        caregiver.police_certificate_date = None
        caregiver.police_certificate_excluded = False
        caregiver.updated_at = now
        report.certificates_deleted += 1

    report.sms_blanked = blank_old_inbound_sms(session, now=now, policy=policy)
    session.flush()
    return report


def blank_old_inbound_sms(session: Session, *, now: datetime, policy: RetentionPolicy) -> int:
    """Blank the text and sender of SMS received more than `sms_days` ago; keep MessageSid, time and outcome."""
    result = session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.received_at < now - timedelta(days=policy.sms_days),
            (InboundMessage.body != "") | InboundMessage.from_number.is_not(None),
        )
        .values(body="", from_number=None)
        .execution_options(synchronize_session=False)
    )
    return int(rowcount(result) or 0)
