"""The doctor's checks as pure functions: plain facts in, one verdict (ok / warning / error) with advice out.

`ops/checkup.py` gathers the facts (database, worker heartbeats, Twilio, roster, users, caregivers,
outbox) and calls these; the command line and the dashboard page only print the results. Every
message exists in German (the product's language) and English.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import BERLIN
from core.languages import name
from ops.number_setup import FieldPlan

#: A worker that has not ticked for this long counts as stopped (as /healthz says "stale").
WORKER_STALE_AFTER = timedelta(seconds=30)
#: An outbox row due (or leased) longer ago than this is stuck: the worker should have sent it.
OUTBOX_STUCK_AFTER = timedelta(minutes=5)
#: How many roster gaps are named before "and N more".
GAPS_NAMED = 5

_DAYS = {"de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"), "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


class Status(enum.StrEnum):
    """How a check came out; `error` makes `doctor` exit non-zero."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor: what was checked, how it came out, and what to do (both languages)."""

    key: str
    status: Status
    de: str
    en: str
    todo_de: str = ""
    todo_en: str = ""

    def message(self, language: str) -> str:
        """Return the finding in 'de' or 'en'."""
        return self.en if language == "en" else self.de

    def todo(self, language: str) -> str:
        """Return what to do about it in 'de' or 'en' ('' when nothing)."""
        return self.todo_en if language == "en" else self.todo_de


def ok(key: str, de: str, en: str) -> CheckResult:
    """Return a passed check."""
    return CheckResult(key, Status.OK, de, en)


def exit_status(results: Iterable[CheckResult]) -> int:
    """Return 1 when any check is an error (monitoring runs `doctor`), else 0."""
    return 1 if any(r.status is Status.ERROR for r in results) else 0


def check_database(*, error: str | None, current: str | None, head: str) -> CheckResult:
    """Judge the database: reachable, and migrated to the newest revision."""
    if error is not None:
        return CheckResult("database", Status.ERROR, f"Datenbank nicht erreichbar: {error}",
                           f"Database unreachable: {error}",
                           "DATABASE_URL und den Datenbankserver prüfen.", "Check DATABASE_URL and the database server.")
    if current != head:
        return CheckResult("database", Status.ERROR,
                           f"Datenbank erreichbar, aber Schema auf Stand {current or 'leer'} statt {head}.",
                           f"Database reachable, but the schema is at {current or 'empty'}, not {head}.",
                           "flask --app app db upgrade", "flask --app app db upgrade")
    return ok("database", f"Datenbank erreichbar, Schema aktuell ({head}).",
              f"Database reachable, schema current ({head}).")


def check_worker(
    *, ticks: Sequence[tuple[str, datetime]], lock_holder: str | None, now: datetime, uses_lock: bool = True
) -> CheckResult:
    """Judge the worker from its heartbeats: the newest tick must be recent; name who holds the lock.

    `uses_lock` is False on SQLite (one machine, no advisory lock): then the newest ticker is named.
    """
    if not ticks:
        return CheckResult("worker", Status.ERROR, "Der Worker hat noch nie getickt: SMS und Fristen bleiben liegen.",
                           "The worker has never ticked: SMS and timers are not handled.",
                           "Worker starten: systemctl start fluxx-worker (oder flask --app app worker).",
                           "Start the worker: systemctl start fluxx-worker (or flask --app app worker).")
    name, last = max(ticks, key=lambda t: t[1])
    age = int((now - last).total_seconds())
    if now - last > WORKER_STALE_AFTER:
        return CheckResult("worker", Status.ERROR,
                           f"Der Worker tickt nicht: letzter Tick vor {age} s ({name}).",
                           f"The worker is not ticking: last tick {age} s ago ({name}).",
                           "systemctl status fluxx-worker; journalctl -u fluxx-worker",
                           "systemctl status fluxx-worker; journalctl -u fluxx-worker")
    if not uses_lock:
        return ok("worker", f"Worker tickt (vor {age} s): {name} (SQLite: ohne Sperre, ein Rechner).",
                  f"Worker ticking ({age} s ago): {name} (SQLite: no lock, one machine).")
    if lock_holder is None:
        return ok("worker", f"Worker tickt (vor {age} s, {name}); gerade hält niemand die Sperre.",
                  f"Worker ticking ({age} s ago, {name}); nobody holds the lock right now.")
    return ok("worker", f"Worker tickt (vor {age} s); die Sperre hält {lock_holder}.",
              f"Worker ticking ({age} s ago); the lock is held by {lock_holder}.")


def check_twilio_credentials(*, simulator_mode: bool, error: str | None, error_en: str | None) -> CheckResult:
    """Judge the Twilio credentials (simulator mode is a warning: nothing leaves this machine)."""
    if simulator_mode:
        return CheckResult("twilio", Status.WARNING,
                           "Simulatorbetrieb: keine Twilio-Zugangsdaten, SMS und Anrufe bleiben auf diesem Rechner.",
                           "Simulator mode: no Twilio credentials, SMS and calls stay on this machine.",
                           "TWILIO_ACCOUNT_SID und TWILIO_AUTH_TOKEN setzen.", "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
    if error is not None:
        return CheckResult("twilio", Status.ERROR, f"Twilio: {error}", f"Twilio: {error_en or error}")
    return ok("twilio", "Twilio-Zugangsdaten gültig.", "Twilio credentials valid.")


def check_number_urls(*, plan: Sequence[FieldPlan] | None, error: str | None, error_en: str | None,
                      number: str | None) -> CheckResult:
    """Judge whether the hotline number's webhooks at Twilio point at this app (all POST)."""
    if error is not None:
        return CheckResult("number", Status.ERROR, error, error_en or error)
    if plan is None:
        return CheckResult("number", Status.WARNING, "Nummer nicht geprüft (keine Twilio-Zugangsdaten).",
                           "Number not checked (no Twilio credentials).")
    wrong = [item.field for item in plan if item.needs_change]
    if wrong:
        fields = ", ".join(wrong)
        return CheckResult("number", Status.ERROR,
                           f"Die Nummer {number} zeigt nicht überall auf diese App: {fields}.",
                           f"The number {number} does not point at this app everywhere: {fields}.",
                           "flask --app app twilio configure --dry-run, dann ohne --dry-run.",
                           "flask --app app twilio configure --dry-run, then without --dry-run.")
    return ok("number", f"Die Nummer {number} zeigt mit allen Webhooks (POST) auf diese App.",
              f"The number {number} points all its webhooks (POST) at this app.")


def check_public_base_url(
    *, public_base_url: str | None, twilio_voice_url: str | None, simulator_mode: bool = False
) -> CheckResult:
    """Judge PUBLIC_BASE_URL: set, https, and the base of what Twilio calls for a voice call."""
    if not public_base_url:
        return CheckResult("public_base_url", Status.WARNING if simulator_mode else Status.ERROR,
                           "PUBLIC_BASE_URL ist nicht gesetzt: Signaturen und Rückruf-URLs hängen davon ab.",
                           "PUBLIC_BASE_URL is not set: signatures and callback URLs depend on it.",
                           "PUBLIC_BASE_URL=https://… setzen.", "Set PUBLIC_BASE_URL=https://….")
    base = public_base_url.rstrip("/")
    if twilio_voice_url is not None and not twilio_voice_url.startswith(base + "/"):
        return CheckResult("public_base_url", Status.ERROR,
                           f"Twilio ruft {twilio_voice_url} auf, PUBLIC_BASE_URL ist {base}: die Signaturprüfung "
                           "würde jeden Anruf abweisen.",
                           f"Twilio calls {twilio_voice_url}, PUBLIC_BASE_URL is {base}: the signature check would "
                           "refuse every call.",
                           "PUBLIC_BASE_URL korrigieren oder flask --app app twilio configure.",
                           "Correct PUBLIC_BASE_URL or run flask --app app twilio configure.")
    if not base.startswith("https://"):
        return CheckResult("public_base_url", Status.WARNING, f"PUBLIC_BASE_URL {base} ist nicht https.",
                           f"PUBLIC_BASE_URL {base} is not https.", "Für den Betrieb https verwenden.",
                           "Use https in production.")
    return ok("public_base_url", f"PUBLIC_BASE_URL {base} passt zu Twilio.", f"PUBLIC_BASE_URL {base} matches Twilio.")


def describe_gap(start: datetime, end: datetime, language: str) -> str:
    """Return a roster gap as people read it: 'Di 24.11. 16:00 – Di 24.11. 24:00'."""
    days = _DAYS["en" if language == "en" else "de"]

    def label(at: datetime, *, is_end: bool) -> str:
        local = at.astimezone(BERLIN)
        if is_end and local.hour == 0 and local.minute == 0:
            local -= timedelta(minutes=1)
            return f"{days[local.weekday()]} {local:%d.%m.} 24:00"
        return f"{days[local.weekday()]} {local:%d.%m. %H:%M}"

    return f"{label(start, is_end=False)} – {label(end, is_end=True)}"


def check_roster(*, gaps: Sequence[tuple[datetime, datetime]], days: int) -> CheckResult:
    """Judge the roster of the next `days` days: every open hour needs a primary; name the gaps."""
    if not gaps:
        return ok("roster", f"Dienstplan der nächsten {days} Tage ohne Lücken.",
                  f"Roster of the next {days} days has no gaps.")

    def listed(language: str) -> str:
        named = [describe_gap(a, b, language) for a, b in gaps[:GAPS_NAMED]]
        more = len(gaps) - len(named)
        if more:
            named.append(f"und {more} weitere" if language == "de" else f"and {more} more")
        return "; ".join(named)

    return CheckResult("roster", Status.ERROR,
                       f"Dienstplan der nächsten {days} Tage hat {len(gaps)} Lücke(n) ohne Hauptdienst: {listed('de')}.",
                       f"Roster of the next {days} days has {len(gaps)} gap(s) without a primary: {listed('en')}.",
                       "Schichten im Dashboard (Dienstplan) eintragen; bis dahin klingelt FALLBACK_NUMBER.",
                       "Add shifts in the dashboard (Roster); until then FALLBACK_NUMBER rings.")


def check_fallback_number(*, fallback_number: str | None) -> CheckResult:
    """Judge FALLBACK_NUMBER: the line rung when nobody else can be."""
    if not fallback_number:
        return CheckResult("fallback_number", Status.ERROR,
                           "FALLBACK_NUMBER ist nicht gesetzt: fällt der Dienstplan aus, gibt es nur die Mailbox.",
                           "FALLBACK_NUMBER is not set: when the roster fails, callers only get voicemail.",
                           "FALLBACK_NUMBER auf die Leitung der Koordinationsstelle setzen.",
                           "Set FALLBACK_NUMBER to the coordination office's line.")
    return ok("fallback_number", f"FALLBACK_NUMBER gesetzt (…{fallback_number[-4:]}).",
              f"FALLBACK_NUMBER set (…{fallback_number[-4:]}).")


def check_leads(*, active_leads: int) -> CheckResult:
    """Judge the dashboard users: at least one active lead must exist."""
    if active_leads == 0:
        return CheckResult("leads", Status.ERROR, "Keine aktive Leitung im Dashboard.",
                           "No active lead user in the dashboard.",
                           "flask --app app users create --username … --role lead --generate",
                           "flask --app app users create --username … --role lead --generate")
    return ok("leads", f"{active_leads} aktive Leitung(en).", f"{active_leads} active lead user(s).")


def check_certificates(*, members: Sequence[str], covered: Iterable[str]) -> CheckResult:
    """Judge the caregivers: every member municipality needs one with a valid police certificate."""
    have = set(covered)
    missing = sorted(m for m in set(members) if m not in have)
    if not members:
        return CheckResult("certificates", Status.WARNING, "Keine Mitgliedskommune eingetragen.",
                           "No member municipality recorded.", "Mitgliedskommunen im Dashboard eintragen.",
                           "Record the member municipalities in the dashboard.")
    if missing:
        names = ", ".join(missing)
        return CheckResult("certificates", Status.ERROR,
                           f"Ohne Betreuungskraft mit gültigem Führungszeugnis: {names}.",
                           f"No caregiver with a valid police certificate in: {names}.",
                           "Betreuungskräfte gewinnen oder Führungszeugnisse erneuern.",
                           "Recruit caregivers or renew their police certificates.")
    return ok("certificates", f"Alle {len(set(members))} Mitgliedskommunen haben Betreuungskräfte mit gültigem "
              "Führungszeugnis.", f"All {len(set(members))} member municipalities have caregivers with a valid "
              "police certificate.")


def check_outbox(*, stuck: int, oldest_age: timedelta | None, failed_last_day: int) -> CheckResult:
    """Judge the outbox: nothing due for long unsent; recent failures are a warning."""
    if stuck:
        minutes = int(oldest_age.total_seconds() // 60) if oldest_age else 0
        return CheckResult("outbox", Status.ERROR,
                           f"{stuck} SMS/Anruf(e) hängen im Postausgang, der älteste seit {minutes} min.",
                           f"{stuck} SMS/call(s) stuck in the outbox, the oldest for {minutes} min.",
                           "Läuft der Worker? journalctl -u fluxx-worker; Twilio-Status prüfen.",
                           "Is the worker running? journalctl -u fluxx-worker; check Twilio's status.")
    if failed_last_day:
        return CheckResult("outbox", Status.WARNING,
                           f"Postausgang leer, aber {failed_last_day} Sendung(en) in 24 h endgültig gescheitert.",
                           f"Outbox clear, but {failed_last_day} message(s) failed for good in 24 h.",
                           "Fehler im Dashboard ansehen (Nummern gültig? STOP gesendet?).",
                           "Look at the errors in the dashboard (numbers valid? STOP sent?).")
    return ok("outbox", "Postausgang ohne hängende Sendungen.", "Outbox has no stuck messages.")


def check_secrets(*, production: bool, secret_key_generated: bool, simulator_mode: bool) -> CheckResult:
    """Judge the secrets: in production neither the session key nor the signing token may be generated locally."""
    problems_de: list[str] = []
    problems_en: list[str] = []
    if secret_key_generated:
        problems_de.append("SECRET_KEY ist der lokal erzeugte Entwicklungswert (instance/secret_key)")
        problems_en.append("SECRET_KEY is the locally generated development value (instance/secret_key)")
    if simulator_mode:
        problems_de.append("Webhooks werden mit dem lokal erzeugten Simulator-Token geprüft (kein TWILIO_AUTH_TOKEN)")
        problems_en.append("webhooks are checked against the locally generated simulator token (no TWILIO_AUTH_TOKEN)")
    if not problems_de:
        return ok("secrets", "SECRET_KEY und TWILIO_AUTH_TOKEN kommen aus der Umgebung.",
                  "SECRET_KEY and TWILIO_AUTH_TOKEN come from the environment.")
    status = Status.ERROR if production else Status.WARNING
    where_de = "im Betrieb" if production else "(Entwicklung: in Ordnung)"
    where_en = "in production" if production else "(development: fine)"
    return CheckResult("secrets", status, "; ".join(problems_de) + f" {where_de}.",
                       "; ".join(problems_en) + f" {where_en}.",
                       "SECRET_KEY (z. B. python -c 'import secrets; print(secrets.token_hex(32))') und "
                       "TWILIO_AUTH_TOKEN in /etc/fluxx/fluxx.env setzen.",
                       "Set SECRET_KEY (e.g. python -c 'import secrets; print(secrets.token_hex(32))') and "
                       "TWILIO_AUTH_TOKEN in /etc/fluxx/fluxx.env.")


def check_prompts(*, offered: Sequence[str], problems: Mapping[str, str], unreviewed: Sequence[str]) -> CheckResult:
    """Judge the voice prompts: every offered language's file readable, with German's prompts; name the unreviewed."""
    if problems:
        listed = "; ".join(f"{language}: {problem}" for language, problem in problems.items())
        return CheckResult("prompts", Status.ERROR, f"Ansagedatei(en) fehlerhaft: {listed}.",
                           f"Prompt file(s) broken: {listed}.",
                           "Datei korrigieren (README, „Languages“) oder die Sprache in LANGUAGES weglassen; bis dahin "
                           "bietet die Begrüßung sie nicht an.",
                           "Fix the file (README, \"Languages\") or leave the language out of LANGUAGES; until then the "
                           "welcome does not offer it.")
    if unreviewed:
        return ok("prompts", f"Ansagen in {len(offered)} Sprachen angeboten; noch nicht von einer Muttersprachlerin "
                  f"geprüft: {', '.join(name(code, 'de') for code in unreviewed)}.",
                  f"Prompts offered in {len(offered)} languages; not yet reviewed by a native speaker: "
                  f"{', '.join(name(code, 'en') for code in unreviewed)}.")
    return ok("prompts", f"Ansagen in {len(offered)} Sprachen angeboten, alle geprüft.",
              f"Prompts offered in {len(offered)} languages, all reviewed.")


def check_sms_texts(*, problems: Mapping[str, str], unreviewed: Sequence[str]) -> CheckResult:
    """Judge the SMS text files: every language's readable, with German's texts; name the unreviewed."""
    if problems:
        listed = "; ".join(f"{language}: {problem}" for language, problem in problems.items())
        status = Status.ERROR if "de" in problems else Status.WARNING
        return CheckResult("sms_texts", status, f"SMS-Textdatei(en) fehlerhaft: {listed}.",
                           f"SMS text file(s) broken: {listed}.",
                           "Datei in messaging/texts/ korrigieren (README, „SMS languages“); bis dahin gehen diese SMS "
                           "auf Deutsch hinaus.",
                           "Fix the file in messaging/texts/ (README, \"SMS languages\"); until then those SMS go out "
                           "in German.")
    if unreviewed:
        return ok("sms_texts", "SMS-Texte in 7 Sprachen; noch nicht von einer Muttersprachlerin geprüft: "
                  f"{', '.join(name(code, 'de') for code in unreviewed)}.",
                  "SMS texts in 7 languages; not yet reviewed by a native speaker: "
                  f"{', '.join(name(code, 'en') for code in unreviewed)}.")
    return ok("sms_texts", "SMS-Texte in 7 Sprachen, alle geprüft.", "SMS texts in 7 languages, all reviewed.")


def not_checked(key: str, *, reason: str | None = None) -> CheckResult:
    """Return the line for a check that needs the database when it cannot be read (or is not migrated)."""
    why_de = f"Lesefehler {reason}" if reason else "Datenbank nicht erreichbar oder Schema nicht aktuell"
    why_en = f"read error {reason}" if reason else "database unreachable or schema not current"
    return CheckResult(key, Status.ERROR, f"{key}: nicht geprüft ({why_de}).", f"{key}: not checked ({why_en}).")
