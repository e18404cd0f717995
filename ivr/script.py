"""Walk the voice menu with a list of key presses and collect what the caller hears."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from core.languages import LANGUAGES
from ivr.menu import Ask, Connect, Line, advance, first_ask, language_offers, question
from ivr.prompts import Utterance, load_prompts

_WORD = re.compile(r"\w")


def walk(keys: Sequence[str], *, language: str = "de", offered: tuple[str, ...] = LANGUAGES) -> list[Utterance]:
    """Return everything spoken to a caller who presses `keys`, up to the moment the call rings through.

    `offered` are the languages the welcome offers (setting LANGUAGES), each in its own voice.
    """
    spoken: list[Utterance] = []
    ask = first_ask()
    spoken += _say(language, _ask_lines(ask, language, offered))
    for digits in keys:
        result = advance(ask.step, ask.attempt, digits, offered=offered)
        language = result.language or language
        step = result.next
        if isinstance(step, Connect):
            spoken += _say(language, step.say_first)
            break
        ask = step
        spoken += _say(language, _ask_lines(ask, language, offered))
    return spoken


def _ask_lines(ask: Ask, language: str, offered: tuple[str, ...]) -> list[Line]:
    return [*ask.say_first, Line(question(ask.step).prompt), *language_offers(ask.step, language, offered)]


def count_words(utterances: Iterable[Utterance]) -> int:
    """Return the number of spoken words; digits written apart ("3 0 1 5 9") count one each."""
    return sum(1 for u in utterances for token in u.text.split() if _WORD.search(token))


def _say(language: str, lines: Sequence[Line]) -> list[Utterance]:
    return [load_prompts(line.language or language).say(line) for line in lines]
