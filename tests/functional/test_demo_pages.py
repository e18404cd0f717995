"""The dashboard on the demo as `make run` loads it: the history's pages open, old cases are anonymised."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from models import Case, Employer, EmployerStatement, Family, Invoice


def sign_in(client: Any, output: str) -> None:
    """Sign in with the demo lead's login as `demo load` printed it."""
    username = re.search(r"Benutzername / user:\s+(\S+)", output).group(1)
    password = re.search(r"Passwort / password:\s+(\S+)", output).group(1)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302


def test_every_page_of_the_demo_history_opens(app: Any, runner: Any, session: Any) -> None:
    output = runner.invoke(args=["demo", "load"]).output
    assert "Demo-Verlauf ergänzt" in output
    client = app.test_client()
    sign_in(client, output)
    filled = session.scalars(select(Case).where(Case.anonymised_at.is_(None), Case.assigned_at.is_not(None))).first()
    anonymised = session.scalars(select(Case).where(Case.anonymised_at.is_not(None))).first()
    invoice = session.scalars(select(Invoice).where(Invoice.family_id.is_not(None))).first()
    statement = session.scalars(select(EmployerStatement)).first()
    family = session.scalars(select(Family).where(Family.name.like("%(Demo)"))).first()
    employer = session.scalars(select(Employer)).first()
    urls = [
        "/board", "/reports", "/reports?from=2025-11&to=2026-10", f"/billing?month={invoice.month}",
        f"/cases/{filled.id}", f"/cases/{anonymised.id}", f"/billing/invoices/{invoice.id}.pdf",
        f"/billing/statements/{statement.id}.csv", f"/families/{family.id}", "/families", "/employers",
        f"/employers/{employer.id}/edit", "/caregivers", "/roster",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    case_page = client.get(f"/cases/{filled.id}").get_data(as_text=True)
    assert filled.reference in case_page
    assert anonymised.caller is None and anonymised.reference in client.get(f"/cases/{anonymised.id}").get_data(
        as_text=True)
    billing = client.get(f"/billing?month={invoice.month}").get_data(as_text=True)
    assert invoice.number in billing
