"""The SMS about a job (offer, details for the winner, "already taken", withdrawal, parent, coordinators).

The wording lives in messaging/texts/<language>.toml, one file per caller language
(core.languages), which the coordination office can edit; this module fills them in. The family's
SMS are in the caller's language and a caregiver's in her first language; what only the coordinators
read stays German (GERMAN_ONLY: the other files need not carry those keys). Each file carries a
review mark (`reviewed = true` once a native speaker of the office has confirmed it; is_reviewed).

Every message must fit into MAX_SEGMENTS SMS segments: GSM-7 (160 characters, 153 per segment)
or, as soon as one character is outside it (Turkish ş, Polish ł, Cyrillic, Arabic), UCS-2 (70, 67
per segment). Free text typed by a person (the parent's name, the address) is made GSM-7 safe where
a close letter exists ("Ş" -> "S", typographic dashes and quotes -> ASCII) when the rest of the
text is GSM-7 (in a UCS-2 text that would only lose letters); a Latin-script text that is still too
long in UCS-2 is sent in those close GSM-7 letters; free text is shortened with "..." when it still
does not fit. Family names and phone numbers never appear in an offer.
"""

from __future__ import annotations

import logging
import math
import string
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core import languages
from core.clock import BERLIN
from core.errors import HotlineError
from core.languages import known
from core.textfiles import load_toml

log = logging.getLogger(__name__)

#: The languages with SMS texts: every caller language.
LANGUAGES: tuple[str, ...] = languages.LANGUAGES
TEXTS_DIR = Path(__file__).resolve().parent / "texts"
MAX_SEGMENTS = 2
#: Keys (and tables) only the coordinators read: always German, so the other languages' files need not
#: have them (en.toml keeps its English copies).
GERMAN_ONLY = frozenset(
    {"family_undelivered", "call_parent", "unfilled", "unfilled_why", "backed_out", "surge_help",
     "fallback.withheld", "no_match"}
)

#: GSM 03.38 basic character set (one septet each) and its extension table (two septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_ASCII_LOOKALIKES = {
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "„": '"',
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "´": "'",
    "`": "'",
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "đ": "d",
    "Đ": "D",
    "œ": "oe",
    "Œ": "OE",
}
#: A care start this close to now is "now" for the caregiver.
SOON = timedelta(minutes=15)


class TextError(HotlineError):
    """A job text is missing, or cannot be made to fit into the allowed SMS segments."""


def sms_segments(text: str) -> int:
    """Return how many SMS segments a text needs (GSM-7: 160, or 153 each; UCS-2: 70, or 67 each)."""
    septets = gsm7_septets(text)
    if septets is not None:
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def gsm7_septets(text: str) -> int | None:
    """Return the septets a text takes in GSM-7, or None when it needs UCS-2."""
    count = 0
    for ch in text:
        if ch in GSM7_BASIC:
            count += 1
        elif ch in GSM7_EXTENSION:
            count += 2
        else:
            return None
    return count


def gsm_safe(text: str) -> str:
    """Replace characters outside GSM-7 by a close GSM-7 spelling where one exists."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _ASCII_LOOKALIKES:
            out.append(_ASCII_LOOKALIKES[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(c in GSM7_BASIC for c in base) else ch)
    return "".join(out)


def load_job_texts(language: str) -> Mapping[str, Any]:
    """Return the job texts of a language (messaging/texts/<language>.toml; an edit counts at once)."""
    if language not in LANGUAGES:
        raise TextError(f"no SMS texts in {language!r}; known: {', '.join(LANGUAGES)}")
    return load_toml(TEXTS_DIR / f"{language}.toml")


def is_reviewed(language: str) -> bool:
    """Return True when a native speaker has confirmed the language's SMS texts (`reviewed = true` in
    <language>.toml and, when it exists, commands.<language>.toml)."""
    if language not in LANGUAGES:
        return False
    commands = TEXTS_DIR / f"commands.{language}.toml"
    try:
        return marked_reviewed(load_job_texts(language), load_toml(commands) if commands.is_file() else None)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # a file that cannot be read is not reviewed as it stands


def marked_reviewed(job: Mapping[str, Any], commands: Mapping[str, Any] | None) -> bool:
    """Return True when a language's job texts, and its command answers if it has them, say `reviewed = true`."""
    return job.get("reviewed") is True and (commands is None or commands.get("reviewed") is True)


def find_text_problems() -> dict[str, str]:
    """Return what is wrong with each language's SMS files: unreadable, or keys or {placeholders} unlike German's.

    German's own job texts are checked first; when they cannot be read, that is the only problem named.
    A broken file in another language does not stop an SMS (fill_text sends German) but should be fixed.
    """
    try:
        german = dict(_texts(load_job_texts(languages.DEFAULT)))
        german_commands = dict(_texts(load_toml(TEXTS_DIR / "commands.de.toml")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {languages.DEFAULT: f"{languages.DEFAULT}.toml: {exc}"}
    problems: dict[str, str] = {}
    for language in LANGUAGES[1:]:
        for file, reference, required in (
            (f"{language}.toml", german, {k for k in german if not _german_only(k)}),
            (f"commands.{language}.toml", german_commands, set()),
        ):
            path = TEXTS_DIR / file
            if not path.is_file() and not required:
                continue
            try:
                texts = dict(_texts(load_toml(path)))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                problems[language] = f"{file}: {exc}"
                break
            wrong = sorted(required - set(texts)) + sorted(
                key for key, text in texts.items() if key not in reference or _fields(text) != _fields(reference[key])
            )
            if wrong:
                problems[language] = f"{file}: {', '.join(wrong[:5])} (keys or placeholders unlike German's)"
                break
    return problems


def _texts(node: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Return the (dotted key, text) pairs of a texts file, tables flattened."""
    pairs: list[tuple[str, str]] = []
    for key, value in node.items():
        if isinstance(value, Mapping):
            pairs += _texts(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            pairs.append((f"{prefix}{key}", value))
    return pairs


def _fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:  # an unmatched brace
        return {"{"}


def _german_only(key: str) -> bool:
    return any(key == k or key.startswith(f"{k}.") for k in GERMAN_ONLY)


def job_text(
    key: str,
    *,
    language: str,
    shrink: Sequence[str] = (),
    max_segments: int = MAX_SEGMENTS,
    **params: object,
) -> str:
    """Return the text `key` filled in, shortening the `shrink` params (in order) until it fits."""
    return fill_text(key, params, language=language, shrink=shrink, max_segments=max_segments)


def fill_text(
    key: str,
    params: Mapping[str, object],
    *,
    language: str,
    shrink: Sequence[str] = (),
    max_segments: int = MAX_SEGMENTS,
) -> str:
    """Return the text `key` filled in with `params` (job_text with the params as one mapping).

    A file the office broke while editing (unreadable, a key or {placeholder} missing, a text too
    long) must not stop an SMS: in any language but German the text then goes out in German, and
    the log says why. A broken German file raises TextError.
    """
    language = known(language)
    if language != languages.DEFAULT:
        try:
            return _fill_text(key, params, language=language, shrink=shrink, max_segments=max_segments)
        except (TextError, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, ValueError,
                IndexError) as exc:
            log.warning("SMS text %r in %s unusable, sent in German: %s", key, language, exc)
    return _fill_text(key, params, language=languages.DEFAULT, shrink=shrink, max_segments=max_segments)


def _fill_text(
    key: str, params: Mapping[str, object], *, language: str, shrink: Sequence[str], max_segments: int
) -> str:
    """Fill in one language's text `key` (fill_text without the German fallback)."""
    template = _lookup(load_job_texts(language), key)
    values = {name: str(value) for name, value in params.items()}
    if gsm7_septets(template.format_map({**values, **dict.fromkeys(shrink, "")})) is not None:
        for name in shrink:
            values[name] = gsm_safe(values[name])
    text = template.format_map(values)
    if sms_segments(text) <= max_segments:
        return text
    if gsm7_septets(gsm_safe(template)) is not None and gsm7_septets(template) is None:
        # A Latin-script text (Turkish, Polish) too long for UCS-2: its close GSM-7 letters fit twice as much.
        template = gsm_safe(template)
        values = {name: gsm_safe(value) for name, value in values.items()}
        text = template.format_map(values)
        if sms_segments(text) <= max_segments:
            return text
    for name in shrink:
        full = values[name]
        # The longest prefix of this field with which the message fits (binary search).
        lo, hi = 0, len(full)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            values[name] = _cut(full, mid)
            if sms_segments(template.format_map(values)) <= max_segments:
                lo = mid
            else:
                hi = mid - 1
        values[name] = _cut(full, lo)
        text = template.format_map(values)
        if sms_segments(text) <= max_segments:
            return text
    raise TextError(f"SMS text {key!r} ({language}) does not fit into {max_segments} segments")


#: The reasons of `dispatch.matching.NoMatchReasons`, in the order they are told.
NO_MATCH_REASONS = ("no_certificate", "too_far", "wrong_ages", "no_eldercare", "unavailable", "opted_out",
                    "declined", "eligible")


def describe_no_match(counts: Mapping[str, int], *, language: str) -> str:
    """Return why nobody matched: "Warum niemand passt: 4 in Reichweite ohne gültiges Führungszeugnis, 2 zu weit entfernt"."""
    parts = [word(f"no_match.{name}", language=language, n=counts[name])
             for name in NO_MATCH_REASONS if counts.get(name)]
    said = ", ".join(parts) if parts else word("no_match.nobody", language=language)
    return f"{word('no_match.intro', language=language)}: {said}"


def word(key: str, *, language: str, **params: object) -> str:
    """Return a small word or phrase from the texts' tables (e.g. "when.today_at")."""
    return fill_text(key, params, language=language, max_segments=99)


def _setting(language: str, name: str) -> Any:
    """Return a top-level value of a language's texts (weekdays, decimal mark); German's if it is unusable."""
    try:
        value = load_job_texts(known(language))[name]
        if name == "weekdays" and not (isinstance(value, list) and len(value) == 7):
            raise TextError(f"weekdays must be a list of seven names, not {value!r}")
        return value
    except (TextError, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError) as exc:
        if known(language) == languages.DEFAULT:
            raise
        log.warning("SMS texts in %s: %s unusable, German used: %s", language, name, exc)
        return load_job_texts(languages.DEFAULT)[name]


def _cut(text: str, length: int) -> str:
    if length >= len(text):
        return text
    return (text[:length].rstrip(" ,;.-") + "...") if length > 0 else "..."


def _lookup(texts: Mapping[str, Any], key: str) -> str:
    node: Any = texts
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise TextError(f"no SMS text {key!r}")
        node = node[part]
    if not isinstance(node, str):
        raise TextError(f"SMS text {key!r} is not a string")
    return node


# --- Pieces of an offer ------------------------------------------------------------------------


def describe_who(
    *,
    care_type: str | None,
    children: int | None,
    child_age: int | None,
    care_level: int | None,
    language: str,
) -> str:
    """Return whom the care is for, without names: "Kind 3 J.", "2 Kinder, jüngstes 3 J.", "Angehörige, Pflegegrad 2"."""
    if care_type == "eldercare":
        if care_level:
            return word("who.eldercare_level", language=language, level=care_level)
        if care_level == 0:  # 0 is "unknown" in the menu: the same words as the voice summary
            return word("who.eldercare_level_unknown", language=language)
        return word("who.eldercare", language=language)
    age = None
    if child_age is not None:
        age = word("who.age_under_one" if child_age == 0 else "who.age", language=language, n=child_age)
    if children is not None and children > 1:
        if age is None:
            return word("who.children", language=language, n=children)
        return word("who.children_youngest", language=language, n=children, age=age)
    return (
        word("who.child", language=language)
        if age is None
        else word("who.child_age", language=language, age=age)
    )


def describe_when(
    *, urgency: str | None, care_starts_at: datetime | None, now: datetime, language: str
) -> str:
    """Return when care starts, as a person in Hannover says it: "sofort", "heute ab 14:30", "am Fr 27.11. ab 08:00"."""
    if care_starts_at is None:
        key = urgency if urgency in ("now", "today", "tomorrow", "later") else "unknown"
        return word(f"when.{key}", language=language)
    if care_starts_at <= now + SOON:
        return word("when.now", language=language)
    start = care_starts_at.astimezone(BERLIN)
    days = (start.date() - now.astimezone(BERLIN).date()).days
    time = start.strftime("%H:%M")
    if days == 0:
        return word("when.today_at", language=language, time=time)
    if days == 1:
        return word("when.tomorrow_at", language=language, time=time)
    weekdays = _setting(language, "weekdays")
    return word(
        "when.date_at",
        language=language,
        weekday=weekdays[start.weekday()],
        date=start.strftime("%d.%m."),
        time=time,
    )


def describe_duration(*, expected_hours: float | None, language: str) -> str:
    """Return roughly how long care lasts: "ca. 4 Std.", "ca. 2,5 Std.", or that it is still open."""
    if not expected_hours or expected_hours <= 0:
        return word("duration.unknown", language=language)
    hours = f"{round(expected_hours * 2) / 2:g}".replace(".", str(_setting(language, "decimal_mark")))
    return word("duration.hours", language=language, hours=hours)


def describe_area(*, postcode: str | None, municipality: str | None) -> str:
    """Return the area: postcode and municipality, e.g. "30159 Hannover"."""
    return " ".join(p for p in (postcode, municipality) if p) or "Region Hannover"


def first_name(name: str | None) -> str | None:
    """Return the first word of a name (a caregiver is introduced to the family by first name only)."""
    words = (name or "").split()
    return words[0] if words else None
