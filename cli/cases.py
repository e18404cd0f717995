"""`flask --app app cases ...`: the case log from the terminal."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from cases.service import case_to_json, find_cases
from cli.params import BoundedInt
from core.container import current_services
from core.phones import format_national
from core.vocabulary import CARE_FOR, CASE_STATUS, URGENCY, word

BERLIN = ZoneInfo("Europe/Berlin")

# The list speaks German, as the dashboard does, in the shared vocabulary's words (core.vocabulary).
HEADER = ("Fall", "Eingang", "Status", "Betreuung", "Ort", "Wann", "Anrufer", "Hinweis")
ROW = "{:<9} {:<12} {:<16} {:<14} {:<22} {:<8} {:<17} {}"


@click.group("cases", help="Der Fall-Log.")
def group() -> None:
    """Case commands."""


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print JSON (fields as in README, "The case JSON").')
@click.option("--limit", type=BoundedInt(1, 100_000), default=None, help="Show at most this many cases.")
def list_command(as_json: bool, limit: int | None) -> None:
    """List cases, newest first."""
    with current_services().database.unit_of_work() as session:
        cases = find_cases(session, limit=limit)
        if as_json:
            click.echo(json.dumps([case_to_json(c) for c in cases], ensure_ascii=False, indent=2))
            return
        if not cases:
            click.echo("Keine Fälle.")
            return
        click.echo(ROW.format(*HEADER).rstrip())
        for case in cases:
            created = case.created_at.astimezone(BERLIN).strftime("%d.%m. %H:%M")
            what = word(CARE_FOR, case.care_type, default="-") or "-"
            if case.child_age is not None:
                what += f" {case.child_age} J."
            place = " ".join(p for p in (case.postcode, case.municipality) if p) or "-"
            status = word(CASE_STATUS, case.status, default=case.status.value) or case.status.value
            urgency = word(URGENCY, case.urgency, default="-") or "-"
            flag = "RÜCKRUF" if case.needs_callback else ""
            click.echo(ROW.format(case.reference, created, status, what, place, urgency,
                                  format_national(case.caller) if case.caller else "unterdrückt", flag).rstrip())


@group.command("dispatch")
@click.argument("case_ref")
def dispatch_command(case_ref: str) -> None:
    """Send SMS offers for a case (by id or reference) to the best-matching caregivers."""
    from sqlalchemy import select

    from cases.service import get_case_by_reference
    from core.inputs import get_id
    from core.logs import mask_phone
    from dispatch.matching import NoPostcode
    from dispatch.offers import DispatchError, describe_why_nobody, start_dispatch
    from dispatch.policy import DispatchPolicy
    from models import Caregiver, Case, DispatchStatus, Offer

    services = current_services()
    now = services.clock.now()
    try:
        with services.database.unit_of_work() as session:
            case_id = get_id(case_ref)
            case = session.get(Case, case_id) if case_id is not None else None
            case = case or get_case_by_reference(session, case_ref)
            if case is None:
                raise click.ClickException(f"Fall {case_ref} nicht gefunden.")
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
            why = describe_why_nobody(session, dispatch_id=dispatch.id, language="de")
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
        if why:
            click.echo(why + ".")
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

