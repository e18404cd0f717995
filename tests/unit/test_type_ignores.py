"""Every `# type: ignore` in the project names its error code and says why (README "Types and coverage")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", ".cache", ".git", "node_modules", "instance"}
# "# type: ignore[code, code]  # reason": mypy checks the codes (ignore-without-code, warn_unused_ignores),
# this test the reason.
EXPLAINED = re.compile(r"# type: ignore\[[a-z-]+(, [a-z-]+)*\]  # \S.{5,}")


def python_files() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py")
        if not SKIPPED.intersection(path.relative_to(ROOT).parts)
    ]


def test_every_type_ignore_says_why() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "type: ignore" in line and not EXPLAINED.search(line) and path != Path(__file__).resolve()
    ]
    assert not unexplained, "a type: ignore without its code and reason:\n" + "\n".join(unexplained)


def test_the_check_sees_the_project() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in python_files()}
    assert {"app.py", "core/database.py", "tests/conftest.py"} <= names
