"""Settings, read once from the environment (DESIGN.md, "Interface contract")."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from core.clock import parse_offset

_TRUE = {"1", "true", "yes", "on", "ja"}


#: The hotline's number in the browser simulator when HOTLINE_NUMBER is not set (a Hannover number no one has).
SIMULATOR_HOTLINE = "+4951100000000"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, with the documented defaults."""

    database_url: str
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    #: A second accepted signing token while the auth token is being rotated.
    twilio_auth_token_secondary: str | None = None
    twilio_api_base: str | None = None
    hotline_number: str | None = None
    public_base_url: str | None = None
    fallback_number: str | None = None
    service_hours: str = "mon-sat 00:00-24:00"
    service_on_holidays: bool = False
    #: Seconds each dial stage rings before the next one is tried.
    ring_timeout_seconds: int = 20
    #: Seconds the voice menu waits for a key before it asks again.
    gather_timeout_seconds: int = 6
    #: Longest voicemail, in seconds.
    voicemail_max_seconds: int = 120
    voice_de: str = "Polly.Vicki"
    voice_en: str = "Polly.Amy"
    language_en: str = "en-GB"
    #: Base URL recorded prompts are played from (relative audio names are joined to it).
    audio_base_url: str | None = None
    #: Retention (PRIVACY.md): voicemails deleted after this many days (also at Twilio).
    voicemail_retention_days: int = 30
    #: Cases anonymised this many months after they were closed or cancelled.
    case_retention_months: int = 12
    #: Police-certificate data deleted this many months after a caregiver left.
    certificate_retention_months: int = 3
    #: SMS_RETENTION_DAYS: text and sender of a received SMS are blanked this many days after it came in.
    sms_retention_days: int = 30
    #: How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0 = none, trust nothing).
    trusted_proxy_hops: int = 0
    #: METRICS_TOKEN: the bearer token the Prometheus scraper sends to GET /metrics (unset: /metrics is 404).
    metrics_token: str | None = field(default=None, repr=False)
    #: The token webhooks are signed with in simulator mode (generated per instance folder).
    simulator_auth_token: str | None = field(default=None, repr=False)
    #: DISPATCH_WAVE_SIZE: how many caregivers each wave of SMS offers goes to (the best-ranked first).
    dispatch_wave_size: int = 3
    #: DISPATCH_WAIT_NOW_MINUTES: minutes to wait for a yes before the next wave, urgency "now".
    dispatch_wait_now_minutes: int = 5
    #: DISPATCH_WAIT_TODAY_MINUTES: the same for urgency "today" (also used when the urgency is unknown).
    dispatch_wait_today_minutes: int = 15
    #: DISPATCH_WAIT_TOMORROW_MINUTES: the same for urgency "tomorrow".
    dispatch_wait_tomorrow_minutes: int = 60
    #: DISPATCH_WAIT_LATER_MINUTES: the same for urgency "later".
    dispatch_wait_later_minutes: int = 120
    #: DISPATCH_DEADLINE_NOW_MINUTES: minutes after the start of a dispatch for urgency "now" at which the
    #: coordinators on duty are told by SMS that the case is still unfilled (the waves go on).
    dispatch_deadline_now_minutes: int = 60
    #: DISPATCH_DEADLINE_TODAY_MINUTES: the same for urgency "today" (also used when the urgency is unknown).
    dispatch_deadline_today_minutes: int = 180
    #: DISPATCH_DEADLINE_TOMORROW_MINUTES: the same for urgency "tomorrow".
    dispatch_deadline_tomorrow_minutes: int = 720
    #: DISPATCH_DEADLINE_LATER_MINUTES: the same for urgency "later".
    dispatch_deadline_later_minutes: int = 1440
    #: BILLING_UNIT_MINUTES: care is billed per started unit of this many minutes (60: per started hour).
    billing_unit_minutes: int = 60
    #: SIMULATOR_CLOCK_OFFSET (`30d`, `-2h`): the app's clock runs this far ahead; honoured only in simulator mode.
    simulator_clock_offset: timedelta | None = None

    @property
    def simulator_mode(self) -> bool:
        """Return True when there are no Twilio credentials: SMS and calls stay local."""
        return not (self.twilio_account_sid and self.twilio_auth_token)

    @property
    def signing_tokens(self) -> tuple[str, ...]:
        """Return the tokens a webhook signature may be made with, current first."""
        if self.simulator_mode:
            return tuple(t for t in (self.simulator_auth_token,) if t)
        return tuple(t for t in (self.twilio_auth_token, self.twilio_auth_token_secondary) if t)

    @property
    def callable_hotline(self) -> str | None:
        """Return the number people can call: HOTLINE_NUMBER, else the simulator's line, else FALLBACK_NUMBER."""
        if self.hotline_number:
            return self.hotline_number
        return SIMULATOR_HOTLINE if self.simulator_mode else self.fallback_number

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some values replaced (tests, CLI options)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None, *, instance_path: str | Path) -> Settings:
    """Read the settings from the environment; create the instance folder and its local token."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def get_int(name: str, default: int) -> int:
        value = get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be a whole number, not {value!r}") from exc

    settings = Settings(
        database_url=get("DATABASE_URL") or f"sqlite:///{instance / 'fluxx.sqlite3'}",
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_auth_token_secondary=get("TWILIO_AUTH_TOKEN_SECONDARY"),
        twilio_api_base=get("TWILIO_API_BASE"),
        hotline_number=get("HOTLINE_NUMBER"),
        public_base_url=get("PUBLIC_BASE_URL"),
        fallback_number=get("FALLBACK_NUMBER"),
        service_hours=get("SERVICE_HOURS") or "mon-sat 00:00-24:00",
        service_on_holidays=(get("SERVICE_ON_HOLIDAYS") or "false").lower() in _TRUE,
        ring_timeout_seconds=get_int("RING_TIMEOUT_SECONDS", 20),
        gather_timeout_seconds=get_int("GATHER_TIMEOUT_SECONDS", 6),
        voicemail_max_seconds=get_int("VOICEMAIL_MAX_SECONDS", 120),
        voice_de=get("VOICE_DE") or "Polly.Vicki",
        voice_en=get("VOICE_EN") or "Polly.Amy",
        language_en=get("LANGUAGE_EN") or "en-GB",
        audio_base_url=get("AUDIO_BASE_URL"),
        trusted_proxy_hops=get_int("TRUSTED_PROXY_HOPS", 0),
        metrics_token=get("METRICS_TOKEN"),
        voicemail_retention_days=get_int("VOICEMAIL_RETENTION_DAYS", 30),
        case_retention_months=get_int("CASE_RETENTION_MONTHS", 12),
        certificate_retention_months=get_int("CERTIFICATE_RETENTION_MONTHS", 3),
        sms_retention_days=get_int("SMS_RETENTION_DAYS", 30),
        dispatch_wave_size=get_int("DISPATCH_WAVE_SIZE", 3),
        dispatch_wait_now_minutes=get_int("DISPATCH_WAIT_NOW_MINUTES", 5),
        dispatch_wait_today_minutes=get_int("DISPATCH_WAIT_TODAY_MINUTES", 15),
        dispatch_wait_tomorrow_minutes=get_int("DISPATCH_WAIT_TOMORROW_MINUTES", 60),
        dispatch_wait_later_minutes=get_int("DISPATCH_WAIT_LATER_MINUTES", 120),
        dispatch_deadline_now_minutes=get_int("DISPATCH_DEADLINE_NOW_MINUTES", 60),
        dispatch_deadline_today_minutes=get_int("DISPATCH_DEADLINE_TODAY_MINUTES", 180),
        dispatch_deadline_tomorrow_minutes=get_int("DISPATCH_DEADLINE_TOMORROW_MINUTES", 720),
        dispatch_deadline_later_minutes=get_int("DISPATCH_DEADLINE_LATER_MINUTES", 1440),
        billing_unit_minutes=get_int("BILLING_UNIT_MINUTES", 60),
        simulator_clock_offset=parse_offset(offset) if (offset := get("SIMULATOR_CLOCK_OFFSET")) else None,
    )
    if settings.billing_unit_minutes <= 0:
        raise ValueError("BILLING_UNIT_MINUTES must be a positive number of minutes")
    if settings.simulator_mode:
        settings = replace(settings, simulator_auth_token=_local_token(instance))
    return settings


def _local_token(instance: Path) -> str:
    """Return the instance's simulator signing token, creating it on first use."""
    path = instance / "simulator_auth_token"
    if not path.exists():
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()
