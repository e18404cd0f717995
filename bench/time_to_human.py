"""Time to a human: how long the voice menu talks before the call rings through.

Run with `python -m bench.time_to_human`. Counts the words the caller hears (digits read one by
one count as one word each) and estimates the speaking time at ~2.3 words per second. The time
the caller needs to press keys and Twilio's gather pauses come on top.

Every language is measured the way its caller hears it: the German welcome with the first question
and one offer per language (each in its own voice), then her language's key, then the happy path
in her language (issue 14: at most 130 words in German and 140 in every other language).
"""

from __future__ import annotations

from core.languages import KEY_OF, LANGUAGES, name
from ivr.script import count_words, walk

WORDS_PER_SECOND = 2.3
HAPPY_PATH = ("1", "1", "1", "3", "30159", "1", "1")
#: The most words before a person is rung on the happy path: German, and each other language.
MAX_WORDS_GERMAN = 130
MAX_WORDS_OTHER = 140


def happy_path(language: str) -> tuple[str, ...]:
    """Return the keys of the happy path in `language`: its key at the first question, then HAPPY_PATH."""
    return HAPPY_PATH if language == "de" else (KEY_OF[language], *HAPPY_PATH)


def max_words(language: str) -> int:
    """Return the most words the happy path in `language` may speak."""
    return MAX_WORDS_GERMAN if language == "de" else MAX_WORDS_OTHER


def _path_name(language: str) -> str:
    if language == "de":
        return "happy path, German"
    return f"{KEY_OF[language]} for {name(language, 'en')}, then the happy path"


PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_path_name("de"), happy_path("de")),
    ("0: a person now", ("0",)),
    *((_path_name(language), happy_path(language)) for language in LANGUAGES if language != "de"),
)


def measure(offered: tuple[str, ...] = LANGUAGES) -> list[tuple[str, tuple[str, ...], int, float]]:
    """Return (name, keys, words, seconds) for each path, the welcome offering the `offered` languages."""
    rows = []
    for path_name, keys in PATHS:
        words = count_words(walk(keys, offered=offered))
        rows.append((path_name, keys, words, words / WORDS_PER_SECOND))
    return rows


def happy_path_words(language: str, offered: tuple[str, ...] = LANGUAGES) -> int:
    """Return the words spoken on the happy path in `language` before the call rings through."""
    return count_words(walk(happy_path(language), offered=offered))


def main() -> None:
    """Print the word count and estimated speaking time of each path."""
    print(f"Speech before the call rings through (at {WORDS_PER_SECOND} words/s, keying time excluded;"
          f" the welcome offers {', '.join(LANGUAGES)})")
    for path_name, keys, words, seconds in measure():
        print(f"  {path_name:<42} {' '.join(keys):<28} {words:>4} words  ~{seconds:>3.0f} s")
    print(f"Limits on the happy path: German {MAX_WORDS_GERMAN} words, every other language {MAX_WORDS_OTHER}.")


if __name__ == "__main__":
    main()
