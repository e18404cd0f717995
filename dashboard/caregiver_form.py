"""The caregiver edit form (WTForms): each field is read by its rule in caregivers.editing.

The domain returns a clean value or a FieldError (German with English beside); this form words the
error in the signed-in person's language and builds the CaregiverChanges for `update_caregiver`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import BooleanField, Field, Form, StringField
from wtforms.validators import ValidationError

from caregivers.editing import (
    CaregiverChanges,
    FieldError,
    read_distance,
    read_first_aid_date,
    read_languages,
    read_max_age,
    read_min_age,
    read_name,
    read_phone,
    read_police_certificate_date,
    read_postcode,
)
from dashboard import error_text
from dashboard.forms import first_errors


class CaregiverForm(Form):
    """A caregiver's data and checks as a lead edits them."""

    name = StringField()
    phone = StringField()
    postcode = StringField()
    max_distance_km = StringField()
    min_age = StringField()
    max_age = StringField()
    languages = StringField()
    eldercare = BooleanField()
    police_certificate_date = StringField()
    police_certificate_excluded = BooleanField()
    first_aid_date = StringField()
    active = BooleanField()

    def __init__(self, formdata: Any, *, today: date) -> None:
        """Read the submitted text; `today` bounds the check dates."""
        super().__init__(formdata)
        self.today = today
        self.clean: dict[str, Any] = {}

    def _keep(self, name: str, reading: tuple[Any, FieldError | None]) -> None:
        value, error = reading
        if error is not None:
            raise ValidationError(error_text(error))
        self.clean[name] = value

    def validate_name(self, field: Field) -> None:
        """Required, one line, not too long."""
        self._keep("name", read_name(field.data or ""))

    def validate_phone(self, field: Field) -> None:
        """A mobile number."""
        self._keep("phone", read_phone(field.data or ""))

    def validate_postcode(self, field: Field) -> None:
        """A postcode in the region."""
        self._keep("postcode", read_postcode(field.data or ""))

    def validate_max_distance_km(self, field: Field) -> None:
        """A radius in km."""
        self._keep("max_distance_km", read_distance(field.data or ""))

    def validate_min_age(self, field: Field) -> None:
        """A whole age."""
        self._keep("min_age", read_min_age(field.data or ""))

    def validate_max_age(self, field: Field) -> None:
        """A whole age, not below the youngest."""
        self._keep("max_age", read_max_age(field.data or "", min_age=self.clean.get("min_age")))

    def validate_languages(self, field: Field) -> None:
        """Two-letter codes."""
        self._keep("languages", read_languages(field.data or ""))

    def validate_police_certificate_date(self, field: Field) -> None:
        """Empty or a day not in the future."""
        self._keep("police_certificate_date", read_police_certificate_date(field.data or "", today=self.today))

    def validate_first_aid_date(self, field: Field) -> None:
        """Empty or a day not in the future."""
        self._keep("first_aid_date", read_first_aid_date(field.data or "", today=self.today))

    def changes(self) -> CaregiverChanges:
        """Return the clean values (after a successful `validate`)."""
        return CaregiverChanges(
            **self.clean, eldercare=self.eldercare.data, active=self.active.data,
            police_certificate_excluded=self.police_certificate_excluded.data,
        )

    def messages(self) -> dict[str, str]:
        """Return each refused field's message by field name (what the template shows)."""
        return first_errors(self)
