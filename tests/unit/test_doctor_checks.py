"""The doctor's verdicts as pure functions: facts in, ok / warning / error with advice out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ops.doctor import (
    Status,
    check_certificates,
    check_outbox,
    check_prompts,
    check_public_base_url,
    check_roster,
    check_secrets,
    check_worker,
    describe_gap,
    exit_status,
    ok,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def test_worker_is_stale_after_thirty_seconds_and_names_the_lock_holder() -> None:
    fresh = check_worker(ticks=[("a:1", NOW - timedelta(seconds=30)), ("b:2", NOW - timedelta(hours=1))],
                         lock_holder=None, now=NOW)
    assert fresh.status is Status.OK and "nobody holds the lock" in fresh.en and "a:1" in fresh.en
    held = check_worker(ticks=[("a:1", NOW)], lock_holder="a:1 (PostgreSQL pid 7, 10.0.0.11)", now=NOW)
    assert held.en.endswith("the lock is held by a:1 (PostgreSQL pid 7, 10.0.0.11).")
    sqlite = check_worker(ticks=[("a:1", NOW)], lock_holder=None, now=NOW, uses_lock=False)
    assert "SQLite: no lock" in sqlite.en
    stale = check_worker(ticks=[("a:1", NOW - timedelta(seconds=31))], lock_holder=None, now=NOW)
    assert stale.status is Status.ERROR and "31 s" in stale.en
    assert check_worker(ticks=[], lock_holder=None, now=NOW).status is Status.ERROR


def test_gaps_read_in_berlin_time_with_midnight_as_24_00() -> None:
    start = datetime(2026, 11, 24, 16, 0, tzinfo=BERLIN)
    end = datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN)
    assert describe_gap(start, end, "de") == "Di 24.11. 16:00 – Di 24.11. 24:00"
    assert describe_gap(start, end, "en") == "Tue 24.11. 16:00 – Tue 24.11. 24:00"


def test_only_the_first_gaps_are_named() -> None:
    gaps = [(NOW + timedelta(days=i), NOW + timedelta(days=i, hours=1)) for i in range(7)]
    result = check_roster(gaps=gaps, days=14)
    assert result.status is Status.ERROR and "7 gap(s)" in result.en and result.en.count("–") == 5
    assert "and 2 more" in result.en and "und 2 weitere" in result.de
    assert check_roster(gaps=[], days=14).status is Status.OK


def test_every_member_municipality_needs_a_certified_caregiver() -> None:
    result = check_certificates(members=["Hannover", "Laatzen", "Wunstorf"], covered={"Hannover", "Garbsen"})
    assert result.status is Status.ERROR and result.en.endswith("Laatzen, Wunstorf.")
    assert check_certificates(members=["Hannover"], covered={"Hannover"}).status is Status.OK


def test_stuck_outbox_is_an_error_recent_failures_a_warning() -> None:
    assert check_outbox(stuck=2, oldest_age=timedelta(minutes=12), failed_last_day=0).status is Status.ERROR
    assert check_outbox(stuck=0, oldest_age=None, failed_last_day=3).status is Status.WARNING
    assert check_outbox(stuck=0, oldest_age=None, failed_last_day=0).status is Status.OK


def test_generated_secrets_are_errors_only_in_production() -> None:
    assert check_secrets(production=True, secret_key_generated=True, simulator_mode=False).status is Status.ERROR
    assert check_secrets(production=True, secret_key_generated=False, simulator_mode=True).status is Status.ERROR
    assert check_secrets(production=False, secret_key_generated=True, simulator_mode=True).status is Status.WARNING
    assert check_secrets(production=True, secret_key_generated=False, simulator_mode=False).status is Status.OK


def test_public_base_url_must_be_what_twilio_calls() -> None:
    base = "https://hotline.example.org"
    assert check_public_base_url(public_base_url=base, twilio_voice_url=f"{base}/voice/incoming").status is Status.OK
    wrong = check_public_base_url(public_base_url=base, twilio_voice_url="https://old.example.org/voice/incoming")
    assert wrong.status is Status.ERROR and "signature" in wrong.en
    assert check_public_base_url(public_base_url=None, twilio_voice_url=None).status is Status.ERROR


def test_exit_status_is_one_only_on_an_error() -> None:
    warning = check_outbox(stuck=0, oldest_age=None, failed_last_day=1)
    assert exit_status([ok("x", "a", "b"), warning]) == 0
    assert exit_status([warning, check_worker(ticks=[], lock_holder=None, now=NOW)]) == 1


def test_prompts_are_an_error_when_an_offered_file_is_broken_and_name_the_unreviewed() -> None:
    broken = check_prompts(offered=("de", "tr"), problems={"tr": "tr.toml: lacks closed"}, unreviewed=())
    assert broken.status is Status.ERROR and "tr: tr.toml: lacks closed" in broken.en and "LANGUAGES" in broken.todo_en
    unreviewed = check_prompts(offered=("de", "en", "tr", "ar"), problems={}, unreviewed=("tr", "ar"))
    assert unreviewed.status is Status.OK
    assert unreviewed.en == "Prompts offered in 4 languages; not yet reviewed by a native speaker: Turkish, Arabic."
    assert unreviewed.de.endswith("noch nicht von einer Muttersprachlerin geprüft: Türkisch, Arabisch.")
    assert check_prompts(offered=("de", "en"), problems={}, unreviewed=()).en.endswith("all reviewed.")
