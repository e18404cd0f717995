"""One bilingual convention for messages people read: German first, English beside, `text(language)`."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from caregivers.editing import FieldError, InvalidCaregiverChange
from core.csvfile import CsvImportError, RowError
from core.errors import Bilingual, HotlineError
from dashboard import error_text


@pytest.mark.parametrize(
    "error",
    [
        HotlineError("der Name fehlt", english="the name is empty"),
        RowError(4, "der Name fehlt", english="the name is empty"),
        FieldError("name", "der Name fehlt", english="the name is empty"),
    ],
)
def test_every_kind_of_message_answers_in_both_languages(error: Bilingual) -> None:
    assert isinstance(error, Bilingual)
    assert error.text("de") == "der Name fehlt" and error.text("en") == "the name is empty"


def test_without_english_the_german_stands_for_both() -> None:
    assert RowError(2, "die Datei ist leer").text("en") == "die Datei ist leer"
    assert FieldError("name", "der Name fehlt").text("en") == "der Name fehlt"


def test_a_csv_line_reads_german_first_then_english() -> None:
    error = CsvImportError([RowError(4, "der Name fehlt", english="the name is empty")])
    assert str(error) == "Zeile 4: der Name fehlt / line 4: the name is empty"


def test_a_field_error_is_german_in_logs_and_english_on_request() -> None:
    error = InvalidCaregiverChange([FieldError("name", "der Name fehlt", english="the name is empty")])
    assert str(error) == "name: der Name fehlt" and error.text("en") == "name: the name is empty"


def test_the_dashboard_shows_each_in_the_persons_language() -> None:
    app = Flask(__name__)
    Babel(app)
    error = FieldError("name", "der Name fehlt", english="the name is empty")
    with app.test_request_context():
        with force_locale("de"):
            assert error_text(error) == "der Name fehlt"
        with force_locale("en"):
            assert error_text(error) == "the name is empty"
