"""`flask --app app cases ...`: the case log from the terminal."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from cases.service import case_to_json, find_cases
from core.container import current_services
from core.phones import format_national

BERLIN = ZoneInfo("Europe/Berlin")


@click.group("cases", help="Der Fall-Log / the case log.")
def group() -> None:
    """Case commands."""


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields as in DESIGN.md).")
@click.option("--limit", type=int, default=None, help="Show at most this many cases.")
def list_command(as_json: bool, limit: int | None) -> None:
    """List cases, newest first."""
    with current_services().database.unit_of_work() as session:
        cases = find_cases(session, limit=limit)
        if as_json:
            click.echo(json.dumps([case_to_json(c) for c in cases], ensure_ascii=False, indent=2))
            return
        if not cases:
            click.echo("Keine Fälle. (No cases.)")
            return
        for case in cases:
            created = case.created_at.astimezone(BERLIN).strftime("%d.%m. %H:%M")
            what = case.care_type.value if case.care_type else "-"
            if case.child_age is not None:
                what += f" {case.child_age} J."
            place = " ".join(p for p in (case.postcode, case.municipality) if p) or "-"
            flag = " RÜCKRUF" if case.needs_callback else ""
            click.echo(
                f"{case.reference}  {created}  {case.status.value:<11} {what:<14} {place:<22} "
                f"{case.urgency.value if case.urgency else '-':<8} {format_national(case.caller)}{flag}"
            )
