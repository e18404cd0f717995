"""Prompt texts per language, read from TOML files the coordination office can edit."""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import HotlineError
from core.languages import DEFAULT as DEFAULT_LANGUAGE
from core.languages import LANGUAGES
from ivr.menu import Line

__all__ = ["DEFAULT_DIRECTORY", "DIRECTORY_VARIABLE", "LANGUAGES", "PromptError", "Prompts", "Utterance",
           "find_prompt_problems", "find_unreviewed", "load_prompts", "prompts_directory"]
DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "prompts"
DIRECTORY_VARIABLE = "PROMPTS_DIR"


class PromptError(HotlineError):
    """A prompt file is broken, or a prompt was asked for that it does not have."""


@dataclass(frozen=True)
class Utterance:
    """One thing to say: `audio` (a recording to <Play>) if set, otherwise `text` to <Say> in `language`."""

    text: str
    audio: str | None
    language: str = "de"


@dataclass(frozen=True)
class _Prompt:
    text: str
    audio: str | None
    params: frozenset[str]


@dataclass(frozen=True)
class Prompts:
    """The prompts of one language."""

    language: str
    path: Path
    prompts: Mapping[str, _Prompt]
    #: The review mark: True once a native speaker of the office has confirmed the file (`reviewed = true`).
    reviewed: bool = False

    def keys(self) -> frozenset[str]:
        """Return the keys this file defines."""
        return frozenset(self.prompts)

    def params(self, key: str) -> frozenset[str]:
        """Return the {params} the prompt `key` uses."""
        return self._prompt(key).params

    def say(self, line: Line) -> Utterance:
        """Return the utterance for `line`, its {params} filled in."""
        prompt = self._prompt(line.key)
        missing = prompt.params - set(line.params)
        if missing:
            raise PromptError(
                f"prompt {line.key!r} in {self.path} needs {', '.join(sorted(missing))}; "
                f"got {', '.join(sorted(line.params)) or 'no params'}"
            )
        return Utterance(prompt.text.format_map(dict(line.params)), prompt.audio, self.language)

    def _prompt(self, key: str) -> _Prompt:
        try:
            return self.prompts[key]
        except KeyError:
            raise PromptError(f"no prompt {key!r} in {self.path}") from None


def prompts_directory(directory: Path | None = None) -> Path:
    """Return where the prompt files are: `directory`, else $PROMPTS_DIR, else ivr/prompts."""
    if directory is not None:
        return Path(directory)
    configured = os.environ.get(DIRECTORY_VARIABLE)
    return Path(configured) if configured else DEFAULT_DIRECTORY


def load_prompts(language: str, directory: Path | None = None) -> Prompts:
    """Return the prompts of `language`, read once and re-read when the file changes."""
    if language not in LANGUAGES:
        raise PromptError(f"unknown prompt language {language!r}; known: {', '.join(LANGUAGES)}")
    path = _prompt_file(prompts_directory(directory), language)
    try:
        modified = path.stat().st_mtime_ns
    except OSError as exc:
        raise PromptError(f"cannot read prompt file {path}: {exc.strerror}") from exc
    return _load(language, path, modified)


def find_prompt_problems(languages: Iterable[str], directory: Path | None = None) -> dict[str, str]:
    """Return what is wrong with each language's prompt file: unreadable, or other keys or {params} than German's.

    German's own file is checked first; when it cannot be read, that is the only problem named.
    """
    try:
        german = load_prompts(DEFAULT_LANGUAGE, directory)
    except PromptError as exc:
        return {DEFAULT_LANGUAGE: str(exc)}
    problems: dict[str, str] = {}
    for language in languages:
        if language == DEFAULT_LANGUAGE:
            continue
        try:
            prompts = load_prompts(language, directory)
        except PromptError as exc:
            problems[language] = str(exc)
            continue
        missing, extra = sorted(german.keys() - prompts.keys()), sorted(prompts.keys() - german.keys())
        params = sorted(key for key in german.keys() & prompts.keys() if german.params(key) != prompts.params(key))
        found = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has unknown {', '.join(extra)}"] if extra else []) + (
            [f"other {{params}} than German in {', '.join(params)}"] if params else [])
        if found:
            problems[language] = f"{prompts.path.name}: " + "; ".join(found)
    return problems


def find_unreviewed(languages: Iterable[str], directory: Path | None = None) -> list[str]:
    """Return the languages whose readable prompt file still says `reviewed = false`, in the given order."""
    unreviewed = []
    for language in languages:
        try:
            if not load_prompts(language, directory).reviewed:
                unreviewed.append(language)
        except PromptError:
            continue  # find_prompt_problems names it
    return unreviewed


@lru_cache(maxsize=16)
def _prompt_file(directory: Path, language: str) -> Path:
    """Return the absolute path of a language's prompt file (resolving it costs more than reading its mtime)."""
    return (directory / f"{language}.toml").resolve()


@lru_cache(maxsize=16)
def _load(language: str, path: Path, modified: int) -> Prompts:
    """Parse and check one prompt file; `modified` is only part of the cache key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PromptError(f"cannot read prompt file {path}: {exc}") from exc
    reviewed = data.pop("reviewed", False)
    if not isinstance(reviewed, bool):
        raise PromptError(f"{path}: reviewed must be true or false (the review mark), not {reviewed!r}")
    prompts: dict[str, _Prompt] = {}
    for key, table in data.items():
        if not isinstance(table, dict) or not isinstance(table.get("text"), str):
            raise PromptError(f'{path}: [{key}] needs text = "..."')
        unknown = set(table) - {"text", "audio"}
        if unknown:
            raise PromptError(f"{path}: [{key}] has unknown fields: {', '.join(sorted(unknown))}")
        audio = table.get("audio")
        if audio is not None and (not isinstance(audio, str) or not audio.strip()):
            raise PromptError(f'{path}: [{key}] audio must be a file name, e.g. audio = "{key}.mp3"')
        params = _params(path, key, table["text"])
        if audio is not None and params:
            # A recording cannot speak the values filled in at run time.
            raise PromptError(f"{path}: [{key}] uses {{params}}, so it cannot have a recording")
        prompts[key] = _Prompt(table["text"].strip(), audio.strip() if audio else None, params)
    return Prompts(language, path, prompts, reviewed)


def _params(path: Path, key: str, text: str) -> frozenset[str]:
    """Return the {names} in `text`, refusing positional or formatted fields."""
    try:
        fields = [name for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise PromptError(f"{path}: [{key}] has a broken {{param}}: {exc}") from exc
    for name in fields:
        if not name.isidentifier():
            raise PromptError(f"{path}: [{key}] has an invalid param {{{name}}}")
    return frozenset(fields)
