"""`flask --app app simulate call`: walk the voice menu in the terminal, through the real webhooks.

The simulator is a client of the app: it posts the same signed requests Twilio would post and
follows the TwiML it gets back. You play the caller and the coordinators' phones.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from twilio.request_validator import RequestValidator

from core.container import current_services
from core.logs import MaskPhoneNumbers
from core.phones import normalize_phone
from messaging.outbox import deliver_due_messages
from roster.queries import find_coordinator_names
from routing.callbacks import placed_callback
from routing.queue_callbacks import place_due_callbacks

#: What --from takes for a caller who withholds her number.
WITHHELD = ("anonymous", "withheld", "unterdrückt")

Ask = Callable[[str], str]


class CallDriver:
    """Posts signed Twilio webhook requests for one simulated call and returns the parsed TwiML."""

    def __init__(self, client: Any, *, base_url: str, token: str, caller: str, hotline: str,
                 names: Mapping[str, str] | None = None, call_sid: str | None = None,
                 direction: str = "inbound") -> None:
        """Prepare a call from `caller` to `hotline`; `names` names the coordinators' phones.

        A call the hotline placed (a call-back) has its own CallSid, goes from the hotline's number
        to the coordinator's phone (`caller`, `hotline` in that order) and is "outbound-api".
        """
        self.client = client
        self.names = dict(names or {})
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(token)
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.caller = caller
        self.hotline = hotline
        self.direction = direction

    def post(self, url: str, extra: dict[str, str] | None = None, *, leg: dict[str, str] | None = None) -> ET.Element:
        """POST to a webhook (path or absolute URL) as Twilio would, and parse the TwiML answer."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = leg or {"CallSid": self.call_sid, "From": self.caller, "To": self.hotline,
                         "Direction": self.direction, "CallStatus": "in-progress", "AccountSid": "AC" + "0" * 32}
        params = {**params, **(extra or {})}
        signature = self.validator.compute_signature(self.base_url + path, params)
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise click.ClickException(f"{path} answered HTTP {response.status_code}")
        return ET.fromstring(response.get_data())


#: One simulated call, step by step: it yields what it asks the person at the keyboard, and is sent the answer.
Steps = Generator[str, str, None]

#: What a call asks while the caller talks to a coordinator; "w" keeps talking (another caller's turn).
TALKING = "Gespräch läuft … Enter = auflegen, w = weiter sprechen / talking … Enter = hang up, w = keep talking"
KEEP_TALKING = "w"


def run_call(driver: CallDriver, ask: Ask, say: Callable[[str], None]) -> None:
    """Follow the call's TwiML until it hangs up, asking the person at the keyboard what to press."""
    drive(call_steps(driver, say), ask)


def drive(steps: Steps, ask: Ask) -> None:
    """Run one call's steps, asking the person at the keyboard each question, until it hangs up."""
    with contextlib.suppress(StopIteration):
        prompt = next(steps)
        while True:
            prompt = steps.send(ask(prompt))


def run_calls(drivers: Sequence[CallDriver], ask: Callable[[int, str], str], say: Callable[[str], None]) -> None:
    """Play several callers at once, in turns: each turn, one caller's question is answered.

    A caller talking to a coordinator stays on the line while she answers "w", so the next callers
    find everybody talking and wait in the queue; Enter hangs up, and the next waiting caller's
    turn rings that coordinator.
    """
    calls: dict[int, tuple[Steps, str]] = {}
    for number, driver in enumerate(drivers, 1):
        steps = call_steps(driver, _prefixed(number, say))
        with contextlib.suppress(StopIteration):
            calls[number] = (steps, next(steps))
    while calls:
        for number in list(calls):
            steps, prompt = calls[number]
            try:
                calls[number] = (steps, steps.send(ask(number, prompt)))
            except StopIteration:
                del calls[number]


def _prefixed(number: int, say: Callable[[str], None]) -> Callable[[str], None]:
    return lambda text: say(f"[Anrufer {number} / caller {number}] {text}")


def call_steps(driver: CallDriver, say: Callable[[str], None]) -> Steps:
    """Follow one call's TwiML until it hangs up; yield each question, receive the answer."""
    doc: ET.Element | None = driver.post("/voice/incoming")
    while doc is not None:
        doc = yield from _follow(driver, doc, say)
    driver.post("/voice/status", {"CallStatus": "completed"})
    say("— Anruf beendet. (Call ended.) —")


def callback_steps(driver: CallDriver, url: str, status_url: str, say: Callable[[str], None]) -> Steps:
    """Play a call the hotline placed to a coordinator's phone: she answers, hears the case, the family is rung."""
    say(f"📞 Die Hotline ruft an / the hotline calls: {who(driver, driver.hotline)}")
    choice = (yield "Abnehmen? Enter = ja, m = Mailbox, n = niemand / answer? Enter = yes, m = mailbox, n = nobody")
    choice = choice.strip().lower()
    if choice == "n":
        driver.post(status_url, {"CallStatus": "no-answer"})
        say("— Niemand hat abgenommen. (Nobody answered.) —")
        return
    doc: ET.Element | None = driver.post(url, {"AnsweredBy": "machine_start" if choice == "m" else "human"})
    while doc is not None:
        doc = yield from _follow(driver, doc, say)
    driver.post(status_url, {"CallStatus": "completed"})
    say("— Anruf beendet. (Call ended.) —")


def _speak(node: ET.Element, say: Callable[[str], None]) -> None:
    if node.tag == "Say":
        say(f"🔊 {_voice_label(node)}{node.text or ''}")
    elif node.tag == "Play":
        say(f"🔊 [Aufnahme / recording: {node.text}]")


def _voice_label(node: ET.Element) -> str:
    """Return "[tr-TR · Polly.Filiz] " for a <Say> in another language than German (its offer, or the chosen one)."""
    tag = node.get("language") or ""
    if not tag or tag.lower().startswith("de"):
        return ""
    voice = node.get("voice")
    return f"[{tag} · {voice}] " if voice else f"[{tag}] "


def _follow(driver: CallDriver, doc: ET.Element, say: Callable[[str], None]) -> Generator[str, str, ET.Element | None]:
    for verb in doc:
        if verb.tag in ("Say", "Play"):
            _speak(verb, say)
        elif verb.tag == "Gather":
            for child in verb:
                _speak(child, say)
            keys = (yield "Tasten (Enter = Stille) / keys (Enter = silence)").strip()
            return driver.post(verb.get("action", ""), {"Digits": keys} if keys else {})
        elif verb.tag == "Redirect":
            return driver.post(verb.text or "")
        elif verb.tag == "Dial":
            return (yield from _dial(driver, verb, say))
        elif verb.tag == "Record":
            text = (yield "Nachricht nach dem Ton (Enter = auflegen) / message (Enter = hang up)").strip()
            if not text:
                return None
            recording = {"RecordingSid": "RE" + secrets.token_hex(16), "RecordingDuration": str(len(text) // 5 + 1),
                          "RecordingUrl": "https://api.twilio.com/simulated-recording"}
            driver.post("/voice/recording", {**recording, "RecordingStatus": "completed"})
            return driver.post(verb.get("action", ""), recording)
        elif verb.tag == "Hangup":
            return None
    return None


def who(driver: CallDriver, number: str) -> str:
    """Return a phone as people know it: the coordinator's name, the number second."""
    name = driver.names.get(number)
    return f"{name} ({number})" if name else number


def _dial(driver: CallDriver, dial: ET.Element, say: Callable[[str], None]) -> Generator[str, str, ET.Element]:
    numbers = [n for n in dial if n.tag == "Number"]
    say("📞 Es klingelt bei / ringing: " + ", ".join(who(driver, (n.text or "").strip()) for n in numbers))
    for index, number in enumerate(numbers, 1):
        say(f"   [{index}] {who(driver, (number.text or '').strip())}")
    choice = (yield "Wer nimmt ab? Nummer, m = Mailbox, Enter = niemand / who answers? index, m = mailbox").strip()
    action = dial.get("action", "")
    if not choice:
        return driver.post(action, {"DialCallStatus": "no-answer", "DialBridged": "false"})
    index = 1 if choice.lower() == "m" or not choice.isdigit() else min(max(int(choice), 1), len(numbers))
    number = numbers[index - 1]
    mailbox = choice.lower() == "m"
    leg_sid = "CA" + secrets.token_hex(16)
    leg = {"CallSid": leg_sid, "ParentCallSid": driver.call_sid, "From": dial.get("callerId") or driver.caller,
           "To": (number.text or "").strip(), "Direction": "outbound-api", "CallStatus": "in-progress",
           "AccountSid": "AC" + "0" * 32}
    if number.get("machineDetection"):
        # A family's leg (a call-back): Twilio asks the url with AnsweredBy; empty TwiML connects her.
        answer = driver.post(number.get("url", ""), {"AnsweredBy": "machine_start" if mailbox else "human"}, leg=leg)
        connected = "✅ Verbunden mit der Familie. (Connected to the family.)"
    else:
        screening = driver.post(number.get("url", ""), leg=leg)
        gather = screening.find("Gather")
        for child in gather if gather is not None else []:
            say("   (Koordinatorin hört / coordinator hears) " + (child.text or ""))
        keys = "" if mailbox else (yield "Koordinatorin: Taste (1 = annehmen) / coordinator: key").strip()
        answer = driver.post(gather.get("action", "") if gather is not None else "", {"Digits": keys} if keys else {},
                             leg=leg)
        connected = "✅ Verbunden mit der Koordinatorin. (Connected to the coordinator.)"
    bridged = len(answer) == 0
    if bridged:
        say(connected)
        while (yield TALKING).strip().lower() == KEEP_TALKING:
            pass
    else:
        say("❌ Nicht angenommen. (Not taken.)")
    if number.get("statusCallback") or not number.get("machineDetection"):
        driver.post(number.get("statusCallback", "/voice/leg-status"), {"CallStatus": "completed"}, leg=leg)
    return driver.post(action, {"DialCallStatus": "completed", "DialBridged": "true" if bridged else "false",
                                "DialCallSid": leg_sid})


@click.group("simulate", help="Den Anruf im Terminal ausprobieren / try the hotline in the terminal.")
def group() -> None:
    """Simulator commands."""


@group.command("call")
@click.option("--from", "caller", default="+4915112345678", show_default=True,
              help="The caller's number (German or international), or 'anonymous' for a withheld number.")
@click.option("--callers", default=1, show_default=True, type=click.IntRange(1, 20),
              help="Play this many callers at once, in turns (the next ones from the numbers after --from).")
def call_command(caller: str, callers: int) -> None:
    """Walk through the voice menu, press keys, play the coordinators — through the real webhooks."""
    services = current_services()
    settings = services.settings
    if caller.strip().lower() in WITHHELD:
        caller = "anonymous"
    elif normalize_phone(caller) is None:
        raise click.BadParameter(
            f"{caller!r} ist keine gültige Telefonnummer (z. B. 0151 12345678); für eine unterdrückte Nummer "
            f"--from anonymous. / not a valid phone number; use --from anonymous for a withheld number.",
            param_hint="--from")
    now = services.clock.now()
    with services.database.unit_of_work() as session:
        names = find_coordinator_names(session, start=now - timedelta(days=1), end=now + timedelta(days=1))
    log_file = Path(current_app.instance_path) / "simulate-call.log"
    with current_app.test_client() as client, _log_to(log_file):
        drivers = [CallDriver(client, base_url=settings.public_base_url or "http://localhost",
                              token=settings.signing_tokens[0], caller=number,
                              hotline=settings.callable_hotline or "+4951100000000", names=names)
                   for number in _numbers(caller, callers)]
        for driver in drivers:
            click.echo(f"Anruf von {driver.caller} (CallSid {driver.call_sid}) · Protokoll / log: {log_file}")
        if len(drivers) == 1:
            run_call(drivers[0], ask=lambda text: click.prompt(text, default="", show_default=False), say=click.echo)
        else:
            run_calls(drivers, ask=lambda n, text: click.prompt(f"[Anrufer {n}] {text}", default="",
                                                              show_default=False), say=click.echo)


@group.command("callback")
@click.option("--case", "reference", default=None, help="Only a call-back of this case (its reference).")
def callback_command(reference: str | None) -> None:
    """Answer a call-back on the coordinator's phone: hear the case, then the family rings — through the real webhooks.

    Simulator mode only. It first does the worker's part once (places the queue's due call-backs and
    sends the due outbox through the simulator), then plays the newest call-back placed and not yet answered.
    """
    services = current_services()
    settings = services.settings
    if not settings.simulator_mode:
        raise click.ClickException("Nur im Simulator-Modus. / Simulator mode only (no Twilio credentials).")
    now = services.clock.now()
    with services.database.unit_of_work() as session:
        if settings.public_base_url:
            place_due_callbacks(session, now=now, public_base_url=settings.public_base_url,
                                hotline_number=settings.hotline_number)
    deliver_due_messages(services.database, services.gateway, now=now, default_from=settings.hotline_number,
                         status_callback_url=None)
    with services.database.unit_of_work() as session:
        placed = placed_callback(session, reference=reference)
        names = find_coordinator_names(session, start=now - timedelta(days=1), end=now + timedelta(days=1))
    if placed is None:
        raise click.ClickException(
            "Kein Rückruf wartet: erst in der Warteschlange 1 drücken oder auf dem Board „Zurückrufen“. / "
            "No call-back is waiting: press 1 in the queue or 'call back' on the board first.")
    log_file = Path(current_app.instance_path) / "simulate-call.log"
    with current_app.test_client() as client, _log_to(log_file):
        driver = CallDriver(client, base_url=settings.public_base_url or "http://localhost",
                            token=settings.signing_tokens[0], caller=settings.callable_hotline or "+4951100000000",
                            hotline=placed.phone, names=names, call_sid=placed.call_sid, direction="outbound-api")
        click.echo(f"Rückruf / call-back (CallSid {driver.call_sid}) · Protokoll / log: {log_file}")
        drive(callback_steps(driver, placed.url, placed.url.rstrip("/") + "/status", click.echo),
              ask=lambda text: click.prompt(text, default="", show_default=False))


def _numbers(caller: str, count: int) -> list[str]:
    """Return `count` callers' numbers: the given one, then the numbers after it (withheld stays withheld)."""
    if count == 1 or caller == "anonymous":
        return [caller] * count
    first = normalize_phone(caller) or caller
    return [first[:-4] + f"{(int(first[-4:]) + i) % 10000:04d}" for i in range(count)]


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[None]:
    """Send the log to a file while the call runs, so its lines do not land between the prompts."""
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPhoneNumbers())
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()
