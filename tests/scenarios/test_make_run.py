"""`make run` as a newcomer meets it: a fresh clone today, and the same clone again a month later.

The app is built the way bin/run-local builds it: settings from the environment (no Twilio
credentials: simulator mode), `db upgrade`, `demo load --skip-if-real`. The month later is the
SIMULATOR_CLOCK_OFFSET hook; only the base under the offset is pinned to a working-day morning,
so the story does not depend on the weekday the suite happens to run on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.clock import FrozenClock, OffsetClock
from core.settings import load_settings
from models import Case
from roster.demo import DEMO_COORDINATORS
from tests.helpers import PUBLIC_BASE_URL, twilio_post, twiml

BERLIN = ZoneInfo("Europe/Berlin")
HAPPY = [("caller_type", "1"), ("care_type", "1"), ("children", "1"), ("child_age", "3"),
         ("postcode", "30159"), ("urgency", "1"), ("reason", "1")]
#: Thursday 3 December 2026, 09:30 in Hannover: the day the clone is made.
FIRST_RUN = datetime(2026, 12, 3, 9, 30, tzinfo=BERLIN)
DEMO_PHONES = {phone for _, phone in DEMO_COORDINATORS}


def make_run(tmp_path: Path, *, offset: str | None = None) -> Any:
    """Build the app from the environment as bin/run-local does, migrate, and run `demo load`."""
    from app import create_app

    environ = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fluxx.sqlite3'}", "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    if offset:
        environ["SIMULATOR_CLOCK_OFFSET"] = offset
    settings = load_settings(environ, instance_path=tmp_path / "instance")
    app = create_app({"TESTING": True}, settings=settings)
    clock = app.extensions["fluxx"].clock
    if offset:
        assert isinstance(clock, OffsetClock)  # the hook is honoured in simulator mode
        clock._base = FrozenClock(FIRST_RUN)
    else:
        app.extensions["fluxx"].clock = FrozenClock(FIRST_RUN)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["demo", "load", "--skip-if-real", "--sign-in-url", "http://127.0.0.1:5000/login"])
    assert result.exit_code == 0, result.output
    return app, result.output


def call_the_hotline(app: Any, call_sid: str) -> Case:
    """Walk the voice menu as a parent, then let the coordinator whose phone rings press 1."""
    client = app.test_client()
    token = app.extensions["fluxx"].settings.simulator_auth_token
    base = {"CallSid": call_sid, "From": "+4915199990001", "To": "+4951187654321"}

    def post(path: str, **params: str) -> Any:
        return twiml(twilio_post(client, path, {**base, **params}, token=token))

    post("/voice/incoming")
    for step, digits in HAPPY:
        root = post(f"/voice/gather/{step}/1", Digits=digits)
    dial = root.find("Dial")
    assert dial is not None, "nobody rings: the call would end in voicemail"
    ringing = [n.text for n in dial.findall("Number")]
    assert ringing and set(ringing) <= DEMO_PHONES
    with app.extensions["fluxx"].database.unit_of_work() as session:
        case_id = session.scalars(select(Case.id).where(Case.call_sid == call_sid)).one()
    leg = {"CallSid": "CA" + "e" * 32, "ParentCallSid": call_sid, "To": ringing[0], "From": base["From"],
           "CallStatus": "in-progress"}
    twiml(twilio_post(client, f"/voice/screen/{case_id}", leg, token=token))
    twiml(twilio_post(client, f"/voice/screen/{case_id}/answer", {**leg, "Digits": "1"}, token=token))
    with app.extensions["fluxx"].database.unit_of_work() as session:
        case = session.scalars(select(Case).where(Case.id == case_id)).one()
        session.expunge(case)
    return case


def test_a_fresh_clone_reaches_a_coordinator(tmp_path: Path) -> None:
    app, output = make_run(tmp_path)
    assert "Benutzername / user:" in output and "http://127.0.0.1:5000/login" in output
    case = call_the_hotline(app, "CA" + "1" * 32)
    assert case.coordinator in DEMO_PHONES and case.connected_at is not None


def test_the_same_clone_a_month_later_still_reaches_a_coordinator(tmp_path: Path) -> None:
    make_run(tmp_path)  # the first run, today
    app, output = make_run(tmp_path, offset="33d")  # `make run` again, a month and a bit later (a Tuesday)
    assert "Benutzername / user:" not in output  # no second lead …
    assert "lost the login?\n    .venv/bin/flask --app app users " in output  # … but how to get a new login
    case = call_the_hotline(app, "CA" + "2" * 32)
    assert case.coordinator in DEMO_PHONES and case.connected_at is not None


def test_the_clock_offset_is_ignored_with_twilio_credentials(tmp_path: Path) -> None:
    from app import create_app

    environ = {"DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}", "SIMULATOR_CLOCK_OFFSET": "30d",
               "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32}
    app = create_app({"TESTING": True}, settings=load_settings(environ, instance_path=tmp_path / "instance"))
    now = app.extensions["fluxx"].clock.now()
    assert abs(now - datetime.now(now.tzinfo)) < timedelta(minutes=1)
