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


@group.command("dispatch")
@click.argument("case_ref")
def dispatch_command(case_ref: str) -> None:
    """Send SMS offers for a case (by id or reference) to the best-matching caregivers."""
    from sqlalchemy import select

    from cases.service import get_case_by_reference
    from core.logs import mask_phone
    from dispatch.matching import NoPostcode
    from dispatch.offers import DispatchError, start_dispatch
    from dispatch.policy import DispatchPolicy
    from models import Caregiver, Case, DispatchStatus, Offer

    services = current_services()
    now = services.clock.now()
    try:
        with services.database.unit_of_work() as session:
            case = session.get(Case, int(case_ref)) if case_ref.isdigit() else None
            case = case or get_case_by_reference(session, case_ref)
            if case is None:
                raise click.ClickException(f"Fall {case_ref} nicht gefunden. (No such case.)")
            dispatch = start_dispatch(
                session,
                case=case,
                now=now,
                started_by="cli",
                policy=DispatchPolicy.from_settings(services.settings),
            )
            offers = session.execute(
                select(Offer.wave, Offer.code, Caregiver.phone)
                .join(Caregiver, Caregiver.id == Offer.caregiver_id)
                .where(Offer.dispatch_id == dispatch.id)
                .order_by(Offer.wave, Offer.rank)
            ).all()
            reference, started_at, started_by = case.reference, dispatch.started_at, dispatch.started_by
            status, next_wave_at, deadline_at = dispatch.status, dispatch.next_wave_at, dispatch.deadline_at
    except NoPostcode as exc:
        raise click.ClickException(
            "ohne Postleitzahl in der Region kann nicht automatisch vermittelt werden; bitte Koordination. "
            f"({exc})"
        ) from exc
    except DispatchError as exc:
        raise click.ClickException(str(exc)) from exc

    if started_at != now:
        click.echo(
            f"Fall {reference}: Vermittlung läuft bereits seit "
            f"{started_at.astimezone(BERLIN):%d.%m. %H:%M} ({started_by})."
        )
    if status is DispatchStatus.EXHAUSTED:
        click.echo(
            f"Fall {reference}: keine passende Betreuungskraft gefunden; "
            "die Koordination im Dienst wurde per SMS informiert."
        )
        return
    numbers = ", ".join(f"{mask_phone(phone)} (JA {code})" for _wave, code, phone in offers)
    click.echo(
        f"Fall {reference}: Angebote an {len(offers)} Betreuungskräfte in der Warteschlange: {numbers}."
    )
    if next_wave_at is not None:
        click.echo(
            f"Nächste Welle um {next_wave_at.astimezone(BERLIN):%H:%M} Uhr (Berlin), falls niemand zusagt; "
            f"Frist für die Koordination {deadline_at.astimezone(BERLIN):%H:%M} Uhr."
        )
    click.echo("Der Worker (flask --app app worker) verschickt die SMS.")
