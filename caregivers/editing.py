"""Caregivers changed by hand in the dashboard, the list's filters, and the state of their checks.

Check validity (the periods of `caregivers.certificates`, which the matching uses too):
- the extended police certificate counts for five years from its date;
- the first-aid course for children counts for two years from its date (the usual refresher
  interval of the first-aid providers and what the office asks for);
- each expires on the anniversary of its date; "expiring" means within the next 60 days.

Every function takes a session and plain values, flushes and never commits. Refusals are
HotlineError subclasses carrying a German and an English message per form field.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caregivers.certificates import FIRST_AID_YEARS, POLICE_CERTIFICATE_YEARS, validity_ends
from caregivers.importer import (
    DEFAULT_LANGUAGES,
    MAX_CHILD_AGE,
    MAX_DISTANCE_KM,
    MAX_NAME_LENGTH,
    split_language_codes,
)
from caregivers.queries import CaregiverNotFound, add_unavailability, require_caregiver
from core.clock import BERLIN
from core.errors import HotlineError
from core.inputs import InputError, optional_date, parse_int
from core.phones import format_national, is_mobile, normalize_phone
from geo.postcodes import PostcodeKind, lookup_postcode
from models.caregiver import Caregiver, Unavailability
from models.case import Case
from models.dispatch import Offer

#: "Expiring" on the list: within this many days.
EXPIRY_WARNING = timedelta(days=60)
#: Recent offers on the detail page: the last this many days.
RECENT_OFFER_DAYS = 30
UNAVAILABILITY_REASONS = ("holiday", "sick", "other")

_DISTANCE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,3})?", re.ASCII)


class CheckState(enum.StrEnum):
    """Where a check stands on a day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"
    #: The police certificate shows an entry that excludes her from working with children.
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Check:
    """One check: its date, when it expires, and its state."""

    taken_on: date | None
    expires_on: date | None
    state: CheckState

    @property
    def needs_attention(self) -> bool:
        """Return True when it is missing, expired, excluded or expiring within 60 days."""
        return self.state is not CheckState.VALID


@dataclass(frozen=True)
class FieldError:
    """Why one form field was refused: `message` German, `english` beside (as HotlineError)."""

    field: str
    message: str
    english: str = ""

    def text(self, language: str) -> str:
        """Return the reason in `language` ('de' or 'en'); German when there is no English one."""
        return self.english if language == "en" and self.english else self.message


class InvalidCaregiverChange(HotlineError):
    """A change to a caregiver that cannot be stored; `errors` names every field and reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        """Keep the reasons."""
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors),
                         english="; ".join(f"{e.field}: {e.text('en')}" for e in errors))


class InvalidUnavailabilityPeriod(HotlineError):
    """An unavailability period that cannot be stored; `errors` as for InvalidCaregiverChange."""

    def __init__(self, errors: list[FieldError]) -> None:
        """Keep the reasons."""
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors),
                         english="; ".join(f"{e.field}: {e.text('en')}" for e in errors))


class UnavailabilityNotFound(HotlineError):
    """The caregiver has no unavailability period with this id."""


@dataclass(frozen=True)
class CaregiverChanges:
    """A caregiver's editable data as typed values."""

    name: str
    phone: str
    postcode: str
    max_distance_km: float
    min_age: int
    max_age: int
    eldercare: bool
    languages: tuple[str, ...]
    police_certificate_date: date | None
    police_certificate_excluded: bool
    first_aid_date: date | None
    active: bool


@dataclass(frozen=True)
class CaregiverFilter:
    """The list's filters; None means "any"."""

    municipality: str | None = None
    age: int | None = None
    eldercare: bool | None = None
    checks_due: bool = False


@dataclass(frozen=True)
class RecentOffer:
    """An offer to a caregiver as her page shows it."""

    case_id: int
    reference: str
    sent_at: datetime
    status: str
    responded_at: datetime | None


def police_certificate_check(taken_on: date | None, *, excluded: bool, today: date) -> Check:
    """Return the state of the police certificate on a day."""
    if taken_on is None:
        return Check(None, None, CheckState.MISSING)
    expires = validity_ends(taken_on, POLICE_CERTIFICATE_YEARS)
    if excluded:
        return Check(taken_on, expires, CheckState.EXCLUDED)
    return Check(taken_on, expires, _state(expires, today))


def first_aid_check(taken_on: date | None, *, today: date) -> Check:
    """Return the state of the first-aid course on a day."""
    if taken_on is None:
        return Check(None, None, CheckState.MISSING)
    expires = validity_ends(taken_on, FIRST_AID_YEARS)
    return Check(taken_on, expires, _state(expires, today))


def _state(expires: date, today: date) -> CheckState:
    if expires <= today:
        return CheckState.EXPIRED
    if expires <= today + EXPIRY_WARNING:
        return CheckState.EXPIRING
    return CheckState.VALID


def municipalities_of(postcode: str) -> tuple[str, ...]:
    """Return the municipalities a postcode of the region belongs to (empty outside)."""
    return lookup_postcode(postcode).municipalities


def caregiver_matches(caregiver: Caregiver, filters: CaregiverFilter, *, today: date) -> bool:
    """Return True when a caregiver passes the list's filters."""
    if filters.municipality and filters.municipality not in municipalities_of(caregiver.postcode):
        return False
    if filters.age is not None and not (caregiver.min_age <= filters.age <= caregiver.max_age):
        return False
    if filters.eldercare is not None and bool(caregiver.eldercare) != filters.eldercare:
        return False
    if filters.checks_due:
        police = police_certificate_check(caregiver.police_certificate_date,
                                          excluded=caregiver.police_certificate_excluded, today=today)
        first_aid = first_aid_check(caregiver.first_aid_date, today=today)
        if not (police.needs_attention or first_aid.needs_attention):
            return False
    return True


def find_caregivers_filtered(session: Session, *, filters: CaregiverFilter, today: date) -> list[Caregiver]:
    """Return the caregivers passing the filters, by name."""
    caregivers = session.scalars(
        select(Caregiver).options(selectinload(Caregiver.unavailability)).order_by(Caregiver.name, Caregiver.id)
    )
    return [c for c in caregivers if caregiver_matches(c, filters, today=today)]


def find_municipalities(session: Session) -> list[str]:
    """Return the municipalities caregivers live in, sorted (the list's filter choices)."""
    names: set[str] = set()
    for postcode in session.scalars(select(Caregiver.postcode).distinct()):
        names.update(municipalities_of(postcode))
    return sorted(names, key=str.casefold)


#: One field's reading: the clean value, or why the typed text is refused.
Reading = tuple[Any, FieldError | None]


def _refused(field: str, english: str, german: str) -> Reading:
    return None, FieldError(field, german, english=english)


def read_name(raw: str) -> Reading:
    """Read her name: one line, required, at most MAX_NAME_LENGTH characters."""
    name = " ".join(raw.split())
    if not name:
        return _refused("name", "the name is empty", "Bitte einen Namen angeben.")
    if len(name) > MAX_NAME_LENGTH:
        return _refused("name", f"the name is longer than {MAX_NAME_LENGTH} characters",
                        f"Der Name ist länger als {MAX_NAME_LENGTH} Zeichen.")
    return name, None


def read_phone(raw: str) -> Reading:
    """Read her mobile number (offers go out by SMS) in E.164."""
    raw_phone = raw.strip()
    phone = normalize_phone(raw_phone)
    if phone is None:
        return _refused("phone", f"invalid phone number '{raw_phone}'",
                        f"„{raw_phone}“ ist keine gültige Telefonnummer.")
    if not is_mobile(phone):
        return _refused(
            "phone", f"'{raw_phone}' is a landline; offers go out by SMS, so a mobile number is needed",
            f"„{raw_phone}“ ist eine Festnetznummer. Angebote gehen per SMS raus – bitte eine Handynummer angeben.")
    return phone, None


def read_postcode(raw: str) -> Reading:
    """Read her home postcode, which must lie in the region."""
    raw_postcode = raw.strip()
    info = lookup_postcode(raw_postcode)
    if info.kind is PostcodeKind.REGION:
        return info.code, None
    reasons = {
        PostcodeKind.COMPANY: ("belongs to a company or PO box", "gehört zu einer Firma oder einem Postfach"),
        PostcodeKind.OUTSIDE: ("is outside Region Hannover", "liegt außerhalb der Region Hannover"),
        PostcodeKind.INVALID: ("is not a postcode", "ist keine Postleitzahl"),
    }
    english, german = reasons[info.kind]
    return _refused(
        "postcode", f"postcode '{raw_postcode}' {english}; her home postcode in the region is needed",
        f"Die Postleitzahl „{raw_postcode}“ {german}. Bitte die Postleitzahl ihrer Wohnung in der Region angeben.")


def read_distance(raw: str) -> Reading:
    """Read how far she travels, in km (0 to MAX_DISTANCE_KM, decimal comma or point)."""
    distance = _number(raw)
    if distance is None or not 0 <= distance <= MAX_DISTANCE_KM:
        return _refused("max_distance_km", f"the radius must be a number of km from 0 to {MAX_DISTANCE_KM:g}",
                        f"Der Umkreis muss eine Zahl von 0 bis {MAX_DISTANCE_KM:g} km sein, z. B. 7,5.")
    return distance, None


def read_min_age(raw: str) -> Reading:
    """Read the youngest child's age she cares for."""
    age = _age(raw)
    if age is None:
        return _refused("min_age", f"the youngest age must be a whole number from 0 to {MAX_CHILD_AGE}",
                        f"Das Mindestalter muss eine ganze Zahl von 0 bis {MAX_CHILD_AGE} sein (0 = unter einem Jahr).")
    return age, None


def read_max_age(raw: str, *, min_age: int | None) -> Reading:
    """Read the oldest child's age she cares for; not below the youngest (when that one is known)."""
    max_age = _age(raw)
    if max_age is None:
        return _refused("max_age", f"the oldest age must be a whole number from 0 to {MAX_CHILD_AGE}",
                        f"Das Höchstalter muss eine ganze Zahl von 0 bis {MAX_CHILD_AGE} sein.")
    if min_age is not None and min_age > max_age:
        return _refused("max_age", f"the oldest age {max_age} is below the youngest {min_age}",
                        f"Das Höchstalter {max_age} liegt unter dem Mindestalter {min_age}.")
    return max_age, None


def read_languages(raw: str) -> Reading:
    """Read her languages as two-letter codes; none typed means the default ones."""
    languages, bad = split_language_codes(raw)
    if bad:
        shown = ", ".join(bad)
        return _refused("languages", f"'{shown}' is not a two-letter language code like de, en, tr",
                        f"„{shown}“ ist kein zweibuchstabiger Sprachcode wie de, en, tr.")
    return tuple(languages) or DEFAULT_LANGUAGES, None


def read_police_certificate_date(raw: str, *, today: date) -> Reading:
    """Read the police certificate's date: empty (missing) or a day not in the future."""
    return _check_date(raw, "police_certificate_date", today, "the police certificate date",
                       "Das Datum des Führungszeugnisses")


def read_first_aid_date(raw: str, *, today: date) -> Reading:
    """Read the first-aid course's date: empty (missing) or a day not in the future."""
    return _check_date(raw, "first_aid_date", today, "the first-aid course date", "Das Datum des Erste-Hilfe-Kurses")


def update_caregiver(session: Session, *, caregiver_id: int, changes: CaregiverChanges, now: datetime) -> Caregiver:
    """Store a caregiver's edited data; raise CaregiverNotFound or InvalidCaregiverChange; flush."""
    caregiver = require_caregiver(session, caregiver_id)
    other = session.scalars(
        select(Caregiver.id).where(Caregiver.phone == changes.phone, Caregiver.id != caregiver.id)
    ).first()
    if other is not None:
        number = format_national(changes.phone)
        raise InvalidCaregiverChange([FieldError(
            "phone", f"Die Nummer {number} gehört schon einer anderen Betreuungskraft.",
            english=f"{number} already belongs to another caregiver")])
    values = {
        "name": changes.name, "phone": changes.phone, "postcode": changes.postcode,
        "max_distance_km": changes.max_distance_km, "min_age": changes.min_age, "max_age": changes.max_age,
        "eldercare": changes.eldercare, "languages": list(changes.languages),
        "police_certificate_date": changes.police_certificate_date,
        "police_certificate_excluded": changes.police_certificate_excluded,
        "first_aid_date": changes.first_aid_date, "active": changes.active,
    }
    changed = False
    for name, value in values.items():
        if getattr(caregiver, name) != value:
            setattr(caregiver, name, value)
            changed = True
    # When she stopped counts for how long her certificate data may be kept (as the import does).
    if not changes.active and caregiver.left_at is None:
        caregiver.left_at = now
    elif changes.active and caregiver.left_at is not None:
        caregiver.left_at = None
    if changed:
        caregiver.updated_at = now
    session.flush()
    return caregiver


def set_opted_out(session: Session, *, caregiver_id: int, opted_out: bool, now: datetime) -> bool:
    """Opt a caregiver out of offers (with the time) or back in; return True when it changed; flush."""
    caregiver = require_caregiver(session, caregiver_id)
    if bool(caregiver.opted_out) == opted_out:
        return False
    caregiver.opted_out = opted_out
    # Same as the SMS STOP/START commands: the time of the opt-out is kept while it lasts.
    caregiver.opted_out_at = now if opted_out else None
    caregiver.updated_at = now
    session.flush()
    return True


def parse_period(values: Mapping[str, str]) -> tuple[date, date, str]:
    """Check an unavailability form (from, to, reason); raise InvalidUnavailabilityPeriod."""
    errors: list[FieldError] = []

    def error(field: str, english: str, german: str) -> None:
        errors.append(FieldError(field, german, english=english))

    starts_on = _parse_date(values.get("starts_on", ""))
    ends_on = _parse_date(values.get("ends_on", ""))
    if starts_on is None:
        error("starts_on", "the first day is not a date like 24.11.2026",
              "Der erste Tag ist kein Datum wie 24.11.2026.")
    if ends_on is None:
        error("ends_on", "the last day is not a date like 24.11.2026", "Der letzte Tag ist kein Datum wie 24.11.2026.")
    if starts_on and ends_on and ends_on < starts_on:
        error("ends_on", "the last day is before the first", "Der letzte Tag liegt vor dem ersten.")
    if starts_on and ends_on and (ends_on - starts_on).days > 366:
        error("ends_on", "the period is longer than a year — is a date mistyped?",
              "Der Zeitraum ist länger als ein Jahr – ist ein Datum vertippt?")
    reason = values.get("reason", "other").strip() or "other"
    if reason not in UNAVAILABILITY_REASONS:
        error("reason", "the reason must be holiday, sick or other", "Bitte Urlaub, krank oder Sonstiges wählen.")
    if errors:
        raise InvalidUnavailabilityPeriod(errors)
    assert starts_on is not None and ends_on is not None
    return starts_on, ends_on, reason


def add_unavailability_period(
    session: Session, *, caregiver_id: int, starts_on: date, ends_on: date, reason: str
) -> Unavailability:
    """Record days (both inclusive) a caregiver must not be asked; raise InvalidUnavailabilityPeriod; flush."""
    parse_period({"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "reason": reason})
    return add_unavailability(session, caregiver=require_caregiver(session, caregiver_id),
                              starts_on=starts_on, ends_on=ends_on, reason=reason)


def remove_unavailability_period(session: Session, *, caregiver_id: int, unavailability_id: int) -> None:
    """Delete one of a caregiver's unavailability periods; raise UnavailabilityNotFound; flush."""
    period = session.get(Unavailability, unavailability_id)
    if period is None or period.caregiver_id != caregiver_id:
        raise UnavailabilityNotFound(f"caregiver {caregiver_id} has no unavailability {unavailability_id}")
    session.delete(period)
    session.flush()


def find_recent_offers(session: Session, *, caregiver_id: int, now: datetime) -> list[RecentOffer]:
    """Return a caregiver's offers of the last 30 days, newest first, with the case reference."""
    rows = session.execute(
        select(Offer, Case.reference)
        .join(Case, Case.id == Offer.case_id)
        .where(Offer.caregiver_id == caregiver_id, Offer.created_at >= now - timedelta(days=RECENT_OFFER_DAYS))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    )
    return [RecentOffer(o.case_id, ref, o.created_at, o.status.value, o.responded_at) for o, ref in rows]


def find_assignments(session: Session, *, caregiver_id: int, limit: int = 20) -> list[Case]:
    """Return the cases a caregiver was assigned to, newest first."""
    return list(session.scalars(
        select(Case).where(Case.caregiver_id == caregiver_id)
        .order_by(Case.assigned_at.desc().nulls_last(), Case.id.desc()).limit(limit)
    ))


def today_in_berlin(now: datetime) -> date:
    """Return the Berlin calendar day of a moment."""
    return now.astimezone(BERLIN).date()


def _number(raw: str) -> float | None:
    value = raw.strip().replace(" ", "").removesuffix("km").replace(",", ".")
    try:
        number = float(value) if _DISTANCE.fullmatch(value) else float("nan")
    except ValueError:
        return None
    return number if number == number else None  # NaN is not a radius


def _age(raw: str) -> int | None:
    try:
        return parse_int(raw, maximum=MAX_CHILD_AGE)
    except InputError:
        return None


def _parse_date(raw: str) -> date | None:
    try:
        return optional_date(raw)
    except InputError:
        return None


def _check_date(raw: str, field: str, today: date, english: str, german: str) -> Reading:
    raw = raw.strip()
    if not raw:
        return None, None
    parsed = _parse_date(raw)
    if parsed is None:
        return _refused(field, f"{english} '{raw}' is not a date like 15.03.2024",
                        f"{german} „{raw}“ ist kein Datum wie 15.03.2024.")
    if parsed > today:
        return _refused(field, f"{english} {parsed:%d.%m.%Y} is in the future",
                        f"{german} {parsed:%d.%m.%Y} liegt in der Zukunft.")
    return parsed, None


__all__: Sequence[str] = (
    "CaregiverChanges", "CaregiverFilter", "CaregiverNotFound", "Check", "CheckState", "FieldError",
    "InvalidCaregiverChange", "InvalidUnavailabilityPeriod", "RecentOffer", "UnavailabilityNotFound",
    "add_unavailability_period", "caregiver_matches", "find_assignments", "find_caregivers_filtered",
    "find_municipalities", "find_recent_offers", "first_aid_check", "parse_period",
    "police_certificate_check", "read_distance", "read_first_aid_date", "read_languages", "read_max_age",
    "read_min_age", "read_name", "read_phone", "read_police_certificate_date", "read_postcode",
    "remove_unavailability_period", "set_opted_out", "update_caregiver",
)
