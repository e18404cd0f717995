"""Load, renew and remove the demo: every row it makes carries `demo = true`, real rows are never touched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from accounts import create_user
from billing import load_demo_billing
from caregivers.demo import load_demo_caregivers
from core.database import rowcount
from core.errors import HotlineError
from core.settings import default
from demo.history import load_demo_history
from models import (
    BillingRun,
    Caregiver,
    Case,
    CoordinatorLanguages,
    Employer,
    EmployerStatement,
    Family,
    Invoice,
    MemberMunicipality,
    Role,
    Shift,
    Tariff,
    User,
)
from roster.demo import DEMO_COORDINATORS, DEMO_LANGUAGES, load_demo_roster

#: The demo lead's sign-in name (created only when the database has no users at all).
DEMO_LEAD_USERNAME = "leitung"
DEMO_LEAD_NAME = "Demo-Leitung"

#: Tables whose non-demo rows mean "this database is in real use": the set-up an office enters.
#: Users and cases are left out on purpose: trying the demo adds colleagues and (simulated) calls.
REAL_DATA_TABLES = (
    (Shift, "Dienstplan / roster"),
    (Caregiver, "Betreuungskräfte / caregivers"),
    (Family, "Familien / families"),
    (Employer, "Partnerunternehmen / partner employers"),
    (Tariff, "Tarife / tariffs"),
    (MemberMunicipality, "Mitgliedskommunen / member municipalities"),
    (Invoice, "Rechnungen / invoices"),
)
#: Deleted in this order by `demo remove` (children before the rows they reference with RESTRICT;
#: a case takes its timeline, dispatches, offers and care sessions along by ON DELETE CASCADE).
REMOVE_ORDER = (
    Invoice, EmployerStatement, Case, Family, Employer, Caregiver, Shift, Tariff, MemberMunicipality, User,
)


class DemoRefused(HotlineError):
    """The database holds real data (or the app talks to real Twilio): the demo stays out."""


@dataclass
class DemoLoad:
    """What one `demo load` did."""

    shifts: int = 0
    caregivers: int = 0
    billing: dict[str, int] = field(default_factory=dict)
    lead_password: str | None = None
    #: What the demo history added (empty when it was not asked for).
    history: dict[str, int] = field(default_factory=dict)


def real_data_found(session: Session) -> list[str]:
    """Return the names of the tables that hold rows `demo load` did not make."""
    return [
        label
        for model, label in REAL_DATA_TABLES
        if session.scalar(select(exists().where(model.demo.is_(False))))
    ]


def load_demo(
    session: Session,
    *,
    now: datetime,
    lead_password: str,
    simulator_mode: bool,
    history: bool = False,
    retention_months: int = default("case_retention_months"),
    unit_minutes: int = default("billing_unit_minutes"),
) -> DemoLoad:
    """Load or renew the demo (roster through today + 14 days, history up to yesterday); refuse a real database."""
    if not simulator_mode:
        raise DemoRefused(
            "Twilio-Zugangsdaten sind gesetzt: Demo-Daten nur im Simulator-Modus.",
            english="Twilio credentials are set: demo data only in simulator mode.",
        )
    found = real_data_found(session)
    if found:
        raise DemoRefused(
            "Die Datenbank enthält echte Daten (" + ", ".join(found) + "); keine Demo-Daten geladen.",
            english="The database holds real data (" + ", ".join(found) + "); no demo data loaded.",
        )
    result = DemoLoad(
        shifts=load_demo_roster(session, now=now),
        caregivers=load_demo_caregivers(session, now=now),
        billing=load_demo_billing(session, now=now),
    )
    if not session.scalar(select(exists().where(User.id.is_not(None)))):
        # The lead gets the first demo coordinator's phone, so "Zurückrufen" can ring her in the simulator.
        user = create_user(
            session,
            username=DEMO_LEAD_USERNAME,
            name=DEMO_LEAD_NAME,
            role="lead",
            password=lead_password,
            now=now,
            phone=DEMO_COORDINATORS[0][1],
        )
        user.demo = True
        result.lead_password = lead_password
    if history:
        result.history = load_demo_history(
            session, now=now, retention_months=retention_months, unit_minutes=unit_minutes
        )
    session.flush()
    return result


def remove_demo(session: Session) -> dict[str, int]:
    """Delete every demo row (cases take their timeline, offers and care sessions along); return counts."""
    removed: dict[str, int] = {}
    for model in REMOVE_ORDER:
        table = model.__table__
        statement = delete(model).where(model.demo.is_(True))
        removed[table.name] = rowcount(session.execute(statement, execution_options={"synchronize_session": False}))
    # The demo coordinators' languages belong to their invented numbers, which no real person has.
    removed["coordinator_languages"] = rowcount(session.execute(
        delete(CoordinatorLanguages).where(CoordinatorLanguages.phone.in_(sorted(DEMO_LANGUAGES))),
        execution_options={"synchronize_session": False}))
    # A billing run that billed only demo rows has nothing left to point at it.
    runs = delete(BillingRun).where(
        BillingRun.demo.is_(True),
        ~exists().where(Invoice.billing_run_id == BillingRun.id),
        ~exists().where(EmployerStatement.billing_run_id == BillingRun.id),
    )
    removed["billing_runs"] = rowcount(session.execute(runs, execution_options={"synchronize_session": False}))
    session.flush()
    return removed


def find_lead_usernames(session: Session) -> list[str]:
    """Return the sign-in names of the active leads, for the hint on how to get a new login."""
    return list(
        session.scalars(select(User.username).where(User.role == Role.LEAD, User.active.is_(True)).order_by(User.id))
    )
