"""The one base class of every domain error."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Bilingual(Protocol):
    """A message for people, German first with English beside: errors, a CSV line's or a field's reason."""

    def text(self, language: str) -> str:
        """Return the message in `language` ('de' or 'en'); German when there is no English one."""
        ...


class HotlineError(Exception):
    """Something the hotline's domain refuses, with a message a person can act on.

    The one convention for every message a person reads (errors, a CSV line's or a form field's
    reason): German first, the product's language — `str(error)` is what logs and the command line
    show — and `english` beside it for the dashboard's English-speaking users; `text(language)`
    picks one. core.csvfile.RowError and caregivers.editing.FieldError follow it too.
    """

    def __init__(self, message: str = "", *, english: str | None = None) -> None:
        """Keep the German message, and the English one when there is one."""
        super().__init__(message)
        self.english = english

    def text(self, language: str) -> str:
        """Return the message in `language` ('de' or 'en'); German when there is no English one."""
        return self.english if language == "en" and self.english else str(self)
