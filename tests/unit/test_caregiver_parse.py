"""The caregivers CSV parser: German Excel exports, mobile numbers only, region postcodes, every bad line."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from caregivers.importer import CaregiverImportError, parse_caregivers_csv
from core.errors import HotlineError

HEADER = "name,phone,postcode,max_distance_km,min_age,max_age,languages,eldercare\n"
MARTA = "Marta Kowalski,0171 39200101,30159,10,0,6,de;pl,no\n"


def parse_errors(text: str | bytes, **kwargs: Any) -> list[str]:
    """Parse a file that must be refused; return its errors as people read them."""
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(CaregiverImportError) as info:
        parse_caregivers_csv(data, **kwargs)
    assert isinstance(info.value, HotlineError)
    return [str(e) for e in info.value.errors]


def test_plain_file() -> None:
    [row] = parse_caregivers_csv((HEADER + MARTA).encode())
    assert (row.line, row.name, row.phone, row.postcode) == (2, "Marta Kowalski", "+4917139200101", "30159")
    assert (row.max_distance_km, row.min_age, row.max_age) == (10.0, 0, 6)
    assert row.languages == ("de", "pl") and row.eldercare is False
    assert row.columns == frozenset() and row.active is True and row.police_certificate_date is None


def test_german_excel_export_semicolons_bom_decimal_comma_and_quoted_languages() -> None:
    text = (
        "name;phone;postcode;max_distance_km;min_age;max_age;languages;eldercare\r\n"
        'Jürgen Müßig;+49 171 39200102;30451;7,5;1;10;"de;tr";Ja\r\n'
    )
    [row] = parse_caregivers_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert row.name == "Jürgen Müßig"
    assert row.max_distance_km == 7.5
    assert row.languages == ("de", "tr")
    assert row.eldercare is True


def test_windows_1252_names() -> None:
    text = (
        "name;phone;postcode;max_distance_km;min_age;max_age;languages;eldercare\r\n"
        "Brigitte Kühn-Stöver;0171 39200119;30966;15;0;13;de;nein\r\n"
    )
    [row] = parse_caregivers_csv(text.encode("cp1252"))
    assert row.name == "Brigitte Kühn-Stöver"
    assert row.languages == ("de",)  # the second `;` field is `eldercare`, not a language


@pytest.mark.parametrize(
    "languages", ['"de;en;tr"', '"de, en, tr"', "de/en/tr", "de|en|tr", "de en tr", "DE/En/tr"]
)
def test_language_separators(languages: str) -> None:
    [row] = parse_caregivers_csv((HEADER + f"A,0171 39200101,30159,10,0,6,{languages},no\n").encode())
    assert row.languages == ("de", "en", "tr")


def test_no_languages_means_german() -> None:
    [row] = parse_caregivers_csv((HEADER + "A,0171 39200101,30159,10,0,6,,no\n").encode())
    assert row.languages == ("de",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("JA", True),
        ("1", True),
        ("true", True),
        ("no", False),
        ("Nein", False),
        ("0", False),
        ("FALSE", False),
    ],
)
def test_eldercare_spellings(value: str, expected: bool) -> None:
    [row] = parse_caregivers_csv((HEADER + f"A,0171 39200101,30159,10,0,6,de,{value}\n").encode())
    assert row.eldercare is expected


def test_a_landline_is_refused_with_its_line() -> None:
    text = HEADER + MARTA + "Festnetz Frieda,0511 1234567,30159,10,0,6,de,no\n"
    assert parse_errors(text) == [
        "Zeile 3: '0511 1234567' ist eine Festnetznummer: SMS kann kein Festnetz erreichen, bitte eine "
        "Handynummer angeben / line 3: '0511 1234567' is a landline: offers go out by SMS, so a mobile "
        "number is needed"
    ]


def test_a_duplicate_phone_names_both_lines() -> None:
    text = HEADER + MARTA + "Marta K.,+4917139200101,30161,5,0,3,de,no\n"
    [error] = parse_errors(text)
    assert error.startswith("Zeile 3:") and "Zeile 2" in error and "line 2" in error


@pytest.mark.parametrize(
    ("postcode", "reason"),
    [
        ("12345", "outside Region Hannover"),
        ("30417", "company or PO box"),
        ("3015", "not a five-digit postcode"),
    ],
)
def test_a_postcode_outside_the_region_is_refused(postcode: str, reason: str) -> None:
    [error] = parse_errors(HEADER + f"A,0171 39200101,{postcode},10,0,6,de,no\n")
    assert error.startswith("Zeile 2:") and reason in error


def test_every_bad_line_reported_and_nothing_returned() -> None:
    text = (
        HEADER
        + MARTA
        + ",0171 39200102,30159,10,0,6,de,no\n"  # no name
        + "B,0171 39200103,30159,zehn,0,6,de,no\n"  # distance
        + "C,0171 39200104,30159,10,7,6,de,no\n"  # ages swapped
        + "D,0171 39200105,30159,10,0,6,deutsch,no\n"  # language
        + "E,0171 39200106,30159,10,0,6,de,vielleicht\n"  # eldercare
        + "F,0171 39200107,30159,10,0,42,de,no\n"
    )  # age out of range
    errors = parse_errors(text)
    assert [e.split(":")[0] for e in errors] == [f"Zeile {n}" for n in range(3, 9)]
    assert "min_age 7 is above max_age 6" in errors[2]
    assert "'deutsch'" in errors[3]
    assert "vielleicht" in errors[4]


def test_one_line_with_several_problems_reports_each() -> None:
    errors = parse_errors(HEADER + "A,0511 1234567,99999,10,0,6,de,no\n")
    assert len(errors) == 2 and all(e.startswith("Zeile 2:") for e in errors)


def test_optional_columns_with_both_date_formats_and_the_german_alias() -> None:
    text = (
        "Name;Phone;Postcode;Max_Distance_km;Min_Age;Max_Age;Languages;Eldercare;"
        "Fuehrungszeugnis;police_certificate_excluded;first_aid_date;active\n"
        "A;0171 39200101;30159;10;0;6;de;no;15.03.2024;nein;2025-01-31;ja\n"
        "B;0171 39200102;30159;10;0;6;de;no;;;;no\n"
    )
    first, second = parse_caregivers_csv(text.encode(), today=date(2026, 11, 23))
    assert first.police_certificate_date == date(2024, 3, 15)
    assert first.first_aid_date == date(2025, 1, 31)
    assert (first.police_certificate_excluded, first.active) == (False, True)
    assert first.columns == {
        "police_certificate_date",
        "police_certificate_excluded",
        "first_aid_date",
        "active",
    }
    assert (second.police_certificate_date, second.first_aid_date, second.active) == (None, None, False)


def test_bad_and_future_dates_are_refused() -> None:
    text = (
        HEADER.rstrip("\n")
        + ",police_certificate_date,first_aid_date\n"
        + "A,0171 39200101,30159,10,0,6,de,no,31.02.2024,\n"
        + "B,0171 39200102,30159,10,0,6,de,no,2024-01-01,01.12.2026\n"
    )
    errors = parse_errors(text, today=date(2026, 11, 23))
    assert errors[0].startswith("Zeile 2:") and "31.02.2024" in errors[0]
    assert errors[1].startswith("Zeile 3:") and "in the future" in errors[1]


def test_a_missing_column_is_named() -> None:
    [error] = parse_errors(
        "name,phone,postcode,max_distance_km,min_age,max_age,languages\nA,0171 39200101,30159,1,0,6,de\n"
    )
    assert error.startswith("Zeile 1:") and "eldercare" in error


def test_an_empty_file_is_refused() -> None:
    assert parse_errors(b"\xef\xbb\xbf\r\n") == ["Zeile 1: die Datei ist leer / line 1: the file is empty"]


@pytest.mark.parametrize("age", ["２", "٢", "²", "-1", "+2", "18", "1" * 20])
def test_an_age_is_read_by_the_shared_input_rules(age: str) -> None:
    [error] = parse_errors(HEADER + f"A,0171 39200101,30159,10,{age},6,de,no\n")
    assert error.startswith("Zeile 2:") and f"min_age '{age}' muss eine ganze Zahl von Jahren sein" in error


@pytest.mark.parametrize("day", ["２０２４-０１-０１", "٠١.٠١.٢٠٢٤", "0001-01-01", "01.01.1899", "2024-1-1x"])
def test_a_date_is_read_by_the_shared_input_rules(day: str) -> None:
    text = HEADER.rstrip("\n") + ",police_certificate_date\n" + f"A,0171 39200101,30159,10,0,6,de,no,{day}\n"
    [error] = parse_errors(text, today=date(2026, 11, 23))
    assert error.startswith("Zeile 2:") and f"police_certificate_date '{day}' ist kein Datum" in error
