"""The languages coordinators speak, by phone number: read for routing, set by the import and the roster page.

A language belongs to the person (her number), not to a shift: it holds for every shift she has.
Codes and their rules come from core.languages. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import HotlineError
from core.languages import LANGUAGES, parse_language_list
from core.phones import normalize_phone
from models.roster import CoordinatorLanguages


class InvalidLanguages(HotlineError):
    """A phone number or a language list that cannot be stored."""


def find_languages(session: Session, *, phones: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return the languages recorded for these phones (a phone without any is left out)."""
    wanted = sorted(set(phones))
    if not wanted:
        return {}
    rows = session.scalars(select(CoordinatorLanguages).where(CoordinatorLanguages.phone.in_(wanted)))
    return {row.phone: tuple(row.languages or ()) for row in rows if row.languages}


def store_languages(session: Session, *, languages: Mapping[str, Sequence[str]], now: datetime) -> int:
    """Record each phone's languages (replacing what was there); return how many people changed. Flush."""
    if not languages:
        return 0
    existing = {row.phone: row for row in session.scalars(
        select(CoordinatorLanguages).where(CoordinatorLanguages.phone.in_(sorted(languages))))}
    changed = 0
    for phone, codes in languages.items():
        wanted = [code for code in codes if code in LANGUAGES]
        row = existing.get(phone)
        if row is None:
            if not wanted:
                continue
            session.add(CoordinatorLanguages(phone=phone, languages=wanted, updated_at=now))
        elif list(row.languages or ()) == wanted:
            continue
        else:
            row.languages = wanted
            row.updated_at = now
        changed += 1
    session.flush()
    return changed


def set_languages(session: Session, *, phone: str, text: str, now: datetime) -> tuple[str, ...]:
    """Set one coordinator's languages as typed or ticked ("de;tr"); empty clears them. Flush.

    Raise InvalidLanguages for a phone number that is none or an unknown language code.
    """
    e164 = normalize_phone(phone)
    if e164 is None:
        raise InvalidLanguages(f"invalid phone number {phone!r}")
    try:
        codes = parse_language_list(text)
    except ValueError as exc:
        raise InvalidLanguages(str(exc)) from None
    store_languages(session, languages={e164: codes}, now=now)
    return codes
