"""A demo history: about thirteen months of invented, anonymous cases shaped like a real service.

Every day is drawn from its own seeded generator (`seed` and the date), so the same day always
gets the same cases, whenever it is loaded: a later `demo load` only adds the days since the last
one. The shape: more calls on weekdays, fewer on Saturdays, none on Sundays and Lower Saxony
holidays (the default service hours); a winter peak and a summer dip; mornings busiest, some calls
at night; reasons, urgencies, municipalities (Hannover most, the member municipalities, some
non-members), languages; a Kita-strike week about five months back in which regular care fails
everywhere. Cases are then billed month by month with the real billing run and, past
CASE_RETENTION_MONTHS, anonymised with the real retention step — as real data would be.

`plan_day` is pure (plain data in, plain data out); `load_demo_history` writes it with bulk inserts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import holidays
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from billing.families import FLAG_KNOWN_FAMILY
from billing.membership import FLAG_NON_MEMBER
from billing.run import get_billing_run, run_billing
from cases.events import EventKind
from cases.references import ALPHABET, LENGTH
from core.clock import BERLIN
from core.settings import default
from gdpr.erasure import anonymise_case
from gdpr.retention import months_before
from geo import lookup_postcode
from models import (
    BillingRun,
    Caregiver,
    CareSession,
    Case,
    CaseEvent,
    Dispatch,
    Employer,
    EmployerStatement,
    Family,
    FamilyPhone,
    Invoice,
    MemberMunicipality,
    Offer,
)

SEED = 2016
#: How far back the history reaches: a little over a year, so the oldest month is past retention.
HISTORY_DAYS = 400
#: Calls on an ordinary weekday and on a Saturday, before the season and the strike.
WEEKDAY_CALLS = 3.4
SATURDAY_CALLS = 1.3
SEASON = {1: 1.3, 2: 1.4, 3: 1.2, 4: 1.0, 5: 0.9, 6: 0.9, 7: 0.7, 8: 0.6, 9: 1.0, 10: 1.1, 11: 1.2, 12: 1.1}
#: The Kita strike: the week (Monday) this many weeks before the day of loading, counted from today.
STRIKE_WEEKS_AGO = 22
STRIKE_FACTOR = 3.5
#: Weight of each local hour of the call: the morning rush, the working day, a quieter night.
HOUR_WEIGHTS = (1, 1, 1, 1, 2, 4, 9, 12, 10, 8, 7, 6, 6, 6, 6, 6, 5, 4, 3, 3, 2, 2, 2, 1)
REASONS = (("regular_care_failure", 38), ("accident_illness", 31), ("work_emergency", 23), ("other", 8))
URGENCIES = (("now", 36), ("today", 34), ("tomorrow", 20), ("later", 10))
LANGUAGES = (("de", 80), ("en", 6), ("tr", 5), ("ar", 3), ("uk", 3), ("ru", 2), ("pl", 1))
#: Postcodes people call from, weighted: Hannover most, the member municipalities, a few non-members.
POSTCODES = (
    *((code, 4) for code in ("30159", "30161", "30163", "30165", "30167", "30169", "30171", "30173",
                             "30175", "30177", "30179", "30419", "30449", "30451", "30453", "30459",
                             "30519", "30539", "30559", "30625", "30627", "30629", "30655", "30659")),
    ("30851", 4), ("30853", 3), ("30855", 2), ("30880", 5), ("30823", 4), ("30826", 2), ("30827", 2),
    ("30966", 3), ("30926", 3), ("30938", 1), ("31275", 2), ("31515", 2), ("30890", 1), ("30916", 2),
    ("31832", 1),
)
PARENT_NAMES = ("Anna", "Mehmet", "Julia", "Olga", "Thomas", "Sara", "Ahmad", "Katrin", "Lukas", "Maria",
                "Yusuf", "Nina", "Piotr", "Lena", "Hanna", "Omar", "Sven", "Ewa", "Daria", "Jan")
FAMILY_NAMES = ("Becker", "Özdemir", "Wagner", "Nowak", "Schulz", "Haddad", "Hoffmann", "Petrenko", "Krüger",
                "Aydın", "Meyer", "Kowalczyk", "Brandt", "Yılmaz", "Lange", "Ivanova", "Schröder", "Rahimi")
STREETS = ("Lindenstraße", "Am Markt", "Kirchweg", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Wiesenweg",
           "Hauptstraße", "Birkenallee", "Mühlenweg")
#: Registered demo families (invented; numbers from the film-and-TV range 0171 392…), the last two students.
FAMILY_COUNT = 18
FAMILY_PHONE = "+49171392020{:02d}"


@dataclass
class PlannedOffer:
    """One SMS offer of a planned dispatch."""

    caregiver: int
    wave: int
    rank: int
    status: str
    sent_at: datetime
    responded_at: datetime | None


@dataclass
class PlannedCase:
    """One invented case with everything that happened to it."""

    created_at: datetime
    fields: dict[str, object]
    offers: list[PlannedOffer] = field(default_factory=list)
    dispatch: dict[str, object] | None = None
    care: tuple[datetime, datetime] | None = None
    events: list[tuple[EventKind, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryWorld:
    """What the history draws from: demo caregivers (id, phone), families (id, phone), employers, members."""

    caregivers: Sequence[tuple[int, str]]
    families: Sequence[tuple[int, str]]
    #: (employer id, name, first day, last day or None)
    employers: Sequence[tuple[int, str, date, date | None]]
    #: (municipality, first day, last day or None)
    members: Sequence[tuple[str, date, date | None]]
    coordinators: Sequence[str]

    def is_member(self, municipality: str | None, day: date) -> bool:
        """Return True when the municipality was a member on that day."""
        return any(m == municipality and a <= day and (b is None or day <= b) for m, a, b in self.members)


def expected_calls(day: date, *, strike_monday: date) -> float:
    """Return the mean number of calls on a day (0 on Sundays and Lower Saxony holidays)."""
    if day.weekday() == 6 or day in _holidays(day.year):
        return 0.0
    base = SATURDAY_CALLS if day.weekday() == 5 else WEEKDAY_CALLS
    factor = SEASON[day.month]
    if strike_monday <= day < strike_monday + timedelta(days=5):
        factor *= STRIKE_FACTOR
    return base * factor


def plan_day(day: date, *, world: HistoryWorld, strike_monday: date, seed: int = SEED) -> list[PlannedCase]:
    """Return the invented cases of one day (the same ones every time for the same seed and day)."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    count = _poisson(rng, expected_calls(day, strike_monday=strike_monday))
    strike = strike_monday <= day < strike_monday + timedelta(days=5)
    return sorted((_plan_case(rng, day, world, strike) for _ in range(count)), key=lambda c: c.created_at)


def _plan_case(rng: random.Random, day: date, world: HistoryWorld, strike: bool) -> PlannedCase:
    """Draw one case: the call, who answered, the dispatch and its offers, the care, the end."""
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), BERLIN)
    created = local.astimezone(UTC)
    night = hour >= 20 or hour < 6
    caller_type = rng.choices(("parent", "employer", "caregiver"), weights=(91, 5, 4))[0]
    care_type = "eldercare" if rng.random() < 0.14 else "child"
    postcode = _pick(rng, POSTCODES)
    municipality = lookup_postcode(postcode).municipality
    reason = "regular_care_failure" if strike and rng.random() < 0.8 else _pick(rng, REASONS)
    urgency = _pick(rng, URGENCIES)
    flags: list[str] = []
    fields: dict[str, object] = {
        "caller_type": caller_type, "care_type": care_type, "postcode": postcode, "municipality": municipality,
        "reason": reason, "urgency": urgency, "language": _pick(rng, LANGUAGES), "flags": flags,
        "children": None, "child_age": None, "care_level": None,
    }
    if care_type == "child":
        fields["children"] = rng.choices((1, 2, 3), weights=(62, 30, 8))[0]
        fields["child_age"] = min(int(rng.expovariate(1 / 3.5)), 12)
    else:
        fields["care_level"] = rng.choices(range(6), weights=(1, 2, 4, 4, 2, 1))[0]
    family = world.families[rng.randrange(len(world.families))] if world.families and rng.random() < 0.2 else None
    if family is not None:
        fields.update(caller=family[1], family_id=family[0])
        flags.append(FLAG_KNOWN_FAMILY)
    else:
        fields["caller"] = f"+491713920{rng.randrange(3000, 9999):04d}"
        fields["parent_name"] = rng.choice(PARENT_NAMES)
        fields["address"] = f"{rng.choice(STREETS)} {rng.randrange(1, 80)}, {postcode} {municipality}"
    if municipality and not world.is_member(municipality, day):
        flags.append(FLAG_NON_MEMBER)
    employers = [e for e in world.employers if e[2] <= day and (e[3] is None or day <= e[3])]
    if employers and caller_type == "parent" and rng.random() < 0.16:
        employer = employers[0] if len(employers) == 1 or rng.random() < 0.85 else employers[1]
        fields.update(employer_id=employer[0], tariff_code="partner")
    case = PlannedCase(created_at=created, fields=fields)
    case.events.append((EventKind.CALL_RECEIVED, created))

    # The call: a coordinator is bridged most of the time; else voicemail or the caller hung up.
    answer = rng.random()
    menu_end = created + timedelta(seconds=rng.randint(50, 110))
    ended = menu_end
    if answer < 0.88:
        wait = rng.lognormvariate(math.log(35 if night else 18), 0.6)
        connected = menu_end + timedelta(seconds=wait)
        ended = connected + timedelta(minutes=rng.uniform(3, 12))
        fields.update(connected_at=connected, dial_stage="primary" if wait < 25 else "backup",
                      coordinator=rng.choice(world.coordinators))
        case.events.append((EventKind.COORDINATOR_ACCEPTED, connected))
    elif answer < 0.97:
        fields.update(dial_stage="voicemail", needs_callback=False)
        ended = menu_end + timedelta(seconds=rng.randint(60, 150))
        case.events.append((EventKind.VOICEMAIL_RECORDED, ended))
    else:
        fields["dial_stage"] = "primary"
    fields["call_ended_at"] = ended

    # Care: most parents' and employers' calls seek care; caregivers call with questions.
    seeks = caller_type != "caregiver" and rng.random() < 0.78
    closed_at = ended + timedelta(minutes=rng.randint(5, 90))
    status = "closed"
    if seeks and world.caregivers:
        started = ended + timedelta(minutes=rng.uniform(2, 12))
        filled = rng.random() < (0.86 if not night else 0.74)
        if urgency in ("now", "today"):
            to_caregiver = timedelta(minutes=rng.lognormvariate(math.log(48 if urgency == "now" else 70), 0.55))
        else:
            to_caregiver = timedelta(minutes=rng.lognormvariate(math.log(110), 0.6))  # no hurry: a day ahead
        assigned = max(created + to_caregiver, started + timedelta(minutes=3))
        waves = rng.choices((1, 2, 3), weights=(58, 30, 12))[0]
        pool = rng.sample(list(world.caregivers), k=min(len(world.caregivers), waves * 3 - rng.randrange(3)))
        winner = rng.randrange((waves - 1) * 3, len(pool)) if filled else None  # a yes in the last wave
        answered: datetime | None
        for index, (caregiver_id, _) in enumerate(pool):
            wave = index // 3 + 1
            sent = started + timedelta(minutes=25 * (wave - 1), seconds=index)
            if index == winner:
                offer_status, answered = "accepted", assigned
            elif winner is not None and index > winner:
                offer_status, answered = rng.choice(("withdrawn", "taken")), assigned
            else:
                offer_status = rng.choices(("declined", "expired"), weights=(60, 40))[0]
                answered = sent + timedelta(minutes=rng.uniform(1, 20)) if offer_status == "declined" else None
            case.offers.append(PlannedOffer(caregiver_id, wave, index % 3 + 1, offer_status, sent, answered))
        finished = assigned if filled else started + timedelta(minutes=25 * waves)
        case.dispatch = {"status": "filled" if filled else "exhausted", "wave": waves, "started_at": started,
                         "finished_at": finished}
        case.events.append((EventKind.DISPATCH_STARTED, started))
        if filled and winner is not None:
            caregiver_id, phone = pool[winner]
            care_start = assigned + timedelta(minutes=rng.uniform(15, 40))
            if urgency in ("tomorrow", "later"):
                care_start = max(care_start, created + timedelta(hours=rng.uniform(12, 30)))
            care_end = care_start + timedelta(minutes=rng.choice((90, 120, 180, 240, 300, 360, 480, 540)))
            care_end -= timedelta(minutes=rng.randrange(0, 20))
            fields.update(caregiver=phone, caregiver_id=caregiver_id, assigned_at=assigned,
                          care_starts_at=care_start,
                          expected_hours=round((care_end - care_start) / timedelta(hours=1)))
            case.care = (care_start, care_end)
            case.events += [(EventKind.DISPATCH_FILLED, assigned), (EventKind.CARE_STARTED, care_start), (EventKind.CARE_ENDED, care_end)]
            closed_at = care_end + timedelta(minutes=rng.randint(10, 120))
        else:
            status = "cancelled" if rng.random() < 0.4 else "closed"
            closed_at = finished + timedelta(minutes=rng.randint(5, 60))
    elif rng.random() < 0.06:
        status = "cancelled"
    fields.update(status=status, closed_at=closed_at, updated_at=closed_at)
    case.events.append((EventKind.CASE_CANCELLED if status == "cancelled" else EventKind.CASE_CLOSED, closed_at))
    return case


def load_demo_history(session: Session, *, now: datetime, retention_months: int, seed: int = SEED,
                      unit_minutes: int = default("billing_unit_minutes")) -> dict[str, int]:
    """Add the demo history up to yesterday (only the days not loaded yet), bill and anonymise it; return counts."""
    today = now.astimezone(BERLIN).date()
    strike_monday = today - timedelta(weeks=STRIKE_WEEKS_AGO, days=today.weekday())
    first = today - timedelta(days=HISTORY_DAYS)
    last_loaded = session.scalar(select(func.max(Case.created_at)).where(Case.demo.is_(True)))
    if last_loaded is not None:
        first = max(first, last_loaded.astimezone(BERLIN).date() + timedelta(days=1))
    world = _world(session, today=today)
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    planned = [case for day in days for case in plan_day(day, world=world, strike_monday=strike_monday, seed=seed)]
    counts = {"cases": len(planned), "offers": 0, "care_sessions": 0, "invoices": 0, "anonymised": 0}
    if planned:
        counts.update(_write(session, planned, seed=seed))
    counts["invoices"] = _bill(session, first=first, now=now, unit_minutes=unit_minutes)
    counts["anonymised"] = _retain(session, now=now, months=retention_months)
    session.flush()
    return counts


def _world(session: Session, *, today: date) -> HistoryWorld:
    """Read the demo's caregivers, employers and memberships; register the demo families when missing."""
    caregivers = session.execute(
        select(Caregiver.id, Caregiver.phone).where(Caregiver.demo.is_(True), Caregiver.opted_out.is_(False))
        .order_by(Caregiver.id)
    ).tuples().all()
    phones = [FAMILY_PHONE.format(n) for n in range(2, 2 + FAMILY_COUNT)]
    known = set(session.scalars(select(FamilyPhone.phone).where(FamilyPhone.phone.in_(phones))))
    for n, phone in enumerate(phones):
        if phone in known:
            continue
        family = Family(name=f"Familie {FAMILY_NAMES[n % len(FAMILY_NAMES)]} (Demo)", postcode=POSTCODES[n][0],
                        address=f"{STREETS[n % len(STREETS)]} {n + 3}, {POSTCODES[n][0]} Hannover",
                        tariff_code="student" if n >= FAMILY_COUNT - 2 else None,
                        registered_on=today - timedelta(days=HISTORY_DAYS + 30 * n),
                        created_at=datetime.combine(today, time(8), BERLIN), demo=True, children=[])
        session.add(family)
        session.flush()
        session.add(FamilyPhone(family_id=family.id, phone=phone))
    session.flush()
    families = session.execute(
        select(FamilyPhone.family_id, FamilyPhone.phone).where(FamilyPhone.phone.in_(phones))
        .order_by(FamilyPhone.phone)
    ).tuples().all()
    employers = session.execute(
        select(Employer.id, Employer.name, Employer.starts_on, Employer.ends_on).where(Employer.demo.is_(True))
        .order_by(Employer.id)
    ).tuples().all()
    members = session.execute(
        select(MemberMunicipality.municipality, MemberMunicipality.starts_on, MemberMunicipality.ends_on)
    ).tuples().all()
    from roster.demo import DEMO_COORDINATORS

    return HistoryWorld(caregivers=list(caregivers), families=list(families), employers=list(employers),
                        members=list(members), coordinators=[phone for _, phone in DEMO_COORDINATORS])


def _write(session: Session, planned: list[PlannedCase], *, seed: int) -> dict[str, int]:
    """Insert the planned cases and their timelines, dispatches, offers and care sessions in bulk."""
    taken = set(session.scalars(select(Case.reference)))
    rng = random.Random(f"{seed}:references:{planned[0].created_at.isoformat()}")
    rows = []
    for case in planned:
        reference = _reference(rng, taken)
        rows.append({
            "reference": reference, "demo": True, "created_at": case.created_at,
            "needs_callback": False, "language": "de", **case.fields,
        })
    # Core inserts (the tables, not the ORM classes): thousands of rows in a few statements, every row
    # with the same keys (a column a case leaves out is NULL).
    keys = set().union(*rows)
    rows = [{key: row.get(key) for key in keys} for row in rows]
    ids = list(session.scalars(insert(_table(Case)).returning(_table(Case).c.id, sort_by_parameter_order=True),
                               rows))
    events, dispatches, sessions = [], [], []
    for case_id, case in zip(ids, planned, strict=True):
        events += [{"case_id": case_id, "key": f"demo:{kind}", "kind": kind.value, "at": at, "detail": {}}
                   for kind, at in case.events]
        if case.dispatch is not None:
            started_at = case.dispatch["started_at"]
            assert isinstance(started_at, datetime)
            deadline = started_at + timedelta(hours=1)
            dispatches.append({"case_id": case_id, "deadline_at": deadline, "started_by": "demo",
                               "next_wave_at": None, **case.dispatch})
        if case.care is not None:
            sessions.append({"case_id": case_id, "caregiver_id": case.fields["caregiver_id"],
                             "started_at": case.care[0], "ended_at": case.care[1], "source": "sms",
                             "created_at": case.care[0], "updated_at": case.care[1]})
    session.execute(insert(_table(CaseEvent)), events)
    dispatch_ids = list(session.scalars(
        insert(_table(Dispatch)).returning(_table(Dispatch).c.id, sort_by_parameter_order=True), dispatches
    )) if dispatches else []
    offers = []
    dispatched = [(case_id, case) for case_id, case in zip(ids, planned, strict=True) if case.dispatch is not None]
    for dispatch_id, (case_id, case) in zip(dispatch_ids, dispatched, strict=True):
        offers += [{"dispatch_id": dispatch_id, "case_id": case_id, "caregiver_id": o.caregiver,
                    "code": f"{10 + (o.rank * 7 + o.wave * 13 + case_id) % 90}", "wave": o.wave, "rank": o.rank,
                    "status": o.status, "created_at": o.sent_at, "responded_at": o.responded_at}
                   for o in case.offers]
    if offers:
        session.execute(insert(_table(Offer)), offers)
    if sessions:
        session.execute(insert(_table(CareSession)), sessions)
    return {"offers": len(offers), "care_sessions": len(sessions)}


def _bill(session: Session, *, first: date, now: datetime, unit_minutes: int) -> int:
    """Run the monthly billing for every past month of the history not billed yet; mark what it made as demo."""
    today = now.astimezone(BERLIN).date()
    month = first.replace(day=1)
    invoices = 0
    while month < today.replace(day=1):
        key = f"{month:%Y-%m}"
        if get_billing_run(session, month=key) is None:
            following = (month + timedelta(days=32)).replace(day=1)
            ran_at = min(datetime.combine(following + timedelta(days=2), time(9), BERLIN).astimezone(UTC), now)
            report = run_billing(session, month=key, now=ran_at, unit_minutes=unit_minutes)
            session.execute(update(BillingRun).where(BillingRun.id == report.run_id).values(demo=True))
            session.execute(update(Invoice).where(Invoice.billing_run_id == report.run_id).values(demo=True))
            session.execute(
                update(EmployerStatement).where(EmployerStatement.billing_run_id == report.run_id).values(demo=True)
            )
            invoices += len(report.invoices)
        month = (month + timedelta(days=32)).replace(day=1)
    return invoices


def _retain(session: Session, *, now: datetime, months: int) -> int:
    """Anonymise the demo cases past the retention period, exactly as the daily retention job would."""
    closed_before = months_before(now, months)
    due = session.scalars(
        select(Case).where(Case.demo.is_(True), Case.anonymised_at.is_(None), Case.closed_at < closed_before)
    ).all()
    for case in due:
        anonymise_case(session, case, now=now)
    return len(due)


def _table(model: type[Any]) -> Table:
    return model.__table__


def _reference(rng: random.Random, taken: set[str]) -> str:
    """Return a case reference not used yet, from the same alphabet as real ones."""
    while True:
        reference = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        if reference not in taken:
            taken.add(reference)
            return reference


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth; the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="NI", years=year)
