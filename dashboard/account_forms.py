"""The forms of the users pages (WTForms through Flask-WTF): field shapes here, rules in accounts/."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class UserForm(FlaskForm):
    """A lead edits a user: name, role, own phone, active."""

    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(lazy_gettext("Rolle"), choices=[SelectChoice("coordinator", lazy_gettext("Koordination")),
                                                        SelectChoice("lead", lazy_gettext("Leitung"))])
    phone = StringField(lazy_gettext("Eigenes Telefon (für Rückrufe)"), validators=[Optional(), Length(max=30)])
    active = BooleanField(lazy_gettext("aktiv"))


class PhoneForm(FlaskForm):
    """Everyone sets her own phone."""

    phone = StringField(lazy_gettext("Eigenes Telefon (für Rückrufe)"), validators=[Optional(), Length(max=30)])


class PasswordForm(FlaskForm):
    """Everyone changes her own password, with the current one."""

    current = PasswordField(lazy_gettext("Bisheriges Passwort"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(lazy_gettext("Neues Passwort (mindestens 10 Zeichen)"), validators=[DataRequired(), Length(max=200)])
    repeated = PasswordField(lazy_gettext("Neues Passwort wiederholen"), validators=[DataRequired(), Length(max=200)])
