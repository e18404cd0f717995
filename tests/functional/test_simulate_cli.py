"""`flask --app app simulate call`: a newcomer walks the menu in the terminal, through the real webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import Case
from tests.factories import ANNA, BEN, make_roster


def test_happy_path_in_the_terminal_reaches_the_primary(runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    keys = ["1", "1", "1", "3", "30159", "1", "1",  # the menu
            "1",  # Anna's phone answers
            "1",  # she presses 1 after the screening
            ""]   # the conversation ends
    result = runner.invoke(args=["simulate", "call", "--from", "0151 12345678"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert ANNA in result.output
    assert "3 0 1 5 9" in result.output  # read back, and in the screening
    assert "Verbunden" in result.output
    case = session.scalars(select(Case)).one()
    assert (case.postcode, case.municipality, case.coordinator) == ("30159", "Hannover", ANNA)


def test_nobody_answers_ends_in_the_voicemail(runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    keys = ["0", "", "", "", "Bitte um Rückruf, Maria"]  # 0; primary, backup, office do not answer; message
    result = runner.invoke(args=["simulate", "call"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert "Signalton" in result.output
    case = session.scalars(select(Case)).one()
    assert case.needs_callback and case.voicemail_sid


MENU = ["1", "1", "1", "3", "30159", "2", "1"]


def test_three_callers_at_once_the_third_waits_in_the_queue_until_a_coordinator_is_free(
        app: Any, session: Any, clock: Any) -> None:
    from cli.simulate import TALKING, CallDriver, run_calls
    from tests.helpers import PUBLIC_BASE_URL, TEST_TOKEN

    make_roster(session, now=clock.now())
    heard: dict[int, list[str]] = {1: [], 2: [], 3: []}
    menu = {n: list(MENU) for n in heard}
    ringing: dict[int, list[str]] = {}
    talking_to: dict[int, str] = {}
    taken: set[str] = set()

    def say(text: str) -> None:
        number = int(text.split()[1])
        heard[number].append(text)
        if "ringing:" in text:
            ringing[number] = [p for p in (ANNA, BEN) if p in text]

    asked = []

    def ask(number: int, prompt: str) -> str:
        asked.append(number)
        assert len(asked) < 300, "the calls never end"
        if prompt.startswith("Tasten"):
            return menu[number].pop(0) if menu[number] else ""  # the menu, then silence while she waits
        if prompt.startswith("Wer nimmt ab"):
            free = [p for p in ringing[number] if p not in taken]
            if not free:
                return ""
            taken.add(free[0])
            talking_to[number] = free[0]
            return str(ringing[number].index(free[0]) + 1)
        if prompt.startswith("Koordinatorin"):
            return "1"
        if prompt == TALKING:
            third_waited = sum("Platz 1" in text for text in heard[3]) >= 2  # two turns of her wait
            if number == 3 or third_waited:
                taken.discard(talking_to[number])
                return ""  # hang up
            return "w"
        return ""

    with app.app_context(), app.test_client() as client:
        drivers = [CallDriver(client, base_url=PUBLIC_BASE_URL, token=TEST_TOKEN, caller=f"+491511234567{n}",
                              hotline="+4951187654321") for n in heard]
        run_calls(drivers, ask, say)

    assert all(any("Anruf beendet" in text for text in said) for said in heard.values())
    # The third waited while the first two kept talking, hearing her place on every turn.
    assert sum("Platz 1" in text for text in heard[3]) >= 2
    assert sum("Verbunden" in text for said in heard.values() for text in said) == 3
    session.expire_all()
    cases = session.scalars(select(Case).order_by(Case.id)).all()
    assert [c.coordinator for c in cases] == [ANNA, BEN, ANNA]


def test_simulate_call_with_several_callers_plays_them_in_turns(runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    result = runner.invoke(args=["simulate", "call", "--callers", "2", "--from", "0151 12345678"],
                           input="\n" * 60)
    assert result.exit_code == 0, result.output
    assert "Anruf von +4915112345678" in result.output and "Anruf von +4915112345679" in result.output
    assert "[Anrufer 1]" in result.output and "[Anrufer 2]" in result.output
    assert result.output.count("Anruf beendet") == 2
    assert len(session.scalars(select(Case)).all()) == 2


def _queue_callback(session: Any, clock: Any, sid: str) -> Any:
    """A family who pressed 1 in the queue, her turn now: Anna and Ben are free."""
    from routing import waiting
    from routing.waiting import QueueLimits
    from tests.factories import make_case

    make_roster(session, now=clock.now())
    case = make_case(session, now=clock.now(), call_sid=sid, postcode="30159")
    entry = waiting.enter_queue(session, case=case, now=clock.now(), limits=QueueLimits())
    assert waiting.choose_callback(session, entry=entry, now=clock.now())
    session.commit()
    return entry


def test_a_call_back_from_the_queue_rings_the_family_after_the_summary(
        runner: Any, session: Any, clock: Any) -> None:
    from models import QueueEntry, QueueState
    from tests.factories import PARENT

    entry = _queue_callback(session, clock, "CAcli1")
    keys = ["",   # Anna's phone: she answers the hotline's call
            "1",  # the family's phone answers (her, not a mailbox)
            ""]   # the conversation ends
    result = runner.invoke(args=["simulate", "callback"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert "Rückruf für Fall" in result.output and "3 0 1 5 9" in result.output  # the summary first
    assert PARENT in result.output and "Verbunden mit der Familie" in result.output
    session.expire_all()
    assert session.get(QueueEntry, entry.id).state is QueueState.CALLED_BACK
    assert session.get(Case, entry.case_id).needs_callback is False


def test_a_familys_mailbox_in_the_terminal_is_hung_up_and_tried_again(
        runner: Any, session: Any, clock: Any) -> None:
    from models import QueueEntry, QueueState

    entry = _queue_callback(session, clock, "CAcli2")
    result = runner.invoke(args=["simulate", "callback"], input="\n".join(["", "m"]) + "\n")
    assert result.exit_code == 0, result.output
    assert "Nicht angenommen" in result.output and "In 5 Minuten versucht die Hotline es noch" in result.output
    session.expire_all()
    waited = session.get(QueueEntry, entry.id)
    assert waited.state is QueueState.WAITING and waited.attempts == 1 and waited.retry_at is not None
    again = runner.invoke(args=["simulate", "callback"], input="\n")
    assert again.exit_code != 0 and "Kein Rückruf wartet" in again.output  # the retry waits for its timer


def test_the_language_offers_are_shown_with_their_voice_and_a_language_key_is_followed(
        runner: Any, session: Any, clock: Any) -> None:
    make_roster(session, now=clock.now())
    keys = ["9", "1", "1", "1", "3", "30159", "1", "1", "", "", "", ""]  # English, the menu; nobody answers, no message
    result = runner.invoke(args=["simulate", "call"], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert "🔊 [en-GB · Polly.Amy] For English, press 9." in result.output  # offered after the German question
    assert "🔊 Willkommen bei Fluxx" in result.output  # German needs no label
    assert "🔊 [en-GB · Polly.Amy] Welcome to Fluxx emergency care." in result.output
    assert session.scalars(select(Case)).one().language == "en"
