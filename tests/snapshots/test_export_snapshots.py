"""Snapshots of every CSV export (reports, accounting, invoices, statements; dashboard and CLI) and of
the case JSON, over the demo: roster, caregivers, employers and a year of seeded history, clock frozen."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from billing.run import find_invoices, find_statements
from core.clock import BERLIN, FrozenClock
from demo.data import load_demo
from tests.functional.test_board import PASSWORD, sign_in
from tests.snapshots.snapshot import assert_snapshot, normalise, normalise_json

#: The demo is loaded as of this morning; billing of November runs on 1 December.
DEMO_NOW = datetime(2026, 12, 1, 8, 0, tzinfo=BERLIN)
#: The accounting export's debtor reference is a database id: C<case id> or F<family id>.
_DEBTOR_ID = re.compile(r"(?<=;)([CF])\d+(?=;)")


def normalise_csv(text: str) -> str:
    """Replace database ids (in URLs and debtor references) by <id>."""
    return _DEBTOR_ID.sub(r"\1<id>", normalise(text))


@pytest.fixture
def demo(session: Session, clock: FrozenClock) -> None:
    clock.set(DEMO_NOW)
    load_demo(session, now=DEMO_NOW, lead_password=PASSWORD, simulator_mode=True, history=True)
    session.commit()


@pytest.fixture
def lead(app: Any, demo: None) -> Any:
    client = app.test_client()
    sign_in(client, "leitung")
    return client


def _download(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    disposition = response.headers.get("Content-Disposition", "")
    return f"--- GET {normalise(url)}\n{response.content_type}; {disposition}\n{normalise_csv(response.get_data(as_text=True))}"


def test_dashboard_csv_exports(lead: Any, session: Session) -> None:
    parts = [_download(lead, url) for url in ("/reports.csv", "/reports.csv?from=2026-01&to=2026-11",
                                               "/reports.csv?from=2026-11&to=2026-11")]
    for month in ("2026-10", "2026-11"):
        parts.append(_download(lead, f"/billing/{month}/accounting.csv"))
        parts += [_download(lead, f"/billing/invoices/{i.id}.csv") for i in find_invoices(session, month=month)]
        parts += [_download(lead, f"/billing/statements/{s.id}.csv") for s in find_statements(session, month=month)]
    assert_snapshot("exports_dashboard.csv.txt", "\n".join(parts))


def test_cli_exports(runner: Any, demo: None, tmp_path: Path) -> None:
    parts = []
    result = runner.invoke(args=["billing", "run", "--month", "2026-11", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    parts.append(f"--- billing run --month 2026-11\n{result.output.replace(str(tmp_path), '<tmp>')}")
    for path in sorted(tmp_path.glob("*.csv")):
        parts.append(f"--- file {path.name}\n{normalise_csv(path.read_bytes().decode('utf-8'))}")
    result = runner.invoke(args=["billing", "export", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    parts.append(f"--- billing export --month 2026-10\n{normalise_csv(result.output)}")
    assert_snapshot("exports_cli.csv.txt", "\n".join(parts))


def test_case_json_and_list(runner: Any, demo: None) -> None:
    listed = runner.invoke(args=["cases", "list", "--json", "--limit", "60"])
    assert listed.exit_code == 0, listed.output
    json.loads(listed.output)
    assert_snapshot("cases_list.json", normalise_json(listed.output))
    table = runner.invoke(args=["cases", "list", "--limit", "60"])
    assert table.exit_code == 0, table.output
    assert_snapshot("cases_list.txt", table.output)
