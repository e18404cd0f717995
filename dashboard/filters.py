"""The app-wide Jinja filters, registered in one place: `register_filters(app)` (called by dashboard.init_dashboard)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask

from core.formats import date_de as format_date_de
from core.formats import euro_de


def euro(value: Decimal | None) -> str:
    """Return an amount German style, "1.234,50 €" (Decimal only)."""
    return "—" if value is None else euro_de(value)


def date_de(value: date | None) -> str:
    """Return a date as 24.11.2026, or a dash."""
    return "—" if value is None else format_date_de(value)


#: Every filter templates may use, by name.
FILTERS: dict[str, Callable[..., Any]] = {"euro": euro, "date_de": date_de}


def register_filters(app: Flask) -> None:
    """Make every filter available to every template of the app."""
    app.jinja_env.filters.update(FILTERS)
