"""The voice menu as pure step functions: which question comes next, given the digits pressed.

The module is language-neutral: it names prompts by key (see ivr/prompts/*.toml) and leaves the
words to ivr.prompts. The webhook asks `question(step)` how to <Gather>, speaks the Ask's
`say_first` lines and then the question's prompt, and records each Advance's answers and flags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from core.languages import KEYS as LANGUAGE_KEYS
from core.languages import LANGUAGES
from geo.postcodes import PostcodeInfo, PostcodeKind, lookup_postcode

MAX_ATTEMPTS = 2
ASK_PERSON = "0"
ENGLISH = "9"
#: The prompt each language offers itself with at the first question ("For English, press 9.").
LANGUAGE_CHOICE = "language_choice"
_DIGITS = re.compile(r"[0-9]{1,5}")


class Step(StrEnum):
    """One question of the menu; the value is also its prompt key."""

    CALLER_TYPE = "caller_type"
    CARE_TYPE = "care_type"
    CHILDREN = "children"
    CHILD_AGE = "child_age"
    CARE_LEVEL = "care_level"
    POSTCODE = "postcode"
    URGENCY = "urgency"
    REASON = "reason"


@dataclass(frozen=True)
class Line:
    """One prompt to speak, by key in the prompt file, with the values for its {params}.

    `language` names the prompt file when it is not the call's language (the welcome's language offers).
    """

    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class Question:
    """How to <Gather> the answer to one step."""

    step: Step
    prompt: str
    num_digits: int | None
    finish_on_key: str


@dataclass(frozen=True)
class Ask:
    """Speak `say_first`, then ask `step`; attempt is 1, or 2 after an answer was not understood."""

    step: Step
    attempt: int
    say_first: tuple[Line, ...] = ()
    #: The short menu of surge mode (language and caller type, postcode, urgency); carried in the gather URL.
    short: bool = False


class ConnectReason(StrEnum):
    """Why the menu hands the caller to a person."""

    MENU_COMPLETE = "menu_complete"
    ASKED_FOR_PERSON = "asked_for_person"
    NOT_UNDERSTOOD = "not_understood"
    OUTSIDE_REGION = "outside_region"
    EMPLOYER = "employer"
    CAREGIVER = "caregiver"


@dataclass(frozen=True)
class Connect:
    """Speak `say_first`, then ring the coordinator on duty."""

    why: ConnectReason
    say_first: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Advance:
    """The outcome of one answer: what it recorded (this step only) and what happens next."""

    answers: Mapping[str, object]
    flags: tuple[str, ...]
    language: str | None
    next: Ask | Connect


# Every prompt key this module can emit, besides the question prompts (Step values).
LINE_KEYS = frozenset(
    {
        "welcome",
        "postcode_readback",
        "postcode_readback_shared",
        "postcode_company",
        "postcode_outside",
        "not_understood",
        "not_understood_connect",
        "connecting",
        "connecting_person",
        LANGUAGE_CHOICE,
    }
)

_QUESTIONS = {
    Step.CALLER_TYPE: Question(Step.CALLER_TYPE, "caller_type", 1, ""),
    Step.CARE_TYPE: Question(Step.CARE_TYPE, "care_type", 1, ""),
    Step.CHILDREN: Question(Step.CHILDREN, "children", 1, ""),
    Step.CHILD_AGE: Question(Step.CHILD_AGE, "child_age", None, "#"),
    Step.CARE_LEVEL: Question(Step.CARE_LEVEL, "care_level", 1, ""),
    Step.POSTCODE: Question(Step.POSTCODE, "postcode", 5, ""),
    Step.URGENCY: Question(Step.URGENCY, "urgency", 1, ""),
    Step.REASON: Question(Step.REASON, "reason", 1, ""),
}

# At these steps 0 is an answer (under one year, care level unknown), not "a person now".
_ZERO_IS_AN_ANSWER = frozenset({Step.CHILD_AGE, Step.CARE_LEVEL})

# Surge mode's short menu skips these (a parent goes from the first question to the postcode).
_SKIPPED_WHEN_SHORT = frozenset({Step.CARE_TYPE, Step.CHILDREN, Step.CHILD_AGE, Step.CARE_LEVEL})

_CALLER_TYPES = {"1": "parent", "2": "employer", "3": "caregiver"}
_CARE_TYPES = {"1": "child", "2": "eldercare"}
_URGENCIES = {"1": "now", "2": "today", "3": "tomorrow", "4": "later"}
_REASONS = {"1": "regular_care_failure", "2": "accident_illness", "3": "work_emergency", "4": "other"}

CHILD_AGE_LIMIT = 13
FLAG_CHILD_OVER_13 = "child_over_13"
FLAG_OUTSIDE_REGION = "outside_region"
FLAG_COMPANY_POSTCODE = "company_postcode"
FLAG_MENU_INCOMPLETE = "menu_incomplete"


def question(step: Step) -> Question:
    """Return how to gather the answer to `step`."""
    return _QUESTIONS[Step(step)]


def first_ask(*, short: bool = False) -> Ask:
    """Return the opening of every call: the welcome, then the caller-type question (with the language choice)."""
    return Ask(Step.CALLER_TYPE, 1, (Line("welcome"),), short=short)


def language_offers(step: Step, language: str, offered: tuple[str, ...] = LANGUAGES) -> tuple[Line, ...]:
    """Return the lines spoken after the question: at the first question of a German call, one per offered language.

    Each line is in its own language ("For English, press 9.", "Türkçe için 4'e basın."), in the order of
    `offered`; a call already switched to another language hears none (she has chosen).
    """
    if Step(step) is not Step.CALLER_TYPE or language != "de":
        return ()
    return tuple(Line(LANGUAGE_CHOICE, language=code) for code in offered if code != "de")


def advance(
    step: Step,
    attempt: int,
    digits: str | None,
    *,
    lookup: Callable[[str], PostcodeInfo] = lookup_postcode,
    short: bool = False,
    offered: tuple[str, ...] = LANGUAGES,
) -> Advance:
    """Interpret the digits pressed at `step` and return what they record and what comes next.

    `short` is surge mode's menu: a parent goes from the first question straight to the postcode,
    and the urgency is the last question (care type, children, age and reason stay unknown: the
    coordinator asks on the phone or fills them in on the case). `offered` are the languages the
    hotline offers (setting LANGUAGES): the key of a withdrawn language is not understood.
    """
    result = _advance_full(step, attempt, digits, lookup, offered)
    if not short:
        return result
    return replace(result, next=_shorten(result.next))


def _shorten(next_: Ask | Connect) -> Ask | Connect:
    if isinstance(next_, Connect):
        return next_
    if next_.step in _SKIPPED_WHEN_SHORT:
        next_ = Ask(Step.POSTCODE, 1, next_.say_first)
    if next_.step is Step.REASON:
        return Connect(ConnectReason.MENU_COMPLETE, (*next_.say_first, Line("connecting")))
    return replace(next_, short=True)


def _advance_full(step: Step, attempt: int, digits: str | None, lookup: Callable[[str], PostcodeInfo],
                  offered: tuple[str, ...] = LANGUAGES) -> Advance:
    step = Step(step)
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, not {attempt}")
    pressed = _clean(digits)
    if pressed == ASK_PERSON and step not in _ZERO_IS_AN_ANSWER:
        return _advance(Connect(ConnectReason.ASKED_FOR_PERSON, (Line("connecting_person"),)))
    if pressed is None:
        return _not_understood(step, attempt)
    if step is Step.POSTCODE:
        return _postcode(pressed, attempt, lookup)
    if step is Step.CALLER_TYPE and pressed in LANGUAGE_KEYS:
        language = LANGUAGE_KEYS[pressed]
        if language not in offered:
            return _not_understood(step, attempt)
        # The first question again, now in her language, afresh (choosing a language is no mistake).
        return _advance(Ask(Step.CALLER_TYPE, 1, (Line("welcome"),)), language=language)
    result = _STEP_HANDLERS[step](pressed)
    return result if result is not None else _not_understood(step, attempt)


def _clean(digits: str | None) -> str | None:
    """Return the keys pressed without a trailing '#', or None if they cannot be an answer."""
    if digits is None:
        return None
    pressed = digits.strip().rstrip("#").strip()
    # No answer in this menu is longer than a postcode; longer input is noise.
    return pressed if _DIGITS.fullmatch(pressed) else None


def _advance(
    next_: Ask | Connect,
    answers: Mapping[str, object] | None = None,
    flags: tuple[str, ...] = (),
    language: str | None = None,
) -> Advance:
    return Advance(answers=dict(answers or {}), flags=flags, language=language, next=next_)


def _not_understood(step: Step, attempt: int) -> Advance:
    if attempt < MAX_ATTEMPTS:
        return _advance(Ask(step, attempt + 1, (Line("not_understood"),)))
    return _advance(
        Connect(ConnectReason.NOT_UNDERSTOOD, (Line("not_understood_connect"),)),
        flags=(FLAG_MENU_INCOMPLETE,),
    )


def _caller_type(pressed: str) -> Advance | None:
    caller_type = _CALLER_TYPES.get(pressed)
    answers = {"caller_type": caller_type}
    if caller_type == "parent":
        return _advance(Ask(Step.CARE_TYPE, 1), answers)
    if caller_type == "employer":
        return _advance(Connect(ConnectReason.EMPLOYER, (Line("connecting"),)), answers)
    if caller_type == "caregiver":
        return _advance(Connect(ConnectReason.CAREGIVER, (Line("connecting"),)), answers)
    return None


def _care_type(pressed: str) -> Advance | None:
    care_type = _CARE_TYPES.get(pressed)
    if care_type is None:
        return None
    next_step = Step.CHILDREN if care_type == "child" else Step.CARE_LEVEL
    return _advance(Ask(next_step, 1), {"care_type": care_type})


def _children(pressed: str) -> Advance | None:
    if len(pressed) != 1 or pressed == "0":
        return None
    return _advance(Ask(Step.CHILD_AGE, 1), {"children": int(pressed)})


def _child_age(pressed: str) -> Advance | None:
    if len(pressed) > 2:
        return None
    age = int(pressed)
    flags = (FLAG_CHILD_OVER_13,) if age > CHILD_AGE_LIMIT else ()
    return _advance(Ask(Step.POSTCODE, 1), {"child_age": age}, flags)


def _care_level(pressed: str) -> Advance | None:
    if len(pressed) != 1 or int(pressed) > 5:
        return None
    return _advance(Ask(Step.POSTCODE, 1), {"care_level": int(pressed)})


def _urgency(pressed: str) -> Advance | None:
    urgency = _URGENCIES.get(pressed)
    return None if urgency is None else _advance(Ask(Step.REASON, 1), {"urgency": urgency})


def _reason(pressed: str) -> Advance | None:
    reason = _REASONS.get(pressed)
    if reason is None:
        return None
    return _advance(Connect(ConnectReason.MENU_COMPLETE, (Line("connecting"),)), {"reason": reason})


def _postcode(pressed: str, attempt: int, lookup: Callable[[str], PostcodeInfo]) -> Advance:
    if len(pressed) != 5:
        return _not_understood(Step.POSTCODE, attempt)
    info = lookup(pressed)
    if info.kind is PostcodeKind.REGION:
        answers = {"postcode": info.code, "municipality": info.municipality}
        return _advance(Ask(Step.URGENCY, 1, (_readback(info),)), answers)
    if info.kind is PostcodeKind.COMPANY:
        # Nobody lives at a company postcode: ask for the one where care is needed.
        if attempt < MAX_ATTEMPTS:
            return _advance(Ask(Step.POSTCODE, attempt + 1, (Line("postcode_company"),)))
        return _advance(
            Connect(ConnectReason.NOT_UNDERSTOOD, (Line("not_understood_connect"),)),
            flags=(FLAG_COMPANY_POSTCODE, FLAG_MENU_INCOMPLETE),
        )
    if info.kind is PostcodeKind.OUTSIDE:
        return _advance(
            Connect(ConnectReason.OUTSIDE_REGION, (Line("postcode_outside"), Line("connecting"))),
            {"postcode": info.code, "municipality": None},
            (FLAG_OUTSIDE_REGION,),
        )
    return _not_understood(Step.POSTCODE, attempt)


def _readback(info: PostcodeInfo) -> Line:
    """Read the postcode back digit by digit; a postcode shared by two towns names both."""
    digits = " ".join(info.code)
    first, *others = info.municipalities
    if not others:
        return Line("postcode_readback", {"digits": digits, "municipality": first})
    return Line(
        "postcode_readback_shared",
        {"digits": digits, "municipality": first, "other_municipality": ", ".join(others)},
    )


_STEP_HANDLERS: dict[Step, Callable[[str], Advance | None]] = {
    Step.CALLER_TYPE: _caller_type,
    Step.CARE_TYPE: _care_type,
    Step.CHILDREN: _children,
    Step.CHILD_AGE: _child_age,
    Step.CARE_LEVEL: _care_level,
    Step.URGENCY: _urgency,
    Step.REASON: _reason,
}
