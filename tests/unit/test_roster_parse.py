"""The roster CSV parser: German Excel exports, every bad line reported, DST traps named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import berlin
from core.errors import HotlineError
from models.roster import ShiftRole
from roster.importer import RosterImportError, parse_roster_csv

HEADER = "name,phone,start,end,role\n"


def parse_errors(text: str | bytes) -> list[str]:
    """Parse a file that must be refused; return its errors as people read them."""
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(RosterImportError) as info:
        parse_roster_csv(data)
    return [str(e) for e in info.value.errors]


def test_plain_file() -> None:
    rows = parse_roster_csv((HEADER + "Anke Wiebking,0152 28817390,2026-11-23T08:00,2026-11-23T16:00,primary\n").encode())
    assert len(rows) == 1
    row = rows[0]
    assert (row.line, row.name, row.phone, row.role) == (2, "Anke Wiebking", "+4915228817390", ShiftRole.PRIMARY)
    assert row.starts_at == berlin(2026, 11, 23, 8, 0)
    assert row.starts_at.utcoffset() is not None and row.starts_at.tzinfo == UTC
    assert row.ends_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("phone", ["0152 28817390", "+49 152 28817390", "0049 (0)152-288 173 90",
                                   "01522/8817390", "+4915228817390"])
def test_german_phone_notations(phone: str) -> None:
    rows = parse_roster_csv((HEADER + f'A,"{phone}",2026-11-23T08:00,2026-11-23T16:00,backup\n').encode())
    assert rows[0].phone == "+4915228817390"


def test_german_excel_export_semicolons_bom_and_dates() -> None:
    text = ("name;phone;start;end;role\r\n"
            "Jürgen Müßig;0511 1234567;23.11.2026 08:00;23.11.2026 16:00; Backup \r\n")
    rows = parse_roster_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert rows[0].name == "Jürgen Müßig"
    assert rows[0].phone == "+495111234567"
    assert rows[0].role is ShiftRole.BACKUP
    assert rows[0].starts_at == berlin(2026, 11, 23, 8, 0)


def test_windows_1252_names() -> None:
    text = "name;phone;start;end;role\r\nJürgen Müßig;0511 1234567;2026-11-23T08:00;2026-11-23T16:00;PRIMARY\r\n"
    rows = parse_roster_csv(text.encode("cp1252"))
    assert rows[0].name == "Jürgen Müßig"


def test_header_case_spaces_and_column_order() -> None:
    text = " Role ; Name ;Start;End;Phone\nprimary;A;2026-11-23T08:00;2026-11-23T16:00;0511 1234567\n"
    rows = parse_roster_csv(text.encode())
    assert (rows[0].name, rows[0].role) == ("A", ShiftRole.PRIMARY)


def test_explicit_offset_accepted() -> None:
    rows = parse_roster_csv((HEADER + "A,0511 1234567,2026-11-23T08:00+01:00,2026-11-23T16:00Z,primary\n").encode())
    assert rows[0].starts_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert rows[0].ends_at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def test_empty_lines_ignored_and_line_numbers_count_them() -> None:
    text = (HEADER + "\n" + "A,0511 1234567,2026-11-23T08:00,2026-11-23T16:00,primary\n\n,,,,\n"
            + "B,0511,2026-11-23T08:00,2026-11-23T16:00,primary\n")
    assert parse_errors(text) == ["Zeile 6: Telefonnummer '0511' ist ungültig / line 6: invalid phone number '0511'"]


def test_every_bad_line_reported_and_nothing_returned() -> None:
    text = (HEADER
            + "Good,0511 1234567,2026-11-23T08:00,2026-11-23T16:00,primary\n"
            + "Bad phone,0511,2026-11-23T08:00,2026-11-23T16:00,primary\n"
            + "Bad role,0511 1234567,2026-11-23T08:00,2026-11-23T16:00,chief\n"
            + "Backwards,0511 1234567,2026-11-23T16:00,2026-11-23T08:00,backup\n"
            + "Typo,0511 1234567,2026-11-23T08:00,2026-12-23T08:00,backup\n"
            + "Bad date,0511 1234567,2026-02-30T08:00,tomorrow,backup\n"
            + ",0511 1234567,2026-11-23T08:00,2026-11-23T16:00,backup\n")
    with pytest.raises(RosterImportError) as info:
        parse_roster_csv(text.encode())
    errors = info.value.errors
    assert isinstance(info.value, HotlineError)
    assert [e.line for e in errors] == [3, 4, 5, 6, 7, 7, 8]
    assert "invalid phone number" in errors[0].english
    assert "primary or backup" in errors[1].english
    assert "not after the start" in errors[2].english
    assert "longer than 7 days" in errors[3].english
    assert "start" in errors[4].english and "'2026-02-30T08:00'" in errors[4].english
    assert "end" in errors[5].english and "'tomorrow'" in errors[5].english
    assert "name is empty" in errors[6].english
    assert all(e.message and e.english for e in errors)


def test_missing_columns_named() -> None:
    errors = parse_errors("name;telefon;start;ende;role\nA;0511 1234567;x;y;primary\n")
    assert len(errors) == 1
    assert errors[0].startswith("Zeile 1:")
    assert "phone, end" in errors[0]


def test_empty_file() -> None:
    assert parse_errors(b"") == ["Zeile 1: die Datei ist leer / line 1: the file is empty"]


def test_header_only_is_an_empty_roster() -> None:
    assert parse_roster_csv(HEADER.encode()) == []


def test_dst_spring_forward_gap_refused_with_a_hint() -> None:
    # 29 March 2026: clocks jump from 02:00 to 03:00; 02:30 does not exist in Berlin.
    errors = parse_errors(HEADER + "A,0511 1234567,2026-03-29T02:30,2026-03-29T08:00,primary\n")
    assert len(errors) == 1
    assert "Zeile 2" in errors[0] and "does not exist" in errors[0]
    assert "2026-03-29T03:00+02:00" in errors[0]


def test_dst_fall_back_ambiguous_refused_with_both_offsets() -> None:
    # 25 October 2026: 02:30 happens twice, first at +02:00, then at +01:00.
    errors = parse_errors(HEADER + "A,0511 1234567,2026-10-24T22:00,2026-10-25T02:30,primary\n")
    assert len(errors) == 1
    assert "happens twice" in errors[0]
    assert "2026-10-25T02:30+02:00" in errors[0] and "2026-10-25T02:30+01:00" in errors[0]


def test_dst_fall_back_with_offset_accepted() -> None:
    rows = parse_roster_csv(
        (HEADER + "A,0511 1234567,2026-10-24T22:00,2026-10-25T02:30+01:00,primary\n").encode())
    assert rows[0].ends_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    # 22:00 CEST to 02:30 CET is five and a half hours, not four and a half.
    assert (rows[0].ends_at - rows[0].starts_at).total_seconds() == 5.5 * 3600


def test_night_shift_across_dst_change_is_measured_in_real_time() -> None:
    rows = parse_roster_csv((HEADER + "A,0511 1234567,2026-03-28T22:00,2026-03-29T06:00,primary\n").encode())
    assert (rows[0].ends_at - rows[0].starts_at).total_seconds() == 7 * 3600


# The optional column `languages` (issue 14): the languages belong to the person (her number).
LANG_HEADER = "name,phone,start,end,role,languages\n"
DERYA_LINE = "Derya,0157 35991042,2026-11-23T{0}:00,2026-11-23T{1}:00,primary,{2}\n"


def test_the_languages_column_is_optional_and_read_with_the_shared_rules() -> None:
    rows = parse_roster_csv((LANG_HEADER + DERYA_LINE.format("08", "16", "de; TR") +
                             DERYA_LINE.format("16", "20", "") ).encode())
    assert [row.languages for row in rows] == [("de", "tr"), None]  # an empty cell: left as it is
    assert parse_roster_csv((HEADER + "A,0152 28817390,2026-11-23T08:00,2026-11-23T16:00,backup\n").encode())[0] \
        .languages is None
    semicolons = "name;phone;start;end;role;languages\nDerya;0157 35991042;23.11.2026 08:00;23.11.2026 16:00;primary;tr,ar\n"
    assert parse_roster_csv(semicolons.encode())[0].languages == ("tr", "ar")


def test_an_unknown_language_names_its_line() -> None:
    errors = parse_errors(LANG_HEADER + DERYA_LINE.format("08", "16", "de") + DERYA_LINE.format("16", "20", "de;tk"))
    assert len(errors) == 1 and errors[0].startswith("Zeile 3: Sprachen 'de;tk'")
    assert "de, en, tr, ar, ru, uk, pl" in errors[0]


def test_one_person_with_different_languages_in_one_file_is_refused_at_the_later_line() -> None:
    errors = parse_errors(LANG_HEADER + DERYA_LINE.format("08", "12", "de;tr") + DERYA_LINE.format("12", "16", "")
                          + DERYA_LINE.format("16", "20", "tr;de") + DERYA_LINE.format("20", "22", "de"))
    assert len(errors) == 1 and errors[0].startswith("Zeile 5: Sprachen 'de' widersprechen Zeile 2 ('de;tr')")
