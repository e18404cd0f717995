"""Demo data for billing: the historical tariffs, member municipalities, two partner employers, a family.

Idempotent: every row is looked up by its natural key first, so loading twice adds nothing. The
names are invented; the rates are Fluxx's historical ones (5, 3 and 2 euros per hour), which the
code itself never assumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.families import find_family_by_phone, register_family
from billing.tariffs import PARTNER, REGULAR, STUDENT
from models import Employer, MemberMunicipality, Tariff

DEMO_TARIFFS = (
    (REGULAR, "Regeltarif", Decimal("5.00")),
    (PARTNER, "Beschäftigte von Partnerunternehmen", Decimal("3.00")),
    (STUDENT, "Studierende", Decimal("2.00")),
)
TARIFFS_FROM = date(2016, 1, 1)

#: Hannover since 2016; the surrounding municipalities join step by step on two-year contracts
#: (renewed or not). Every other municipality of the region is not a member.
DEMO_MEMBERSHIPS = (
    ("Hannover", date(2016, 1, 1), None),
    ("Langenhagen", date(2022, 1, 1), date(2023, 12, 31)),
    ("Langenhagen", date(2024, 1, 1), date(2025, 12, 31)),
    ("Langenhagen", date(2026, 1, 1), date(2027, 12, 31)),
    ("Laatzen", date(2024, 7, 1), date(2026, 6, 30)),
    ("Laatzen", date(2026, 7, 1), date(2028, 6, 30)),
    ("Garbsen", date(2025, 1, 1), date(2026, 12, 31)),
    ("Hemmingen", date(2026, 1, 1), date(2027, 12, 31)),
    ("Seelze", date(2027, 1, 1), date(2028, 12, 31)),
    # Burgwedel tried Fluxx for two years and did not renew.
    ("Burgwedel", date(2021, 1, 1), date(2022, 12, 31)),
)

#: The demo family's phone: call the simulator from it (`simulate call --from`) to see "bekannte Familie".
DEMO_FAMILY_PHONE = "+4915112340001"
DEMO_FAMILY_NAME = "Familie Yıldız-Bauer"


@dataclass(frozen=True)
class DemoEmployer:
    """A partner employer of the demo."""

    contract_number: str
    name: str
    starts_on: date
    ends_on: date | None
    fee_period: str
    fee_amount: Decimal
    headcount_tier: str
    contact_name: str
    contact_email: str


DEMO_EMPLOYERS = (
    DemoEmployer(
        "FX-2019-004", "Nordstadt-Klinikum gGmbH", date(2019, 1, 1), None, "yearly", Decimal("6000.00"),
        "501 bis 2.000 Beschäftigte", "Frau Lindner (Personalabteilung)", "personal@nordstadt-klinikum.example",
    ),
    DemoEmployer(
        "FX-2024-017", "Leinebäckerei Hoffmann GmbH", date(2024, 3, 1), date(2026, 12, 31), "monthly",
        Decimal("120.00"), "bis 50 Beschäftigte", "Herr Hoffmann", "info@leinebaeckerei.example",
    ),
)


def load_demo_billing(session: Session, *, now: datetime) -> dict[str, int]:
    """Add the demo's tariffs, memberships, employers and family where missing; return how many rows were added."""
    added = {"tariffs": 0, "memberships": 0, "employers": 0, "families": 0}
    for code, name, rate in DEMO_TARIFFS:
        if session.scalars(select(Tariff).where(Tariff.code == code, Tariff.valid_from == TARIFFS_FROM)).first() is None:
            session.add(Tariff(code=code, name=name, hourly_rate=rate, valid_from=TARIFFS_FROM, valid_to=None,
                               demo=True))
            added["tariffs"] += 1
    for municipality, starts_on, ends_on in DEMO_MEMBERSHIPS:
        exists = session.scalars(
            select(MemberMunicipality).where(
                MemberMunicipality.municipality == municipality, MemberMunicipality.starts_on == starts_on
            )
        ).first()
        if exists is None:
            session.add(MemberMunicipality(municipality=municipality, starts_on=starts_on, ends_on=ends_on, demo=True))
            added["memberships"] += 1
    employers: dict[str, Employer] = {}
    for demo in DEMO_EMPLOYERS:
        employer = session.scalars(select(Employer).where(Employer.contract_number == demo.contract_number)).first()
        if employer is None:
            employer = Employer(
                name=demo.name, contract_number=demo.contract_number, starts_on=demo.starts_on,
                ends_on=demo.ends_on, fee_period=demo.fee_period, fee_amount=demo.fee_amount,
                headcount_tier=demo.headcount_tier, contact_name=demo.contact_name,
                contact_email=demo.contact_email, created_at=now, demo=True,
            )
            session.add(employer)
            added["employers"] += 1
        employers[demo.contract_number] = employer
    session.flush()
    if find_family_by_phone(session, DEMO_FAMILY_PHONE) is None:
        family = register_family(
            session,
            name=DEMO_FAMILY_NAME,
            phones=[DEMO_FAMILY_PHONE],
            now=now,
            registered_on=date(2025, 9, 1),
            address="Lister Meile 12, 30161 Hannover",
            postcode="30161",
            employer=employers["FX-2019-004"],
            children=[{"first_name": "Elif", "birth_year": 2021}, {"first_name": "Jonas", "birth_year": 2023}],
            pickup_authorised="Oma Bauer (Tel. auf dem Anmeldebogen)",
            notes="Elif: Erdnussallergie.",
        )
        family.demo = True
        added["families"] += 1
    session.flush()
    return added
