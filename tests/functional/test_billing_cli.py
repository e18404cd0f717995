"""`flask --app app billing run|export`: idempotent monthly run, files in a folder, the accounting CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from billing.demo import load_demo_billing
from core.clock import FrozenClock, berlin
from models import CareSession, CaseStatus
from tests.factories import make_case


def _november(session: Session) -> None:
    """Demo data and one case with three hours of care on 3 November."""
    load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))
    case = make_case(session, now=berlin(2026, 11, 3, 7, 0), status=CaseStatus.ASSIGNED, parent_name="Petra")
    session.add(CareSession(case_id=case.id, started_at=berlin(2026, 11, 3, 8, 0), ended_at=berlin(2026, 11, 3, 11, 0),
                            source="coordinator", created_at=berlin(2026, 11, 3, 11, 0),
                            updated_at=berlin(2026, 11, 3, 11, 0)))
    session.flush()


def test_billing_run_writes_the_files_and_a_rerun_changes_nothing(
    runner: Any, session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    _november(session)
    clock.set(berlin(2026, 12, 1, 8, 0))
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Monat 2026-11 abgerechnet" in result.output
    assert "2026-0001" in result.output and "15,00 €" in result.output and "Petra" in result.output
    assert "AG-2026-0001" in result.output and "500,00 €" in result.output
    assert f"Dateien: {tmp_path}" in result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["Abrechnung-AG-2026-0001.csv", "Abrechnung-AG-2026-0002.csv", "Buchhaltung-2026-11.csv",
                     "Rechnung-2026-0001.csv", "Rechnung-2026-0001.pdf"]
    assert (tmp_path / "Rechnung-2026-0001.pdf").read_bytes().startswith(b"%PDF-")
    first = {name: (tmp_path / name).read_bytes() for name in names}

    clock.set(berlin(2026, 12, 2, 8, 0))
    again = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert again.exit_code == 0
    assert "wurde schon am 01.12.2026 08:00 abgerechnet" in again.output
    assert {name: (tmp_path / name).read_bytes() for name in names} == first  # the same files, byte for byte


def test_billing_run_defaults_to_last_month_in_the_instance_folder(
    app: Any, runner: Any, session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    app.instance_path = str(tmp_path)
    clock.set(berlin(2026, 12, 1, 8, 0))
    result = runner.invoke(args=["billing", "run"])
    assert result.exit_code == 0, result.output
    assert "Monat 2026-11" in result.output and (tmp_path / "billing" / "2026-11" / "Buchhaltung-2026-11.csv").exists()


def test_billing_run_lists_flagged_sessions(runner: Any, session: Session, clock: FrozenClock, tmp_path: Path) -> None:
    load_demo_billing(session, now=berlin(2026, 1, 5, 9, 0))
    case = make_case(session, now=berlin(2026, 11, 3, 7, 0))
    session.add(CareSession(case_id=case.id, started_at=None, ended_at=berlin(2026, 11, 3, 11, 0), source="sms",
                            flag="missing_start", created_at=berlin(2026, 11, 3, 11, 0),
                            updated_at=berlin(2026, 11, 3, 11, 0)))
    session.flush()
    clock.set(berlin(2026, 12, 1, 8, 0))
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert "Nicht abgerechnet, bitte prüfen: 1" in result.output
    assert f"Fall {case.reference}  03.11.2026  missing_start" in result.output
    assert "Rechnungen: 0" in result.output


def test_a_month_not_over_or_malformed_is_refused(runner: Any, session: Session, clock: FrozenClock,
                                                  tmp_path: Path) -> None:
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert result.exit_code != 0 and "noch nicht vorbei" in result.output
    result = runner.invoke(args=["billing", "run", "--month", "11/2026", "--output-dir", str(tmp_path)])
    assert result.exit_code != 0 and "JJJJ-MM" in result.output
    assert list(tmp_path.iterdir()) == []


def test_billing_export_to_stdout_and_to_a_file(runner: Any, session: Session, clock: FrozenClock,
                                                tmp_path: Path) -> None:
    _november(session)
    clock.set(berlin(2026, 12, 1, 8, 0))
    runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path / "files")])
    printed = runner.invoke(args=["billing", "export", "--month", "2026-11"]).output
    rows = list(csv.DictReader(io.StringIO(printed.lstrip("\ufeff")), delimiter=";"))
    assert [(r["Belegart"], r["Belegnummer"], r["Betrag"]) for r in rows] == [
        ("RE", "2026-0001", "15,00"), ("AG", "AG-2026-0001", "500,00"), ("AG", "AG-2026-0002", "120,00")]
    target = tmp_path / "export.csv"
    result = runner.invoke(args=["billing", "export", "--month", "2026-11", "--output", str(target)])
    assert result.exit_code == 0 and str(target) in result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as UTF-8
    assert raw.decode("utf-8-sig").splitlines() == printed.lstrip("\ufeff").splitlines()
    assert b"\r\n" in raw  # CRLF, as Excel writes it
