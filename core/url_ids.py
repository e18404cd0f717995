"""Ids in URLs: ASCII digits, 1..2^31-1, else the route does not match (404).

Werkzeug's `int` converter matches `\\d+` (any Unicode digit) and converts any size, so an id of
2^63 reached the database and failed there with a 500. This converter replaces it for every route
of the app (the dashboard's pages and the signed webhooks alike), and is also registered as `id`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import Map, ValidationError
from werkzeug.routing.converters import BaseConverter

from core.inputs import MAX_ID


class IdConverter(BaseConverter):
    """Match 1 to 10 ASCII digits and accept only 1..2^31-1 (or the rule's own min/max within that)."""

    regex = r"[0-9]{1,10}"
    weight = 50
    part_isolating = True

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        """Keep Werkzeug's `int` arguments, bounded to the id range (signed numbers are not ids)."""
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = 1 if min is None else min
        self.max = MAX_ID if max is None else max if max < MAX_ID else MAX_ID

    def to_python(self, value: str) -> int:
        """Return the number, or refuse it so the URL answers 404."""
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = int(value)
        if not self.min <= number <= self.max:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        """Return the id as digits."""
        text = str(int(value))
        return text.zfill(self.fixed_digits) if self.fixed_digits else text


def install_id_converter(app: Flask) -> None:
    """Make `<int:...>` and `<id:...>` in every route of `app` match only ids; call before adding routes."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
