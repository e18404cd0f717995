"""The dispatch timers the worker runs: next waves, deadlines, and offers that could not be delivered.

The timers are columns (`dispatches.next_wave_at`, `dispatches.deadline_at`, the outbox row of
each offer), so a restarted worker finds all due work again. Each due item is handled in its own
short transaction and claimed first by a conditional UPDATE checked by row count:

- a wave: `SET next_wave_at = <next> WHERE id = :id AND status = 'active' AND next_wave_at = :seen`;
- a deadline: `SET unfilled_alert_sent = true WHERE id = :id AND unfilled_alert_sent = false`;
- an undeliverable offer: `SET status = 'undeliverable' WHERE id = :id AND status = 'open'`;
- an SMS to a family that could not be delivered (the parent's confirmation: number invalid, SMS
  opted out, reported undelivered): the case event `outbox:<id>:family-undelivered`, inserted
  once per outbox row (unique per case and key); its insert is the claim, and the coordinators on
  duty are asked by SMS to phone the family.

Two workers (or a worker and a retried job) therefore never act twice on the same item. Offers of
earlier waves stay open while the dispatch runs (a late yes still counts); they expire only when
the dispatch ends.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, literal, or_, select
from sqlalchemy.orm import Session

from cases.events import EventKind
from cases.service import record_event
from core.claims import claim_id
from core.database import Database
from core.logs import mask_phone
from core.phones import is_mobile
from dispatch.matching import NoPostcode
from dispatch.offers import (
    alert_unfilled,
    end_dispatch,
    find_offered_caregiver_ids,
    has_open_offers,
    hurry_next_wave,
    next_candidates,
    send_offer,
    send_wave,
)
from dispatch.policy import DispatchPolicy
from messaging.outbox import enqueue_sms
from messaging.texts import gsm_safe, job_text
from models import (
    Caregiver,
    Case,
    CaseEvent,
    CaseStatus,
    Dispatch,
    DispatchStatus,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
)
from roster.queries import find_on_duty

log = logging.getLogger(__name__)

#: Delivery states from Twilio's status callback that mean the offer never reached her phone.
UNDELIVERED_STATES = ("undelivered", "failed")
#: Outbox purposes of the SMS that go to a family; when one cannot be delivered, a person phones.
FAMILY_PURPOSES = ("parent_confirmation",)
#: A family SMS that failed longer ago than this is not reported any more (it was dealt with by then).
FAMILY_ALERT_WINDOW = timedelta(hours=24)
#: Why a family SMS failed, in the coordinators' words, by Twilio error code.
FAMILY_FAILURE_REASONS = {
    21211: "ungültige Nummer",
    21610: "SMS per STOP abbestellt",
    21614: "keine Handynummer",
    30003: "Handy nicht erreichbar",
    30005: "Nummer unbekannt",
    30006: "Festnetz oder nicht erreichbar",
}
_TWILIO_CODE = re.compile(r"(?:Twilio error|code) (\d{5})")


@dataclass
class WaveReport:
    """What one run of the dispatch timers did, in counts (no personal data)."""

    waves: int = 0
    offers: int = 0
    exhausted: int = 0
    deadline_alerts: int = 0
    undeliverable: int = 0
    replacements: int = 0
    family_alerts: int = 0
    skipped: int = 0
    errors: int = 0

    def summary(self) -> str:
        """Return the counts as one log-friendly line."""
        return (
            f"waves={self.waves} offers={self.offers} exhausted={self.exhausted} "
            f"deadline_alerts={self.deadline_alerts} undeliverable={self.undeliverable} "
            f"replacements={self.replacements} family_alerts={self.family_alerts} "
            f"skipped={self.skipped} errors={self.errors}"
        )


def run_due_dispatch_work(
    database: Database, *, now: datetime, policy: DispatchPolicy, batch: int = 50
) -> WaveReport:
    """Send the waves that are due, end dispatches that ran out of candidates, alert on passed deadlines."""
    report = WaveReport()
    for dispatch_id, seen in _find_due_waves(database, now=now, limit=batch):
        try:
            with database.unit_of_work() as session:
                _run_wave(session, dispatch_id=dispatch_id, seen=seen, now=now, policy=policy, report=report)
        except Exception:  # one broken dispatch must not stop the others; its claim was rolled back
            log.exception("dispatch %s: wave failed", dispatch_id)
            report.errors += 1
    for dispatch_id in _find_due_deadlines(database, now=now, limit=batch):
        try:
            with database.unit_of_work() as session:
                dispatch = session.get(Dispatch, dispatch_id)
                case = session.get(Case, dispatch.case_id) if dispatch else None
                if dispatch is None or case is None or dispatch.status is not DispatchStatus.ACTIVE:
                    continue
                if alert_unfilled(
                    session, dispatch=dispatch, case=case, now=now, policy=policy, reason="deadline"
                ):
                    report.deadline_alerts += 1
        except Exception:
            log.exception("dispatch %s: deadline alert failed", dispatch_id)
            report.errors += 1
    return report


def handle_undeliverable_offers(
    database: Database, *, now: datetime, policy: DispatchPolicy, batch: int = 50
) -> WaveReport:
    """Replace offers whose SMS failed by an offer to the next candidate at once; report failed family SMS.

    An SMS that could not be delivered to a caregiver moves her offer on; one that could not be
    delivered to a family (the parent's confirmation) is reported to the coordinators on duty,
    who phone the family instead (alert_undelivered_family_sms).
    """
    report = WaveReport()
    for offer_id in _find_undeliverable(database, limit=batch):
        try:
            with database.unit_of_work() as session:
                _replace_offer(session, offer_id=offer_id, now=now, policy=policy, report=report)
        except Exception:
            log.exception("offer %s: replacement failed", offer_id)
            report.errors += 1
    family = alert_undelivered_family_sms(database, now=now, policy=policy, batch=batch)
    report.family_alerts += family.family_alerts
    report.skipped += family.skipped
    report.errors += family.errors
    return report


def alert_undelivered_family_sms(
    database: Database, *, now: datetime, policy: DispatchPolicy, batch: int = 50
) -> WaveReport:
    """Ask the coordinators on duty by SMS to phone each family whose SMS failed, once per message."""
    report = WaveReport()
    for message_id in _find_undelivered_family_sms(database, now=now, limit=batch):
        try:
            with database.unit_of_work() as session:
                if _alert_family(session, message_id=message_id, now=now, policy=policy):
                    report.family_alerts += 1
                else:
                    report.skipped += 1  # another worker told them first
        except Exception:
            log.exception("outbox %s: family alert failed", message_id)
            report.errors += 1
    return report


def family_failure_reason(last_error: str | None) -> str:
    """Return why a family SMS failed, in a few German words for the coordinators."""
    match = _TWILIO_CODE.search(last_error or "")
    return (
        FAMILY_FAILURE_REASONS.get(int(match.group(1)), "nicht zustellbar") if match else "nicht zustellbar"
    )


def family_undelivered_text(*, reference: str, phone: str, reason: str, caregiver: Caregiver | None) -> str:
    """Return the coordinators' SMS: the family's SMS did not arrive, please phone them."""
    who = f": {gsm_safe(caregiver.name)} ({caregiver.phone}) kommt" if caregiver is not None else ""
    return job_text("family_undelivered", language="de", reference=reference, phone=phone, reason=reason,
                    caregiver=who)


def _alert_family(session: Session, *, message_id: int, now: datetime, policy: DispatchPolicy) -> bool:
    """Claim one failed family SMS (its case event) and text the coordinators; False when already told."""
    message = session.get(OutboxMessage, message_id)
    case = session.get(Case, message.case_id) if message is not None and message.case_id else None
    if message is None or case is None:
        return False
    reason = family_failure_reason(message.last_error)
    recipients = sorted({s.phone for s in find_on_duty(session, at=now) if is_mobile(s.phone)})
    if not record_event(
        session,
        case,
        key=f"outbox:{message.id}:family-undelivered",
        kind=EventKind.FAMILY_SMS_UNDELIVERED,
        now=now,
        detail={"outbox": message.id, "purpose": message.purpose, "reason": reason, "recipients": recipients},
    ):
        return False
    caregiver = session.get(Caregiver, case.caregiver_id) if case.caregiver_id else None
    body = family_undelivered_text(
        reference=case.reference, phone=message.to_number, reason=reason, caregiver=caregiver
    )
    for phone in recipients:
        enqueue_sms(
            session,
            to=phone,
            body=body,
            purpose="family_sms_undelivered",
            dedupe_key=f"outbox:{message.id}:family-undelivered:{phone}",
            now=now,
            case_id=case.id,
            from_number=policy.hotline_number,
        )
    if recipients:
        log.info(
            "case %s: SMS to the family %s failed (%s); coordinators asked to phone",
            case.id,
            mask_phone(message.to_number),
            reason,
        )
    else:
        log.warning(
            "case %s: SMS to the family %s failed (%s) and no coordinator with a mobile is on duty",
            case.id,
            mask_phone(message.to_number),
            reason,
        )
    return True


def _run_wave(
    session: Session,
    *,
    dispatch_id: int,
    seen: datetime,
    now: datetime,
    policy: DispatchPolicy,
    report: WaveReport,
) -> None:
    """Claim one due dispatch and send its next wave, or end it when nobody is left to ask."""
    dispatch = session.get(Dispatch, dispatch_id)
    case = session.get(Case, dispatch.case_id) if dispatch else None
    if dispatch is None or case is None:
        return
    following = now + policy.wait_for(case.urgency)
    if not claim_id(session, Dispatch, dispatch_id, Dispatch.status == DispatchStatus.ACTIVE,
                    Dispatch.next_wave_at == seen, next_wave_at=following):
        report.skipped += 1  # another worker did it, or a yes filled it meanwhile
        return
    session.refresh(dispatch)
    session.refresh(case)
    if case.status is not CaseStatus.DISPATCHING or case.caregiver_id is not None:
        # The case was settled outside the offers (assigned by hand, closed): stop asking.
        end_dispatch(session, dispatch=dispatch, case=case, status=DispatchStatus.CANCELLED, now=now)
        return
    try:
        candidates = next_candidates(session, dispatch=dispatch, case=case, now=now, limit=policy.size_of_wave(dispatch.wave + 1))
    except NoPostcode:
        candidates = []  # the postcode was removed since the start: a person has to take over
    if not candidates:
        end_dispatch(session, dispatch=dispatch, case=case, status=DispatchStatus.EXHAUSTED, now=now)
        alert_unfilled(session, dispatch=dispatch, case=case, now=now, policy=policy, reason="exhausted")
        report.exhausted += 1
        log.info("dispatch %s (case %s) exhausted after wave %s", dispatch.id, case.id, dispatch.wave)
        return
    offers = send_wave(session, dispatch=dispatch, case=case, candidates=candidates, now=now, policy=policy)
    report.waves += 1
    report.offers += len(offers)
    log.info("dispatch %s (case %s): wave %s, %s offers", dispatch.id, case.id, dispatch.wave, len(offers))


def _replace_offer(
    session: Session, *, offer_id: int, now: datetime, policy: DispatchPolicy, report: WaveReport
) -> None:
    """Claim one undeliverable offer and offer its place to the next candidate."""
    if not claim_id(session, Offer, offer_id, Offer.status == OfferStatus.OPEN, status=OfferStatus.UNDELIVERABLE,
                    responded_at=now):
        report.skipped += 1
        return
    report.undeliverable += 1
    offer = session.get(Offer, offer_id)
    assert offer is not None
    session.refresh(offer)
    dispatch = session.get(Dispatch, offer.dispatch_id)
    case = session.get(Case, offer.case_id)
    assert dispatch is not None and case is not None
    record_event(
        session,
        case,
        key=f"offer:{offer.id}:undeliverable",
        kind=EventKind.OFFER_UNDELIVERABLE,
        now=now,
        detail={"offer": offer.id, "caregiver": offer.caregiver_id},
    )
    if dispatch.status is not DispatchStatus.ACTIVE or case.status is not CaseStatus.DISPATCHING:
        return
    try:
        candidates = next_candidates(session, dispatch=dispatch, case=case, now=now, limit=1)
    except NoPostcode:
        candidates = []
    if candidates:
        rank = len(find_offered_caregiver_ids(session, dispatch=dispatch)) + 1
        send_offer(
            session,
            dispatch=dispatch,
            case=case,
            ranked=candidates[0],
            wave=offer.wave,
            rank=rank,
            now=now,
            policy=policy,
        )
        report.replacements += 1
    elif not has_open_offers(session, dispatch=dispatch):
        hurry_next_wave(
            session, dispatch=dispatch, now=now
        )  # nobody left to wait for: end it on the next run


def _find_due_waves(database: Database, *, now: datetime, limit: int) -> Sequence[tuple[int, datetime]]:
    """Return (id, next_wave_at) of the active dispatches whose next wave is due, oldest first."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(Dispatch.id, Dispatch.next_wave_at)
            .where(Dispatch.status == DispatchStatus.ACTIVE, Dispatch.next_wave_at <= now)
            .order_by(Dispatch.next_wave_at, Dispatch.id)
            .limit(limit)
        ).all()
        return [(row.id, row.next_wave_at) for row in rows]


def _find_due_deadlines(database: Database, *, now: datetime, limit: int) -> Sequence[int]:
    """Return the ids of active dispatches past their deadline whose coordinators were not told yet."""
    with database.unit_of_work() as session:
        return session.scalars(
            select(Dispatch.id)
            .where(
                Dispatch.status == DispatchStatus.ACTIVE,
                Dispatch.deadline_at <= now,
                Dispatch.unfilled_alert_sent.is_(False),
            )
            .order_by(Dispatch.deadline_at, Dispatch.id)
            .limit(limit)
        ).all()


def _find_undelivered_family_sms(database: Database, *, now: datetime, limit: int) -> Sequence[int]:
    """Return the ids of recent family SMS that failed or were reported undelivered, not yet reported."""
    reported_key = (
        literal("outbox:", String) + cast(OutboxMessage.id, String) + literal(":family-undelivered")
    )
    with database.unit_of_work() as session:
        return session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.purpose.in_(FAMILY_PURPOSES),
                OutboxMessage.case_id.is_not(None),
                OutboxMessage.created_at >= now - FAMILY_ALERT_WINDOW,
                or_(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    OutboxMessage.delivery_status.in_(UNDELIVERED_STATES),
                ),
                ~exists().where(CaseEvent.case_id == OutboxMessage.case_id, CaseEvent.key == reported_key),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()


def _find_undeliverable(database: Database, *, limit: int) -> Sequence[int]:
    """Return the ids of open offers of running dispatches whose SMS failed or was reported undelivered."""
    with database.unit_of_work() as session:
        return session.scalars(
            select(Offer.id)
            .join(OutboxMessage, OutboxMessage.id == Offer.outbox_message_id)
            .join(Dispatch, Dispatch.id == Offer.dispatch_id)
            .where(
                Offer.status == OfferStatus.OPEN,
                Dispatch.status == DispatchStatus.ACTIVE,
                or_(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    OutboxMessage.delivery_status.in_(UNDELIVERED_STATES),
                ),
            )
            .order_by(Offer.id)
            .limit(limit)
        ).all()
