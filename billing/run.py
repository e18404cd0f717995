"""The monthly billing run: invoices per family (or per case), statements per partner employer.

`run_billing(session, month="2026-11", now=...)`:

- runs once per month: the BillingRun row (month unique) is written first; a month already run
  returns its report and changes nothing;
- refuses a month that has not ended yet (in Berlin), so no care of that month can come too late;
- bills every care session not billed yet whose service day (the Berlin day care STARTED) is in the
  month or earlier — a session a coordinator fixed after its month's run is billed in the next run;
- skips flagged sessions (billing.hours) and lists them; a session still running (started less than
  16 hours ago) is listed as "in_progress" and billed next month; one started longer ago gets the
  flag "missing_end";
- makes one invoice per registered family, or per case when the family did not register; one line
  per session: day, hours per started unit, the tariff code and rate valid on that day, the amount;
- numbers invoices consecutively per year of issue, "2026-0001", and statements "AG-2026-0001"; a
  number is never reused (the next number follows the highest ever issued);
- makes a statement for each partner employer whose contract overlaps the month: the fee (monthly,
  or yearly / 12, prorated by days when the contract starts or ends within the month) and the
  anonymous usage of its staff — cases and care hours billed in this run for cases linked to it,
  no names.

Advice is free: a case without a care session has nothing to bill. The domain flushes, never
commits: the CLI's unit of work commits the whole run or nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from billing.employers import (
    billing_month,
    contract_valid_on,
    find_employers_in_contract,
    month_bounds,
    monthly_fee,
)
from billing.hours import (
    DEFAULT_UNIT_MINUTES,
    MISSING_END,
    assess_times,
    billable_minutes,
    local_time,
    service_day,
    session_amount,
)
from billing.tariffs import BillingError, NoTariff, money, tariff_code_for, tariff_valid_on
from core.clock import BERLIN
from core.database import insert_ignore
from models import (
    BillingRun,
    CareSession,
    CareType,
    Case,
    Employer,
    EmployerStatement,
    Family,
    Invoice,
    InvoiceLine,
    Tariff,
)

#: Listed in the report for a session that is still running when the month is billed (not stored).
IN_PROGRESS = "in_progress"
STATEMENT_PREFIX = "AG-"


class MonthNotOver(BillingError):
    """The month has not ended yet in Hannover."""


@dataclass(frozen=True)
class InvoiceSummary:
    """One invoice of a run, as the report shows it."""

    invoice_id: int
    number: str
    recipient: str
    total: Decimal
    lines: int
    family_id: int | None
    case_id: int | None


@dataclass(frozen=True)
class StatementSummary:
    """One employer statement of a run: the fee and the anonymous usage."""

    statement_id: int
    number: str
    employer: str
    contract_number: str
    fee: Decimal
    prorated: bool
    cases: int
    care_hours: Decimal


@dataclass(frozen=True)
class FlaggedSession:
    """A care session the run did not bill, and why."""

    care_session_id: int
    case_id: int
    case_reference: str
    flag: str
    day: date | None


@dataclass(frozen=True)
class BillingReport:
    """What a monthly run made (or had made, when the month was already billed)."""

    month: str
    run_id: int
    ran_at: datetime
    already_run: bool
    invoices: list[InvoiceSummary] = field(default_factory=list)
    statements: list[StatementSummary] = field(default_factory=list)
    flagged: list[FlaggedSession] = field(default_factory=list)

    @property
    def invoiced_total(self) -> Decimal:
        """Return the sum of the invoices."""
        return money(sum((i.total for i in self.invoices), Decimal(0)))

    @property
    def fees_total(self) -> Decimal:
        """Return the sum of the employers' fees."""
        return money(sum((s.fee for s in self.statements), Decimal(0)))


def month_end_utc(month: str) -> datetime:
    """Return the first instant after a month in Berlin, as UTC."""
    _, last = month_bounds(month)
    return datetime.combine(last + timedelta(days=1), time(0), BERLIN).astimezone(UTC)


def get_billing_run(session: Session, *, month: str) -> BillingRun | None:
    """Return the run of a month, or None."""
    return session.scalars(select(BillingRun).where(BillingRun.month == month)).one_or_none()


def run_billing(
    session: Session, *, month: str, now: datetime, unit_minutes: int = DEFAULT_UNIT_MINUTES
) -> BillingReport:
    """Bill a month once: invoices, employer statements, flagged sessions; a re-run changes nothing."""
    month = billing_month(month)  # one spelling: " 2026-11" is November's run, "２０２６-１１" is refused
    first, last = month_bounds(month)
    if now.astimezone(BERLIN).date() <= last:
        raise MonthNotOver(
            f"Der Monat {month} ist noch nicht vorbei; abrechnen ab {last + timedelta(days=1):%d.%m.%Y} "
            f"(month {month} is not over yet)."
        )
    existing = get_billing_run(session, month=month)
    if existing is not None:
        return billing_report(session, run=existing, now=now, already_run=True)
    session.flush()
    if not insert_ignore(session, BillingRun.__table__, {"month": month, "ran_at": now}, ["month"]):
        return billing_report(session, run=_require_run(session, month), now=now, already_run=True)
    run = _require_run(session, month)

    billable, flagged = _sort_out(session, until=month_end_utc(month), now=now)
    tariffs = list(session.scalars(select(Tariff)))
    billed: list[tuple[CareSession, Case, Decimal]] = []
    invoices = []
    for cases_sessions in _group(session, billable):
        invoice, hours = _make_invoice(session, run=run, month=month, items=cases_sessions, tariffs=tariffs,
                                       now=now, unit_minutes=unit_minutes)
        invoices.append(invoice)
        billed.extend((care, case, hours[care.id]) for care, case in cases_sessions)
    for employer in find_employers_in_contract(session, first=first, last=last):
        _make_statement(session, run=run, month=month, employer=employer, billed=billed, now=now)
    session.flush()
    return billing_report(session, run=run, now=now, already_run=False, flagged=flagged)


def billing_report(
    session: Session,
    *,
    run: BillingRun,
    now: datetime,
    already_run: bool,
    flagged: Sequence[FlaggedSession] | None = None,
) -> BillingReport:
    """Return the report of a run from what it stored (flagged sessions: those still open for its month)."""
    invoices = session.scalars(
        select(Invoice).where(Invoice.billing_run_id == run.id).order_by(Invoice.number)
    ).all()
    line_counts: dict[int, int] = dict(
        session.execute(
            select(InvoiceLine.invoice_id, func.count(InvoiceLine.id))
            .where(InvoiceLine.invoice_id.in_([i.id for i in invoices]))
            .group_by(InvoiceLine.invoice_id)
        ).tuples().all()
    )
    statements = session.execute(
        select(EmployerStatement, Employer)
        .join(Employer, Employer.id == EmployerStatement.employer_id)
        .where(EmployerStatement.billing_run_id == run.id)
        .order_by(EmployerStatement.number)
    ).all()
    if flagged is None:
        flagged = _flagged_read_only(session, until=month_end_utc(run.month), now=now)
    return BillingReport(
        month=run.month,
        run_id=run.id,
        ran_at=run.ran_at,
        already_run=already_run,
        invoices=[
            InvoiceSummary(i.id, i.number, i.recipient_name, i.total, line_counts.get(i.id, 0), i.family_id, i.case_id)
            for i in invoices
        ],
        statements=[
            StatementSummary(s.id, s.number, e.name, e.contract_number, s.fee, s.prorated, s.cases, s.care_hours)
            for s, e in statements
        ],
        flagged=list(flagged),
    )


def find_invoices(session: Session, *, month: str) -> list[Invoice]:
    """Return the invoices of a month, by number."""
    return list(session.scalars(select(Invoice).where(Invoice.month == month).order_by(Invoice.number)))


def find_statements(session: Session, *, month: str) -> list[EmployerStatement]:
    """Return the employer statements of a month, by number."""
    return list(
        session.scalars(
            select(EmployerStatement).where(EmployerStatement.month == month).order_by(EmployerStatement.number)
        )
    )


def find_invoice_lines(session: Session, *, invoice: Invoice) -> list[InvoiceLine]:
    """Return an invoice's lines in the order of the care days."""
    return list(
        session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.service_date, InvoiceLine.id)
        )
    )


def get_invoice_by_number(session: Session, number: str) -> Invoice | None:
    """Return an invoice by its number, or None."""
    return session.scalars(select(Invoice).where(Invoice.number == number)).one_or_none()


def next_number(session: Session, *, model: type[Invoice] | type[EmployerStatement], prefix: str) -> str:
    """Return the next number of a series "<prefix>0001" (one past the highest ever issued)."""
    numbers = session.scalars(select(model.number).where(model.number.startswith(prefix, autoescape=True))).all()
    highest = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


# --- the steps ---------------------------------------------------------------------------------


def _require_run(session: Session, month: str) -> BillingRun:
    run = get_billing_run(session, month=month)
    if run is None:  # pragma: no cover - it was just inserted
        raise BillingError(f"billing run {month} vanished")
    return run


def _candidates(session: Session, *, until: datetime) -> list[tuple[CareSession, Case]]:
    """Return unbilled sessions whose service day lies before `until`, with their cases."""
    rows = session.execute(
        select(CareSession, Case)
        .join(Case, Case.id == CareSession.case_id)
        .where(
            CareSession.invoice_id.is_(None),
            or_(
                CareSession.started_at < until,
                and_(CareSession.started_at.is_(None), CareSession.ended_at < until),
            ),
        )
        .order_by(CareSession.started_at, CareSession.id)
    ).all()
    return [(care, case) for care, case in rows]


def _sort_out(
    session: Session, *, until: datetime, now: datetime
) -> tuple[list[tuple[CareSession, Case]], list[FlaggedSession]]:
    """Split the candidates into billable sessions and flagged ones; store "missing_end" where due."""
    billable, flagged = [], []
    for care, case in _candidates(session, until=until):
        if care.flag is None and care.started_at is not None and care.ended_at is None:
            if assess_times(started_at=care.started_at, ended_at=None, opened_at=case.created_at,
                            now=now) == MISSING_END:
                care.flag = MISSING_END
                care.updated_at = now
            else:
                flagged.append(FlaggedSession(care.id, case.id, case.reference, IN_PROGRESS, service_day(care)))
                continue
        if care.flag is not None:
            flagged.append(FlaggedSession(care.id, case.id, case.reference, care.flag, service_day(care)))
            continue
        billable.append((care, case))
    return billable, flagged


def _flagged_read_only(session: Session, *, until: datetime, now: datetime) -> list[FlaggedSession]:
    """Return the unbilled sessions up to `until` that a run would skip, changing nothing."""
    found = []
    for care, case in _candidates(session, until=until):
        flag = care.flag
        if flag is None and care.ended_at is None:
            flag = assess_times(started_at=care.started_at, ended_at=None, opened_at=case.created_at,
                                now=now) or IN_PROGRESS
        if flag is not None:
            found.append(FlaggedSession(care.id, case.id, case.reference, flag, service_day(care)))
    return found


def _group(session: Session, billable: Sequence[tuple[CareSession, Case]]) -> list[list[tuple[CareSession, Case]]]:
    """Group sessions by registered family, else by case; groups ordered by their first care day."""
    groups: dict[tuple[str, int], list[tuple[CareSession, Case]]] = defaultdict(list)
    for care, case in billable:
        key = ("family", case.family_id) if case.family_id is not None else ("case", case.id)
        groups[key].append((care, case))
    return sorted(groups.values(), key=lambda items: (items[0][0].started_at, items[0][1].id))


def _make_invoice(
    session: Session,
    *,
    run: BillingRun,
    month: str,
    items: Sequence[tuple[CareSession, Case]],
    tariffs: Sequence[Tariff],
    now: datetime,
    unit_minutes: int,
) -> tuple[Invoice, dict[int, Decimal]]:
    """Write one invoice with a line per session; return it and the hours billed per session id."""
    first_case = items[0][1]
    family = session.get(Family, first_case.family_id) if first_case.family_id is not None else None
    if family is not None:
        recipient, address = family.name, family.address
    else:
        recipient = first_case.parent_name or f"Familie (Fall {first_case.reference})"
        address = first_case.address
    issued_on = now.astimezone(BERLIN).date()
    invoice = Invoice(
        number=next_number(session, model=Invoice, prefix=f"{issued_on.year}-"),
        month=month,
        billing_run_id=run.id,
        family_id=family.id if family else None,
        case_id=None if family else first_case.id,
        recipient_name=recipient[:120],
        recipient_address=address,
        total=money(0),
        issued_on=issued_on,
        created_at=now,
    )
    session.add(invoice)
    session.flush()
    total = Decimal(0)
    hours_by_session: dict[int, Decimal] = {}
    for care, case in sorted(items, key=lambda item: (item[0].started_at, item[0].id)):
        assert care.started_at is not None and care.ended_at is not None
        day = service_day(care)
        assert day is not None
        employer = session.get(Employer, case.employer_id) if case.employer_id is not None else None
        code = tariff_code_for(case, family, employer is not None and contract_valid_on(employer, day))
        tariff = tariff_valid_on(tariffs, code=code, day=day)
        if tariff is None:
            raise NoTariff(
                f"Kein Tarif {code!r} am {day:%d.%m.%Y} gültig (Fall {case.reference}): bitte in der "
                f"Tariftabelle ergänzen, dann erneut abrechnen (no tariff {code!r} on {day.isoformat()})."
            )
        minutes = billable_minutes(care.started_at, care.ended_at, unit_minutes=unit_minutes)
        hours = money(Decimal(minutes) / Decimal(60))
        amount = session_amount(minutes=minutes, hourly_rate=tariff.hourly_rate)
        session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                care_session_id=care.id,
                service_date=day,
                description=_describe(case, care)[:200],
                hours=hours,
                tariff_code=tariff.code,
                hourly_rate=tariff.hourly_rate,
                amount=amount,
            )
        )
        care.invoice_id = invoice.id
        care.updated_at = now
        total += amount
        hours_by_session[care.id] = hours
    invoice.total = money(total)
    session.flush()
    return invoice, hours_by_session


def _describe(case: Case, care: CareSession) -> str:
    """Return a line's text: the kind of care, the local times, the case reference (no names)."""
    assert care.started_at is not None and care.ended_at is not None
    kind = "Betreuung Angehörige" if case.care_type is CareType.ELDERCARE else "Kinderbetreuung"
    start, end = care.started_at.astimezone(BERLIN), care.ended_at.astimezone(BERLIN)
    until = local_time(end) if end.date() == start.date() else f"{end:%d.%m.} {local_time(end)}"
    return f"{kind} {local_time(start)}–{until} Uhr (Fall {case.reference})"


def _make_statement(
    session: Session,
    *,
    run: BillingRun,
    month: str,
    employer: Employer,
    billed: Sequence[tuple[CareSession, Case, Decimal]],
    now: datetime,
) -> EmployerStatement:
    """Write an employer's statement: its fee for the month and the anonymous usage of its staff."""
    fee, prorated = monthly_fee(employer, month=month)
    mine = [(care, case, hours) for care, case, hours in billed if case.employer_id == employer.id]
    year = now.astimezone(BERLIN).year
    statement = EmployerStatement(
        number=next_number(session, model=EmployerStatement, prefix=f"{STATEMENT_PREFIX}{year}-"),
        employer_id=employer.id,
        month=month,
        billing_run_id=run.id,
        fee=fee,
        cases=len({case.id for _, case, _ in mine}),
        care_hours=money(sum((hours for _, _, hours in mine), Decimal(0))),
        created_at=now,
        prorated=prorated,
    )
    session.add(statement)
    session.flush()
    return statement
