"""The prompt overview: per caller language its key, offer, review mark, voice, and its prompts beside German.

What the dashboard's page "Ansagen" shows, as plain values. A language whose prompt file is missing or
cannot be read is described as such (never an error): the office may be about to add or fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from core.languages import KEY_OF, LANGUAGES
from core.settings import Settings
from ivr.prompts import PromptError, Prompts, load_prompts, prompts_directory


class FileState(StrEnum):
    """Where a language's prompt file stands."""

    REVIEWED = "reviewed"
    NOT_REVIEWED = "not_reviewed"
    MISSING = "missing"
    BROKEN = "broken"


@dataclass(frozen=True)
class PromptText:
    """One prompt of a file: its text, and the recording played instead when there is one."""

    text: str
    audio: str | None = None


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


def find_prompt_overview(settings: Settings, *, directory: Path | None = None) -> list[LanguageOverview]:
    """Return every caller language in the menu's order, with its settings and its prompt file's state."""
    folder = prompts_directory(directory)
    return [_overview(language, settings, folder) for language in LANGUAGES]


def pair_prompts(german: LanguageOverview, other: LanguageOverview) -> list[PromptPair]:
    """Return the prompts side by side: German's keys in its file's order, then keys only the other file has."""
    keys: Sequence[str] = [*german.prompts, *(key for key in other.prompts if key not in german.prompts)]
    return [PromptPair(key, german.prompts.get(key), other.prompts.get(key)) for key in keys]


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
