"""The one base class of every domain error."""

from __future__ import annotations


class HotlineError(Exception):
    """Something the hotline's domain refuses, with a message a person can act on.

    The message is German, the product's language: `str(error)` is what logs and the command line
    show. `english` carries the same message for the dashboard's English-speaking users.
    """

    def __init__(self, message: str = "", *, english: str | None = None) -> None:
        """Keep the German message, and the English one when there is one."""
        super().__init__(message)
        self.english = english

    def text(self, language: str) -> str:
        """Return the message in `language` ('de' or 'en'); German when there is no English one."""
        return self.english if language == "en" and self.english else str(self)
