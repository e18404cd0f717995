"""Surge mode's short menu and dial plan: language choice, postcode, urgency; backups with the primaries."""

from ivr.menu import Ask, Connect, ConnectReason, Line, Step, advance, first_ask
from ivr.script import walk
from routing.dialplan import OnDuty, Stage, StageKind, build_dial_plan


def walk_short(keys: list[str]) -> list[Ask | Connect]:
    ask = first_ask(short=True)
    seen: list[Ask | Connect] = [ask]
    for digits in keys:
        assert isinstance(ask, Ask)
        step = advance(ask.step, ask.attempt, digits, short=True).next
        seen.append(step)
        if isinstance(step, Connect):
            break
        ask = step
    return seen


def test_the_short_menu_asks_only_postcode_and_urgency_after_the_first_question() -> None:
    seen = walk_short(["1", "30159", "1"])
    assert [s.step for s in seen if isinstance(s, Ask)] == [Step.CALLER_TYPE, Step.POSTCODE, Step.URGENCY]
    assert all(s.short for s in seen if isinstance(s, Ask))
    last = seen[-1]
    assert isinstance(last, Connect) and last.why is ConnectReason.MENU_COMPLETE
    assert Line("connecting") in last.say_first


def test_the_short_menu_keeps_the_language_choice_and_its_answers() -> None:
    english = advance(Step.CALLER_TYPE, 1, "9", short=True)
    assert english.language == "en" and isinstance(english.next, Ask)
    assert english.next.step is Step.CALLER_TYPE and english.next.short
    postcode = advance(Step.POSTCODE, 1, "30159", short=True)
    assert postcode.answers["postcode"] == "30159" and isinstance(postcode.next, Ask)
    assert postcode.next.step is Step.URGENCY and postcode.next.say_first  # the read-back stays
    assert advance(Step.URGENCY, 1, "1", short=True).answers == {"urgency": "now"}


def test_the_short_menu_handles_wrong_keys_and_zero_as_the_full_menu() -> None:
    again = advance(Step.POSTCODE, 1, "12", short=True).next
    assert isinstance(again, Ask) and again.step is Step.POSTCODE and again.attempt == 2 and again.short
    assert isinstance(advance(Step.POSTCODE, 1, "0", short=True).next, Connect)
    employer = advance(Step.CALLER_TYPE, 1, "2", short=True).next
    assert isinstance(employer, Connect) and employer.why is ConnectReason.EMPLOYER


def test_the_full_menu_is_unchanged_without_surge() -> None:
    assert advance(Step.CALLER_TYPE, 1, "1").next == Ask(Step.CARE_TYPE, 1)
    assert advance(Step.URGENCY, 1, "1").next == Ask(Step.REASON, 1)
    assert len(walk(["1", "1", "1", "3", "30159", "1", "1"])) > len(walk(["1", "30159", "1"]))


def test_in_surge_mode_backups_ring_together_with_the_primaries() -> None:
    on_duty = [OnDuty("+491", "primary"), OnDuty("+492", "backup"), OnDuty("+493", "backup")]
    plan = build_dial_plan(on_duty, busy={"+493"}, fallback_number="+49511", together=True)
    assert plan == [Stage(StageKind.PRIMARY, ("+491", "+492")), Stage(StageKind.FALLBACK, ("+49511",)),
                    Stage(StageKind.VOICEMAIL)]
    assert build_dial_plan(on_duty, busy=set(), fallback_number=None)[0] == Stage(StageKind.PRIMARY, ("+491",))
