"""Short case references a coordinator can read out on the phone (e.g. K7Q2)."""

from __future__ import annotations

import secrets

#: No 0/O, 1/I/L, 5/S, 8/B, 2/Z: nothing that sounds or looks alike.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 4


def new_reference() -> str:
    """Return a random reference: four characters, letters and digits that cannot be confused."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_reference(text: str) -> str:
    """Return a reference as typed by a person (any case, spaces, a leading '#') in canonical form."""
    return "".join(ch for ch in text.upper() if ch.isalnum())
