"""When the hotline is open: the SERVICE_HOURS setting, Lower Saxony holidays, and how to say it.

Syntax (case-insensitive): `always`, or comma-separated entries `DAYS HH:MM-HH:MM`.

- DAYS is one day (`mon`) or a range (`mon-fri`, `mon-sun`); a range may wrap around the week
  (`sat-mon` is Saturday, Sunday and Monday). English (`mon tue wed thu fri sat sun`) and German
  (`mo di mi do fr sa so`) abbreviations are accepted.
- The end may be `24:00` (midnight at the end of the day). An end before the start means the
  interval runs past midnight: `fri 22:00-06:00` is open from Friday 22:00 to Saturday 06:00.
  Equal start and end is refused (write `00:00-24:00` for a whole day).
- Times are Europe/Berlin wall-clock times, so `08:00` is 08:00 in summer and in winter.

Holidays: on a Lower Saxony public holiday the hotline is closed for the whole calendar day
(Berlin time) unless `open_on_holidays` is set — this includes the early-morning part of an
interval that began the evening before. `always` means open at every moment, holidays included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays

from core.clock import BERLIN

MINUTES_PER_DAY = 24 * 60
#: How far ahead next_opening looks.
LOOKAHEAD = timedelta(days=14)

_DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6,
}
_ENTRY = re.compile(r"^(?P<days>[a-z]+(?:\s*-\s*[a-z]+)?)\s+(?P<start>[0-9]{1,2}:[0-9]{2})\s*-\s*(?P<end>[0-9]{1,2}:[0-9]{2})$")

_DE_DAYS = ("montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags", "sonntags")
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ServiceEntry:
    """One entry: the first and last day of a day range, and minutes after midnight.

    `end_minute` may be 1440 (24:00); when it is not after `start_minute`, the interval ends on
    the following day.
    """

    first_day: int
    last_day: int
    start_minute: int
    end_minute: int

    @property
    def days(self) -> tuple[int, ...]:
        """Return the weekdays (Monday = 0) the entry starts on, in order."""
        span = (self.last_day - self.first_day) % 7
        return tuple((self.first_day + i) % 7 for i in range(span + 1))

    @property
    def overnight(self) -> bool:
        """Return True when the interval runs past midnight into the next day."""
        return self.end_minute <= self.start_minute

    def week_intervals(self) -> list[tuple[int, int]]:
        """Return [start, end) in minutes since Monday 00:00; the end may pass the week's end."""
        length = (self.end_minute - self.start_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return [(d * MINUTES_PER_DAY + self.start_minute, d * MINUTES_PER_DAY + self.start_minute + length)
                for d in self.days]


@dataclass(frozen=True)
class ServiceHours:
    """Parsed SERVICE_HOURS: `always`, or a list of weekly entries."""

    always: bool
    entries: tuple[ServiceEntry, ...] = ()

    def is_open(self, at: datetime, *, open_on_holidays: bool) -> bool:
        """Return True when the hotline is open at an aware moment (judged on Berlin's wall clock)."""
        if self.always:
            return True
        local = _require_aware(at).astimezone(BERLIN)
        if not open_on_holidays and is_public_holiday(local.date()):
            return False
        minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
        week = 7 * MINUTES_PER_DAY
        for entry in self.entries:
            for start, end in entry.week_intervals():
                # An interval may run past Sunday midnight into Monday: test the wrapped minute too.
                if start <= minute < end or start <= minute + week < end:
                    return True
        return False

    def next_opening(self, at: datetime, *, open_on_holidays: bool) -> datetime | None:
        """Return the first moment (UTC) at or after `at` when the hotline is open, within 14 days."""
        at = _require_aware(at).astimezone(UTC)
        if self.is_open(at, open_on_holidays=open_on_holidays):
            return at
        limit = at + LOOKAHEAD
        first_day = at.astimezone(BERLIN).date()
        candidates: set[datetime] = set()
        for offset in range(LOOKAHEAD.days + 2):
            day = first_day + timedelta(days=offset)
            # Midnight matters when a holiday ends in the middle of an open interval.
            candidates.add(_wall_to_utc(day, 0))
            for entry in self.entries:
                if day.weekday() in entry.days and entry.start_minute < MINUTES_PER_DAY:
                    candidates.add(_wall_to_utc(day, entry.start_minute))
        for candidate in sorted(c for c in candidates if at <= c <= limit):
            if self.is_open(candidate, open_on_holidays=open_on_holidays):
                return candidate
        return None


def parse_service_hours(spec: str) -> ServiceHours:
    """Parse a SERVICE_HOURS value; raise ValueError naming the part that cannot be read."""
    text = spec.strip().lower()
    if not text:
        raise ValueError("SERVICE_HOURS is empty; use e.g. 'mon-sat 00:00-24:00' or 'always'")
    if text == "always":
        return ServiceHours(always=True)
    entries = []
    for part in text.split(","):
        part = " ".join(part.split())
        if not part:
            raise ValueError(f"SERVICE_HOURS {spec!r} has an empty entry (two commas in a row?)")
        entries.append(_parse_entry(part))
    return ServiceHours(always=False, entries=tuple(entries))


def describe_service_hours(spec: ServiceHours, language: str) -> str:
    """Return a short spoken phrase for the opening hours, in German ('de') or English ('en')."""
    lang = language.strip().lower().split("-")[0]
    if lang not in ("de", "en"):
        raise ValueError(f"no wording for language {language!r}; use 'de' or 'en'")
    german = lang == "de"
    if spec.always:
        return "täglich rund um die Uhr" if german else "every day, around the clock"

    # Entries with the same days are said together: "montags von 8 bis 12 und von 14 bis 18 Uhr".
    groups: dict[tuple[int, int], list[ServiceEntry]] = {}
    for entry in spec.entries:
        groups.setdefault((entry.first_day, entry.last_day), []).append(entry)
    phrases = []
    for (first, last), entries in groups.items():
        days = _days_de(first, last) if german else _days_en(first, last)
        if german:
            times = " und ".join(_times_de(e) for e in entries)
            phrases.append(f"{days} {times}")
        else:
            times = " and ".join(_times_en(e) for e in entries)
            separator = ", " if times == "around the clock" else " "
            phrases.append(f"{days}{separator}{times}")
    return _join(phrases, "und" if german else "and")


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv="NI", years=year)


def is_public_holiday(day: date) -> bool:
    """Return True when a date is a public holiday in Lower Saxony."""
    return day in _holidays(day.year)


def _parse_entry(part: str) -> ServiceEntry:
    match = _ENTRY.match(part)
    if not match:
        raise ValueError(f"SERVICE_HOURS entry {part!r} is not like 'mon-fri 06:00-21:00'")
    day_names = [d.strip() for d in match["days"].split("-")]
    for name in day_names:
        if name not in _DAY_NAMES:
            raise ValueError(f"SERVICE_HOURS entry {part!r}: unknown day {name!r} (use mon, tue, … sun)")
    first = _DAY_NAMES[day_names[0]]
    last = _DAY_NAMES[day_names[-1]]
    start = _parse_minute(match["start"], part, allow_24=False)
    end = _parse_minute(match["end"], part, allow_24=True)
    if start == end:
        raise ValueError(f"SERVICE_HOURS entry {part!r} starts and ends at the same time; "
                         "for a whole day write 00:00-24:00")
    return ServiceEntry(first_day=first, last_day=last, start_minute=start, end_minute=end)


def _parse_minute(value: str, part: str, *, allow_24: bool) -> int:
    hours, minutes = (int(x) for x in value.split(":"))
    if allow_24 and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        allowed = "00:00–24:00" if allow_24 else "00:00–23:59"
        raise ValueError(f"SERVICE_HOURS entry {part!r}: {value!r} is not a time of day ({allowed})")
    return hours * 60 + minutes


def _wall_to_utc(day: date, minute: int) -> datetime:
    """Return a Berlin wall-clock time as UTC; a time skipped by DST becomes the moment after the jump."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    for step in range(121):
        candidate = (wall + timedelta(minutes=step)).replace(tzinfo=BERLIN)
        utc = candidate.astimezone(UTC)
        if utc.astimezone(BERLIN).replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return utc
    raise AssertionError(f"no existing Berlin time near {wall}")  # pragma: no cover


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("service hours need a timezone-aware datetime")
    return at


def _is_whole_day(entry: ServiceEntry) -> bool:
    return entry.start_minute == 0 and entry.end_minute == MINUTES_PER_DAY


def _days_de(first: int, last: int) -> str:
    if first == last:
        return _DE_DAYS[first]
    if (last - first) % 7 == 6:
        return "täglich"
    return f"{_DE_DAYS[first]} bis {_DE_DAYS[last]}"


def _days_en(first: int, last: int) -> str:
    if first == last:
        return f"{_EN_DAYS[first]}s"
    if (last - first) % 7 == 6:
        return "every day"
    return f"{_EN_DAYS[first]} to {_EN_DAYS[last]}"


def _clock_de(minute: int) -> tuple[str, bool]:
    """Return a spoken German time and whether it is a whole hour ('6', '6 Uhr 30', 'Mitternacht')."""
    if minute in (0, MINUTES_PER_DAY):
        return "Mitternacht", False
    hours, minutes = divmod(minute, 60)
    return (str(hours), True) if minutes == 0 else (f"{hours} Uhr {minutes}", False)


def _times_de(entry: ServiceEntry) -> str:
    if _is_whole_day(entry):
        return "rund um die Uhr"
    start, start_whole = _clock_de(entry.start_minute)
    end, end_whole = _clock_de(entry.end_minute)
    if entry.start_minute == 0:
        start, start_whole = "0", True
    if end_whole:
        return f"von {start} bis {end} Uhr"
    # "von 6 Uhr bis Mitternacht", "von 6 Uhr 30 bis 21 Uhr 15"
    return f"von {start}{' Uhr' if start_whole else ''} bis {end}"


def _clock_en(minute: int) -> str:
    if minute in (0, MINUTES_PER_DAY):
        return "midnight"
    if minute == 12 * 60:
        return "noon"
    hours, minutes = divmod(minute, 60)
    suffix = "am" if hours < 12 else "pm"
    hours = hours % 12 or 12
    return f"{hours} {suffix}" if minutes == 0 else f"{hours}:{minutes:02d} {suffix}"


def _times_en(entry: ServiceEntry) -> str:
    if _is_whole_day(entry):
        return "around the clock"
    return f"from {_clock_en(entry.start_minute)} to {_clock_en(entry.end_minute)}"


def _join(parts: list[str], conjunction: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"
