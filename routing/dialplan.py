"""Who rings now: the dial plan for a call, as a pure function of who is on duty and who is busy."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from core.languages import DEFAULT as GERMAN


class StageKind(enum.StrEnum):
    """The stages of a call, in the order they are tried."""

    PRIMARY = "primary"
    BACKUP = "backup"
    #: Waiting in the hotline's queue for a coordinator who is talking (routing.queue, routing.waiting).
    QUEUE = "queue"
    FALLBACK = "fallback"
    VOICEMAIL = "voicemail"


ORDER = (StageKind.PRIMARY, StageKind.BACKUP, StageKind.QUEUE, StageKind.FALLBACK, StageKind.VOICEMAIL)
#: The stages that ring phones with a <Dial>, so the only ones with a dial result (/voice/dial/<stage>):
#: the queue redirects to its own loop and the voicemail records.
DIALLED = frozenset({StageKind.PRIMARY, StageKind.BACKUP, StageKind.FALLBACK})


@dataclass(frozen=True)
class OnDuty:
    """A coordinator on duty: her number and her role on the shift."""

    phone: str
    role: str


@dataclass(frozen=True)
class Stage:
    """One stage of the dial plan: the numbers that ring at once (none for voicemail)."""

    kind: StageKind
    numbers: tuple[str, ...] = ()


def build_dial_plan(
    on_duty: Iterable[OnDuty], *, busy: Collection[str], fallback_number: str | None, together: bool = False,
    language: str | None = None, speaks: Mapping[str, Collection[str]] | None = None,
) -> list[Stage]:
    """Return the stages to try: free primaries, then free backups, then the office, then voicemail.

    `together` (surge mode): the free backups ring at once with the free primaries, in one stage.
    `language` is the caller's, `speaks` the coordinators' languages by phone: within a stage, those
    who speak it come first (prefer_speakers). A stage still rings all its numbers at once, so
    nobody rings later than without the preference: it never costs the caller a second of waiting.
    """
    primaries: list[str] = []
    backups: list[str] = []
    for person in on_duty:
        if person.phone in busy:
            continue
        target = primaries if person.role == "primary" else backups
        if person.phone not in primaries and person.phone not in target:
            target.append(person.phone)
    backups = [phone for phone in backups if phone not in primaries]
    if together:
        primaries, backups = primaries + backups, []
    plan = []
    if primaries:
        plan.append(Stage(StageKind.PRIMARY, prefer_speakers(primaries, language, speaks or {})))
    if backups:
        plan.append(Stage(StageKind.BACKUP, prefer_speakers(backups, language, speaks or {})))
    if fallback_number:
        plan.append(Stage(StageKind.FALLBACK, (fallback_number,)))
    plan.append(Stage(StageKind.VOICEMAIL))
    return plan


def prefer_speakers(
    phones: Iterable[str], language: str | None, speaks: Mapping[str, Collection[str]]
) -> tuple[str, ...]:
    """Return the phones with those who speak `language` first, each group in its given order.

    A German caller (or one whose language is unknown) keeps the given order: every coordinator
    speaks German. Nobody speaking it: the given order. Only orders, never leaves anyone out.
    """
    phones = tuple(phones)
    if not language or language == GERMAN:
        return phones
    first = tuple(phone for phone in phones if language in speaks.get(phone, ()))
    return first + tuple(phone for phone in phones if phone not in first)


def next_stage(plan: list[Stage], *, after: StageKind | None) -> Stage:
    """Return the first stage of the plan that comes after the given one (voicemail at the latest)."""
    position = -1 if after is None else ORDER.index(after)
    for stage in plan:
        if ORDER.index(stage.kind) > position:
            return stage
    return Stage(StageKind.VOICEMAIL)


def is_reached(dial_call_status: str | None, dial_bridged: str | None) -> bool:
    """Return True only when the coordinator took the call: completed AND bridged (she pressed 1)."""
    return (dial_call_status or "").lower() == "completed" and (dial_bridged or "").lower() == "true"
