"""Who rings: the dial plan as a pure function of who is on duty and who is busy."""

from routing.dialplan import OnDuty, Stage, StageKind, build_dial_plan, is_reached, next_stage

ANNA, BEN, CARLA = "+4915700000001", "+4915700000002", "+4915700000003"
OFFICE = "+495111680000"


def test_all_free_primaries_ring_first_then_backups_then_office_then_voicemail() -> None:
    plan = build_dial_plan(
        [OnDuty(ANNA, "primary"), OnDuty(BEN, "backup"), OnDuty(CARLA, "primary")],
        busy=set(), fallback_number=OFFICE,
    )
    assert plan == [
        Stage(StageKind.PRIMARY, (ANNA, CARLA)),
        Stage(StageKind.BACKUP, (BEN,)),
        Stage(StageKind.FALLBACK, (OFFICE,)),
        Stage(StageKind.VOICEMAIL),
    ]


def test_a_coordinator_already_on_a_call_is_not_rung() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary"), OnDuty(BEN, "backup")], busy={ANNA}, fallback_number=OFFICE)
    assert plan[0] == Stage(StageKind.BACKUP, (BEN,))


def test_nobody_on_the_roster_goes_straight_to_the_office_then_voicemail() -> None:
    plan = build_dial_plan([], busy=set(), fallback_number=OFFICE)
    assert [s.kind for s in plan] == [StageKind.FALLBACK, StageKind.VOICEMAIL]


def test_without_an_office_number_voicemail_is_never_missing() -> None:
    plan = build_dial_plan([], busy=set(), fallback_number=None)
    assert plan == [Stage(StageKind.VOICEMAIL)]


def test_a_coordinator_on_two_shifts_rings_once() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary"), OnDuty(ANNA, "backup"), OnDuty(ANNA, "primary")],
                           busy=set(), fallback_number=None)
    assert plan[0] == Stage(StageKind.PRIMARY, (ANNA,))
    assert [s.kind for s in plan] == [StageKind.PRIMARY, StageKind.VOICEMAIL]


def test_next_stage_skips_stages_nobody_is_in() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary")], busy=set(), fallback_number=OFFICE)
    assert next_stage(plan, after=None).kind is StageKind.PRIMARY
    assert next_stage(plan, after=StageKind.PRIMARY).kind is StageKind.FALLBACK
    assert next_stage(plan, after=StageKind.FALLBACK).kind is StageKind.VOICEMAIL
    assert next_stage(plan, after=StageKind.VOICEMAIL).kind is StageKind.VOICEMAIL


def test_reached_only_when_completed_and_bridged() -> None:
    assert is_reached("completed", "true")
    assert not is_reached("completed", "false")  # her mailbox answered, or she did not press 1
    assert not is_reached("no-answer", "false")
    assert not is_reached("busy", None)
    assert not is_reached(None, "true")


# The caller's language (issue 14): within a stage, those who speak it first; all still ring at once.
DERYA, EMRE = "+4915700000004", "+4915700000005"
SPEAKS = {DERYA: ("de", "tr"), EMRE: ("tr",), BEN: ("de", "ar")}


def test_a_turkish_caller_has_the_turkish_speakers_of_a_stage_first_and_nobody_left_out() -> None:
    on_duty = [OnDuty(ANNA, "primary"), OnDuty(DERYA, "primary"), OnDuty(BEN, "backup"), OnDuty(EMRE, "backup")]
    plan = build_dial_plan(on_duty, busy=set(), fallback_number=OFFICE, language="tr", speaks=SPEAKS)
    assert plan == [
        Stage(StageKind.PRIMARY, (DERYA, ANNA)),  # one stage, both ring at once: Anna is not put off
        Stage(StageKind.BACKUP, (EMRE, BEN)),
        Stage(StageKind.FALLBACK, (OFFICE,)),
        Stage(StageKind.VOICEMAIL),
    ]


def test_a_speaker_on_a_later_stage_is_not_moved_ahead_of_it() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary"), OnDuty(BEN, "backup")], busy=set(), fallback_number=None,
                           language="ar", speaks=SPEAKS)
    assert plan[:2] == [Stage(StageKind.PRIMARY, (ANNA,)), Stage(StageKind.BACKUP, (BEN,))]


def test_nobody_speaking_it_and_a_german_caller_keep_the_usual_order() -> None:
    on_duty = [OnDuty(ANNA, "primary"), OnDuty(DERYA, "primary"), OnDuty(CARLA, "primary")]
    usual = build_dial_plan(on_duty, busy=set(), fallback_number=OFFICE)
    assert usual[0] == Stage(StageKind.PRIMARY, (ANNA, DERYA, CARLA))
    assert build_dial_plan(on_duty, busy=set(), fallback_number=OFFICE, language="pl", speaks=SPEAKS) == usual
    german_speakers = {CARLA: ("de",)}
    assert build_dial_plan(on_duty, busy=set(), fallback_number=OFFICE, language="de", speaks=german_speakers) == usual


def test_a_busy_speaker_is_not_rung() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary"), OnDuty(DERYA, "primary")], busy={DERYA}, fallback_number=None,
                           language="tr", speaks=SPEAKS)
    assert plan[0] == Stage(StageKind.PRIMARY, (ANNA,))


def test_surge_mode_rings_everyone_together_speakers_first() -> None:
    plan = build_dial_plan([OnDuty(ANNA, "primary"), OnDuty(EMRE, "backup")], busy=set(), fallback_number=None,
                           together=True, language="tr", speaks=SPEAKS)
    assert plan[0] == Stage(StageKind.PRIMARY, (EMRE, ANNA))
