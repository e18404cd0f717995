"""The partner pages' blueprint and what they share: reading amounts and dates from a form, a row or 404."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy.orm import Session

from core.inputs import InputError, optional_date
from core.inputs import parse_money as inputs_money
from models import User

bp = Blueprint("partners", __name__, template_folder=str(Path(__file__).resolve().parent.parent / "templates"))

MAX_MONEY = Decimal("99999999.99")


def parse_date(text: str | None) -> date | None:
    """Parse YYYY-MM-DD (the date input) or DD.MM.YYYY; None when empty or wrong."""
    try:
        return optional_date(text)
    except InputError:
        return None


def parse_money(text: str | None) -> Decimal | None:
    """Parse an amount in euros written German style ("1.234,50", "3,50", "6000"); None when wrong."""
    if not (text or "").strip():
        return None
    try:
        return inputs_money(text, maximum=MAX_MONEY)
    except InputError:
        return None


def one_line(form: Mapping[str, str], name: str, limit: int) -> str:
    """Return a form field on one line, spaces collapsed, cut one past `limit` (so "too long" shows)."""
    return " ".join((form.get(name) or "").split())[: limit + 1]


@dataclass
class Checked:
    """A parsed form: the values, and German messages by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def get_or_404(s: Session, model: type[Any], id_: int | None) -> Any:
    """Return the row with that id, or answer 404."""
    row = s.get(model, id_) if id_ is not None else None
    if row is None:
        abort(404)
    return row


def signed_in_user(s: Session) -> User | None:
    """Return the signed-in person's row (for the audit trail)."""
    return s.get(User, int(current_user.get_id()))
