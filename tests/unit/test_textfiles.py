"""SMS texts the office edits while the hotline runs: the next SMS uses the new wording, no restart."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import dispatch.sms_commands
import messaging.texts
from core.textfiles import load_toml
from messaging.texts import job_text


def touch_later(path: Path) -> None:
    """Move the file's modification time on (an editor saving within the same clock tick)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "texts.toml"
    path.write_text('greeting = "Hallo"\n', encoding="utf-8")
    first = load_toml(path)
    assert first == {"greeting": "Hallo"} and load_toml(path) is first
    path.write_text('greeting = "Guten Tag"\n', encoding="utf-8")
    touch_later(path)
    assert load_toml(path) == {"greeting": "Guten Tag"}


def test_an_edited_offer_text_is_used_for_the_next_sms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "texts"
    shutil.copytree(messaging.texts.TEXTS_DIR, folder)
    monkeypatch.setattr(messaging.texts, "TEXTS_DIR", folder)
    monkeypatch.setattr(dispatch.sms_commands, "TEXTS_DIR", folder)
    params: dict[str, Any] = {"who": "1 Kind", "area": "Linden", "when": "heute", "duration": "3 Std.", "code": "K7"}
    assert job_text("offer", language="de", **params).startswith("Fluxx-Anfrage:")
    german = folder / "de.toml"
    german.write_text(german.read_text(encoding="utf-8").replace('offer = "Fluxx-Anfrage:', 'offer = "Fluxx-Notfall:'),
                      encoding="utf-8")
    touch_later(german)
    assert job_text("offer", language="de", **params).startswith("Fluxx-Notfall:")
