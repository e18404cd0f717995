"""The prompt overview: per caller language its key, offer, review marks, voice, its prompts and SMS beside German.

What the dashboard's page "Ansagen" shows, as plain values. A language whose prompt or SMS file is
missing or cannot be read is described as such (never an error): the office may be about to add or
fix it. The SMS texts only the coordinators read stay German (messaging.texts.GERMAN_ONLY) and are
left out.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.languages import KEY_OF, LANGUAGES
from core.settings import Settings
from core.textfiles import load_toml
from ivr.prompts import PromptError, Prompts, load_prompts, prompts_directory
from messaging.texts import GERMAN_ONLY, TEXTS_DIR, marked_reviewed


class FileState(StrEnum):
    """Where a language's prompt file stands."""

    REVIEWED = "reviewed"
    NOT_REVIEWED = "not_reviewed"
    MISSING = "missing"
    BROKEN = "broken"


#: The answers to coordinators' SMS commands (commands.<code>.toml): German, like every text only they read.
COORDINATORS_ANSWERS = "coordinator."


@dataclass(frozen=True)
class PromptText:
    """One prompt of a file: its text, and the recording played instead when there is one."""

    text: str
    audio: str | None = None


@dataclass(frozen=True)
class SmsOverview:
    """A language's SMS texts: the review mark of its files, and its texts by key ("who.child")."""

    state: FileState
    path: Path
    problem: str | None = None
    texts: dict[str, PromptText] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageOverview:
    """One caller language as the overview shows it."""

    language: str
    #: The key that chooses it at the first question; None for German (the default, no key).
    key: str | None
    #: Offered to callers (setting LANGUAGES); German always is.
    offered: bool
    voice: str
    tag: str
    state: FileState
    #: Where its prompt file is (or would be).
    path: Path
    #: Why the file cannot be read (state BROKEN), in the loader's words.
    problem: str | None = None
    prompts: dict[str, PromptText] = field(default_factory=dict)
    #: Its SMS texts (messaging/texts/<code>.toml and commands.<code>.toml).
    sms: SmsOverview | None = None

    @property
    def reviewed(self) -> bool:
        """Return True when a native speaker of the office has confirmed the file."""
        return self.state is FileState.REVIEWED


@dataclass(frozen=True)
class PromptPair:
    """One prompt key with the German text and the other language's (None where a file lacks the key)."""

    key: str
    german: PromptText | None
    other: PromptText | None


def find_prompt_overview(settings: Settings, *, directory: Path | None = None,
                         sms_directory: Path | None = None) -> list[LanguageOverview]:
    """Return every caller language in the menu's order, with its settings and its prompt and SMS files' state."""
    folder = prompts_directory(directory)
    sms_folder = sms_directory or TEXTS_DIR
    return [replace(_overview(language, settings, folder), sms=find_sms_overview(language, directory=sms_folder))
            for language in LANGUAGES]


def find_sms_overview(language: str, *, directory: Path) -> SmsOverview:
    """Return a language's SMS texts for the family and the caregivers, and whether a native speaker reviewed them.

    Reviewed means `reviewed = true` in <code>.toml and, when it exists, in commands.<code>.toml.
    """
    path = directory / f"{language}.toml"
    if not path.is_file():
        return SmsOverview(FileState.MISSING, path)
    commands = directory / f"commands.{language}.toml"
    try:
        job = load_toml(path)
        answers = load_toml(commands) if commands.is_file() else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return SmsOverview(FileState.BROKEN, path, problem=str(exc))
    reviewed = marked_reviewed(job, answers)
    texts = {**_flat(job), **{f"commands:{key}": text for key, text in _flat(answers or {}).items()
                              if not key.startswith(COORDINATORS_ANSWERS)}}
    return SmsOverview(FileState.REVIEWED if reviewed else FileState.NOT_REVIEWED, path, texts=texts)


def pair_texts(german: Mapping[str, PromptText], other: Mapping[str, PromptText]) -> list[PromptPair]:
    """Return two languages' texts side by side: German's keys in order, then keys only the other has."""
    keys: Sequence[str] = [*german, *(key for key in other if key not in german)]
    return [PromptPair(key, german.get(key), other.get(key)) for key in keys]


def pair_prompts(german: LanguageOverview, other: LanguageOverview) -> list[PromptPair]:
    """Return the prompts side by side: German's keys in its file's order, then keys only the other file has."""
    return pair_texts(german.prompts, other.prompts)


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, PromptText]:
    """Return a text file's texts by dotted key, without the review mark and the coordinators' German texts."""
    texts: dict[str, PromptText] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if name == "reviewed" or name in GERMAN_ONLY:
            continue
        if isinstance(value, Mapping):
            texts.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            texts[name] = PromptText(", ".join(str(item) for item in value))
        else:
            texts[name] = PromptText(str(value))
    return texts


def _overview(language: str, settings: Settings, folder: Path) -> LanguageOverview:
    path = folder / f"{language}.toml"
    missing = LanguageOverview(language=language, key=KEY_OF.get(language), offered=language in settings.languages,
                               voice=settings.voice(language), tag=settings.language_tag(language),
                               state=FileState.MISSING, path=path)
    if not path.is_file():
        return missing
    try:
        prompts = load_prompts(language, folder)
    except PromptError as exc:
        return replace(missing, state=FileState.BROKEN, problem=str(exc))
    state = FileState.REVIEWED if prompts.reviewed else FileState.NOT_REVIEWED
    return replace(missing, state=state, prompts=_texts(prompts))


def _texts(prompts: Prompts) -> dict[str, PromptText]:
    return {key: PromptText(prompt.text, prompt.audio) for key, prompt in prompts.prompts.items()}
