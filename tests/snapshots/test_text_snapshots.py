"""Snapshots of every text in the text files (voice prompts, job SMS, SMS command answers), each
filled in with fixed sample values through the function that renders it."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from core.languages import LANGUAGES
from core.textfiles import load_toml
from dispatch.sms_commands import render_text
from ivr.menu import Line
from ivr.prompts import DEFAULT_DIRECTORY, load_prompts
from messaging.texts import TEXTS_DIR, job_text
from tests.snapshots.snapshot import assert_snapshot

#: A sample for each placeholder; one not listed here is shown as [name].
SAMPLES = {
    "who": "Kind 3 J.", "area": "30159 Hannover", "when": "heute ab 14:30", "duration": "ca. 4 Std",
    "code": "12", "codes": "12, 34", "reference": "K7Q2", "parent": "Petra Müller", "phone": "0511 1234567",
    "address": "Lange Laube 5, 30159 Hannover", "caregiver": "Dora", "caregiver_phone": "0160 0000011",
    "reason": "Nummer nicht erreichbar", "asked": "6", "declined": "2", "summary": "Kind 3 J. in 30159 Hannover",
    "why": "Warum niemand passt: 2 zu weit entfernt", "hotline": "0511 87654321", "word": "JA",
    "examples": "JA 12 oder JA 34", "time": "14:30", "count": "3", "n": "2", "age": "3 J.", "level": "2",
    "hours": "4,5", "weekday": "Fr", "date": "27.11.", "digits": "3 0 1 5 9", "municipality": "Hannover",
    "other_municipality": "Langenhagen", "number": "1 1 2", "hours_text": "Montag bis Samstag", "minutes": "15",
    "position": "3", "waiting": "7", "family_language": "Türkisch",
}


def _strings(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _strings(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield f"{prefix}{key}", value


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _sample(names: list[str]) -> dict[str, str]:
    return {name: SAMPLES.get(name, f"[{name}]") for name in names}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_job_sms_text(language: str) -> None:
    lines = []
    for key, template in _strings(load_toml(TEXTS_DIR / f"{language}.toml")):
        lines.append(f"{key}: {job_text(key, language=language, max_segments=99, **_sample(_fields(template)))}")
    weekdays = load_toml(TEXTS_DIR / f"{language}.toml")["weekdays"]
    lines.append(f"weekdays: {', '.join(weekdays)}")
    assert_snapshot(f"sms_job_texts_{language}.txt", "\n".join(lines))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_command_answer(language: str) -> None:
    lines = []
    for key, template in _strings(load_toml(TEXTS_DIR / f"commands.{language}.toml")):
        lines.append(f"{key}: {render_text(key, language, **_sample(_fields(template)))}")
    assert_snapshot(f"sms_command_texts_{language}.txt", "\n".join(lines))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_voice_prompt(language: str) -> None:
    prompts = load_prompts(language)
    lines = []
    for key in sorted(prompts.keys()):
        utterance = prompts.say(Line(key, _sample(sorted(prompts.params(key)))))
        lines.append(f"{key}: {utterance.text}" + (f" [audio {utterance.audio}]" if utterance.audio else ""))
    assert (DEFAULT_DIRECTORY / f"{language}.toml").is_file()
    assert_snapshot(f"voice_prompts_{language}.txt", "\n".join(lines))
