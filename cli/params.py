"""Command-line arguments through the same rules as the dashboard (core.inputs), as click types."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from core.inputs import InputError, normalize_month, parse_date, parse_int


class _InputType(click.ParamType):
    """A click type whose conversion is one core.inputs rule; its refusal becomes click's message."""

    def parse(self, value: str) -> Any:  # pragma: no cover - every subclass defines it
        """Return the parsed value or raise InputError."""
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse a typed value; a value already parsed (a default) passes through."""
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class MonthType(_InputType):
    """A month "YYYY-MM", returned in exactly that form."""

    name = "JJJJ-MM"

    def parse(self, value: str) -> str:
        """Return the month as "YYYY-MM"."""
        return normalize_month(value)


class DateType(_InputType):
    """A day, YYYY-MM-DD or DD.MM.YYYY."""

    name = "JJJJ-MM-TT"

    def parse(self, value: str) -> date:
        """Return the day."""
        return parse_date(value)


class BoundedInt(_InputType):
    """A whole number of ASCII digits within a range."""

    name = "ZAHL"

    def __init__(self, minimum: int, maximum: int) -> None:
        """Keep the range."""
        self.minimum, self.maximum = minimum, maximum

    def parse(self, value: str) -> int:
        """Return the number."""
        return parse_int(value, minimum=self.minimum, maximum=self.maximum)


MONTH = MonthType()
DATE = DateType()
