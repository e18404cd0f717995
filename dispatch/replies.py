"""Parse an SMS reply into a command: pure, forgiving about spelling, never raising.

What is accepted (case, surrounding spaces, quotes, emoji and punctuation such as `.`, `!`, `,`,
`-`, `:` or `#` are ignored; a code may follow its word with or without a space, `JA12`):

- YES   `JA`, `J`, `YES`, `Y`, optionally followed by one offer code (`JA 12`, `j 12`, `yes 12`).
        `OK <code>` / `OKAY <code>` also accept, but only with a code: a bare `ok` is how people
        acknowledge a message (e.g. "already taken"), and must never accept another job.
- NO    `NEIN`, `N`, `NO`, `NEE`, optionally with a code.
- The same yes and no in the caller languages (core.languages), so a caregiver may answer in her own:
        Turkish `EVET`/`HAYIR`, Polish `TAK`/`NIE`, Russian `ДА`/`НЕТ`, Ukrainian `ТАК`/`НІ`, Arabic
        `نعم`/`لا` (with a code as above: `EVET 12`, `ДА12`, `نعم 12`). The offers themselves say JA/NEIN.
- STOP  `STOP`, `STOPP`, `ABMELDEN` and Twilio's own opt-out words `STOPALL`, `UNSUBSCRIBE`,
        `CANCEL`, `END`, `QUIT`, `REVOKE`, `OPTOUT`.
- START `START`, `ANMELDEN`, `UNSTOP` — a bare word only: opt back in.
- CARE_START `START <code>` (`START 12`, `start12`): care began for the assignment with that code
        (the code of the caregiver's accepted offer). Twilio treats START as its opt-in keyword only
        when it is the whole message, so a START with a code reaches us as text.
- CARE_END `ENDE <code>` or `FERTIG <code>`, or the bare word (then it ends her one running
        session). Not `END`: that is one of Twilio's opt-out words and stays STOP.
- HELP  `HILFE`, `HELP`, `INFO`, `?`.
- SEND  `SENDEN <reference>` (also `SEND`, `SENDEN #K7Q2`, `sendenK7Q2`); the reference is
        normalised with cases.references.normalize_reference; without one, reference is None.

A few polite words may stand anywhere (`Ja gerne 12`, `Nein danke`, `Leider nein`). Anything else —
extra words, two codes, a sentence — is UNKNOWN: the sender then gets the help text, which is
safer than guessing that "Ja, aber erst ab 10 Uhr" accepted the job.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from cases import references
from cases.references import normalize_reference


class ReplyKind(enum.StrEnum):
    """What an SMS asks for."""

    YES = "yes"
    NO = "no"
    STOP = "stop"
    START = "start"
    CARE_START = "care_start"
    CARE_END = "care_end"
    HELP = "help"
    SEND = "send"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reply:
    """A parsed SMS: its kind, an offer code (YES/NO, CARE_START/CARE_END) and a case reference (SEND)."""

    kind: ReplyKind
    code: str | None = None
    reference: str | None = None


UNKNOWN = Reply(ReplyKind.UNKNOWN)

#: Words that name a command. Twilio matches its own keywords on the whole message only; so do we.
_WORDS: dict[str, ReplyKind] = {
    **dict.fromkeys(("ja", "j", "yes", "y"), ReplyKind.YES),
    **dict.fromkeys(("nein", "n", "no", "nee"), ReplyKind.NO),
    # The caller languages' yes and no, casefolded ("HAYIR" folds to "hayir", "hayır" stays).
    **dict.fromkeys(("evet", "tak", "да", "так", "نعم"), ReplyKind.YES),
    **dict.fromkeys(("hayır", "hayir", "nie", "нет", "ні", "لا"), ReplyKind.NO),
    **dict.fromkeys(
        ("stop", "stopp", "abmelden", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"),
        ReplyKind.STOP,
    ),
    **dict.fromkeys(("start", "anmelden", "unstop"), ReplyKind.START),
    **dict.fromkeys(("ende", "fertig"), ReplyKind.CARE_END),
    **dict.fromkeys(("hilfe", "help", "info"), ReplyKind.HELP),
    **dict.fromkeys(("senden", "send"), ReplyKind.SEND),
}
#: Accept only when a code follows (see the module docstring).
_YES_WITH_CODE_ONLY = frozenset({"ok", "okay"})
#: Courtesy that changes nothing.
_FILLERS = frozenset(
    {"gerne", "gern", "bitte", "danke", "dankeschön", "leider", "sorry", "please", "thanks", "thank", "you",
     "teşekkürler", "tesekkurler", "lütfen", "dziękuję", "dzięki", "спасибо", "дякую", "شكرا"}
)
#: An offer code: one to six letters or digits with at least one digit (`12`, `7A`).
_CODE = re.compile(r"^(?=[a-z]*\d)[a-z0-9]{1,6}$")
#: A compact word and code, `ja12`, `nein34`, `да12` (a word of letters of any script).
_COMPACT = re.compile(r"^([^\W\d_]+?)(\d[a-z0-9]{0,5})$")
#: A reference as coordinators type it (`K7Q2`, `k7 q2`, `#K7Q2`): letters and digits.
_REFERENCE = re.compile(r"^[a-z0-9]{2,12}$")
#: A reply longer than this is a text, not a command (and is never tokenised).
_MAX_COMMAND_CHARS = 80


def parse_reply(text: str | None) -> Reply:
    """Return what an SMS body asks for; UNKNOWN for anything that is not clearly a command."""
    try:
        return _parse(text or "")
    except Exception:  # pragma: no cover - a parser bug must never cost an SMS its answer
        return UNKNOWN


def _parse(text: str) -> Reply:
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or len(text) > _MAX_COMMAND_CHARS:
        return UNKNOWN
    if set(text) <= {"?", "？", " "}:
        return Reply(ReplyKind.HELP)
    tokens = _tokens(text)
    words = [t for t in tokens if t not in _FILLERS]
    if not words:
        return UNKNOWN
    first, rest = words[0], words[1:]
    kind = _WORDS.get(first)
    if kind is None:
        first, rest = _split_compact(first, rest)
        kind = _WORDS.get(first)
        if kind is None and first in _YES_WITH_CODE_ONLY and len(rest) == 1:
            kind = ReplyKind.YES
    if kind is None:
        return UNKNOWN
    if kind is ReplyKind.SEND:
        # A reference may spell a polite word (GERN): a lone word that could be one is kept.
        after = tokens[tokens.index(words[0]) + 1 :]
        return _send(after if len(after) == 1 and _could_be_reference(after[0]) else rest)
    if first == "start" and rest:
        # START with a code: care began. A bare START is still the opt-in.
        if len(rest) == 1 and _CODE.match(rest[0]):
            return Reply(ReplyKind.CARE_START, code=rest[0].upper())
        return UNKNOWN
    if kind in (ReplyKind.YES, ReplyKind.NO, ReplyKind.CARE_END):
        if not rest:
            return Reply(kind)
        if len(rest) == 1 and _CODE.match(rest[0]):
            return Reply(kind, code=rest[0].upper())
        return UNKNOWN
    return Reply(kind) if not rest else UNKNOWN


def _tokens(text: str) -> list[str]:
    """Return the lower-case words of a text; punctuation, quotes and symbols only separate."""
    # Only ASCII digits count: other scripts' digits are not codes we hand out.
    kept = (
        ch if (ch.isascii() and ch.isalnum()) or unicodedata.category(ch).startswith("L") else " "
        for ch in text.casefold()
    )
    return "".join(kept).split()


def _split_compact(first: str, rest: list[str]) -> tuple[str, list[str]]:
    """Split `ja12` into `ja` + `12`, `sendenk7q2` into `senden` + `k7q2`."""
    if first.startswith("senden") and len(first) > len("senden"):
        return "senden", [first[len("senden") :], *rest]
    match = _COMPACT.match(first)
    if match and (match.group(1) in _WORDS or match.group(1) in _YES_WITH_CODE_ONLY):
        return match.group(1), [match.group(2), *rest]
    return first, rest


def _could_be_reference(word: str) -> bool:
    """Return True when a word has the shape of a case reference (four letters of its alphabet)."""
    return len(word) == references.LENGTH and all(ch in references.ALPHABET for ch in word.upper())


def _send(rest: list[str]) -> Reply:
    """Return a SEND reply; the reference is what follows, normalised, or None."""
    if not rest:
        return Reply(ReplyKind.SEND)
    joined = "".join(rest)  # "K7 Q2" is K7Q2
    if _REFERENCE.match(joined):
        return Reply(ReplyKind.SEND, reference=normalize_reference(joined))
    return UNKNOWN
