"""Run every check of the doctor: gather the facts (database, Twilio, roster, ...) and judge them.

No Flask here: the command line and the dashboard page pass in the database, settings, the time,
whether the session key was generated locally, and the worker's lock key.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from caregivers.certificates import police_certificate_valid
from core.clock import BERLIN
from core.container import Services
from core.database import WORKER_LOCK_KEY, Database
from core.settings import Settings
from geo import lookup_postcode
from ivr import find_prompt_problems, find_unreviewed
from messaging.texts import LANGUAGES, find_text_problems, is_reviewed
from models import Caregiver, Role, User
from models.billing import MemberMunicipality
from ops import doctor
from ops.doctor import CheckResult
from ops.facts import read_outbox_facts, read_worker_facts
from ops.number_setup import plan_number_setup
from roster import find_shifts_between
from roster.gaps import GAP_HORIZON, find_gaps
from roster.service_hours import parse_service_hours

#: The checks that read the database, in the order they are printed.
DATABASE_CHECKS = ("worker", "roster", "leads", "certificates", "outbox")


def run_checkup(
    *,
    database: Database,
    settings: Settings,
    now: datetime,
    secret_key_generated: bool,
    lock_key: int,
) -> list[CheckResult]:
    """Return one result per check, in a fixed order; never raises for a failing check."""
    database_result = _database_check(database)
    results = [database_result]
    if database_result.status is not doctor.Status.OK:
        results += [doctor.not_checked(key) for key in DATABASE_CHECKS]
    else:
        try:
            with database.unit_of_work() as session:
                results += _database_facts(session, settings=settings, now=now, lock_key=lock_key)
        except Exception as exc:  # the doctor reports, never crashes
            results += [doctor.not_checked(key, reason=f"{type(exc).__name__}") for key in DATABASE_CHECKS]
    results += _twilio_checks(settings)
    results.append(doctor.check_fallback_number(fallback_number=settings.fallback_number))
    results.append(doctor.check_prompts(offered=settings.languages,
                                        problems=find_prompt_problems(settings.languages),
                                        unreviewed=find_unreviewed(settings.languages)))
    results.append(doctor.check_sms_texts(problems=find_text_problems(),
                                          unreviewed=[code for code in LANGUAGES if not is_reviewed(code)]))
    production = bool(settings.public_base_url and settings.public_base_url.startswith("https://")) or (
        (database.url or "").startswith("postgresql")
    )
    results.append(doctor.check_secrets(production=production, secret_key_generated=secret_key_generated,
                                        simulator_mode=settings.simulator_mode))
    return results


def run_doctor(services: Services, *, secret_key: str | None, instance_path: str | Path) -> list[CheckResult]:
    """Run every check with one app's services (the `doctor` command and the dashboard's page)."""
    return run_checkup(
        database=services.database,
        settings=services.settings,
        now=services.clock.now(),
        secret_key_generated=secret_key_is_generated(secret_key, instance_path),
        lock_key=WORKER_LOCK_KEY,
    )


def secret_key_is_generated(secret_key: str | None, instance_path: str | Path) -> bool:
    """Return True when the session key is the development key generated in the instance folder."""
    path = Path(instance_path) / "secret_key"
    if not secret_key:
        return True
    return path.exists() and path.read_text().strip() == secret_key


def _database_check(database: Database) -> CheckResult:
    """Check reachability and the migration state (the other database checks need both)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head() or "?"
    try:
        with database.unit_of_work() as session:
            session.execute(text("SELECT 1"))
            current = MigrationContext.configure(session.connection()).get_current_revision()
    except Exception as exc:  # any driver error: the doctor reports it, never crashes
        first_line = (str(exc).splitlines() or [""])[0][:200]
        return doctor.check_database(error=f"{type(exc).__name__}: {first_line}", current=None, head=head)
    return doctor.check_database(error=None, current=current, head=head)


def _database_facts(session: Session, *, settings: Settings, now: datetime, lock_key: int) -> list[CheckResult]:
    workers = read_worker_facts(session, lock_key=lock_key)
    uses_lock = session.get_bind().dialect.name == "postgresql"
    results = [doctor.check_worker(ticks=workers.ticks, lock_holder=workers.lock_holder, now=now,
                                   uses_lock=uses_lock)]

    shifts = find_shifts_between(session, start=now, end=now + GAP_HORIZON)
    gaps = find_gaps([(s.starts_at, s.ends_at, s.role.value) for s in shifts],
                     hours=parse_service_hours(settings.service_hours),
                     open_on_holidays=settings.service_on_holidays, start=now, end=now + GAP_HORIZON)
    results.append(doctor.check_roster(gaps=gaps, days=GAP_HORIZON.days))

    leads = session.scalar(select(func.count(User.id)).where(User.role == Role.LEAD, User.active.is_(True)))
    results.append(doctor.check_leads(active_leads=int(leads or 0)))

    today = now.astimezone(BERLIN).date()
    members = list(session.scalars(
        select(MemberMunicipality.municipality).where(
            MemberMunicipality.starts_on <= today,
            (MemberMunicipality.ends_on.is_(None)) | (MemberMunicipality.ends_on >= today),
        )
    ))
    caregivers = session.execute(
        select(Caregiver.postcode, Caregiver.police_certificate_date, Caregiver.police_certificate_excluded).where(
            Caregiver.active.is_(True), Caregiver.left_at.is_(None), Caregiver.anonymised_at.is_(None)
        )
    )
    covered = {
        municipality
        for postcode, taken, excluded in caregivers
        if police_certificate_valid(taken, excluded=excluded, today=today)
        for municipality in lookup_postcode(postcode).municipalities
    }
    results.append(doctor.check_certificates(members=members, covered=covered))

    outbox = read_outbox_facts(session, now=now, stuck_after=doctor.OUTBOX_STUCK_AFTER)
    results.append(doctor.check_outbox(stuck=outbox.stuck, oldest_age=outbox.oldest_stuck_age,
                                       failed_last_day=outbox.failed_last_day))
    return results


def _twilio_checks(settings: Settings) -> list[CheckResult]:
    """Check the credentials, the number's webhooks and PUBLIC_BASE_URL against what Twilio has."""
    from telephony.numbers import NumberSetupError, check_credentials, find_number
    from telephony.twilio_rest import TwilioRestGateway

    if settings.simulator_mode:
        return [
            doctor.check_twilio_credentials(simulator_mode=True, error=None, error_en=None),
            doctor.check_number_urls(plan=None, error=None, error_en=None, number=settings.hotline_number),
            doctor.check_public_base_url(public_base_url=settings.public_base_url, twilio_voice_url=None,
                                         simulator_mode=True),
        ]
    gateway = TwilioRestGateway.from_settings(settings)
    try:
        check_credentials(gateway)
    except NumberSetupError as exc:
        return [
            doctor.check_twilio_credentials(simulator_mode=False, error=str(exc), error_en=exc.english),
            doctor.check_number_urls(plan=None, error="Nicht geprüft: Twilio nicht erreichbar.",
                                     error_en="Not checked: Twilio unreachable.", number=settings.hotline_number),
            doctor.check_public_base_url(public_base_url=settings.public_base_url, twilio_voice_url=None),
        ]
    results = [doctor.check_twilio_credentials(simulator_mode=False, error=None, error_en=None)]
    if not settings.hotline_number:
        results.append(doctor.check_number_urls(plan=None, error="HOTLINE_NUMBER ist nicht gesetzt.",
                                                error_en="HOTLINE_NUMBER is not set.", number=None))
        results.append(doctor.check_public_base_url(public_base_url=settings.public_base_url, twilio_voice_url=None))
        return results
    try:
        number = find_number(gateway, settings.hotline_number)
    except NumberSetupError as exc:
        results.append(doctor.check_number_urls(plan=None, error=str(exc), error_en=exc.english,
                                                number=settings.hotline_number))
        results.append(doctor.check_public_base_url(public_base_url=settings.public_base_url, twilio_voice_url=None))
        return results
    plan = plan_number_setup(number.fields, settings.public_base_url) if settings.public_base_url else None
    if plan is None:
        results.append(doctor.check_number_urls(plan=None, error="Nicht geprüft: PUBLIC_BASE_URL fehlt.",
                                                error_en="Not checked: PUBLIC_BASE_URL is missing.",
                                                number=number.phone_number))
    else:
        results.append(doctor.check_number_urls(plan=plan, error=None, error_en=None, number=number.phone_number))
    results.append(doctor.check_public_base_url(public_base_url=settings.public_base_url,
                                                twilio_voice_url=number.fields.get("voice_url") or None))
    return results
