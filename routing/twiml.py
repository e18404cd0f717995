"""TwiML for the voice call: plain domain results in, Twilio's TwiML classes out."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urljoin

from twilio.twiml.voice_response import Dial, Gather, Number, Record, VoiceResponse

from core.languages import known
from core.settings import Settings
from ivr.menu import Ask, Connect, Line, Step, language_offers, question
from ivr.prompts import PromptError, Utterance, load_prompts
from models import Case
from routing.dialplan import Stage, StageKind

log = logging.getLogger(__name__)


class Voice:
    """Speaks prompts in one language with the voice the settings choose, building absolute URLs."""

    def __init__(self, settings: Settings, language: str) -> None:
        """Prepare prompts and voice for a caller language (core.languages; German for an unknown one)."""
        self.settings = settings
        self.language = known(language)
        self.prompts = load_prompts(self.language)

    def url(self, path: str) -> str:
        """Return an absolute URL under PUBLIC_BASE_URL when it is set (Twilio needs it in TwiML Bins)."""
        base = self.settings.public_base_url
        return base.rstrip("/") + path if base else path

    def say(self, line: Line) -> Utterance:
        """Return what `line` says: from the call's prompt file, or from its own language's (a language offer)."""
        if line.language and line.language != self.language:
            return load_prompts(known(line.language)).say(line)
        return self.prompts.say(line)

    def speak(self, node: VoiceResponse | Gather, line: Line) -> None:
        """Say a prompt, or play its recording when the prompt file names one."""
        self.utter(node, self.say(line))

    def utter(self, node: VoiceResponse | Gather, utterance: Utterance) -> None:
        """Say an utterance's text in its language's voice and tag, or play its recording."""
        if utterance.audio:
            base = self.settings.audio_base_url or self.url("/static/audio/")
            node.play(urljoin(base.rstrip("/") + "/", utterance.audio))
        else:
            node.say(utterance.text, language=self.settings.language_tag(utterance.language),
                     voice=self.settings.voice(utterance.language))

    def say_german(self, node: VoiceResponse | Gather, text: str) -> None:
        """Say a German text that is not a prompt (what only a coordinator hears)."""
        node.say(text, language=self.settings.language_de, voice=self.settings.voice_de)

    def speak_all(self, node: VoiceResponse | Gather, lines: Iterable[Line]) -> None:
        """Say several prompts in order."""
        for line in lines:
            self.speak(node, line)


def render_ask(voice: Voice, ask: Ask, *, say_first: Iterable[Line] = ()) -> str:
    """Ask one question; keys pressed during the prompt count (barge-in); silence posts too.

    Most menu steps answer with one of a few dozen documents, so each is built once per wording
    and settings and then reused (building it with the TwiML classes cost a tenth of a request).
    """
    lines = (*say_first, *ask.say_first, Line(question(ask.step).prompt))
    offers = language_offers(ask.step, voice.language, voice.settings.languages)
    utterances = (*(voice.say(line) for line in lines), *_offer_utterances(voice, offers))
    return _ask_document(voice.settings, voice.language, ask.step, ask.attempt, utterances, ask.short)


def _offer_utterances(voice: Voice, offers: Iterable[Line]) -> list[Utterance]:
    """Say the language offers that can be said: one language's missing or broken file must not cost
    every caller the German welcome (a caller who presses its key anyway reaches the office's line)."""
    said = []
    for line in offers:
        try:
            said.append(voice.say(line))
        except PromptError:
            log.exception("the welcome leaves out the %s offer: its prompt file cannot be read", line.language)
    return said


#: The gather URL's query for surge mode's short menu (webhooks.voice reads it back).
SHORT_MENU_QUERY = "menu=short"


@lru_cache(maxsize=1024)
def _ask_document(settings: Settings, language: str, step: Step, attempt: int,
                  utterances: tuple[Utterance, ...], short: bool = False) -> str:
    voice = Voice(settings, language)
    q = question(step)
    action = voice.url(f"/voice/gather/{step.value}/{attempt}" + (f"?{SHORT_MENU_QUERY}" if short else ""))
    gather_args: dict[str, object] = {
        "input": "dtmf",
        "action": action,
        "method": "POST",
        "timeout": voice.settings.gather_timeout_seconds,
        "action_on_empty_result": True,
        "finish_on_key": q.finish_on_key,
    }
    if q.num_digits:
        gather_args["num_digits"] = q.num_digits
    response = VoiceResponse()
    gather = Gather(**gather_args)
    for utterance in utterances:
        voice.utter(gather, utterance)
    response.append(gather)
    response.redirect(action, method="POST")  # silence without actionOnEmptyResult still moves on
    return str(response)


def render_connect(voice: Voice, case: Case, stage: Stage, *, say_first: Iterable[Line] = ()) -> VoiceResponse:
    """Say the given prompts, then ring the stage's numbers with screening, or take a voicemail."""
    response = VoiceResponse()
    voice.speak_all(response, say_first)
    if stage.kind is StageKind.QUEUE:
        voice.speak(response, Line("queue_entered"))
        response.redirect(voice.url(f"/voice/queue/{case.id}/wait"), method="POST")
        return response
    if stage.kind is StageKind.VOICEMAIL:
        voice.speak(response, Line("nobody_reached"))
        _append_voicemail(voice, response, action=voice.url(f"/voice/voicemail/{case.id}"))
        return response
    dial = Dial(
        action=voice.url(f"/voice/dial/{stage.kind.value}"),
        method="POST",
        timeout=voice.settings.ring_timeout_seconds,
        caller_id=case.caller or voice.settings.hotline_number,
    )
    for number in stage.numbers:
        dial.append(_screened_number(voice, case, number))
    response.append(dial)
    return response


def _screened_number(voice: Voice, case: Case, number: str) -> Number:
    """Return a coordinator's number to dial with the screening (she must press 1) and her leg's status."""
    return Number(
        number,
        url=voice.url(f"/voice/screen/{case.id}"),
        method="POST",
        status_callback=voice.url("/voice/leg-status"),
        status_callback_event="completed",
        status_callback_method="POST",
    )


# --- The queue: a caller waits for a coordinator who is talking (routing.queue_call). ---

#: Seconds of quiet between two announcements to a waiting caller (keys still count during it).
QUEUE_PAUSE_SECONDS = 15


def render_queue_wait(voice: Voice, case: Case, *, position: int | None, minutes: int | None) -> VoiceResponse:
    """Tell a waiting caller her place and, with enough data, the wait; offer 1 and 2; pause; loop."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, timeout=1, action=voice.url(f"/voice/queue/{case.id}/key"),
                    method="POST")
    if position is not None:
        voice.speak(gather, Line("queue_position", {"position": str(position)}))
    if minutes == 1:
        voice.speak(gather, Line("queue_estimate_one"))
    elif minutes is not None:
        voice.speak(gather, Line("queue_estimate", {"minutes": str(minutes)}))
    voice.speak(gather, Line("queue_options"))
    gather.pause(length=QUEUE_PAUSE_SECONDS)
    response.append(gather)
    response.redirect(voice.url(f"/voice/queue/{case.id}/wait"), method="POST")
    return response


def render_queue_ring(voice: Voice, case: Case, coordinator: str) -> VoiceResponse:
    """A coordinator is free for the waiting caller: ring her with the same screening as any call."""
    response = VoiceResponse()
    voice.speak(response, Line("queue_connecting"))
    dial = Dial(
        action=voice.url(f"/voice/queue/{case.id}/dialed"),
        method="POST",
        timeout=voice.settings.ring_timeout_seconds,
        caller_id=case.caller or voice.settings.hotline_number,
    )
    dial.append(_screened_number(voice, case, coordinator))
    response.append(dial)
    return response


def render_queue_back(voice: Voice, case: Case, *, say: Iterable[Line] = ()) -> VoiceResponse:
    """Say the given prompts, then go on waiting (the next loop turn)."""
    response = VoiceResponse()
    voice.speak_all(response, say)
    response.redirect(voice.url(f"/voice/queue/{case.id}/wait"), method="POST")
    return response


def render_queue_voicemail(voice: Voice, case: Case) -> VoiceResponse:
    """She chose to leave a message (key 2): the voicemail as today, without "nobody is free"."""
    response = VoiceResponse()
    _append_voicemail(voice, response, action=voice.url(f"/voice/voicemail/{case.id}"))
    return response


def render_next(voice: Voice, case: Case | None, nxt: Ask | Connect, stage: Stage | None) -> VoiceResponse | str:
    """Render what follows an answer: the next question, or the connection to a person."""
    if isinstance(nxt, Ask) or stage is None:
        assert isinstance(nxt, Ask)
        return render_ask(voice, nxt)
    assert case is not None, "ringing a person needs the case"
    return render_connect(voice, case, stage, say_first=nxt.say_first)


def render_closed(voice: Voice, case: Case, hours: str) -> VoiceResponse:
    """Tell the caller the hours, 112 and 116117, then take a voicemail."""
    response = VoiceResponse()
    voice.speak(response, Line("closed", {"hours": hours}))
    _append_voicemail(voice, response, action=voice.url(f"/voice/voicemail/{case.id}"))
    return response


def render_goodbye(voice: Voice, key: str) -> VoiceResponse:
    """Say one prompt and hang up."""
    response = VoiceResponse()
    voice.speak(response, Line(key))
    response.hangup()
    return response


def render_hangup() -> VoiceResponse:
    """End the call (after the conversation with a coordinator)."""
    response = VoiceResponse()
    response.hangup()
    return response


def render_screening(voice: Voice, summary: str, *, action: str) -> VoiceResponse:
    """Let the coordinator hear the case and press 1 to take it; anything else hangs up her leg."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, timeout=8, action=action, method="POST",
                    action_on_empty_result=True)
    voice.speak(gather, Line("screening", {"summary": summary}))
    response.append(gather)
    voice.speak(response, Line("screening_declined"))
    response.hangup()
    return response


def render_screening_accepted() -> VoiceResponse:
    """Return the empty document that ends the screening and bridges the coordinator to the caller."""
    return VoiceResponse()


def render_fallback(settings: Settings) -> VoiceResponse:
    """Return the static fallback: apologise, ring the office with screening, then voicemail. No database."""
    de, en = Voice(settings, "de"), Voice(settings, "en")
    response = VoiceResponse()
    de.speak(response, Line("fallback"))
    en.speak(response, Line("fallback"))
    if settings.fallback_number:
        dial = Dial(action=de.url("/voice/fallback/after-dial"), method="POST",
                    timeout=settings.ring_timeout_seconds, caller_id=settings.hotline_number)
        dial.append(Number(settings.fallback_number, url=de.url("/voice/fallback/screen"), method="POST"))
        response.append(dial)
    else:
        _append_fallback_voicemail(de, en, response)
    return response


def render_fallback_voicemail(settings: Settings) -> VoiceResponse:
    """Return the voicemail of the fallback path, in German and English. No database."""
    de, en = Voice(settings, "de"), Voice(settings, "en")
    response = VoiceResponse()
    _append_fallback_voicemail(de, en, response)
    return response


def _append_fallback_voicemail(de: Voice, en: Voice, response: VoiceResponse) -> None:
    de.speak(response, Line("voicemail"))
    en.speak(response, Line("voicemail"))
    response.append(_record(de, action=de.url("/voice/fallback/recorded")))
    de.speak(response, Line("voicemail_none"))
    response.hangup()


def _append_voicemail(voice: Voice, response: VoiceResponse, *, action: str) -> None:
    voice.speak(response, Line("voicemail"))
    response.append(_record(voice, action=action))
    voice.speak(response, Line("voicemail_none"))
    response.hangup()


def _record(voice: Voice, *, action: str) -> Record:
    return Record(
        action=voice.url(action) if action.startswith("/") else action,
        method="POST",
        max_length=voice.settings.voicemail_max_seconds,
        timeout=5,
        play_beep=True,
        finish_on_key="#",
        recording_status_callback=voice.url("/voice/recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )


# --- Call back: the coordinator's phone rings first, then she is connected to the parent. ---


def render_callback(
    voice: Voice, *, announcement: str, parent: str, caller_id: str | None, action: str,
    family_url: str | None = None,
) -> VoiceResponse:
    """Tell the coordinator which case this is, then dial the parent showing the hotline's number.

    With `family_url`, the family's leg has answering machine detection too: Twilio asks that URL
    with AnsweredBy once she answers, and it hangs up on a mailbox instead of connecting it.
    """
    response = VoiceResponse()
    voice.say_german(response, announcement)
    dial = Dial(action=action, method="POST", timeout=voice.settings.ring_timeout_seconds + 10,
                caller_id=caller_id)
    if family_url:
        dial.append(Number(parent, machine_detection="Enable", url=family_url, method="POST"))
    else:
        dial.append(Number(parent))
    response.append(dial)
    return response


def render_callback_unavailable(voice: Voice, reason: str = "no_caller") -> VoiceResponse:
    """Tell the coordinator the parent cannot be called back, and hang up."""
    texts = {
        "no_caller": "Für diesen Fall ist keine Rufnummer der Familie gespeichert, weil die Nummer "
        "unterdrückt war. Ein Rückruf ist leider nicht möglich. Auf Wiederhören.",
        "no_case": "Dieser Fall ist nicht mehr vorhanden. Ein Rückruf ist nicht möglich. Auf Wiederhören.",
        "error": "Der Rückruf ist gerade technisch nicht möglich. Bitte rufen Sie die Familie über die "
        "Hotline-Nummer an. Auf Wiederhören.",
        "no_hotline": "Die Hotline-Nummer ist nicht eingerichtet, deshalb kann die Familie nicht "
        "angerufen werden. Bitte wenden Sie sich an die Leitung. Auf Wiederhören.",
    }
    response = VoiceResponse()
    voice.say_german(response, texts.get(reason, texts["no_case"]))
    response.hangup()
    return response


def render_callback_finished(voice: Voice, *, reached: bool, retry_minutes: int | None = None,
                             gave_up: bool = False) -> VoiceResponse:
    """After the call to the parent: say when she was not reached (and what happens next), then hang up."""
    response = VoiceResponse()
    if not reached:
        if retry_minutes is not None:
            text = (f"Die Familie wurde nicht erreicht. In {retry_minutes} Minuten versucht die Hotline es noch "
                    "einmal. Auf Wiederhören.")
        elif gave_up:
            text = ("Die Familie wurde nicht erreicht. Einen weiteren Versuch gibt es nicht, der Fall ist für "
                    "einen Rückruf markiert. Auf Wiederhören.")
        else:
            text = "Die Familie wurde nicht erreicht. Der Versuch steht im Verlauf des Falls. Auf Wiederhören."
        voice.say_german(response, text)
    response.hangup()
    return response


def render_callback_machine() -> VoiceResponse:
    """A mailbox took the call back: hang up, so the parent is never connected to a recording."""
    response = VoiceResponse()
    response.hangup()
    return response
