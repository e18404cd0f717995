"""Act on an incoming SMS command: caregivers answer offers and opt out or in, coordinators start dispatches.

Who the sender is decides what a command means:

- a caregiver (her mobile number is on file): JA/NEIN answer offers (dispatch.offers sends every
  job-related SMS itself), STOP/START opt her out and in, START <code> / ENDE <code> record when
  care began and ended for the assignment with that code (billing.hours; confirmed by SMS with the
  time noted), anything else gets the help text — in her first language when it is one of the
  seven (commands.<language>.toml; a text missing there is German), German otherwise;
- a coordinator — a number on the roster with a shift ending within the last COORDINATOR_WINDOW
  or starting within the next (so a coordinator can dispatch between her shifts, and a number
  that left the roster months ago cannot): `SENDEN <reference>` starts a dispatch, anything else
  gets the coordinators' help text, in German. A coordinator who is also a caregiver is treated as
  a coordinator for SENDEN and as a caregiver for everything else;
- anybody else gets one pointer to the hotline's phone line per POINTER_INTERVAL, and nothing more:
  in the language of her latest call when she called the hotline (a family answering its SMS).

Automatic replies (everything this module sends: help, pointer, confirmations, errors) are
rate-limited: at most REPLY_LIMIT_PER_HOUR per number per hour, counted from the outbox (purposes
starting with "reply"), so two automatic responders cannot text each other up a bill. Beyond the
limit the command still takes effect (an opt-out, a decline, an acceptance with its job messages)
but its reply is not queued, and the message's outcome is "rate_limited". Each reply is queued
with the dedupe key "reply:<MessageSid>", so a retried transaction never queues two.
"""

from __future__ import annotations

import enum
import logging
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from billing.hours import (
    CareOutcome,
    billable_minutes,
    find_running_codes,
    format_duration,
    local_time,
    record_care_end,
    record_care_start,
)
from caregivers.queries import get_caregiver_by_phone
from cases.service import get_case_by_reference
from core.claims import claim
from core.errors import HotlineError
from core.languages import LANGUAGES, known
from core.logs import mask_phone
from core.phones import format_national
from core.settings import Settings
from core.textfiles import load_toml
from dispatch.offers import (
    AcceptResult,
    DeclineResult,
    accept_offer,
    caregiver_language,
    decline_offer,
    open_offers_of,
    start_dispatch,
)
from dispatch.policy import DispatchPolicy
from dispatch.replies import Reply, ReplyKind
from messaging.outbox import enqueue_sms
from messaging.texts import TEXTS_DIR, gsm_safe
from models import Caregiver, Case, Offer, OutboxMessage, Shift

log = logging.getLogger(__name__)

#: Automatic replies per number and hour; job messages from dispatch.offers do not count.
REPLY_LIMIT_PER_HOUR = 5
#: A number we do not know gets the pointer to the phone line at most once in this time.
POINTER_INTERVAL = timedelta(hours=24)
#: A roster number counts as a coordinator's from this long before her shift to this long after.
COORDINATOR_WINDOW = timedelta(days=30)
#: Open codes named in one "which offer?" answer (an SMS has room for a few).
MAX_CODES_LISTED = 5


class SmsOutcome(enum.StrEnum):
    """What became of an incoming SMS (stored in InboundMessage.outcome)."""

    NO_SENDER = "no_sender"
    OWN_NUMBER = "own_number"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"
    # caregivers
    YES_WON = "yes_won"
    YES_TAKEN = "yes_taken"
    YES_NO_OPEN_OFFER = "yes_no_open_offer"
    YES_AMBIGUOUS = "yes_ambiguous"
    YES_UNKNOWN_CODE = "yes_unknown_code"
    YES_OPTED_OUT = "yes_while_opted_out"
    NO_DECLINED = "no_declined"
    NO_NO_OPEN_OFFER = "no_no_open_offer"
    NO_AMBIGUOUS = "no_ambiguous"
    NO_UNKNOWN_CODE = "no_unknown_code"
    OPTED_OUT = "opted_out"
    ALREADY_OPTED_OUT = "already_opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    UNKNOWN = "unknown"
    CARE_STARTED = "care_started"
    CARE_START_REPEATED = "care_start_repeated"
    CARE_ENDED = "care_ended"
    CARE_END_REPEATED = "care_end_repeated"
    CARE_END_WITHOUT_START = "care_end_without_start"
    CARE_UNKNOWN_CODE = "care_unknown_code"
    CARE_NO_OPEN_SESSION = "care_no_open_session"
    CARE_AMBIGUOUS = "care_ambiguous"
    # coordinators
    SEND_STARTED = "send_started"
    SEND_REFUSED = "send_refused"
    SEND_NOT_FOUND = "send_not_found"
    SEND_NO_REFERENCE = "send_no_reference"
    COORDINATOR_HELP = "coordinator_help"
    # anybody else
    POINTER = "pointer"
    POINTER_SUPPRESSED = "pointer_suppressed"


@dataclass(frozen=True)
class _Answer:
    """Where automatic replies to one incoming SMS go."""

    session: Session
    message_sid: str
    to: str
    language: str
    now: datetime
    settings: Settings

    def send(self, purpose: str, key: str, *, case_id: int | None = None, **values: object) -> bool:
        """Queue the text `key` unless the number had its share of replies; True when queued."""
        if (
            count_recent_replies(self.session, to=self.to, since=self.now - timedelta(hours=1))
            >= REPLY_LIMIT_PER_HOUR
        ):
            log.warning("reply to %s for %s suppressed: rate limit", mask_phone(self.to), self.message_sid)
            return False
        hotline = hotline_display(self.settings)
        if hotline is not None:
            values.setdefault("hotline", hotline)
        elif "hotline" not in values:  # no number to give: the wording that names none, never a placeholder
            key = f"{key}_no_number"
        enqueue_sms(
            self.session,
            to=self.to,
            body=render_text(key, self.language, **values),
            purpose=f"reply_{purpose}",
            dedupe_key=f"reply:{self.message_sid}",
            now=self.now,
            case_id=case_id,
        )
        return True


def act_on_sms(
    session: Session, *, message_sid: str, sender: str | None, reply: Reply, now: datetime, settings: Settings
) -> SmsOutcome:
    """Do what an incoming SMS asks, queue the answer, and return what happened."""
    if sender is None:
        return SmsOutcome.NO_SENDER
    if settings.hotline_number and sender == settings.hotline_number:
        return SmsOutcome.OWN_NUMBER  # never answer ourselves
    caregiver = get_caregiver_by_phone(session, sender)
    coordinator = is_coordinator_phone(session, phone=sender, now=now)
    if coordinator and (reply.kind is ReplyKind.SEND or caregiver is None):
        answer = _Answer(session, message_sid, sender, "de", now, settings)
        return _coordinator(session, answer, sender=sender, reply=reply)
    if caregiver is not None:
        answer = _Answer(session, message_sid, sender, caregiver_language(caregiver), now, settings)
        return _caregiver(session, answer, caregiver=caregiver, reply=reply)
    if _pointer_sent_recently(session, to=sender, since=now - POINTER_INTERVAL):
        return SmsOutcome.POINTER_SUPPRESSED
    answer = _Answer(session, message_sid, sender, family_language(session, phone=sender), now, settings)
    return _sent(answer.send("pointer", "stranger.pointer"), SmsOutcome.POINTER)


def family_language(session: Session, *, phone: str) -> str:
    """Return the language of the latest call from this number (a family answering its SMS); German if none."""
    return known(session.scalar(
        select(Case.language).where(Case.caller == phone).order_by(Case.created_at.desc(), Case.id.desc()).limit(1)
    ))


def is_coordinator_phone(session: Session, *, phone: str, now: datetime) -> bool:
    """Return True when the number is on a shift that ended or starts within COORDINATOR_WINDOW of now."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Shift.phone == phone,
                    Shift.ends_at > now - COORDINATOR_WINDOW,
                    Shift.starts_at < now + COORDINATOR_WINDOW,
                )
            )
        )
    )


def count_recent_replies(session: Session, *, to: str, since: datetime) -> int:
    """Return how many automatic replies were queued to a number since `since`."""
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.to_number == to,
                OutboxMessage.purpose.startswith("reply", autoescape=True),
                OutboxMessage.created_at > since,
            )
        )
        or 0
    )


def hotline_display(settings: Settings) -> str | None:
    """Return the hotline's phone line as people in Germany dial it (None when there is none to call)."""
    number = settings.callable_hotline
    return format_national(number) if number else None


def render_text(key: str, language: str, **values: object) -> str:
    """Return the command text `section.name` in a language (German when missing), filled in."""
    section, name = key.split(".", 1)
    if language != "de":
        try:  # a file broken while the office edits it answers in German (and the log says so)
            text = load_command_texts(language).get(section, {}).get(name)
            if text is not None:
                return str(text).format(**values)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError, KeyError, ValueError,
                IndexError) as exc:
            log.warning("SMS command text %r in %s unusable, sent in German: %s", key, language, exc)
    text = load_command_texts("de").get(section, {}).get(name)
    if text is not None:
        return str(text).format(**values)
    raise KeyError(f"no SMS command text {key!r}")


def load_command_texts(language: str) -> dict[str, Any]:
    """Return the command texts of a language by section (messaging/texts/commands.<language>.toml; {} if none)."""
    path = TEXTS_DIR / f"commands.{language}.toml"
    if language not in LANGUAGES or not path.is_file():
        return {}
    return {section: texts for section, texts in load_toml(path).items() if isinstance(texts, dict)}


def fit_reason(reason: str, *, room: int = 200) -> str:
    """Return an error message GSM-7 safe and short enough to leave the rest of its SMS room."""
    reason = gsm_safe(" ".join(reason.split()))
    return reason if len(reason) <= room else reason[: room - 3].rstrip() + "..."


def _caregiver(session: Session, answer: _Answer, *, caregiver: Caregiver, reply: Reply) -> SmsOutcome:
    """Act on a caregiver's SMS."""
    kind = reply.kind
    if kind is ReplyKind.YES:
        if caregiver.opted_out:
            return _sent(answer.send("opted_out", "caregiver.yes_while_opted_out"), SmsOutcome.YES_OPTED_OUT)
        result = accept_offer(session, caregiver=caregiver, code=reply.code, now=answer.now)
        if result is AcceptResult.WON:
            return SmsOutcome.YES_WON
        if result is AcceptResult.TAKEN:
            return SmsOutcome.YES_TAKEN
        return _offer_problem(session, answer, caregiver, reply, str(result), "yes")
    if kind is ReplyKind.NO:
        declined = decline_offer(session, caregiver=caregiver, code=reply.code, now=answer.now)
        if declined is DeclineResult.DECLINED:
            return _sent(answer.send("decline", "caregiver.declined"), SmsOutcome.NO_DECLINED)
        if declined is DeclineResult.NO_OPEN_OFFER:
            return _sent(
                answer.send("decline", "caregiver.declined_nothing_open"), SmsOutcome.NO_NO_OPEN_OFFER
            )
        return _offer_problem(session, answer, caregiver, reply, str(declined), "no")
    if kind is ReplyKind.STOP:
        return _opt_out(session, answer, caregiver)
    if kind is ReplyKind.START:
        _set_opted_out(session, caregiver, opted_out=False, now=answer.now)
        return _sent(answer.send("start", "caregiver.opted_in"), SmsOutcome.OPTED_IN)
    if kind in (ReplyKind.CARE_START, ReplyKind.CARE_END):
        return _care_times(session, answer, caregiver=caregiver, reply=reply)
    outcome = SmsOutcome.HELP if kind is ReplyKind.HELP else SmsOutcome.UNKNOWN
    return _sent(answer.send("help", "caregiver.help"), outcome)


def _care_times(session: Session, answer: _Answer, *, caregiver: Caregiver, reply: Reply) -> SmsOutcome:
    """Record START <code> / ENDE <code> (billing.hours) and confirm the time noted, or say what is wrong."""
    if reply.kind is ReplyKind.CARE_START:
        assert reply.code is not None  # the parser gives CARE_START only with a code
        update = record_care_start(session, caregiver=caregiver, code=reply.code, now=answer.now)
    else:
        update = record_care_end(session, caregiver=caregiver, code=reply.code, now=answer.now)
    care, case = update.care_session, update.case
    case_id = case.id if case is not None else None
    code = reply.code or ""
    outcome = SmsOutcome(f"care_{update.outcome.value}")
    if update.outcome is CareOutcome.UNKNOWN_CODE:
        return _sent(answer.send("care", "caregiver.care_unknown_code", code=code), outcome)
    if update.outcome is CareOutcome.NO_OPEN_SESSION:
        return _sent(answer.send("care", "caregiver.care_no_open_session"), outcome)
    if update.outcome is CareOutcome.AMBIGUOUS:
        codes = ", ".join(f"ENDE {c}" for c in find_running_codes(session, caregiver=caregiver)[:MAX_CODES_LISTED])
        return _sent(answer.send("care", "caregiver.care_ambiguous", codes=codes), outcome)
    assert care is not None
    if update.outcome in (CareOutcome.STARTED, CareOutcome.START_REPEATED):
        assert care.started_at is not None
        key = "caregiver.care_started" if update.outcome is CareOutcome.STARTED else "caregiver.care_start_repeated"
        return _sent(
            answer.send("care", key, case_id=case_id, time=local_time(care.started_at), code=code), outcome
        )
    assert care.ended_at is not None
    time = local_time(care.ended_at)
    if update.outcome is CareOutcome.END_REPEATED:
        return _sent(answer.send("care", "caregiver.care_end_repeated", case_id=case_id, time=time), outcome)
    if update.outcome is CareOutcome.END_WITHOUT_START or care.flag is not None or care.started_at is None:
        return _sent(answer.send("care", "caregiver.care_ended_check", case_id=case_id, time=time), outcome)
    duration = format_duration(billable_minutes(care.started_at, care.ended_at, unit_minutes=1))
    return _sent(
        answer.send("care", "caregiver.care_ended", case_id=case_id, time=time, duration=duration), outcome
    )


def _offer_problem(
    session: Session, answer: _Answer, caregiver: Caregiver, reply: Reply, result: str, word: str
) -> SmsOutcome:
    """Answer a JA/NEIN that matched no single open offer: which one, none, or an unknown code."""
    outcome = SmsOutcome(f"{word}_{result}")
    codes = [offer.code for offer in open_offers_of(session, caregiver=caregiver)][:MAX_CODES_LISTED]
    if result == "ambiguous" and codes:
        said = render_text(f"caregiver.{word}_word", answer.language)
        examples = f" {render_text('caregiver.or', answer.language)} ".join(
            f"{said} {code}" for code in codes
        )
        return _sent(answer.send("which_offer", "caregiver.ambiguous", word=said, examples=examples), outcome)
    if result == "unknown_code" and codes:
        return _sent(
            answer.send(
                "unknown_code", "caregiver.unknown_code", code=reply.code or "", codes=", ".join(codes)
            ),
            outcome,
        )
    return _sent(answer.send("no_open_offer", "caregiver.no_open_offer"), outcome)


def _opt_out(session: Session, answer: _Answer, caregiver: Caregiver) -> SmsOutcome:
    """Opt a caregiver out; confirm only the STOP that changed something."""
    if not _set_opted_out(session, caregiver, opted_out=True, now=answer.now):
        return SmsOutcome.ALREADY_OPTED_OUT
    log.info("caregiver %s opted out by SMS %s", caregiver.id, answer.message_sid)
    return _sent(answer.send("stop", "caregiver.opted_out"), SmsOutcome.OPTED_OUT)


def _set_opted_out(session: Session, caregiver: Caregiver, *, opted_out: bool, now: datetime) -> bool:
    """Flip the opt-out flag with one conditional UPDATE; True when it changed (two STOPs: one wins)."""
    changed = claim(session, caregiver, Caregiver.opted_out == (not opted_out), refresh=False,
                    opted_out=opted_out, opted_out_at=now if opted_out else None, updated_at=now)
    session.expire(caregiver, ["opted_out", "opted_out_at", "updated_at"])
    return changed


def _coordinator(session: Session, answer: _Answer, *, sender: str, reply: Reply) -> SmsOutcome:
    """Act on a coordinator's SMS: SENDEN <reference> starts a dispatch; anything else gets help."""
    if reply.kind is not ReplyKind.SEND:
        return _sent(answer.send("coordinator_help", "coordinator.help"), SmsOutcome.COORDINATOR_HELP)
    if not reply.reference:
        return _sent(answer.send("send", "coordinator.no_reference"), SmsOutcome.SEND_NO_REFERENCE)
    case = get_case_by_reference(session, reply.reference)
    if case is None:
        return _sent(
            answer.send("send", "coordinator.not_found", reference=reply.reference), SmsOutcome.SEND_NOT_FOUND
        )
    policy = DispatchPolicy.from_settings(answer.settings)
    try:
        with session.begin_nested():
            dispatch = start_dispatch(
                session, case=case, now=answer.now, started_by=f"sms:{mask_phone(sender)}", policy=policy
            )
    except HotlineError as exc:
        log.info("SENDEN %s by %s refused: %s", case.reference, mask_phone(sender), exc)
        return _sent(
            answer.send(
                "send",
                "coordinator.refused",
                case_id=case.id,
                reference=case.reference,
                reason=fit_reason(str(exc)),
            ),
            SmsOutcome.SEND_REFUSED,
        )
    session.flush()
    count = session.scalar(select(func.count(Offer.id)).where(Offer.dispatch_id == dispatch.id)) or 0
    key = (
        "coordinator.started_none"
        if count == 0
        else "coordinator.started_one"
        if count == 1
        else "coordinator.started_many"
    )
    return _sent(
        answer.send("send", key, case_id=case.id, reference=case.reference, count=count),
        SmsOutcome.SEND_STARTED,
    )


def _pointer_sent_recently(session: Session, *, to: str, since: datetime) -> bool:
    """Return True when the number was already pointed to the phone line since `since`."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    OutboxMessage.to_number == to,
                    OutboxMessage.purpose == "reply_pointer",
                    OutboxMessage.created_at > since,
                )
            )
        )
    )


def _sent(queued: bool, outcome: SmsOutcome) -> SmsOutcome:
    """Return the outcome, or RATE_LIMITED when its reply was held back."""
    return outcome if queued else SmsOutcome.RATE_LIMITED
