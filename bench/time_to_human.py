"""Time to a human: how long the voice menu talks before the call rings through.

Run with `python -m bench.time_to_human`. Counts the words the caller hears (digits read one by
one count as one word each) and estimates the speaking time at ~2.3 words per second. The time
the caller needs to press keys and Twilio's gather pauses come on top.
"""

from __future__ import annotations

from ivr.script import count_words, walk

WORDS_PER_SECOND = 2.3
HAPPY_PATH = ("1", "1", "1", "3", "30159", "1", "1")
PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("happy path, German", HAPPY_PATH),
    ("0: a person now", ("0",)),
    ("9 for English, then the happy path", ("9", *HAPPY_PATH)),
)


def measure() -> list[tuple[str, tuple[str, ...], int, float]]:
    """Return (name, keys, words, seconds) for each path."""
    rows = []
    for name, keys in PATHS:
        words = count_words(walk(keys))
        rows.append((name, keys, words, words / WORDS_PER_SECOND))
    return rows


def main() -> None:
    """Print the word count and estimated speaking time of each path."""
    print(f"Speech before the call rings through (at {WORDS_PER_SECOND} words/s, keying time excluded)")
    for name, keys, words, seconds in measure():
        print(f"  {name:<36} {' '.join(keys):<28} {words:>4} words  ~{seconds:>3.0f} s")


if __name__ == "__main__":
    main()
