"""A coordinator's shifts as an iCalendar feed behind a secret URL (Outlook, phone calendars).

The document is built by a pure function; times are written in UTC (`DTSTART:20261124T150000Z`),
which every calendar program reads without a VTIMEZONE block and shows in its own zone, so DST
needs no special care. Each shift keeps its UID (`shift-<id>@fluxx-hannover`) when it is edited,
so subscribed calendars update the event instead of duplicating it.

The token is the key: whoever has the URL sees that coordinator's shift times (no names of
others, no case data). Regenerating replaces it, and the old URL stops working at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import HotlineError
from core.phones import normalize_phone
from models.roster import Shift
from models.user import CalendarFeed

#: The feed shows shifts from this long ago ...
PAST = timedelta(days=30)
#: ... up to this far ahead.
AHEAD = timedelta(days=90)
UID_DOMAIN = "fluxx-hannover"
PRODID = "-//Fluxx Notfallbetreuung Hannover//Dienstplan//DE"
SUMMARIES = {"primary": "Fluxx Hauptdienst", "backup": "Fluxx Vertretung"}


class InvalidFeedPhone(HotlineError):
    """A calendar feed was asked for a phone number that is not valid."""


@dataclass(frozen=True)
class CalendarShift:
    """One shift as the feed shows it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    role: str


def build_calendar(shifts: Sequence[CalendarShift], *, name: str, now: datetime) -> bytes:
    """Return an iCalendar document with one VEVENT per shift (times in UTC)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Fluxx-Dienste {name}".strip())
    calendar.add("x-wr-timezone", "Europe/Berlin")
    # Ask subscribing programs to look again every hour (Outlook reads the X- form).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    stamp = now.astimezone(UTC)
    for shift in sorted(shifts, key=lambda s: (s.starts_at, s.id)):
        role = str(shift.role)
        event = Event()
        event.add("uid", f"shift-{shift.id}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.starts_at.astimezone(UTC))
        event.add("dtend", shift.ends_at.astimezone(UTC))
        event.add("summary", SUMMARIES.get(role, "Fluxx Dienst"))
        event.add("description", "Rufbereitschaft der Fluxx-Hotline"
                  + (" (Hauptdienst: Anrufe klingeln zuerst bei Ihnen)" if role == "primary"
                     else " (Vertretung: Anrufe kommen, wenn der Hauptdienst nicht abnimmt)"))
        event.add("transp", "OPAQUE")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def find_feed_shifts(session: Session, *, phone: str, now: datetime) -> list[CalendarShift]:
    """Return a phone number's shifts that touch the last 30 and the next 90 days."""
    rows = session.scalars(
        select(Shift)
        .where(Shift.phone == phone, Shift.ends_at > now - PAST, Shift.starts_at < now + AHEAD)
        .order_by(Shift.starts_at, Shift.id)
    )
    return [CalendarShift(s.id, s.starts_at, s.ends_at, str(s.role.value)) for s in rows]


def get_feed_by_token(session: Session, token: str) -> CalendarFeed | None:
    """Return the feed with this token, or None."""
    if not token or len(token) > 64:
        return None
    return session.scalars(select(CalendarFeed).where(CalendarFeed.token == token)).one_or_none()


def find_feeds(session: Session, *, phones: Sequence[str]) -> dict[str, CalendarFeed]:
    """Return the feeds of these phone numbers, by phone."""
    if not phones:
        return {}
    feeds = session.scalars(select(CalendarFeed).where(CalendarFeed.phone.in_(list(phones))))
    return {f.phone: f for f in feeds}


def regenerate_feed(session: Session, *, phone: str, now: datetime) -> CalendarFeed:
    """Give a phone number a new secret feed token (creating the feed); the old URL stops working."""
    e164 = normalize_phone(phone)
    if e164 is None:
        raise InvalidFeedPhone(f"invalid phone number {phone!r}")
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.phone == e164)).one_or_none()
    token = secrets.token_urlsafe(32)
    if feed is None:
        feed = CalendarFeed(phone=e164, token=token, created_at=now)
        session.add(feed)
    else:
        feed.token = token
        feed.created_at = now
    session.flush()
    return feed


def build_feed(session: Session, *, token: str, now: datetime) -> bytes | None:
    """Return the iCalendar document behind a token, or None when the token is unknown."""
    feed = get_feed_by_token(session, token)
    if feed is None:
        return None
    shifts = find_feed_shifts(session, phone=feed.phone, now=now)
    name = session.scalars(
        select(Shift.name).where(Shift.phone == feed.phone).order_by(Shift.starts_at.desc()).limit(1)
    ).first()
    return build_calendar(shifts, name=name or "", now=now)
