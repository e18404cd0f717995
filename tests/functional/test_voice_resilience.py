"""The hotline answers even when its database is gone, and plays recorded prompts the office provides."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from app import create_app
from core.clock import SystemClock
from core.database import Database
from tests.helpers import twilio_post, twiml


def test_app_starts_and_answers_without_a_reachable_database(settings: Any) -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"
    app = create_app({"TESTING": True}, settings=settings.with_overrides(database_url=unreachable),
                     database=Database(unreachable), clock=SystemClock())
    root = twiml(twilio_post(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "9" * 32,
                                                                    "From": "+4915112345678"}))
    assert [n.text for n in root.find("Dial").findall("Number")] == [settings.fallback_number]


def test_a_prompt_with_a_recording_is_played_instead_of_spoken(client: Any, tmp_path: Path,
                                                                 monkeypatch: Any) -> None:
    source = Path(__file__).resolve().parents[2] / "ivr" / "prompts"
    for path in source.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    de = tmp_path / "de.toml"
    de.write_text(de.read_text().replace(
        '[welcome]\ntext = "', '[welcome]\naudio = "willkommen.mp3"\ntext = "'), encoding="utf-8")
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path))
    root = twiml(twilio_post(client, "/voice/incoming", {"CallSid": "CA" + "8" * 32, "From": "+4915112345678"}))
    gather = root.find("Gather")
    assert gather is not None
    assert gather[0].tag == "Play"
    assert gather[0].text == "https://hotline.example.org/static/audio/willkommen.mp3"
    assert gather[1].tag == "Say"  # the rest is still spoken


def test_a_broken_or_missing_language_file_leaves_out_its_offer_not_the_welcome(client: Any, tmp_path: Path,
                                                                               monkeypatch: Any) -> None:
    source = Path(__file__).resolve().parents[2] / "ivr" / "prompts"
    for path in source.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "tr.toml").write_text("[welcome\n", encoding="utf-8")  # an edit gone wrong
    (tmp_path / "ar.toml").unlink()
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path))
    root = twiml(twilio_post(client, "/voice/incoming", {"CallSid": "CA" + "7" * 32, "From": "+4915112345678"}))
    tags = [say.get("language") for say in root.find("Gather").iter("Say")]
    assert tags == ["de-DE", "de-DE", "en-GB", "ru-RU", "uk-UA", "pl-PL"]
