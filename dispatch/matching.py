"""Matching: which caregivers may be offered a case, best first.

`rank_candidates` is pure: plain candidates in, ranked candidates out, with an explicit `today`.
`load_candidates` fetches the pool in four queries (caregivers, unavailability, recent
assignments, busy windows), whatever its size.

Hard gates, each on its own enough to leave a caregiver out:
- active, and not opted out by SMS;
- no unavailability on any Berlin calendar day the care window touches;
- not the assigned caregiver of another open case whose care window overlaps this one;
- a child job: the child's age inside [min_age, max_age] (an unknown age passes this gate: the
  coordinator learns the age on the phone, and leaving everybody out would help nobody), and a
  police certificate that is on file, does not exclude her, and is less than five years old on
  `today` (on the fifth anniversary of its date it has expired);
- an eldercare job: she does eldercare;
- the case's postcode centroid within her travel distance of her home postcode's centroid.

Order: distance (to 0.1 km: centroids are no more precise than that), then fewest assignments in
the last 30 days (fairness), then sharing a language with the caller, then caregiver id.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, String, func, select, type_coerce
from sqlalchemy.orm import Session

from caregivers.certificates import POLICE_CERTIFICATE_YEARS, police_certificate_valid, years_before
from core.clock import BERLIN
from core.errors import HotlineError
from geo.postcodes import PostcodeKind, distance_km, lookup_postcode
from models.caregiver import Caregiver, Unavailability
from models.case import CareType, Case, CaseStatus, Urgency

#: How long care lasts when nobody said: most emergencies are bridged in an afternoon.
DEFAULT_CARE_HOURS = 4.0
#: Care for "tomorrow" or "later" is planned from this local hour on.
PLANNED_START = time(7, 0)
#: Fairness counts the assignments of this many past days.
FAIRNESS_DAYS = 30
#: Case statuses in which an assigned caregiver is still busy with the case.
_FINISHED = (CaseStatus.CLOSED, CaseStatus.CANCELLED)


class NoPostcode(HotlineError):
    """The case has no known postcode of the region: it goes to the coordinator instead."""


@dataclass(frozen=True)
class CaseNeeds:
    """What a case asks for, as the ranking sees it."""

    care_type: str  # "child" | "eldercare"
    child_age: int | None
    postcode: str | None
    lat: float | None
    lon: float | None
    language: str
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True)
class Candidate:
    """One caregiver as the ranking sees her; `lat`/`lon` are her home postcode's centroid."""

    caregiver_id: int
    phone: str
    lat: float
    lon: float
    max_distance_km: float
    min_age: int
    max_age: int
    eldercare: bool
    languages: tuple[str, ...]
    active: bool
    opted_out: bool
    police_certificate_date: date | None
    police_certificate_excluded: bool
    #: Unavailability as (first day, last day), both inclusive.
    unavailable: tuple[tuple[date, date], ...]
    #: Care windows of the open cases she is assigned to, as (start, end) aware datetimes.
    busy: tuple[tuple[datetime, datetime], ...]
    #: Assignments in the last 30 days.
    recent_assignments: int


@dataclass(frozen=True)
class Ranked:
    """A caregiver who passed every gate, in offer order."""

    caregiver_id: int
    phone: str
    distance_km: float
    recent_assignments: int
    shares_language: bool


def rank_candidates(
    needs: CaseNeeds,
    pool: Sequence[Candidate],
    *,
    today: date,
    exclude: Collection[int] = (),
    limit: int | None = None,
) -> list[Ranked]:
    """Return the candidates who pass every hard gate, best first (at most `limit` when given)."""
    if needs.lat is None or needs.lon is None:
        raise NoPostcode(f"no coordinates for postcode {needs.postcode!r}")
    child_job = needs.care_type != CareType.ELDERCARE
    age = needs.child_age
    certificate_cutoff = years_before(today, POLICE_CERTIFICATE_YEARS)
    start, end = needs.window_start, needs.window_end
    first_day, last_day = window_days(start, end)
    language = needs.language
    excluded = frozenset(exclude)
    case_lat, case_lon = needs.lat, needs.lon

    # Caregivers live at one of ~50 postcode centroids: one haversine per centroid, not per person.
    # The value is (exact distance for the gate, distance to 0.1 km for the order).
    distances: dict[float, dict[float, tuple[float, float]]] = {}
    # Each kept candidate is its own sort key: (distance, recent, not sharing a language, id, phone).
    kept: list[tuple[float, int, bool, int, str]] = []
    keep = kept.append
    for c in pool:
        lat, lon = c.lat, c.lon
        by_lon = distances.get(lat)
        if by_lon is None:
            by_lon = distances[lat] = {}
        measured = by_lon.get(lon)
        if measured is None:
            exact = distance_km(case_lat, case_lon, lat, lon)
            measured = by_lon[lon] = (exact, round(exact, 1))
        # The cheap, most selective gates first: this loop runs for every caregiver of the pool.
        # A person the police certificate excludes is never sent to anyone, child or relative.
        if measured[0] > c.max_distance_km or not c.active or c.opted_out or c.police_certificate_excluded:
            continue
        if child_job:
            if age is not None and not (c.min_age <= age <= c.max_age):
                continue
            certificate = c.police_certificate_date
            if certificate is None or certificate <= certificate_cutoff:
                continue
        elif not c.eldercare:
            continue
        cid = c.caregiver_id
        if excluded and cid in excluded:
            continue
        if c.unavailable and any(s <= last_day and e >= first_day for s, e in c.unavailable):
            continue
        if c.busy and any(s < end and e > start for s, e in c.busy):
            continue
        keep((measured[1], c.recent_assignments, language not in c.languages, cid, c.phone))

    if limit is None:
        kept.sort()
    else:
        kept = heapq.nsmallest(limit, kept)
    return [
        Ranked(
            caregiver_id=cid,
            phone=phone,
            distance_km=distance,
            recent_assignments=recent,
            shares_language=not foreign,
        )
        for distance, recent, foreign, cid, phone in kept
    ]


@dataclass(frozen=True)
class NoMatchReasons:
    """Why nobody could be offered a case: each active caregiver counted once, at the first gate she fails.

    The gates in this order: opted out by SMS; too far; (child job) the child's age outside what she
    takes, then no valid police certificate; (eldercare job) no eldercare; unavailable or busy with
    another case; already declined this case.
    """

    opted_out: int = 0
    too_far: int = 0
    wrong_ages: int = 0
    no_certificate: int = 0
    no_eldercare: int = 0
    unavailable: int = 0
    declined: int = 0
    eligible: int = 0

    @property
    def total(self) -> int:
        """Return how many active caregivers were looked at."""
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        """Return the counts by reason (for an event's detail)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def explain_no_match(
    needs: CaseNeeds, pool: Sequence[Candidate], *, today: date, exclude: Collection[int] = ()
) -> NoMatchReasons:
    """Count, for each gate of `rank_candidates`, the caregivers it left out (the first gate each fails)."""
    if needs.lat is None or needs.lon is None:
        raise NoPostcode(f"no coordinates for postcode {needs.postcode!r}")
    child_job = needs.care_type != CareType.ELDERCARE
    first_day, last_day = window_days(needs.window_start, needs.window_end)
    counts: dict[str, int] = defaultdict(int)
    for c in pool:
        if not c.active:
            continue
        if c.opted_out:
            reason = "opted_out"
        elif distance_km(needs.lat, needs.lon, c.lat, c.lon) > c.max_distance_km:
            reason = "too_far"
        elif child_job and needs.child_age is not None and not (c.min_age <= needs.child_age <= c.max_age):
            reason = "wrong_ages"
        elif child_job and not police_certificate_valid(
            c.police_certificate_date, excluded=c.police_certificate_excluded, today=today
        ):
            reason = "no_certificate"
        elif not child_job and (c.police_certificate_excluded or not c.eldercare):
            reason = "no_eldercare"
        elif any(s <= last_day and e >= first_day for s, e in c.unavailable) or any(
            s < needs.window_end and e > needs.window_start for s, e in c.busy
        ):
            reason = "unavailable"
        elif c.caregiver_id in exclude:
            reason = "declined"
        else:
            reason = "eligible"
        counts[reason] += 1
    return NoMatchReasons(**counts)


def window_days(start: datetime, end: datetime) -> tuple[date, date]:
    """Return the first and last Berlin calendar day a care window touches (its end is exclusive)."""
    first = start.astimezone(BERLIN).date()
    last = (end - timedelta(microseconds=1)).astimezone(BERLIN).date() if end > start else first
    return first, max(first, last)


def care_window(
    *, urgency: str | None, care_starts_at: datetime | None, expected_hours: float | None, now: datetime
) -> tuple[datetime, datetime]:
    """Return the (start, end) of care in UTC.

    The start is `care_starts_at` when the coordinator entered it; otherwise `now` for "now",
    "today" or an unknown urgency, 07:00 Berlin tomorrow for "tomorrow", and 07:00 Berlin the
    day after tomorrow for "later". It lasts `expected_hours`, or four hours when not given.
    """
    if care_starts_at is not None:
        start = care_starts_at
    elif urgency in (Urgency.TOMORROW, Urgency.LATER):
        days = 1 if urgency == Urgency.TOMORROW else 2
        day = now.astimezone(BERLIN).date() + timedelta(days=days)
        start = datetime.combine(day, PLANNED_START, tzinfo=BERLIN)
    else:
        start = now
    hours = expected_hours if expected_hours and expected_hours > 0 else DEFAULT_CARE_HOURS
    start = start.astimezone(UTC)
    return start, start + timedelta(hours=hours)


def case_care_window(case: Case, *, now: datetime) -> tuple[datetime, datetime]:
    """Return the care window of the case being matched; "tomorrow" counts from the day of the call."""
    urgency = case.urgency
    anchor = case.created_at if urgency in (Urgency.TOMORROW, Urgency.LATER) and case.created_at is not None else now
    return care_window(
        urgency=urgency, care_starts_at=case.care_starts_at, expected_hours=case.expected_hours, now=anchor
    )


def _assigned_care_window(
    *,
    urgency: str | None,
    care_starts_at: datetime | None,
    expected_hours: float | None,
    created_at: datetime | None,
    assigned_at: datetime | None,
    now: datetime,
) -> tuple[datetime, datetime]:
    """Return the care window of a case someone already took: "now"/"today" care began when she took it."""
    if urgency in (Urgency.TOMORROW, Urgency.LATER):
        anchor = created_at or now
    else:
        anchor = assigned_at or created_at or now
    return care_window(
        urgency=urgency, care_starts_at=care_starts_at, expected_hours=expected_hours, now=anchor
    )


def case_needs(case: Case, *, now: datetime) -> CaseNeeds:
    """Return what a case needs; raise NoPostcode when its postcode is unknown or outside the region."""
    info = lookup_postcode(case.postcode) if case.postcode else None
    if info is None or info.kind != PostcodeKind.REGION or info.lat is None or info.lon is None:
        raise NoPostcode(
            f"case {case.reference}: postcode {case.postcode or 'unknown'} is not a residential postcode "
            "of Region Hannover; the coordinator finds a caregiver"
        )
    start, end = case_care_window(case, now=now)
    care_type = CareType.ELDERCARE.value if case.care_type == CareType.ELDERCARE else CareType.CHILD.value
    return CaseNeeds(
        care_type=care_type,
        child_age=case.child_age,
        postcode=info.code,
        lat=info.lat,
        lon=info.lon,
        language=(case.language or "de").lower(),
        window_start=start,
        window_end=end,
    )


def load_candidates(
    session: Session, *, needs: CaseNeeds, now: datetime, case_id: int | None = None, everyone: bool = False
) -> list[Candidate]:
    """Load the caregivers who may suit a case, with what the gates need, in four queries.

    The gates that depend only on her record (active, not opted out, ages or eldercare, police
    certificate) are already applied in SQL, so fewer rows travel; `rank_candidates` checks them
    all again, together with distance, unavailability and other assignments.

    `case_id` is the case being matched: being assigned to it does not make anyone busy.
    `everyone`: every active caregiver, gates not applied in SQL (to explain why nobody matched).
    """
    first_day, last_day = window_days(needs.window_start, needs.window_end)
    unavailable: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for cid, starts_on, ends_on in session.execute(
        select(Unavailability.caregiver_id, Unavailability.starts_on, Unavailability.ends_on).where(
            Unavailability.starts_on <= last_day, Unavailability.ends_on >= first_day
        )
    ):
        unavailable[cid].append((starts_on, ends_on))

    recent: dict[int | None, int] = dict(  # no None key: the query leaves unassigned cases out
        session.execute(
            select(Case.caregiver_id, func.count())
            .where(Case.caregiver_id.is_not(None), Case.assigned_at >= now - timedelta(days=FAIRNESS_DAYS))
            .group_by(Case.caregiver_id)
        ).tuples().all()
    )

    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    open_assigned = select(
        Case.id,
        Case.caregiver_id,
        Case.urgency,
        Case.care_starts_at,
        Case.expected_hours,
        Case.created_at,
        Case.assigned_at,
    ).where(Case.caregiver_id.is_not(None), Case.status.not_in(_FINISHED))
    for other_id, cid, urgency, starts_at, hours, created_at, assigned_at in session.execute(open_assigned):
        if other_id == case_id:
            continue
        window = _assigned_care_window(
            urgency=urgency,
            care_starts_at=starts_at,
            expected_hours=hours,
            created_at=created_at,
            assigned_at=assigned_at,
            now=now,
        )
        if window[0] < needs.window_end and window[1] > needs.window_start:
            busy[cid].append(window)

    # Core columns, not ORM entities: no identity map, no per-row ORM bookkeeping for 10,000 rows.
    table = Caregiver.__table__.c
    static_gates: list[ColumnElement[bool]] = [
        table.active.is_(True), table.opted_out.is_(False), table.police_certificate_excluded.is_(False)
    ]
    if everyone:
        static_gates = [table.active.is_(True)]
    elif needs.care_type == CareType.ELDERCARE:
        static_gates.append(table.eldercare.is_(True))
    else:
        cutoff = years_before(now.astimezone(BERLIN).date(), POLICE_CERTIFICATE_YEARS)
        static_gates.append(table.police_certificate_date > cutoff)
        if needs.child_age is not None:
            static_gates += [table.min_age <= needs.child_age, table.max_age >= needs.child_age]
    rows = session.execute(
        select(
            table.id,
            table.phone,
            table.postcode,
            table.max_distance_km,
            table.min_age,
            table.max_age,
            table.eldercare,
            type_coerce(
                table.languages, String
            ),  # raw JSON text: a handful of distinct lists, parsed once each
            table.police_certificate_date,
            table.police_certificate_excluded,
            table.opted_out,
        )
        .where(*static_gates)
        .order_by(table.id)
    )
    languages_of: dict[str | None, tuple[str, ...]] = {}
    centroids: dict[str, tuple[float, float] | None] = {}
    pool: list[Candidate] = []
    for cid, phone, postcode, radius, min_age, max_age, eldercare, languages, certificate, excluded, opted_out in rows:
        if postcode not in centroids:
            info = lookup_postcode(postcode)
            centroids[postcode] = (
                (info.lat, info.lon) if info.lat is not None and info.lon is not None else None
            )
        point = centroids[postcode]
        if point is None:  # her postcode has no centroid (left the region data): distance unknown
            continue
        pool.append(
            Candidate(
                caregiver_id=cid,
                phone=phone,
                lat=point[0],
                lon=point[1],
                max_distance_km=radius,
                min_age=min_age,
                max_age=max_age,
                eldercare=eldercare,
                languages=_languages(languages, languages_of),
                active=True,
                opted_out=opted_out,
                police_certificate_date=certificate,
                police_certificate_excluded=excluded,
                unavailable=tuple(unavailable.get(cid, ())),
                busy=tuple(busy.get(cid, ())),
                recent_assignments=recent.get(cid, 0),
            )
        )
    return pool


def _languages(raw: str | list[str] | None, seen: dict[str | None, tuple[str, ...]]) -> tuple[str, ...]:
    """Return the language codes of a stored JSON list, parsing each distinct text once."""
    if isinstance(raw, list):  # a driver that decodes JSON itself
        return tuple(raw)
    known = seen.get(raw)
    if known is None:
        known = seen[raw] = tuple(json.loads(raw)) if raw else ()
    return known


def find_ranked_candidates(
    session: Session, *, case: Case, now: datetime, exclude: Collection[int] = (), limit: int | None = None
) -> list[Ranked]:
    """Return the caregivers who may be offered a case, best first; raise NoPostcode without one."""
    needs = case_needs(case, now=now)
    pool = load_candidates(session, needs=needs, now=now, case_id=case.id)
    return rank_candidates(needs, pool, today=now.astimezone(BERLIN).date(), exclude=exclude, limit=limit)


def find_no_match_reasons(
    session: Session, *, case: Case, now: datetime, exclude: Collection[int] = ()
) -> NoMatchReasons:
    """Return why no caregiver may be offered a case (raise NoPostcode without a region postcode)."""
    needs = case_needs(case, now=now)
    pool = load_candidates(session, needs=needs, now=now, case_id=case.id, everyone=True)
    return explain_no_match(needs, pool, today=now.astimezone(BERLIN).date(), exclude=exclude)
