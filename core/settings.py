"""Settings, read once from the environment (README, "Configuration").

Each setting is defined once, as a field of `Settings` made by `setting()`: its environment
variable, how its text is read, its default and, where the README shows the default in words,
those words. `load_settings` reads the environment from these definitions, the policies of
dispatch and retention take their defaults from them (`default()`), and
tests/unit/test_settings.py checks README's configuration table against them. Variables read
outside this object (the dashboard's key, the prompt folder, ...) are listed in `READ_ELSEWHERE`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.clock import parse_offset
from core.inputs import InputError, parse_int
from core.languages import LANGUAGES as ALL_LANGUAGES
from core.languages import known, offered, parse_language_list

_TRUE = {"1", "true", "yes", "on", "ja"}

#: Digits a whole number in an environment variable may have, so every value fits the columns and
#: timedeltas it feeds.
_MAX_DIGITS = 9
_LARGEST = 10**_MAX_DIGITS - 1


#: The hotline's number in the browser simulator when HOTLINE_NUMBER is not set (a Hannover number no one has).
SIMULATOR_HOTLINE = "+4951100000000"


# --- how a variable's text is read ----------------------------------------------------------------
# A reader gets the variable's name and its text (stripped, never empty) and returns the value, or
# raises ValueError naming the variable.


def read_text(name: str, value: str) -> str:
    """Return the text as it is."""
    return value


def read_flag(name: str, value: str) -> bool:
    """Return True for 1/true/yes/on/ja (any case), False for anything else."""
    return value.lower() in _TRUE


def read_whole_number(name: str, value: str) -> int:
    """Return a whole number by the shared input rules (ASCII digits, a leading minus), or raise ValueError."""
    try:
        return parse_int(value, minimum=-_LARGEST, maximum=_LARGEST)
    except InputError as exc:
        if exc.key == "int.range":
            raise ValueError(f"{name} must be a whole number of at most {_MAX_DIGITS} digits, not {value!r}") from None
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def read_languages(name: str, value: str) -> tuple[str, ...]:
    """Return the caller languages named in `value` ("de,en,tr"), German always among them."""
    try:
        return offered(parse_language_list(value))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def read_offset(name: str, value: str) -> timedelta:
    """Return a clock offset such as `30d` or `-2h` (core.clock.parse_offset)."""
    return parse_offset(value)


@dataclass(frozen=True)
class Variable:
    """The environment variable behind a field of `Settings`, and how it is read."""

    name: str
    read: Callable[[str, str], Any] = read_text
    #: The default as README's configuration table shows it, when not the field's default in backticks.
    shown_default: str | None = None
    #: A rule the value must keep, with the message when it does not.
    check: tuple[Callable[[Any], bool], str] | None = None
    #: The value when the variable is unset and the field has no default, from the instance folder.
    fallback: Callable[[Path], Any] | None = None
    #: The smallest and the largest value a whole number may have (both included).
    bounds: tuple[int, int] | None = None


@dataclass(frozen=True)
class ReadElsewhere:
    """An environment variable read outside `Settings` (in `read_in`, a path in the repository)."""

    name: str
    read_in: str
    shown_default: str


def setting(name: str, default: Any = MISSING, *, read: Callable[[str, str], Any] = read_text,
            shown_default: str | None = None, check: tuple[Callable[[Any], bool], str] | None = None,
            fallback: Callable[[Path], Any] | None = None, secret: bool = False,
            bounds: tuple[int, int] | None = None) -> Any:
    """Return a `Settings` field read from the environment variable `name` (the one definition).

    `bounds` (smallest, largest) makes it a whole number (read_whole_number) that must keep this range;
    a value outside it stops the start.
    """
    if bounds is not None and read is read_text:
        read = read_whole_number
    variable = Variable(name, read, shown_default, check, fallback, bounds)
    if default is MISSING:
        return field(repr=not secret, metadata={"variable": variable})
    return field(default=default, repr=not secret, metadata={"variable": variable})


def _sqlite_in(instance: Path) -> str:
    return f"sqlite:///{instance / 'fluxx.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, with the documented defaults."""

    database_url: str = setting("DATABASE_URL", fallback=_sqlite_in,
                                shown_default="SQLite file `instance/fluxx.sqlite3`")
    twilio_account_sid: str | None = setting("TWILIO_ACCOUNT_SID", None)
    twilio_auth_token: str | None = setting("TWILIO_AUTH_TOKEN", None)
    #: A second accepted signing token while the auth token is being rotated.
    twilio_auth_token_secondary: str | None = setting("TWILIO_AUTH_TOKEN_SECONDARY", None)
    twilio_api_base: str | None = setting("TWILIO_API_BASE", None, shown_default="Twilio's")
    hotline_number: str | None = setting("HOTLINE_NUMBER", None)
    public_base_url: str | None = setting("PUBLIC_BASE_URL", None, shown_default="the request's")
    fallback_number: str | None = setting("FALLBACK_NUMBER", None)
    service_hours: str = setting("SERVICE_HOURS", "mon-sat 00:00-24:00")
    service_on_holidays: bool = setting("SERVICE_ON_HOLIDAYS", False, read=read_flag)
    #: Seconds each dial stage rings before the next one is tried.
    ring_timeout_seconds: int = setting("RING_TIMEOUT_SECONDS", 20, bounds=(5, 600))
    #: Seconds the voice menu waits for a key before it asks again.
    gather_timeout_seconds: int = setting("GATHER_TIMEOUT_SECONDS", 6, bounds=(1, 60))
    #: Longest voicemail, in seconds.
    voicemail_max_seconds: int = setting("VOICEMAIL_MAX_SECONDS", 120, bounds=(1, 14400))
    #: The text-to-speech voice (Twilio's `voice` attribute of <Say>) and language tag (`language`) per
    #: caller language; README "Languages" says why these voices (Amazon Polly, Google's for Ukrainian).
    voice_de: str = setting("VOICE_DE", "Polly.Vicki")
    voice_en: str = setting("VOICE_EN", "Polly.Amy")
    voice_tr: str = setting("VOICE_TR", "Polly.Filiz")
    voice_ar: str = setting("VOICE_AR", "Polly.Zeina")
    voice_ru: str = setting("VOICE_RU", "Polly.Tatyana")
    voice_uk: str = setting("VOICE_UK", "Google.uk-UA-Standard-A")
    voice_pl: str = setting("VOICE_PL", "Polly.Ewa")
    language_de: str = setting("LANGUAGE_DE", "de-DE")
    language_en: str = setting("LANGUAGE_EN", "en-GB")
    language_tr: str = setting("LANGUAGE_TR", "tr-TR")
    language_ar: str = setting("LANGUAGE_AR", "arb")
    language_ru: str = setting("LANGUAGE_RU", "ru-RU")
    language_uk: str = setting("LANGUAGE_UK", "uk-UA")
    language_pl: str = setting("LANGUAGE_PL", "pl-PL")
    #: LANGUAGES: the caller languages the hotline offers (German is always on); withdraw one until a native
    #: speaker of the office has reviewed its prompts and texts.
    languages: tuple[str, ...] = setting("LANGUAGES", ALL_LANGUAGES, read=read_languages,
                                         shown_default="`de,en,tr,ar,ru,uk,pl`")
    #: Base URL recorded prompts are played from (relative audio names are joined to it).
    audio_base_url: str | None = setting("AUDIO_BASE_URL", None, shown_default="`PUBLIC_BASE_URL/static/audio/`")
    #: Retention (PRIVACY.md): voicemails deleted after this many days (also at Twilio).
    voicemail_retention_days: int = setting("VOICEMAIL_RETENTION_DAYS", 30, bounds=(1, 3650))
    #: Cases anonymised this many months after they were closed or cancelled.
    case_retention_months: int = setting("CASE_RETENTION_MONTHS", 12, bounds=(1, 120))
    #: Police-certificate data deleted this many months after a caregiver left.
    certificate_retention_months: int = setting("CERTIFICATE_RETENTION_MONTHS", 3, bounds=(0, 120))
    #: SMS_RETENTION_DAYS: text and sender of a received SMS are blanked this many days after it came in.
    sms_retention_days: int = setting("SMS_RETENTION_DAYS", 30, bounds=(1, 3650))
    #: How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0 = none, trust nothing).
    trusted_proxy_hops: int = setting("TRUSTED_PROXY_HOPS", 0, bounds=(0, 10))
    #: METRICS_TOKEN: the bearer token the Prometheus scraper sends to GET /metrics (unset: /metrics is 404).
    metrics_token: str | None = setting("METRICS_TOKEN", None, secret=True)
    #: The token webhooks are signed with in simulator mode (generated per instance folder, no variable).
    simulator_auth_token: str | None = field(default=None, repr=False)
    #: DISPATCH_WAVE_SIZE: how many caregivers each wave of SMS offers goes to (the best-ranked first).
    dispatch_wave_size: int = setting("DISPATCH_WAVE_SIZE", 3, bounds=(0, 100))
    #: DISPATCH_POLICY: how the waves grow: `waves` (each wave DISPATCH_WAVE_SIZE) or `growing` (each wave
    #: twice the one before, at most DISPATCH_GROWING_CAP; see dispatch/policy.py and BENCHMARKS.md).
    dispatch_policy: str = setting(
        "DISPATCH_POLICY", "waves",
        check=(lambda name: name in ("waves", "growing"), "DISPATCH_POLICY must be waves or growing"))
    #: DISPATCH_WAIT_NOW_MINUTES: minutes to wait for a yes before the next wave, urgency "now".
    dispatch_wait_now_minutes: int = setting("DISPATCH_WAIT_NOW_MINUTES", 5, bounds=(0, 10080))
    #: DISPATCH_WAIT_TODAY_MINUTES: the same for urgency "today" (also used when the urgency is unknown).
    dispatch_wait_today_minutes: int = setting("DISPATCH_WAIT_TODAY_MINUTES", 15, bounds=(0, 10080))
    #: DISPATCH_WAIT_TOMORROW_MINUTES: the same for urgency "tomorrow".
    dispatch_wait_tomorrow_minutes: int = setting("DISPATCH_WAIT_TOMORROW_MINUTES", 60, bounds=(0, 10080))
    #: DISPATCH_WAIT_LATER_MINUTES: the same for urgency "later".
    dispatch_wait_later_minutes: int = setting("DISPATCH_WAIT_LATER_MINUTES", 120, bounds=(0, 10080))
    #: DISPATCH_DEADLINE_NOW_MINUTES: minutes after the start of a dispatch for urgency "now" at which the
    #: coordinators on duty are told by SMS that the case is still unfilled (the waves go on).
    dispatch_deadline_now_minutes: int = setting("DISPATCH_DEADLINE_NOW_MINUTES", 60, bounds=(0, 10080))
    #: DISPATCH_DEADLINE_TODAY_MINUTES: the same for urgency "today" (also used when the urgency is unknown).
    dispatch_deadline_today_minutes: int = setting("DISPATCH_DEADLINE_TODAY_MINUTES", 180, bounds=(0, 10080))
    #: DISPATCH_DEADLINE_TOMORROW_MINUTES: the same for urgency "tomorrow".
    dispatch_deadline_tomorrow_minutes: int = setting("DISPATCH_DEADLINE_TOMORROW_MINUTES", 720, bounds=(0, 10080))
    #: DISPATCH_DEADLINE_LATER_MINUTES: the same for urgency "later".
    dispatch_deadline_later_minutes: int = setting("DISPATCH_DEADLINE_LATER_MINUTES", 1440, bounds=(0, 10080))
    #: BILLING_UNIT_MINUTES: care is billed per started unit of this many minutes (60: per started hour).
    billing_unit_minutes: int = setting(
        "BILLING_UNIT_MINUTES", 60, bounds=(1, 1440),
        check=(lambda minutes: minutes > 0, "BILLING_UNIT_MINUTES must be a positive number of minutes"))
    #: QUEUE_MAX_WAIT_MINUTES: the longest a caller waits in the queue on the line before she goes on to the
    #: office's line and the voicemail, as when nobody answers (every loop turn checks it: no worker needed).
    queue_max_wait_minutes: int = setting(
        "QUEUE_MAX_WAIT_MINUTES", 10, bounds=(1, 240),
        check=(lambda minutes: minutes > 0, "QUEUE_MAX_WAIT_MINUTES must be a positive number of minutes"))
    #: QUEUE_MAX_LENGTH: the most callers waiting at once; a caller beyond it goes on to the office's line and
    #: the voicemail as today. 0 turns the queue off.
    queue_max_length: int = setting(
        "QUEUE_MAX_LENGTH", 20, bounds=(0, 1000),
        check=(lambda length: length >= 0, "QUEUE_MAX_LENGTH must be 0 (no queue) or more"))
    #: SURGE_AUTO_ON_WAITING: surge mode switches itself on when more than this many callers wait in the queue
    #: (0: only a lead switches it on).
    surge_auto_on_waiting: int = setting(
        "SURGE_AUTO_ON_WAITING", 5, bounds=(0, 1000),
        check=(lambda count: count >= 0, "SURGE_AUTO_ON_WAITING must be 0 (never automatically) or more"))
    #: SURGE_AUTO_OFF_MINUTES: surge mode switches itself off when the queue has been empty this long.
    surge_auto_off_minutes: int = setting(
        "SURGE_AUTO_OFF_MINUTES", 30, bounds=(1, 1440),
        check=(lambda minutes: minutes > 0, "SURGE_AUTO_OFF_MINUTES must be a positive number of minutes"))
    #: SIMULATOR_CLOCK_OFFSET (`30d`, `-2h`): the app's clock runs this far ahead; honoured only in simulator mode.
    simulator_clock_offset: timedelta | None = setting("SIMULATOR_CLOCK_OFFSET", None, read=read_offset)

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

    def voice(self, language: str) -> str:
        """Return the text-to-speech voice of a caller language (German's for an unknown one)."""
        return str(getattr(self, f"voice_{known(language)}"))

    def language_tag(self, language: str) -> str:
        """Return the <Say language="..."> tag of a caller language (German's for an unknown one)."""
        return str(getattr(self, f"language_{known(language)}"))

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some values replaced (tests, CLI options)."""
        return replace(self, **changes)


#: Variables of the configuration table read outside `Settings`, with the file that reads each.
READ_ELSEWHERE = (
    ReadElsewhere("SECRET_KEY", "dashboard/__init__.py", "generated once in `instance/secret_key`"),
    ReadElsewhere("PROMETHEUS_MULTIPROC_DIR", "webhooks/metrics.py", "— (process-local timings)"),
    ReadElsewhere("BACKUP_KEEP_DAYS", "deploy/fluxx-backup.sh", "`14`"),
    ReadElsewhere("PROMPTS_DIR", "ivr/prompts.py", "—"),
)


def variables() -> list[tuple[Field[Any], Variable]]:
    """Return each `Settings` field read from the environment with its variable, in field order."""
    return [(f, f.metadata["variable"]) for f in fields(Settings) if "variable" in f.metadata]


def default(name: str) -> Any:
    """Return the default of the setting `name` (a `Settings` field name): the one definition of it."""
    for f in fields(Settings):
        if f.name == name and f.default is not MISSING:
            return f.default
    raise KeyError(f"no setting {name!r} with a default")


def shown_default(f: Field[Any], variable: Variable) -> str:
    """Return the default as README's configuration table shows it."""
    if variable.shown_default is not None:
        return variable.shown_default
    if f.default is None:
        return "—"
    if isinstance(f.default, bool):
        return f"`{str(f.default).lower()}`"
    return f"`{f.default}`"


def load_settings(environ: Mapping[str, str] | None = None, *, instance_path: str | Path) -> Settings:
    """Read the settings from the environment; create the instance folder and its local token."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    values: dict[str, Any] = {}
    for f, variable in variables():
        text = env.get(variable.name, "").strip()
        if text:
            values[f.name] = variable.read(variable.name, text)
        elif variable.fallback is not None:
            values[f.name] = variable.fallback(instance)
    settings = Settings(**values)
    for f, variable in variables():
        value = getattr(settings, f.name)
        if variable.check is not None and not variable.check[0](value):
            raise ValueError(variable.check[1])
        if variable.bounds is not None and not variable.bounds[0] <= value <= variable.bounds[1]:
            low, high = variable.bounds
            raise ValueError(f"{variable.name} must be from {low} to {high}, not {value}")
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
