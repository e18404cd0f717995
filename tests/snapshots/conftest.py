"""Make what is random in production repeatable here: case references and offer codes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import count

import pytest

from cases.references import ALPHABET, LENGTH


@pytest.fixture(autouse=True)
def _fixed_randomness(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Case references K3AA, K4AA, ... in order of creation; offer codes from a seeded generator."""
    numbers = count()

    def next_reference() -> str:
        n = next(numbers)
        letters = [ALPHABET[(n // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(LENGTH - 1)]
        return "K" + "".join(letters)

    monkeypatch.setattr("cases.service.new_reference", next_reference)
    monkeypatch.setattr("dispatch.offers._random", random.Random(20261123))
    yield
