"""Walk the voice menu with a list of key presses and collect what the caller hears."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ivr.menu import Connect, Line, advance, first_ask, question
from ivr.prompts import Utterance, load_prompts

_WORD = re.compile(r"\w")


def walk(keys: Sequence[str], *, language: str = "de") -> list[Utterance]:
    """Return everything spoken to a caller who presses `keys`, up to the moment the call rings through."""
    spoken: list[Utterance] = []
    ask = first_ask()
    spoken += _say(language, [*ask.say_first, Line(question(ask.step).prompt)])
    for digits in keys:
        result = advance(ask.step, ask.attempt, digits)
        language = result.language or language
        step = result.next
        if isinstance(step, Connect):
            spoken += _say(language, step.say_first)
            break
        ask = step
        spoken += _say(language, [*ask.say_first, Line(question(ask.step).prompt)])
    return spoken


def count_words(utterances: Iterable[Utterance]) -> int:
    """Return the number of spoken words; digits written apart ("3 0 1 5 9") count one each."""
    return sum(1 for u in utterances for token in u.text.split() if _WORD.search(token))


def _say(language: str, lines: Sequence[Line]) -> list[Utterance]:
    prompts = load_prompts(language)
    return [prompts.say(line) for line in lines]
