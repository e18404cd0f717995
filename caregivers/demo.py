"""Demo caregivers, so a fresh installation has somebody to offer a case to: twenty invented people."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import BERLIN
from models.caregiver import Caregiver

# Invented people across Region Hannover. Numbers come from the Bundesnetzagentur's mobile range
# reserved for film and TV (0171 39200000–39299999), away from roster/demo.py's coordinators.
# Columns: name, phone, postcode, radius km, min age, max age, eldercare, languages,
#          police certificate age in days (None: not on file), first-aid course age in days.
DEMO_CAREGIVERS: tuple[tuple[str, str, str, float, int, int, bool, tuple[str, ...], int | None, int], ...] = (
    ("Marta Kowalski", "+4917139200101", "30159", 10, 0, 6, False, ("de", "pl"), 400, 200),
    ("Aylin Demir", "+4917139200102", "30451", 8, 1, 10, False, ("tr", "de"), 900, 500),
    ("Sabine Hoppe", "+4917139200103", "30161", 12, 0, 3, False, ("de",), 1500, 300),
    ("Olena Shevchenko", "+4917139200104", "30625", 15, 2, 12, True, ("uk", "ru", "de"), 200, 100),
    ("Rania Haddad", "+4917139200105", "30453", 10, 3, 13, False, ("ar", "de", "en"), 1780, 650),
    ("Inge Brockmann", "+4917139200106", "30880", 20, 0, 6, True, ("de",), 1200, 800),
    ("Tobias Reinhold", "+4917139200107", "30851", 15, 4, 13, False, ("de", "en"), 300, 90),
    ("Fatma Yıldız", "+4917139200108", "30823", 18, 0, 8, True, ("tr", "de"), 1810, 400),
    ("Natalia Morozova", "+4917139200109", "31515", 25, 0, 13, True, ("ru", "de"), 700, 720),
    ("Greta Lindqvist", "+4917139200110", "30171", 5, 0, 2, False, ("de", "en"), 60, 30),
    ("Heike Pape", "+4917139200111", "31275", 25, 3, 13, True, ("de",), None, 600),
    ("Samira El-Amin", "+4917139200112", "30539", 10, 0, 10, False, ("ar", "en", "de"), 1000, 1000),
    ("Jana Wolters", "+4917139200113", "30900", 22, 1, 6, False, ("de",), 500, 250),
    ("Elif Aksoy", "+4917139200114", "30655", 12, 0, 5, False, ("de", "tr", "en"), 1100, 380),
    ("Margarete Stöver", "+4917139200115", "30982", 20, 5, 13, True, ("de",), 1300, 900),
    ("Yulia Bondarenko", "+4917139200116", "30989", 15, 0, 4, False, ("uk", "de"), 150, 150),
    ("Clara Neumann", "+4917139200117", "31303", 20, 2, 10, True, ("de", "en"), 1600, 420),
    ("Daniel Okafor", "+4917139200118", "30167", 8, 3, 13, False, ("en", "de"), 800, 120),
    ("Brigitte Kühn", "+4917139200119", "30966", 15, 0, 13, True, ("de",), 1750, 760),
    ("Leyla Karimi", "+4917139200120", "30926", 18, 0, 7, False, ("de", "en"), 450, 330),
)
#: One of them has sent STOP: she stays on the list but gets no offers.
OPTED_OUT = "+4917139200113"


def load_demo_caregivers(session: Session, *, now: datetime) -> int:
    """Add the demo caregivers not yet there, unless a real caregiver exists; return how many were added."""
    if session.scalar(select(func.count()).select_from(Caregiver).where(Caregiver.demo.is_(False))):
        return 0
    present = set(session.scalars(select(Caregiver.phone)))
    today = now.astimezone(BERLIN).date()
    added = 0
    for (
        name,
        phone,
        postcode,
        radius,
        min_age,
        max_age,
        eldercare,
        languages,
        certificate,
        first_aid,
    ) in DEMO_CAREGIVERS:
        if phone in present:
            continue
        added += 1
        session.add(
            Caregiver(
                name=name,
                phone=phone,
                postcode=postcode,
                max_distance_km=float(radius),
                min_age=min_age,
                max_age=max_age,
                eldercare=eldercare,
                languages=list(languages),
                active=True,
                opted_out=phone == OPTED_OUT,
                opted_out_at=now if phone == OPTED_OUT else None,
                police_certificate_date=_days_before(today, certificate),
                police_certificate_excluded=False,
                first_aid_date=_days_before(today, first_aid),
                created_at=now,
                updated_at=now,
                demo=True,
            )
        )
    session.flush()
    return added


def _days_before(today: date, days: int | None) -> date | None:
    """Return the date `days` before today, or None."""
    return None if days is None else today - timedelta(days=days)
