"""A demo made before the demo flag existed keeps living: the migrations mark its rows, `demo load` renews it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core import migrate
from core.database import make_engine
from demo import load_demo, real_data_found
from roster.demo import DEMO_COORDINATORS
from tests.conftest import BACKENDS

SCHEMA = "demo_migration_test"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (PostgreSQL: a schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    base = os.environ["TEST_DATABASE_URL"]
    engine = make_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}")
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def test_a_demo_from_before_the_flag_is_recognised_and_renewed(fresh: Engine) -> None:
    with fresh.begin() as conn:
        migrate.upgrade(connection=conn, revision="0005")
        # What the earlier `demo load` wrote (a shift of last month, the billing set-up, the demo lead).
        name, phone = DEMO_COORDINATORS[0]
        start = NOW - timedelta(days=30)
        conn.execute(text("INSERT INTO shifts (name, phone, starts_at, ends_at, role) VALUES (:n, :p, :s, :e, 'primary')"),
                     {"n": name, "p": phone, "s": start, "e": start + timedelta(hours=8)})
        conn.execute(text("INSERT INTO tariffs (code, name, hourly_rate, valid_from) VALUES "
                          "('regular', 'Regeltarif', 5, :d)"), {"d": date(2016, 1, 1)})
        conn.execute(text("INSERT INTO member_municipalities (municipality, starts_on) VALUES ('Hannover', :d)"),
                     {"d": date(2016, 1, 1)})
        conn.execute(text("INSERT INTO families (name, registered_on, created_at, children) "
                          "VALUES ('Familie Yıldız-Bauer', :d, :t, '[]')"), {"d": date(2025, 9, 1), "t": start})
        family_id = conn.execute(text("SELECT id FROM families")).scalar_one()
        conn.execute(text("INSERT INTO family_phones (family_id, phone) VALUES (:f, '+4915112340001')"),
                     {"f": family_id})
        conn.execute(text("INSERT INTO users (username, name, role, password_hash, language, active, created_at) "
                          "VALUES ('leitung', 'Demo-Leitung', 'lead', 'x', 'de', :y, :t)"), {"y": True, "t": start})
    with fresh.begin() as conn:
        migrate.upgrade(connection=conn)
    with Session(fresh) as session:
        assert real_data_found(session) == []
        result = load_demo(session, now=NOW, lead_password="neues-passwort-1", simulator_mode=True)
        assert result.shifts == 90 and result.lead_password is None  # renewed; the old lead is kept
        session.rollback()


def test_a_real_tariff_is_not_taken_for_the_demo(fresh: Engine) -> None:
    with fresh.begin() as conn:
        migrate.upgrade(connection=conn, revision="0005")
        conn.execute(text("INSERT INTO tariffs (code, name, hourly_rate, valid_from) VALUES "
                          "('regular', 'Regeltarif', 5, :d)"), {"d": date(2016, 1, 1)})
    with fresh.begin() as conn:
        migrate.upgrade(connection=conn)
    with Session(fresh) as session:
        assert real_data_found(session) == ["Tarife / tariffs"]
