"""The figures the office reports to the city and the region: anonymous aggregates per month.

Definitions (the page's help text says the same in German):

- A **month** is a calendar month in Europe/Berlin. A case counts in the month its call came in
  (`created_at`); care hours count in the month the care started (the day billing uses).
- **Calls** (consultations): every case. Each case is opened by a call (`open_case_for_call`); the
  call SID is wiped when a case is anonymised, so it is not used to tell calls apart.
- **Night**: a call arriving from 20:00 up to (not including) 06:00 Berlin time, on the wall clock,
  so the boundaries hold across the DST changes. 20:00 is night, 06:00 is day.
- **Time to a human**: `created_at` → `connected_at` (a coordinator was bridged). **Reached a
  person**: calls with `connected_at`; **voicemail**: calls that ended in the voicemail stage
  without a person.
- **Care sought**: cases that were dispatched (offers sent) or assigned. **Care jobs** (filled):
  cases with a confirmed caregiver (`assigned_at`). **Share filled** = filled / sought.
- **Time to a caregiver**: `created_at` → `assigned_at`, against the 90-minute promise (a case
  counts as within the promise at exactly 90 minutes).
- **Offers per filled case**: offers sent for the filled cases (undeliverable SMS not counted),
  divided by the filled cases.
- **Care hours**: unflagged care sessions with a start and an end, by real elapsed time in whole
  minutes (`billing.hours.elapsed_minutes`), not the billed per-started-hour rounding.
- **Median** is the middle value (the mean of the two middle values for an even count); the **90th
  percentile** is the nearest rank: the smallest value that at least 90 % of the values do not exceed.

Small cells (to keep cases in small municipalities from being recognised): a count of 1 or 2 is
shown as "<3" (zero stays 0); a share, median, percentile, offers-per-case or hour total resting on
fewer than 3 cases is not shown (empty in the CSV, "–" on the page), so a group (month × dimension ×
value) with fewer than 3 calls shows nothing but "<3". The threshold keeps a single case from being
read off a cell; it does not stop deliberate differencing of a total against its parts (the report
goes to the city and the region, not to the public).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from billing.hours import elapsed_minutes
from core.clock import BERLIN
from core.errors import HotlineError
from core.inputs import InputError, Month, month_range, parse_month
from models import CareSession, Case, Dispatch, Employer, Offer, OfferStatus

#: Counts below this (but above zero) are shown as "<3"; statistics need at least this many cases.
MIN_CELL = 3
SUPPRESSED = "<3"
NIGHT_STARTS = time(20, 0)
NIGHT_ENDS = time(6, 0)
#: Fluxx promises a qualified person in the home within 90 minutes.
PROMISE = timedelta(minutes=90)
#: A report covers at most this many months (one page, one CSV).
MAX_MONTHS = 36
VOICEMAIL_STAGE = "voicemail"

TOTAL = "total"
ALL = "all"
UNKNOWN = "unknown"
#: The breakdowns, in the order the page and the CSV show them.
#: "language" (the caller's menu language, core.languages) came last, so the rows before it kept their order.
DIMENSIONS = (TOTAL, "municipality", "reason", "urgency", "care_type", "caller_type", "employer", "language")
#: The month key of the rows that cover the whole period.
WHOLE_PERIOD = "total"
#: Buckets of the time-to-a-caregiver distribution, in minutes: [lower, upper); None = open end.
WAIT_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 30), (30, 60), (60, 90), (90, 120), (120, 180), (180, 360), (360, None),
)


class ReportError(HotlineError):
    """The period asked for cannot be reported (bad month, wrong order, too long)."""


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole calendar months in Europe/Berlin, first to last inclusive."""

    first: str
    last: str

    @property
    def months(self) -> list[str]:
        """Return the months of the period, "2026-01", "2026-02", …"""
        # By index, never "step until equal": a last month that is never met cannot make this endless.
        return [str(m) for m in month_range(parse_month(self.first), parse_month(self.last), max_months=MAX_MONTHS)]

    @property
    def starts_at(self) -> datetime:
        """Return the first moment of the period (aware, UTC)."""
        year, month = _split(self.first)
        return datetime(year, month, 1, tzinfo=BERLIN).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """Return the first moment after the period (aware, UTC)."""
        year, month = _split(self.last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(year, month, 1, tzinfo=BERLIN).astimezone(UTC)

    @property
    def first_day(self) -> date:
        """Return the first day of the period."""
        return self.starts_at.astimezone(BERLIN).date()

    @property
    def last_day(self) -> date:
        """Return the last day of the period."""
        return (self.ends_at.astimezone(BERLIN) - timedelta(days=1)).date()


def _split(month: str) -> tuple[int, int]:
    try:
        parsed = parse_month(month)
    except InputError as exc:
        raise ReportError(str(exc), english=exc.english) from None
    return parsed.year, parsed.number


def month_of(at: datetime) -> str:
    """Return the Berlin calendar month of an aware datetime, "2026-11"."""
    return at.astimezone(BERLIN).strftime("%Y-%m")


def default_period(now: datetime) -> Period:
    """Return January to the current month of the current year (Berlin)."""
    local = now.astimezone(BERLIN)
    return Period(f"{local.year:04d}-01", f"{local.year:04d}-{local.month:02d}")


def parse_period(first: str | None, last: str | None, *, now: datetime) -> Period:
    """Return the period from "YYYY-MM" texts; a missing end is the other end, both missing the default."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first and not last:
        return default_period(now)
    first, last = first or last, last or first
    start, end = _split(first), _split(last)
    try:
        month_range(Month(*start), Month(*end), max_months=MAX_MONTHS)
    except InputError as exc:
        raise ReportError(str(exc), english=exc.english) from None
    return Period(str(Month(*start)), str(Month(*end)))


# --- pure helpers --------------------------------------------------------------------------------


def is_night(at: datetime) -> bool:
    """Return True for a moment from 20:00 up to (not including) 06:00 on the Berlin wall clock."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("is_night needs an aware datetime")
    local = at.astimezone(BERLIN).time()
    return local >= NIGHT_STARTS or local < NIGHT_ENDS


def median(values: Sequence[float]) -> float | None:
    """Return the median (mean of the two middle values for an even count), None when empty."""
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Return the p-th percentile by nearest rank (smallest value >= p % of all), None when empty."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


def share(part: int, whole: int) -> float | None:
    """Return part / whole, None when whole is zero."""
    return part / whole if whole else None


def wait_bucket(minutes: float) -> int:
    """Return the index in WAIT_BUCKETS a wait of so many minutes falls into."""
    for index, (lower, upper) in enumerate(WAIT_BUCKETS):
        if minutes >= lower and (upper is None or minutes < upper):
            return index
    return 0  # negative waits (clock skew) count as the shortest


# --- facts: plain values loaded from the database ------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What a report needs of one case (no name, number, address or reference)."""

    created_at: datetime
    connected_at: datetime | None = None
    assigned_at: datetime | None = None
    voicemail: bool = False
    dispatched: bool = False
    offers: int = 0
    care_type: str | None = None
    municipality: str | None = None
    reason: str | None = None
    urgency: str | None = None
    caller_type: str | None = None
    employer: str | None = None
    #: The language the caller chose in the menu ("de" unless she pressed a language key).
    language: str | None = None
    key: int = 0

    def dimensions(self) -> dict[str, str]:
        """Return the value of each breakdown for this case (employer only when linked)."""
        values = {
            TOTAL: ALL,
            "municipality": self.municipality or UNKNOWN,
            "reason": self.reason or UNKNOWN,
            "urgency": self.urgency or UNKNOWN,
            "care_type": self.care_type or UNKNOWN,
            "caller_type": self.caller_type or UNKNOWN,
        }
        if self.employer:
            values["employer"] = self.employer
        values["language"] = self.language or UNKNOWN
        return values


@dataclass(frozen=True)
class CareFacts:
    """One unflagged care session: when it started, how long it ran, and its case."""

    started_at: datetime
    minutes: int
    case: CaseFacts


@dataclass
class Figures:
    """The figures of one group of cases (a month, a municipality, …); exact, before suppression."""

    calls: int = 0
    night_calls: int = 0
    connected: int = 0
    voicemail: int = 0
    sought: int = 0
    filled: int = 0
    within_promise: int = 0
    offers_to_filled: int = 0
    care_minutes: int = 0
    care_cases: int = 0
    human_seconds: list[float] = field(default_factory=list, repr=False)
    caregiver_minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def night_share(self) -> float | None:
        """Return the share of calls at night."""
        return share(self.night_calls, self.calls)

    @property
    def connected_share(self) -> float | None:
        """Return the share of calls that reached a person."""
        return share(self.connected, self.calls)

    @property
    def voicemail_share(self) -> float | None:
        """Return the share of calls that ended on the voicemail."""
        return share(self.voicemail, self.calls)

    @property
    def filled_share(self) -> float | None:
        """Return the share of cases seeking care that got a caregiver."""
        return share(self.filled, self.sought)

    @property
    def promise_share(self) -> float | None:
        """Return the share of filled cases confirmed within 90 minutes of the call."""
        return share(self.within_promise, self.filled)

    @property
    def offers_per_filled(self) -> float | None:
        """Return the offers sent per filled case."""
        return share(self.offers_to_filled, self.filled)

    @property
    def human_median(self) -> float | None:
        """Return the median seconds to a human."""
        return median(self.human_seconds)

    @property
    def human_p90(self) -> float | None:
        """Return the 90th percentile of the seconds to a human."""
        return percentile(self.human_seconds, 90)

    @property
    def caregiver_median(self) -> float | None:
        """Return the median minutes from the call to a confirmed caregiver."""
        return median(self.caregiver_minutes)

    @property
    def caregiver_p90(self) -> float | None:
        """Return the 90th percentile of the minutes from the call to a confirmed caregiver."""
        return percentile(self.caregiver_minutes, 90)

    @property
    def care_hours(self) -> Decimal:
        """Return the care hours (exact, from whole minutes)."""
        return Decimal(self.care_minutes) / Decimal(60)

    def add_case(self, case: CaseFacts) -> None:
        """Count one case."""
        self.calls += 1
        self.night_calls += is_night(case.created_at)
        if case.connected_at is not None:
            self.connected += 1
            seconds = (case.connected_at - case.created_at).total_seconds()
            if seconds >= 0:
                self.human_seconds.append(seconds)
        elif case.voicemail:
            self.voicemail += 1
        if case.dispatched or case.assigned_at is not None:
            self.sought += 1
        if case.assigned_at is not None:
            self.filled += 1
            self.offers_to_filled += case.offers
            wait = case.assigned_at - case.created_at
            if wait >= timedelta(0):
                self.caregiver_minutes.append(wait.total_seconds() / 60)
            if wait <= PROMISE:
                self.within_promise += 1


@dataclass(frozen=True)
class Row:
    """One group of the report: a month (or the whole period), a dimension and its value."""

    month: str
    dimension: str
    value: str
    figures: Figures


@dataclass
class Report:
    """The report for a period: figures per month × dimension × value, and the wait distribution."""

    period: Period
    rows: list[Row]
    #: Filled cases per WAIT_BUCKETS bucket over the whole period.
    wait_histogram: list[int]
    #: Partner employers whose contract overlaps the period (names only).
    partners: list[str]

    def get(self, *, month: str = WHOLE_PERIOD, dimension: str = TOTAL, value: str = ALL) -> Figures:
        """Return one group's figures (empty figures when the group has no cases)."""
        for row in self.rows:
            if (row.month, row.dimension, row.value) == (month, dimension, value):
                return row.figures
        return Figures()

    def find_rows(self, *, dimension: str, month: str = WHOLE_PERIOD) -> list[Row]:
        """Return the rows of one breakdown for a month (or the whole period), largest first."""
        rows = [r for r in self.rows if r.dimension == dimension and r.month == month]
        return sorted(rows, key=lambda r: (r.value == UNKNOWN, -r.figures.calls, -r.figures.care_minutes, r.value))

    def employer_rows(self) -> list[Row]:
        """Return a whole-period row for every partner in contract or with cases, by name."""
        found = {r.value: r for r in self.find_rows(dimension="employer")}
        for name in self.partners:
            found.setdefault(name, Row(WHOLE_PERIOD, "employer", name, Figures()))
        return sorted(found.values(), key=lambda r: r.value.casefold())


def build_report(
    period: Period, cases: Iterable[CaseFacts], care: Iterable[CareFacts], partners: Sequence[str] = ()
) -> Report:
    """Return the report from plain facts: every month and the whole period, every breakdown."""
    groups: dict[tuple[str, str, str], Figures] = defaultdict(Figures)
    months = set(period.months)
    histogram = [0] * len(WAIT_BUCKETS)
    for case in cases:
        month = month_of(case.created_at)
        if month not in months:
            continue
        for dimension, value in case.dimensions().items():
            for key in (month, WHOLE_PERIOD):
                groups[(key, dimension, value)].add_case(case)
        if case.assigned_at is not None:
            histogram[wait_bucket((case.assigned_at - case.created_at).total_seconds() / 60)] += 1
    cared: dict[tuple[str, str, str], set[object]] = defaultdict(set)
    for item in care:
        month = month_of(item.started_at)
        if month not in months or item.minutes <= 0:
            continue
        for dimension, value in item.case.dimensions().items():
            for key in (month, WHOLE_PERIOD):
                groups[(key, dimension, value)].care_minutes += item.minutes
                cared[(key, dimension, value)].add(item.case.key or id(item.case))
    for group, case_keys in cared.items():
        groups[group].care_cases = len(case_keys)
    for month in period.months:  # every month of the period has a total row, even an empty one
        groups.setdefault((month, TOTAL, ALL), Figures())
    groups.setdefault((WHOLE_PERIOD, TOTAL, ALL), Figures())
    order = {m: i for i, m in enumerate([*period.months, WHOLE_PERIOD])}
    rows = [Row(m, d, v, f) for (m, d, v), f in groups.items()]
    rows.sort(key=lambda r: (order[r.month], DIMENSIONS.index(r.dimension), r.value))
    return Report(period=period, rows=rows, wait_histogram=histogram, partners=sorted(partners, key=str.casefold))


# --- suppression and display (shared by the page and the CSV) -------------------------------------

#: The displayed figures of a row, in the CSV's column order (see reports.export for the columns).
SHOWN_FIELDS = (
    "calls", "night_share", "connected_share", "voicemail_share", "human_median", "human_p90",
    "sought", "filled", "filled_share", "caregiver_median", "caregiver_p90", "promise_share",
    "offers_per_filled", "care_hours",
)


def decimal_text(value: float | Decimal, places: int = 1) -> str:
    """Return a number with a decimal comma, rounded half up, "12,5"."""
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):f}".replace(".", ",")


def show_count(n: int) -> str:
    """Return a count as shown: "0", "<3" for 1 and 2, else the number."""
    return SUPPRESSED if 0 < n < MIN_CELL else str(n)


def _stat(value: float | None, basis: int, fmt: Callable[[float], str]) -> str:
    return "" if value is None or basis < MIN_CELL else fmt(value)


def present(figures: Figures) -> dict[str, str]:
    """Return a group's figures as shown, small cells suppressed; "" = not shown or not applicable."""
    percent = lambda v: decimal_text(v * 100)  # noqa: E731
    one = lambda v: decimal_text(v)  # noqa: E731
    whole = lambda v: decimal_text(v, 0)  # noqa: E731
    calls = figures.calls
    return {
        "calls": show_count(calls),
        "night_share": _stat(figures.night_share, calls, percent),
        "connected_share": _stat(figures.connected_share, calls, percent),
        "voicemail_share": _stat(figures.voicemail_share, calls, percent),
        "human_median": _stat(figures.human_median, len(figures.human_seconds), whole),
        "human_p90": _stat(figures.human_p90, len(figures.human_seconds), whole),
        "sought": show_count(figures.sought),
        "filled": show_count(figures.filled),
        "filled_share": _stat(figures.filled_share, figures.sought, percent),
        "caregiver_median": _stat(figures.caregiver_median, len(figures.caregiver_minutes), one),
        "caregiver_p90": _stat(figures.caregiver_p90, len(figures.caregiver_minutes), one),
        "promise_share": _stat(figures.promise_share, figures.filled, percent),
        "offers_per_filled": _stat(figures.offers_per_filled, figures.filled, one),
        "care_hours": ("0,0" if figures.care_cases == 0
                       else decimal_text(figures.care_hours) if figures.care_cases >= MIN_CELL else ""),
    }


def shown_histogram(report: Report) -> list[str]:
    """Return the wait distribution's counts as shown (1 and 2 as "<3")."""
    return [show_count(n) for n in report.wait_histogram]


# --- loading from the database -------------------------------------------------------------------


def find_case_facts(session: Session, *, period: Period) -> list[CaseFacts]:
    """Return the facts of the cases whose call came in during the period (anonymised ones too)."""
    in_period = and_(Case.created_at >= period.starts_at, Case.created_at < period.ends_at)
    dispatched = set(session.scalars(
        select(Dispatch.case_id).join(Case, Case.id == Dispatch.case_id).where(in_period).distinct()
    ))
    offers = dict(session.execute(
        select(Offer.case_id, func.count(Offer.id))
        .join(Case, Case.id == Offer.case_id)
        .where(in_period, Offer.status != OfferStatus.UNDELIVERABLE)
        .group_by(Offer.case_id)
    ).tuples().all())
    employers = dict(session.execute(select(Employer.id, Employer.name)).tuples().all())
    rows = session.execute(
        select(Case.id, Case.created_at, Case.connected_at, Case.assigned_at, Case.dial_stage, Case.care_type,
               Case.municipality, Case.reason, Case.urgency, Case.caller_type, Case.employer_id, Case.language)
        .where(in_period)
        .order_by(Case.created_at, Case.id)
    )
    return [
        CaseFacts(
            key=case_id, created_at=created_at, connected_at=connected_at, assigned_at=assigned_at,
            voicemail=dial_stage == VOICEMAIL_STAGE, dispatched=case_id in dispatched, offers=offers.get(case_id, 0),
            care_type=_value(care_type), municipality=municipality, reason=_value(reason),
            urgency=_value(urgency), caller_type=_value(caller_type),
            employer=employers.get(employer_id) if employer_id is not None else None, language=language,
        )
        for (case_id, created_at, connected_at, assigned_at, dial_stage, care_type, municipality, reason,
             urgency, caller_type, employer_id, language) in rows
    ]


def find_care_facts(session: Session, *, period: Period) -> list[CareFacts]:
    """Return the unflagged, finished care sessions that started in the period, with their cases' facts."""
    employers = dict(session.execute(select(Employer.id, Employer.name)).tuples().all())
    rows = session.execute(
        select(CareSession.started_at, CareSession.ended_at, Case.id, Case.created_at, Case.care_type,
               Case.municipality, Case.reason, Case.urgency, Case.caller_type, Case.employer_id, Case.language)
        .join(Case, Case.id == CareSession.case_id)
        .where(
            CareSession.flag.is_(None),
            CareSession.started_at.is_not(None),
            CareSession.ended_at.is_not(None),
            CareSession.started_at >= period.starts_at,
            CareSession.started_at < period.ends_at,
        )
        .order_by(CareSession.started_at, CareSession.id)
    )
    facts = []
    for started_at, ended_at, case_id, created_at, care_type, municipality, reason, urgency, caller_type, \
            employer_id, language in rows:
        case = CaseFacts(
            key=case_id, created_at=created_at, care_type=_value(care_type), municipality=municipality,
            reason=_value(reason), urgency=_value(urgency), caller_type=_value(caller_type),
            employer=employers.get(employer_id) if employer_id is not None else None, language=language,
        )
        facts.append(CareFacts(started_at=started_at, minutes=elapsed_minutes(started_at, ended_at), case=case))
    return facts


def find_partner_names(session: Session, *, period: Period) -> list[str]:
    """Return the names of the partner employers whose contract overlaps the period."""
    return list(session.scalars(
        select(Employer.name)
        .where(Employer.starts_on <= period.last_day,
               or_(Employer.ends_on.is_(None), Employer.ends_on >= period.first_day))
        .order_by(Employer.name)
    ))


def compile_report(session: Session, *, period: Period) -> Report:
    """Return the report for a period, read from the database (changes nothing)."""
    return build_report(
        period,
        find_case_facts(session, period=period),
        find_care_facts(session, period=period),
        find_partner_names(session, period=period),
    )


def _value(member: object) -> str | None:
    return None if member is None else str(getattr(member, "value", member))
