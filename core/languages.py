"""The hotline's seven languages: codes, menu keys, names, writing direction (the one list).

German is the product's language and always on; the others a caller chooses with a key at the
first question of the voice menu. Every part that speaks, writes or counts a caller's language
(prompts, SMS texts, settings, routing, dashboard, reports) takes its list from here.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The caller languages in the order the welcome offers them (German first, then as the contract lists them).
LANGUAGES: tuple[str, ...] = ("de", "en", "tr", "ar", "ru", "uk", "pl")
DEFAULT = "de"

#: The key that switches the voice menu to a language at the first question (README, "The voice menu and its prompts").
KEYS: dict[str, str] = {"9": "en", "4": "tr", "5": "ar", "6": "ru", "7": "uk", "8": "pl"}
KEY_OF: dict[str, str] = {language: key for key, language in KEYS.items()}

#: Languages written right to left (the dashboard and the simulator set dir="rtl" on their text).
RIGHT_TO_LEFT = frozenset({"ar"})

#: The language's name in German, in English and in itself.
NAMES: dict[str, tuple[str, str, str]] = {
    "de": ("Deutsch", "German", "Deutsch"),
    "en": ("Englisch", "English", "English"),
    "tr": ("Türkisch", "Turkish", "Türkçe"),
    "ar": ("Arabisch", "Arabic", "العربية"),
    "ru": ("Russisch", "Russian", "Русский"),
    "uk": ("Ukrainisch", "Ukrainian", "Українська"),
    "pl": ("Polnisch", "Polish", "Polski"),
}


def name(language: str, in_language: str = "de") -> str:
    """Return the language's name in German ('de'), English ('en') or itself ('native'); the code if unknown."""
    names = NAMES.get(language)
    if names is None:
        return language
    return names[{"de": 0, "en": 1, "native": 2}.get(in_language, 0)]


def known(language: str | None) -> str:
    """Return `language` if it is one of the seven, else German (what an unknown or empty code means)."""
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT


def text_direction(language: str) -> str:
    """Return 'rtl' for a language written right to left, else 'ltr' (the HTML dir attribute)."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def parse_language_list(text: str) -> tuple[str, ...]:
    """Return the languages named in `text` ("de;tr" or "de, tr"), in order, without repeats.

    Raises ValueError naming an unknown code. An empty text is an empty tuple.
    """
    codes: list[str] = []
    for part in text.replace(",", ";").split(";"):
        code = part.strip().lower()
        if not code:
            continue
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {part.strip()!r}; known: {', '.join(LANGUAGES)}")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def offered(enabled: Iterable[str]) -> tuple[str, ...]:
    """Return the enabled languages in the order of LANGUAGES, German always included."""
    chosen = set(enabled) | {DEFAULT}
    return tuple(language for language in LANGUAGES if language in chosen)
