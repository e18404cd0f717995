"""`flask caregivers import` and `flask caregivers list` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.database import Database
from models import Caregiver

GOOD = """name;phone;postcode;max_distance_km;min_age;max_age;languages;eldercare;fuehrungszeugnis;first_aid_date
Marta Kowalski;0171 39200101;30159;10;0;6;"de;pl";nein;15.03.2024;2026-01-10
Brigitte Kühn;0171 39200119;30966;7,5;0;13;de;ja;01.11.2021;10.10.2023
Heike Pape;0171 39200111;31275;25;3;13;de;ja;;
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "betreuungskraefte.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def count_caregivers(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Caregiver)) or 0


def test_import_prints_a_summary_and_a_second_import_updates(
    runner, database: Database, tmp_path: Path
) -> None:
    first = runner.invoke(args=["caregivers", "import", write(tmp_path, GOOD, "cp1252")])
    assert first.exit_code == 0, first.output
    assert "3 added, 0 updated, 0 unchanged" in first.output
    second = runner.invoke(
        args=["caregivers", "import", write(tmp_path, GOOD.replace(";10;0;6;", ";12;0;6;"))]
    )
    assert second.exit_code == 0, second.output
    assert "0 added, 1 updated, 2 unchanged" in second.output
    assert count_caregivers(database) == 3


def test_import_of_a_bad_file_names_each_line_and_imports_nothing(
    runner, database: Database, tmp_path: Path
) -> None:
    text = (
        GOOD
        + "Frieda Festnetz;0511 1234567;30159;10;0;6;de;nein;;\nOla;0171 39200101;80331;10;0;6;de;nein;;\n"
    )
    result = runner.invoke(args=["caregivers", "import", write(tmp_path, text)])
    assert result.exit_code != 0
    assert (
        "Zeile 5: '0511 1234567' ist eine Festnetznummer: SMS kann kein Festnetz erreichen" in result.output
    )
    assert "Zeile 6" in result.output and "outside Region Hannover" in result.output
    assert "already on line 2" in result.output
    assert "nothing imported, 3 error(s)" in result.output
    assert count_caregivers(database) == 0


def test_list_shows_numbers_places_checks_and_warnings(runner, tmp_path: Path) -> None:
    runner.invoke(args=["caregivers", "import", write(tmp_path, GOOD)])
    result = runner.invoke(args=["caregivers", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()[1:]}
    marta = lines["Marta Kowalski"]
    assert "0171 39200101" in marta and "30159 Hannover" in marta and "10 km" in marta and "0–6" in marta
    assert "de, pl" in marta and "FZ 15.03.2024" in marta and "EH 10.01.2026" in marta and "!" not in marta
    brigitte = lines["Brigitte Kühn"]  # the clock stands at 23.11.2026
    assert "30966 Hemmingen" in brigitte and "7.5 km" in brigitte and "ja/yes" in brigitte
    assert "older than 5 years" in brigitte and "older than 2 years" in brigitte
    assert "no police certificate" in lines["Heike Pape"]


def test_list_marks_opted_out_and_inactive(runner, database: Database, tmp_path: Path) -> None:
    runner.invoke(args=["caregivers", "import", write(tmp_path, GOOD)])
    with database.unit_of_work() as session:
        for caregiver in session.scalars(select(Caregiver)):
            caregiver.opted_out = caregiver.name.startswith("Marta")
            caregiver.active = not caregiver.name.startswith("Heike")
    output = runner.invoke(args=["caregivers", "list"]).output
    assert "Marta Kowalski [abgemeldet/opted out]" in output
    assert "Heike Pape [inaktiv/inactive]" in output


def test_list_of_an_empty_table(runner) -> None:
    result = runner.invoke(args=["caregivers", "list"])
    assert result.exit_code == 0 and "No caregivers yet" in result.output
