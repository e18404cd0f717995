"""`flask roster import` and `flask roster show` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.database import Database
from models.roster import Shift

GOOD = """name;phone;start;end;role
Jürgen Müßig;0152 28817390;23.11.2026 00:00;23.11.2026 08:00;primary
Anke Wiebking;0157 35991042;2026-11-22T22:00;2026-11-23T08:00;backup
Deniz Aydın;0171 39201234;2026-11-23T16:00;2026-11-24T08:00;primary
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "dienstplan.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def count_shifts(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Shift)) or 0


def test_import_prints_a_summary_and_twice_adds_nothing(runner, database: Database, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = runner.invoke(args=["roster", "import", path])
    assert first.exit_code == 0, first.output
    assert "3 added, 0 already present" in first.output
    second = runner.invoke(args=["roster", "import", path])
    assert second.exit_code == 0, second.output
    assert "0 added, 3 already present" in second.output
    assert count_shifts(database) == 3


def test_import_of_a_bad_file_names_each_line_and_imports_nothing(runner, database: Database,
                                                                   tmp_path: Path) -> None:
    text = GOOD + "Kurz;0511;2026-11-23T08:00;2026-11-23T16:00;primary\nX;0511 1234567;2026-03-29T02:30;2026-03-29T08:00;boss\n"
    result = runner.invoke(args=["roster", "import", write(tmp_path, text.replace("ı", "i"), "cp1252")])
    assert result.exit_code != 0
    assert "Zeile 5: Telefonnummer '0511' ist ungültig / line 5: invalid phone number '0511'" in result.output
    assert "Zeile 6" in result.output and "does not exist" in result.output and "boss" in result.output
    assert "nothing imported" in result.output
    assert count_shifts(database) == 0


def test_import_of_a_missing_file_fails(runner, tmp_path: Path) -> None:
    result = runner.invoke(args=["roster", "import", str(tmp_path / "missing.csv")])
    assert result.exit_code != 0


def test_show_lists_the_day_in_local_time_with_national_numbers(runner, tmp_path: Path) -> None:
    runner.invoke(args=["roster", "import", write(tmp_path, GOOD)])
    result = runner.invoke(args=["roster", "show", "--date", "2026-11-23"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Montag, 23.11.2026" in lines[0]
    body = "\n".join(lines[2:])
    assert "22.11. 22:00–08:00" in body and "Anke Wiebking" in body and "01573 5991042" in body
    assert "00:00–08:00" in body and "Jürgen Müßig" in body and "01522 8817390" in body
    assert "16:00–24.11. 08:00" in body and "Deniz Aydın" in body
    assert "+49" not in result.output


def test_show_defaults_to_today_in_berlin(runner, clock, tmp_path: Path) -> None:
    runner.invoke(args=["roster", "import", write(tmp_path, GOOD)])
    result = runner.invoke(args=["roster", "show"])  # the clock stands on Monday 23 November 2026
    assert "23.11.2026" in result.output
    assert "Jürgen Müßig" in result.output


def test_show_an_empty_day(runner) -> None:
    result = runner.invoke(args=["roster", "show", "--date", "2026-12-25"])
    assert result.exit_code == 0
    assert "No shifts" in result.output


def test_import_and_show_the_coordinators_languages(runner, tmp_path: Path) -> None:
    text = GOOD.replace("role\n", "role;languages\n").replace(";primary\nAnke", ";primary;de;tr\nAnke")
    text = text.replace("primary;de;tr", '"primary";"de;tr"')
    result = runner.invoke(args=["roster", "import", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert "languages saved for 1 coordinator(s)" in result.output
    shown = runner.invoke(args=["roster", "show", "--date", "2026-11-23"]).output.splitlines()
    assert "Sprachen (languages)" in shown[1]
    assert [line.split()[-1] for line in shown[2:] if "Jürgen" in line] == ["de;tr"]
