"""The dashboard's forms (WTForms), with fields that parse through core.inputs' one set of rules.

Each field turns the typed text into a value or a message in the signed-in person's language; a form
is validated against `request.form` (CSRF is checked for the whole app by Flask-WTF's CSRFProtect).
Views read `form.data` and `form.errors`; the templates show errors by field name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from core.inputs import MAX_MONEY, InputError, get_id, optional_date, parse_money, parse_postcode


class LineField(StringField):
    """One line of text, inner whitespace collapsed; required and a length limit as arguments."""

    def __init__(self, *args: Any, limit: int, required: bool = False, **kwargs: Any) -> None:
        """Keep the limit and whether the line may be empty."""
        super().__init__(*args, **kwargs)
        self.limit, self.required = limit, required

    def process_formdata(self, valuelist: list[str]) -> None:
        """Collapse whitespace; None when empty."""
        self.data = " ".join((valuelist[0] if valuelist else "").split()) or None

    def pre_validate(self, form: Form) -> None:
        """Refuse an empty required line or one too long."""
        if self.required and not self.data:
            raise StopValidation(_("Bitte ausfüllen."))
        if self.data and len(self.data) > self.limit:
            raise StopValidation(_("Höchstens %(n)d Zeichen.", n=self.limit))


class LinesField(TextAreaField):
    """Several lines (one item per line), blank lines dropped."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Return the non-empty lines, stripped."""
        text = (valuelist[0] if valuelist else "").replace("\r\n", "\n")
        self.data = [line.strip() for line in text.split("\n") if line.strip()]


class _InputField(Field):
    """A field whose text is read by one core.inputs rule; an empty field is None."""

    parse: Callable[[str], Any]
    message: Any = None

    def __init__(self, *args: Any, required: bool = False, message: Any = None, **kwargs: Any) -> None:
        """Keep whether a value is needed and the message shown for a wrong one."""
        super().__init__(*args, **kwargs)
        self.required, self.custom_message = required, message
        self.raw = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the typed text; remember it so the form can show it again."""
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            try:
                self.data = type(self).parse(self.raw)
            except InputError as exc:
                self.process_errors.append(str(self.custom_message or _error_in_locale(exc)))

    def pre_validate(self, form: Form) -> None:
        """Refuse a missing required value."""
        if self.required and not self.raw:
            raise StopValidation(str(self.custom_message or _("Bitte ausfüllen.")))

    def _value(self) -> str:
        return self.raw


class DateField(_InputField):
    """A day: YYYY-MM-DD (the date input) or DD.MM.YYYY."""

    parse = staticmethod(optional_date)


class MoneyField(_InputField):
    """An amount in euros with cents ("1.234,50", "3,50", "6000")."""

    parse = staticmethod(lambda text: parse_money(text, maximum=MAX_MONEY))


class PostcodeField(_InputField):
    """A German postcode: five ASCII digits."""

    parse = staticmethod(parse_postcode)


class IdChoiceField(_InputField):
    """An id picked from a list (an employer, a caregiver); anything else is refused."""

    parse = staticmethod(get_id)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no choices; the view sets `allowed`."""
        super().__init__(*args, **kwargs)
        self.allowed: set[int] = set()

    def pre_validate(self, form: Form) -> None:
        """Refuse an id that is not one of the choices."""
        super().pre_validate(form)
        if self.raw and self.data not in self.allowed:
            raise StopValidation(str(self.custom_message or _("Bitte aus der Liste wählen.")))


class CodeChoiceField(StringField):
    """A code picked from a list (a tariff); empty means none."""

    def __init__(self, *args: Any, message: Any = None, **kwargs: Any) -> None:
        """Start with no choices; the view sets `allowed`."""
        super().__init__(*args, **kwargs)
        self.allowed: set[str] = set()
        self.custom_message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        """Strip the code; None when empty."""
        self.data = (valuelist[0] if valuelist else "").strip() or None

    def pre_validate(self, form: Form) -> None:
        """Refuse a code that is not one of the choices."""
        if self.data and self.data not in self.allowed:
            raise StopValidation(str(self.custom_message or _("Bitte aus der Liste wählen.")))


def first_errors(form: Form) -> dict[str, str]:
    """Return each field's first message, by field name (what the templates show)."""
    return {name: str(messages[0]) for name, messages in form.errors.items() if messages}


def ensure(condition: bool, message: str) -> None:
    """Raise a field's ValidationError with `message` unless `condition` holds."""
    if not condition:
        raise ValidationError(message)


def _error_in_locale(exc: InputError) -> str:
    from dashboard import error_text

    return error_text(exc)


def lines_of(values: Iterable[str]) -> str:
    """Return items one per line, as a lines field shows them."""
    return "\n".join(values)


# --- the forms ------------------------------------------------------------------------------------------


class EmployerForm(Form):
    """A partner employer's contract and contact."""

    name = LineField(limit=120, required=True)
    contract_number = LineField(limit=40, required=True)
    headcount_tier = LineField(limit=60)
    contact_name = LineField(limit=100)
    contact_email = LineField(limit=120)
    contact_phone = LineField(limit=40)
    starts_on = DateField(required=True, message=_l("Bitte ein Datum eingeben, z. B. 01.01.2027."))
    ends_on = DateField(message=_l("Bitte ein Datum eingeben oder leer lassen (unbefristet)."))
    fee_period = StringField()
    fee_amount = MoneyField(required=True,
                            message=_l("Bitte einen Betrag in Euro eingeben, z. B. 6.000,00 oder 120."))

    def validate_contact_email(self, field: LineField) -> None:
        """An e-mail address has an @."""
        ensure(not field.data or "@" in field.data, _("Bitte eine E-Mail-Adresse eingeben, z. B. personal@firma.de."))

    def validate_ends_on(self, field: DateField) -> None:
        """The contract does not end before it starts."""
        starts = self.starts_on.data
        ensure(not (field.data and starts and field.data < starts), _("Das Vertragsende liegt vor dem Vertragsbeginn."))

    def validate_fee_period(self, field: StringField) -> None:
        """Monthly or yearly."""
        ensure(field.data in ("monthly", "yearly"), _("Bitte monatlich oder jährlich wählen."))


class FamilyForm(Form):
    """A family registered in advance: name, address, numbers, children, employer and tariff."""

    name = LineField(limit=120, required=True)
    address = LineField(limit=200)
    postcode = PostcodeField(message=_l("Bitte eine fünfstellige Postleitzahl eingeben."))
    employer_id = IdChoiceField(message=_l("Bitte einen Arbeitgeber aus der Liste wählen."))
    tariff_code = CodeChoiceField(message=_l("Bitte einen Tarif aus der Liste wählen."))
    phones = LinesField()
    children = LinesField()
    pickup_authorised = TextAreaField()
    notes = TextAreaField()

    def validate_phones(self, field: LinesField) -> None:
        """At least one number, at most ten."""
        ensure(bool(field.data), _("Bitte mindestens eine Telefonnummer eingeben."))
        ensure(len(field.data) <= 10, _("Höchstens 10 Telefonnummern."))
