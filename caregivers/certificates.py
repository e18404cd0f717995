"""Certificate validity: how long a caregiver's police certificate and first-aid course count."""

from __future__ import annotations

from datetime import date

#: The police certificate (§ 72a SGB VIII) is accepted for five years from its date.
POLICE_CERTIFICATE_YEARS = 5
#: The first-aid course for children is refreshed every two years.
FIRST_AID_YEARS = 2


def years_before(day: date, years: int) -> date:
    """Return the same calendar day `years` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def validity_ends(day: date, years: int) -> date:
    """Return the first day a check taken on `day` no longer counts (1 March for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def police_certificate_valid(certificate_date: date | None, *, excluded: bool, today: date) -> bool:
    """Return True when a police certificate is on file, clean, and less than five years old."""
    if certificate_date is None or excluded:
        return False
    return certificate_date > years_before(today, POLICE_CERTIFICATE_YEARS)


def first_aid_valid(course_date: date | None, *, today: date) -> bool:
    """Return True when the first-aid course is less than two years old."""
    return course_date is not None and course_date > years_before(today, FIRST_AID_YEARS)
