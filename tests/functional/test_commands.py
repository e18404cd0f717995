"""The remaining commands of the interface contract: twiml fallback, cases list, db upgrade, demo load."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import click

from tests.factories import make_case, make_shift


def test_twiml_fallback_prints_a_document_for_a_twiml_bin(runner: Any) -> None:
    result = runner.invoke(args=["twiml", "fallback"])
    assert result.exit_code == 0
    root = ET.fromstring(result.stdout)
    dial = root.find("Dial")
    assert [n.text for n in dial.findall("Number")] == ["+495111680000"]
    assert dial.get("action").startswith("https://hotline.example.org/")  # absolute: a TwiML Bin needs it
    assert all(say.get("language") in ("de-DE", "en-GB") for say in root.iter("Say"))


def test_twiml_fallback_without_public_url_warns(app: Any, settings: Any) -> None:
    app.extensions["fluxx"].settings = settings.with_overrides(public_base_url=None)
    result = app.test_cli_runner().invoke(args=["twiml", "fallback"])
    assert "PUBLIC_BASE_URL" in result.stderr


def test_cases_list_newest_first_in_json_with_the_contract_fields(runner: Any, session: Any, clock: Any) -> None:
    make_case(session, now=clock.now(), call_sid="CA" + "1" * 32, postcode="30159", municipality="Hannover")
    make_case(session, now=clock.advance(minutes=5), call_sid="CA" + "2" * 32)
    cases = json.loads(runner.invoke(args=["cases", "list", "--json"]).output)
    assert [c["id"] for c in cases] == sorted((c["id"] for c in cases), reverse=True)
    expected = {"id", "reference", "status", "caller", "caller_type", "care_type", "children", "child_age",
                "care_level", "postcode", "municipality", "urgency", "reason", "language", "coordinator",
                "needs_callback", "caregiver", "created_at"}
    assert expected <= set(cases[0])
    assert cases[1]["created_at"] == "2026-11-23T10:00:00+01:00"  # Berlin time with its offset


def test_cases_list_as_text_names_the_reference(runner: Any, session: Any, clock: Any) -> None:
    case = make_case(session, now=clock.now(), needs_callback=True)
    output = runner.invoke(args=["cases", "list"]).output
    assert case.reference in output and "RÜCKRUF" in output


def test_demo_load_fills_an_empty_roster_once(app: Any, runner: Any) -> None:
    first = runner.invoke(args=["demo", "load", "--no-history"]).output
    assert "geladen" in first and "Passwort / password:" in first
    again = runner.invoke(args=["demo", "load", "--no-history"]).output
    assert "geladen" not in again and "Passwort / password:" not in again
    # How to get a new lead login: a command that exists (reset-password once it is there).
    hint = again.split("lost the login?")[1].split()
    assert hint[:3] == [".venv/bin/flask", "--app", "app"] and hint[3] == "users", again
    users = app.cli.get_command(click.Context(app.cli), "users")
    assert hint[4] in users.list_commands(click.Context(users))
    if "reset-password" in users.list_commands(click.Context(users)):
        assert hint[4:] == ["reset-password", "leitung"]


def test_demo_load_refuses_real_data_and_remove_asks_first(runner: Any, session: Any, clock: Any) -> None:
    make_shift(session, starts_at=clock.now())
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1 and "echte Daten" in refused.output
    skipped = runner.invoke(args=["demo", "load", "--skip-if-real"])
    assert skipped.exit_code == 0 and "no demo data loaded" in skipped.output
    assert runner.invoke(args=["demo", "remove"], input="n\n").exit_code == 1
    assert "Demo-Daten gelöscht: 0 Zeilen" in runner.invoke(args=["demo", "remove", "--yes"]).output
