"""The case page's edit form (WTForms): each field is read by its rule in cases.editing.

The domain returns error codes (EditError); this form words them in the signed-in person's language
and keeps the clean values for `cases.editing.edit_case`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import ValidationError

from cases.editing import (
    CaseDetails,
    EditError,
    check_address,
    check_notes,
    check_parent_name,
    parse_hours,
    parse_start,
)
from core.inputs import with_reading
from dashboard.forms import first_errors


def edit_error_message(code: EditError) -> str:
    """Return why a value of the edit form is refused, in words."""
    messages: dict[EditError, str] = {
        EditError.NAME_TOO_LONG: _("Der Vorname ist zu lang (höchstens 60 Zeichen)."),
        EditError.NAME_INVALID: _("Bitte nur den Vornamen eingeben, ohne Ziffern."),
        EditError.ADDRESS_TOO_LONG: _("Die Adresse ist zu lang (höchstens 200 Zeichen)."),
        EditError.TEXT_INVALID: _("Der Text enthält unzulässige Steuerzeichen."),
        EditError.DATE_INVALID: _("Bitte ein gültiges Datum eingeben, z. B. 24.11.2026."),
        EditError.TIME_INVALID: _("Bitte eine gültige Uhrzeit eingeben, z. B. 14:30."),
        EditError.DATE_WITHOUT_TIME: _("Bitte zum Datum auch die Uhrzeit angeben."),
        EditError.TIME_WITHOUT_DATE: _("Bitte zur Uhrzeit auch das Datum angeben."),
        EditError.TIME_SKIPPED: _("Diese Uhrzeit gibt es wegen der Zeitumstellung an diesem Tag nicht."),
        EditError.TIME_AMBIGUOUS: _(
            "Diese Uhrzeit gibt es an diesem Tag wegen der Zeitumstellung zweimal: bitte unter „Zeitumstellung?“ "
            "das erste Mal (MESZ) oder das zweite Mal (MEZ) wählen."
        ),
        EditError.START_TOO_EARLY: _("Der Beginn liegt mehr als einen Tag in der Vergangenheit."),
        EditError.START_TOO_LATE: _("Der Beginn liegt mehr als 60 Tage in der Zukunft."),
        EditError.HOURS_INVALID: _("Bitte die Dauer als Zahl in Stunden eingeben, z. B. 3 oder 2,5."),
        EditError.HOURS_OUT_OF_RANGE: _("Die Dauer muss zwischen 0,5 und 24 Stunden liegen."),
        EditError.NOTES_TOO_LONG: _("Die Notizen sind zu lang (höchstens 2000 Zeichen)."),
    }
    return messages.get(code, _("Das ging nicht."))


class CaseForm(Form):
    """What a coordinator adds to a case: first name, address, care start, expected hours, notes.

    Empty means "not known". The care start is typed as a local date and time (with the clock-change
    reading); its message is shown under the pair, as `care_starts_at`.
    """

    parent_name = StringField()
    address = StringField()
    care_date = StringField()
    care_time = StringField()
    care_time_reading = StringField()
    expected_hours = StringField()
    notes = TextAreaField()

    def __init__(self, formdata: Any, *, now: datetime) -> None:
        """Read the submitted text; `now` bounds the care start."""
        super().__init__(formdata)
        self.now = now
        self.clean: dict[str, Any] = {}

    def _keep(self, name: str, result: tuple[Any, EditError | None]) -> None:
        value, error = result
        if error is not None:
            raise ValidationError(edit_error_message(error))
        self.clean[name] = value

    def validate_parent_name(self, field: Field) -> None:
        """A first name without digits, at most 60 characters."""
        self._keep("parent_name", check_parent_name(field.data))

    def validate_address(self, field: Field) -> None:
        """One line, at most 200 characters."""
        self._keep("address", check_address(field.data))

    def validate_care_time(self, field: Field) -> None:
        """Date and time together, a real local time, not long past nor far ahead."""
        time_text = with_reading(field.data, self.care_time_reading.data)
        self._keep("care_starts_at", parse_start(self.care_date.data, time_text, now=self.now))

    def validate_expected_hours(self, field: Field) -> None:
        """0.5 to 24 hours."""
        self._keep("expected_hours", parse_hours(field.data))

    def validate_notes(self, field: Field) -> None:
        """At most 2000 characters, no control characters."""
        self._keep("notes", check_notes(field.data))

    def details(self) -> CaseDetails:
        """Return the clean values (after a successful `validate`)."""
        return CaseDetails(**self.clean)

    def messages(self) -> dict[str, str]:
        """Return each refused field's message by the name the template shows it under."""
        rename: dict[str, str] = {"care_time": "care_starts_at"}
        return {rename.get(name, name): text for name, text in first_errors(self).items()}

