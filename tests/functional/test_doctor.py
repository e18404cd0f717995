"""`flask --app app doctor` and the lead's /doctor page, against a test database and the Twilio stand-in."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from accounts import create_user
from core.settings import Settings
from models import WorkerHeartbeat
from models.billing import MemberMunicipality
from models.outbox import OutboxMessage, OutboxStatus
from tests.factories import make_shift
from tests.factories_dispatch import make_caregiver
from tests.fixtures_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, assert_accepted_by_twilio_api
from tests.helpers import TEST_TOKEN
from tests.twilio_standin import TwilioStandIn

HOTLINE = "+4951187654321"
BASE = "https://hotline.example.org"
RIGHT = {
    "voice_url": f"{BASE}/voice/incoming", "voice_fallback_url": f"{BASE}/voice/fallback",
    "status_callback": f"{BASE}/voice/status", "sms_url": f"{BASE}/sms/incoming",
    "sms_fallback_url": f"{BASE}/sms/fallback",
}


@pytest.fixture
def settings(twilio_standin: TwilioStandIn) -> Settings:
    """A production-like hotline: Twilio credentials (the stand-in), https base URL, fallback number."""
    return Settings(
        database_url="sqlite://", twilio_account_sid=TEST_ACCOUNT_SID, twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_api_base=twilio_standin.base_url, hotline_number=HOTLINE, public_base_url=BASE,
        fallback_number="+495111680000", simulator_auth_token=TEST_TOKEN,
    )


@pytest.fixture
def healthy(app: Any, session: Any, clock: Any, twilio_standin: TwilioStandIn) -> None:
    """Everything the doctor wants: worker ticking, roster full, a lead, certified caregivers, number set."""
    now = clock.now()
    app.config["SECRET_KEY"] = "k" * 64  # from the environment, not instance/secret_key
    session.add(WorkerHeartbeat(name="host-a:4242", last_tick_at=now - timedelta(seconds=3)))
    make_shift(session, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=15))
    create_user(session, username="lea", name="Lea", role="lead", password="ein-langes-passwort", now=now)
    session.add(MemberMunicipality(municipality="Hannover", starts_on=date(2020, 1, 1)))
    session.add(MemberMunicipality(municipality="Laatzen", starts_on=date(2020, 1, 1)))
    make_caregiver(session, now=now)  # 30159 Hannover
    make_caregiver(session, phone="+4916000000019", now=now, postcode="30880")  # Laatzen
    session.flush()
    twilio_standin.add_number(HOTLINE, **RIGHT)


def _doctor(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["doctor", *args])


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_a_healthy_setup_is_all_ok_and_exits_zero(
    app: Any, healthy: None, twilio_standin: TwilioStandIn, twilio_openapi: Any
) -> None:
    result = _doctor(app, "--language", "en")

    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert len(lines) == 13 and all(line.startswith("ok") for line in lines), result.output
    assert "schema current" in result.output
    assert "Worker ticking (3 s ago" in result.output and "host-a:4242" in result.output
    assert "points all its webhooks (POST) at this app" in result.output
    assert twilio_standin.number_requests("POST") == []  # the doctor only reads
    for record in twilio_standin.requests:
        assert_accepted_by_twilio_api(record, twilio_openapi)


def test_a_broken_prompt_file_is_an_error_and_the_unreviewed_languages_are_named(
    app: Any, healthy: None, tmp_path: Any, monkeypatch: Any
) -> None:
    source = Path(__file__).resolve().parents[2] / "ivr" / "prompts"
    for path in source.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path))
    [prompts] = [line for line in _lines(_doctor(app, "--language", "en").output) if "Prompts" in line]
    assert prompts.startswith("ok") and "not yet reviewed by a native speaker: Turkish, Arabic, Russian" in prompts

    (tmp_path / "uk.toml").write_text("[welcome\n", encoding="utf-8")
    result = _doctor(app, "--language", "en")
    assert result.exit_code == 1
    [prompts] = [line for line in _lines(result.output) if "Prompt file" in line]
    assert prompts.startswith("error") and "uk: cannot read prompt file" in prompts and "LANGUAGES" in prompts


def test_each_problem_is_one_error_line_with_advice(
    app: Any, healthy: None, session: Any, clock: Any, twilio_standin: TwilioStandIn
) -> None:
    now = clock.now()
    [number] = twilio_standin.numbers.values()
    number["sms_url"] = "https://old.example.org/sms"
    session.get(WorkerHeartbeat, "host-a:4242").last_tick_at = now - timedelta(minutes=10)
    session.add(OutboxMessage(dedupe_key="stuck-1", purpose="offer", to_number="+4916000000011", body="x",
                              status=OutboxStatus.PENDING, next_attempt_at=now - timedelta(minutes=20),
                              created_at=now - timedelta(minutes=20)))
    session.add(MemberMunicipality(municipality="Wunstorf", starts_on=date(2020, 1, 1)))
    session.flush()

    result = _doctor(app)

    assert result.exit_code == 1
    errors = [line for line in _lines(result.output) if line.startswith("error")]
    assert len(errors) == 4, result.output
    assert any("Der Worker tickt nicht: letzter Tick vor 600 s (host-a:4242)" in e for e in errors)
    assert any("zeigt nicht überall auf diese App: sms_url" in e and "twilio configure" in e for e in errors)
    assert any("1 SMS/Anruf(e) hängen im Postausgang, der älteste seit 20 min" in e for e in errors)
    assert any("Ohne Betreuungskraft mit gültigem Führungszeugnis: Wunstorf" in e for e in errors)


def test_roster_gaps_are_named(app: Any, healthy: None, session: Any, clock: Any) -> None:
    now = clock.now()  # Monday 23 Nov 2026, 10:00 in Hannover
    make_shift(session, phone="+4915700000009", starts_at=now + timedelta(days=20))
    from models import Shift

    for shift in session.query(Shift).all():
        if shift.starts_at < now:
            shift.ends_at = now + timedelta(days=2)  # ends Wednesday 10:00
    session.flush()

    result = _doctor(app, "--language", "en")

    assert result.exit_code == 1
    [roster] = [line for line in _lines(result.output) if "Roster" in line]
    assert roster.startswith("error")
    assert "Wed 25.11. 10:00 – Sat 28.11. 24:00" in roster
    assert "Add shifts" in roster


def test_wrong_credentials_and_missing_lead_and_fallback(app: Any, session: Any, settings: Settings) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(twilio_auth_token="wrong", fallback_number=None)

    result = _doctor(app, "--language", "en")

    assert result.exit_code == 1
    assert "refuses the credentials (error 20003)" in result.output
    assert "No active lead user" in result.output
    assert "FALLBACK_NUMBER is not set" in result.output
    assert "SECRET_KEY is the locally generated development value" in result.output
    assert "Traceback" not in result.output


def test_an_unmigrated_database_is_reported_not_crashed(app: Any, healthy: None, tmp_path: Any) -> None:
    from core.database import Database

    app.extensions["fluxx"].database = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    result = _doctor(app, "--language", "en")

    assert result.exit_code == 1
    assert "schema is at empty" in result.output and "flask --app app db upgrade" in result.output
    assert "worker: not checked" in result.output


def _sign_in(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": "ein-langes-passwort", "csrf_token": token})
    return client


def test_the_lead_sees_the_checks_as_a_page_in_her_language(app: Any, healthy: None, session: Any) -> None:
    client = _sign_in(app, "lea")

    page = client.get("/doctor").get_data(as_text=True)
    assert "Systemcheck" in page and "Keine Fehler" in page
    assert 'href="/doctor"' in page  # the menu link
    assert "Datenbank erreichbar, Schema aktuell" in page

    client.get("/lang/en")
    english = client.get("/doctor").get_data(as_text=True)
    assert "System check" in english and "Database reachable, schema current" in english


def test_coordinators_do_not_see_the_doctor(app: Any, healthy: None, session: Any, clock: Any) -> None:
    create_user(session, username="kim", name="Kim", role="coordinator", password="ein-langes-passwort",
                now=clock.now())
    client = _sign_in(app, "kim")
    assert client.get("/doctor").status_code == 403
    assert app.test_client().get("/doctor").status_code in (302, 401)


def test_on_postgresql_the_lock_holders_session_is_named(app: Any, healthy: None, engine: Any, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only")
    from sqlalchemy import text

    from core.database import WORKER_LOCK_KEY

    with engine.connect() as holder:
        pid = holder.scalar(text("SELECT pg_backend_pid()"))
        holder.scalar(text("SELECT pg_advisory_lock(:key)"), {"key": WORKER_LOCK_KEY})
        try:
            result = _doctor(app, "--language", "en")
        finally:
            holder.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": WORKER_LOCK_KEY})

    assert f"the lock is held by host-a:4242 (PostgreSQL pid {pid}," in result.output
